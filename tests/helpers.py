"""Helpers shared by the template's tests: render the template, run commands, read answers."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import copier
import yaml

from tools.environment import TOOLS_BIN, tool_env
from tools.generated import waiting

TEMPLATE = Path(__file__).resolve().parents[1]
EXAMPLE_ANSWERS: dict[str, Any] = yaml.safe_load((TEMPLATE / "example-answers.yml").read_text())

# The CI gate jobs each stage adds, cumulatively; a project at stage N has the base jobs plus those of 1..N.
STAGE_JOBS: dict[int, tuple[str, ...]] = {
    1: ("stage-data",),
    2: ("stage-tracking",),
    3: ("stage-serving",),
    4: ("stage-monitoring",),
}
BASE_JOBS = ("quality", "tests", "standards")
STAGES = (1, 2, 3, 4)
WAREHOUSES = ("duckdb", "postgres", "bigquery", "snowflake")

# Which files a project gets, read from the template's file names: a second implementation of copier's
# rule, written for the few conditions the template uses, so that the fast layer compares copier's render
# with it. A file (or a folder) whose name holds `{% if CONDITION %}NAME{% endif %}` exists when the
# condition holds; a condition of another form fails here, to be taught to `condition_holds`.
NAME_CONDITION = re.compile(r"\{% if (?P<condition>[^%]*?) %\}(?P<name>[^{]*)\{% endif %\}")
STAGE_CONDITION = re.compile(r"stage >= (?P<stage>\d)")
# How copier.yml's _skip_if_exists names the stage and the package's name (see the comment there).
STAGE_ANSWER = "stage | default(4)"
PACKAGE_ANSWER = "{{ package_name | default('*') }}"
WAREHOUSE_IS = re.compile(r"warehouse == '(?P<warehouse>\w+)'")
WAREHOUSE_IN = re.compile(r"warehouse in \((?P<warehouses>'\w+'(?:, '\w+')*)\)")
# The names that the template's paths take from the answers and from copier.
NAME_VARIABLES = {"{{package_name}}": "{package}", "{{_copier_conf.answers_file}}": ".copier-answers.yml"}
# What copier leaves out of every render (its default `_exclude`).
COPIER_EXCLUDES = ("copier.yml", "copier.yaml", "~*", "*.py[co]", "__pycache__", ".git", ".DS_Store", ".svn")


def condition_holds(condition: str, stage: int, warehouse: str) -> bool:
    """Return whether a file name's condition holds for ``stage`` and ``warehouse``."""
    if match := STAGE_CONDITION.fullmatch(condition):
        return stage >= int(match["stage"])
    if match := WAREHOUSE_IS.fullmatch(condition):
        return warehouse == match["warehouse"]
    if match := WAREHOUSE_IN.fullmatch(condition):
        return warehouse in {name.strip("'") for name in match["warehouses"].split(", ")}
    raise AssertionError(f"a template file name has a condition these tests cannot read: {condition!r}")


def rendered_name(template_path: str, stage: int, warehouse: str) -> str | None:
    """Return the path ``template_path`` (relative to template/) renders to; None when it is left out."""
    parts = []
    for part in template_path.split("/"):
        for variable, value in NAME_VARIABLES.items():
            part = part.replace(variable, value)
        part = NAME_CONDITION.sub(
            lambda match: match["name"] if condition_holds(match["condition"], stage, warehouse) else "",
            part,
        )
        if "{{" in part or "{%" in part:
            raise AssertionError(f"{template_path}: a name these tests cannot render: {part!r}")
        if part in {"", ".jinja"}:
            return None
        parts.append(part)
    return "/".join(parts).removesuffix(".jinja")


def team_patterns(stage: int = STAGES[-1], warehouse: str = "duckdb") -> list[str]:
    """Return copier.yml's ``_skip_if_exists`` at ``stage``: the patterns of the team's files.

    A later stage's entry has its template file name's form (``{% if stage >= N %}NAME{% endif %}``),
    and renders empty before that stage; ``{{ package_name }}`` is left for the caller. (In copier.yml,
    each answer has a default, for where copier has not loaded the answers: :data:`STAGE_ANSWER`,
    :data:`PACKAGE_ANSWER`.)
    """
    entries = yaml.safe_load((TEMPLATE / "copier.yml").read_text(encoding="utf-8"))["_skip_if_exists"]
    patterns = (
        NAME_CONDITION.sub(
            lambda match: match["name"] if condition_holds(match["condition"], stage, warehouse) else "",
            entry.replace(STAGE_ANSWER, "stage").replace(PACKAGE_ANSWER, "<package>"),
        ).replace("<package>", "{{ package_name }}")
        for entry in entries
    )
    return [pattern for pattern in patterns if pattern]


def template_files() -> list[str]:
    """Return the template's files, relative to template/, without those copier excludes."""
    root = TEMPLATE / "template"
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file()
        and not any(
            fnmatch.fnmatch(part, pattern)
            for part in path.relative_to(root).parts
            for pattern in COPIER_EXCLUDES
        )
    )


def expected_files(stage: int, package: str, warehouse: str = "duckdb") -> set[str]:
    """Return the relative paths a project at ``stage`` must contain, and no others."""
    names = (rendered_name(path, stage, warehouse) for path in template_files())
    return {name.format(package=package) for name in names if name is not None}


def stage_files(stage: int, warehouse: str = "duckdb") -> set[str]:
    """Return the files ``stage`` adds ({package} for the package name); stage 1's are every project's."""
    added = expected_files(stage, "{package}", warehouse)
    return added - expected_files(stage - 1, "{package}", warehouse) if stage > 1 else added


def warehouse_files(warehouse: str, stage: int = 1) -> set[str]:
    """Return the files the ``warehouse`` answer adds at ``stage`` ({package} for the package name)."""
    return expected_files(stage, "{package}", warehouse) - expected_files(stage, "{package}", "duckdb")


def expected_gate_jobs(stage: int) -> list[str]:
    """Return the CI gate jobs of a project at ``stage``, in workflow order."""
    jobs = list(BASE_JOBS)
    for level in range(1, stage + 1):
        jobs += STAGE_JOBS[level]
    return jobs


def copy_project(dst: Path, src: Path | str = TEMPLATE, vcs_ref: str = "HEAD", **answers: Any) -> Path:
    """Render the template into ``dst`` with default answers overridden by ``answers``."""
    copier.run_copy(
        str(src),
        dst,
        data=answers,
        defaults=True,
        vcs_ref=vcs_ref,
        quiet=True,
        unsafe=False,
    )
    return dst


# Files copied as bytes, never read as text: the model card's figures.
BINARY_SUFFIXES = frozenset({".png"})


def text_files(root: Path) -> set[str]:
    """Return the files of :func:`project_files` that hold text (not :data:`BINARY_SUFFIXES`)."""
    return {name for name in project_files(root) if Path(name).suffix not in BINARY_SUFFIXES}


def project_files(root: Path) -> set[str]:
    """Return every file below ``root`` as a POSIX path relative to it, skipping .git."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def run(
    args: Sequence[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, and fail with that output when ``check`` and it fails.

    A command still running after ``timeout`` seconds is killed, and the test fails with what it
    had printed (a whole `make ci` takes ten minutes on a loaded two-core machine).
    """
    try:
        result = subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,
            env=dict(env) if env is not None else tool_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        stdout, stderr = (
            text.decode(errors="replace") if isinstance(text, bytes) else text or ""
            for text in (expired.stdout, expired.stderr)
        )
        raise AssertionError(
            f"`{' '.join(map(str, args))}` in {cwd} still ran after {timeout:.0f} s: killed\n"
            f"--- stdout ---\n{stdout[-20000:]}\n--- stderr ---\n{stderr[-20000:]}"
        ) from None
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(map(str, args))}` in {cwd} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-20000:]}\n--- stderr ---\n{result.stderr[-20000:]}"
        )
    return result


def git_commit_all(repo: Path, message: str) -> None:
    """Stage every file in ``repo`` and commit it (initialising the repository when needed)."""
    if not (repo / ".git").exists():
        run(["git", "init", "--quiet", "--initial-branch=main"], cwd=repo, env=git_env())
    run(["git", "add", "--all"], cwd=repo, env=git_env())
    run(["git", "commit", "--quiet", "--no-verify", "-m", message], cwd=repo, env=git_env())


def git_env() -> dict[str, str]:
    """Return an environment in which git commits with a fixed identity."""
    return tool_env(
        {
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
        }
    )


def clone_history(root: Path) -> Path:
    """Clone this repository's history into ``root``, and commit the working tree on top.

    Copier renders a git template at a commit: the clone's HEAD is the template as it is
    (uncommitted changes included), and its history holds every earlier commit.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    run(["git", "clone", "--quiet", "--no-checkout", TEMPLATE, root], cwd=root.parent, env=git_env())
    ignore = shutil.ignore_patterns(".git", ".venv", "tmp", "demo", "site", "__pycache__", "*_cache")
    shutil.copytree(TEMPLATE, root, ignore=ignore, dirs_exist_ok=True)
    run(["git", "add", "--all"], cwd=root, env=git_env())
    # (empty when the working tree is the clone's HEAD: then HEAD is already the template as it is)
    commit = ["git", "commit", "--quiet", "--no-verify", "--allow-empty", "-m", "The template as it is"]
    run(commit, cwd=root, env=git_env())
    return root


def which(tool: str) -> str:
    """Return the path of a tool from the tooling venv, or from PATH."""
    found = shutil.which(tool, path=f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        raise AssertionError(f"{tool} is not installed: run `make test` (it installs the tooling)")
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    url: str, timeout: float = 120, server: subprocess.Popen[Any] | None = None, log: Path | None = None
) -> bytes:
    """Return the body of the first 200 answer from ``url``; fail after ``timeout`` seconds.

    With the ``server`` process that should answer, fail as soon as it stops, quoting the end of its
    ``log``. The waiting is the generated projects' own (`tools/waiting.py`), imported from the template.
    """
    gone = None if server is None else waiting.exited(server, log)
    return bytes(waiting.url_answers(url, timeout, gone=gone))


def assert_venv_runs(project: Path, version: str, env: Mapping[str, str]) -> None:
    """Fail unless the project's environment (``.venv``) runs Python ``version`` (``3.X``)."""
    printed = run([project / ".venv" / "bin" / "python", "--version"], cwd=project, env=env).stdout
    assert printed.startswith(f"Python {version}."), f"the venv should run {version}: {printed}"
