"""How the template's tests and benchmarks run a generated project's commands.

The environment of a user's shell, not of the template's own test run, with the template's tooling
venv (copier, poetry, act, linters) first on PATH; and the package index to install from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

TOOLS_BIN = Path(sys.executable).parent  # the template's tooling venv: copier, poetry, act, linters


def index_url() -> str:
    """Return the package index the generated projects install from.

    The environment's ``PIP_INDEX_URL`` when set, else pip's default simple index, computed at run time
    so that no registry host is written into a file.
    """
    configured = os.environ.get("PIP_INDEX_URL")
    if configured:
        return configured
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url)


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for commands in a generated project: the tooling venv first on PATH.

    Variables of the template's own test run that would change a generated project's behaviour are
    removed: pytest's and coverage's, the active virtualenv, ``CI`` (under which `make setup`
    refuses to write poetry.lock, as a user's first `make setup` must), and
    ``PYTHONDONTWRITEBYTECODE``, which some machines set and users rarely do: without bytecode,
    every process of a project recompiles its imports (seconds each for scikit-learn and MLflow).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_", "POETRY_ACTIVE", "GITHUB_"))
        and key not in {"VIRTUAL_ENV", "CI", "PYTHONDONTWRITEBYTECODE"}
    }
    env["PATH"] = f"{TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("NO_COLOR", "1")
    if extra:
        env.update(extra)
    return env
