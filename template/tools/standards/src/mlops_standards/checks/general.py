"""The standards of every project, whatever its stage: environment, lock, CI, template."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mlops_standards.checks.base import CI_WORKFLOW, Standard, ci_workflow, jobs_of, run_commands
from mlops_standards.fixtures import ANSWERS_FILE, TemplateState

# An action pinned to a full commit (owner/repo[/path]@<40 hex digits>), or an image to a digest.
PINNED_ACTION = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
PINNED_IMAGE = re.compile(r"docker://\S+@sha256:[0-9a-f]{64}")
PYTHON_VERSION = re.compile(r"\d+\.\d+(\.\d+)?")
READ_ONLY = {"read", "none"}


class General(Standard):
    """The family of the standards of every project."""

    family: ClassVar[str] = "mlops-general"


class MLO001(General):
    """Pins its Python in `.python-version` (pyenv), within `requires-python`."""

    @staticmethod
    def check(root: Traversable, pyproject: dict[str, Any]) -> str:
        """`.python-version` names the project's Python (for example `3.12`) for pyenv and CI."""
        path = root.joinpath(".python-version")
        if not path.is_file():
            return (
                "There is no `.python-version`: pyenv, `make setup` and CI cannot tell which"
                " Python to use."
            )
        lines = path.read_text(encoding="utf-8").split()
        version = lines[0] if lines else ""
        if not PYTHON_VERSION.fullmatch(version):
            return f"`.python-version` holds `{version}`, not a Python version such as `3.12`."
        requires = pyproject.get("project", {}).get("requires-python")
        if isinstance(requires, str):
            try:
                allowed = SpecifierSet(requires)
            except InvalidSpecifier:
                return f"`requires-python` is not a version specifier: `{requires}`."
            if version not in allowed:
                return (
                    f"`.python-version` names {version}, outside `requires-python` (`{requires}`)."
                )
        return ""


class MLO002(General):
    """Locks its dependencies with poetry: `poetry.lock` is committed."""

    @staticmethod
    def check(root: Traversable) -> str:
        """`pyproject.toml` declares the dependencies and `poetry.lock` pins every one of them."""
        if not root.joinpath("pyproject.toml").is_file():
            return "There is no `pyproject.toml` to declare the project and its dependencies."
        if not root.joinpath("poetry.lock").is_file():
            return (
                "There is no `poetry.lock`: CI cannot install exactly what was tested. Run"
                " `make setup` (or `poetry lock`) and commit `poetry.lock`."
            )
        return ""


class MLO003(General):
    """`poetry.lock` matches `pyproject.toml`."""

    @staticmethod
    def check(root: Traversable, pyproject: dict[str, Any]) -> str:
        """The lock's content-hash is the one poetry computes from `pyproject.toml` (not stale)."""
        if not pyproject or not root.joinpath("poetry.lock").is_file():
            return "There is no `pyproject.toml` and `poetry.lock` pair to compare (see MLO002)."
        try:
            lock = tomllib.loads(root.joinpath("poetry.lock").read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            return f"`poetry.lock` is not valid TOML ({error}): run `make setup` to write it again."
        recorded = lock.get("metadata", {}).get("content-hash")
        expected = poetry_content_hash(pyproject)
        if recorded != expected:
            return (
                "`poetry.lock` was resolved for another `pyproject.toml` (its content-hash"
                " differs): run `make setup` (it re-resolves a stale lock) and commit"
                " `poetry.lock`."
            )
        return ""


# The parts of pyproject.toml that poetry's lock depends on (poetry's Locker, poetry 2).
POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
POETRY_KEYS = (*POETRY_LEGACY_KEYS, "group")
PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hash(pyproject: dict[str, Any]) -> str:
    """Return the content-hash poetry 2 writes into `poetry.lock` for this `pyproject.toml`."""
    project = {
        key: pyproject.get("project", {})[key]
        for key in PROJECT_KEYS
        if key in pyproject.get("project", {})
    }
    groups = pyproject.get("dependency-groups", {})
    poetry_section = pyproject.get("tool", {}).get("poetry", {})
    relevant_poetry = {
        key: poetry_section.get(key)
        for key in POETRY_KEYS
        if poetry_section.get(key) is not None
        or (key in POETRY_LEGACY_KEYS and not project and not groups)
    }
    content: dict[str, Any] = {}
    if project:
        content["project"] = project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class MLO004(General):
    """CI ends with a stage scorecard that waits for every gate."""

    @staticmethod
    def check(mlops_workflows: dict[str, Any]) -> str:
        """A `scorecard` job runs `make scorecard` after every other job, `if: always()`."""
        workflow = ci_workflow(mlops_workflows)
        if workflow is None:
            return (
                f"There is no CI workflow (`{CI_WORKFLOW}`) whose gates a scorecard would sum up."
            )
        jobs = jobs_of(workflow)
        scorecard = jobs.get("scorecard")
        if scorecard is None or "make scorecard" not in run_commands(scorecard):
            return f"`{CI_WORKFLOW}` has no `scorecard` job that runs `make scorecard`."
        if scorecard.get("if") != "always()":
            return (
                "The `scorecard` job needs `if: always()`: without it, a failed gate leaves no"
                " scorecard."
            )
        needs = scorecard.get("needs")
        needed = (
            {needs} if isinstance(needs, str) else set(needs) if isinstance(needs, list) else set()
        )
        missing = sorted(set(jobs) - needed - {"scorecard"})
        if missing:
            return (
                f"The `scorecard` job does not wait for {', '.join(f'`{job}`' for job in missing)}."
            )
        return ""


class MLO005(General):
    """Pins every action of its workflows to a full commit SHA."""

    @staticmethod
    def check(mlops_workflows: dict[str, Any], mlops_actions: dict[str, Any]) -> str:
        """Every `uses:` names a commit (40 hex digits), a local action, or an image digest."""
        if not mlops_workflows:
            return "There is no workflow in `.github/workflows/` to check."
        files = {**mlops_workflows, **mlops_actions}
        broken = [path for path, data in files.items() if not isinstance(data, dict)]
        unpinned = [
            f"`{uses}` ({path})"
            for path, data in files.items()
            if isinstance(data, dict)
            for uses in uses_of(data)
            if not (
                uses.startswith("./")
                or PINNED_ACTION.fullmatch(uses)
                or PINNED_IMAGE.fullmatch(uses)
            )
        ]
        if broken:
            return f"Not valid YAML: {', '.join(f'`{path}`' for path in broken)}."
        if unpinned:
            return (
                "Pin each action to a full commit SHA, its version in a comment"
                f" (`uses: owner/repo@<sha> # vX.Y.Z`): {', '.join(unpinned)}."
            )
        return ""


def uses_of(data: Any) -> list[str]:
    """Return every `uses:` in a parsed workflow or action: steps and reusable workflows."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "uses" and isinstance(value, str):
                found.append(value.strip())
            else:
                found += uses_of(value)
    elif isinstance(data, list):
        for item in data:
            found += uses_of(item)
    return found


class MLO006(General):
    """Grants its workflows read-only permissions, writes only to the jobs that need them."""

    @staticmethod
    def check(mlops_workflows: dict[str, Any]) -> str:
        """Each workflow's top `permissions:` are read-only or empty; a job asks for any write."""
        if not mlops_workflows:
            return "There is no workflow in `.github/workflows/` to check."
        problems = []
        for path, workflow in mlops_workflows.items():
            if not isinstance(workflow, dict):
                problems.append(f"`{path}` is not valid YAML")
            elif "permissions" not in workflow:
                problems.append(
                    f"`{path}` sets no top-level `permissions` (the token's default may write)"
                )
            elif not read_only(workflow["permissions"]):
                problems.append(
                    f"`{path}` grants writes to every job: `permissions: {workflow['permissions']}`"
                )
            else:
                problems += [
                    f"job `{job_id}` of `{path}` has `permissions: write-all`"
                    for job_id, job in jobs_of(workflow).items()
                    if job.get("permissions") == "write-all"
                ]
        return "; ".join(problems) + "." if problems else ""


def read_only(permissions: Any) -> bool:
    """Return whether a `permissions:` value grants no write."""
    if permissions in ("read-all", None):
        return True
    return isinstance(permissions, dict) and all(
        value in READ_ONLY for value in permissions.values()
    )


class MLO007(General):
    """Is up to date with the template's newest release."""

    @staticmethod
    def check(mlops_template: TemplateState) -> str | None:
        """`.copier-answers.yml` records the template's newest release (or a later commit).

        Skipped where that cannot be told offline: the template is not a local folder.
        """
        if not mlops_template.source or not mlops_template.commit:
            return (
                f"No `{ANSWERS_FILE}` records the template and version the project comes from:"
                " generate the project with copier (`copier copy`), or adopt the template with"
                " `copier copy` into the repository and keep what is yours."
            )
        if mlops_template.up_to_date is None:
            return None
        if not mlops_template.up_to_date:
            newest = mlops_template.newest.version if mlops_template.newest else "?"
            return (
                f"The project was rendered from `{mlops_template.commit}`; the template's newest"
                f" release is {newest}: run `make template-update` (docs/development.md), then"
                " `make setup` and `make ci`."
            )
        return ""
