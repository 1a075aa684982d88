"""The checks, one class per standard, collected for repo-review's `repo_review.checks`."""

from __future__ import annotations

import re

from mlops_standards.checks import data, general, monitoring, serving, tracking
from mlops_standards.checks.base import Standard

CODE = re.compile(r"MLO\d{3}")


def standards() -> list[type[Standard]]:
    """Return every check class (the subclasses of a family named by a code), in code order."""
    found = [
        check
        for module in (general, data, tracking, serving, monitoring)
        for name, check in vars(module).items()
        if CODE.fullmatch(name) and isinstance(check, type) and issubclass(check, Standard)
    ]
    return sorted(found, key=lambda check: check.__name__)


def repo_review_checks() -> dict[str, Standard]:
    """Return one instance of each check, by its code: repo-review's entry point."""
    return {check.__name__: check() for check in standards()}
