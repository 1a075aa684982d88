"""Run a generated project's workflows under act, on the host and offline.

act runs each job on this machine (``-P ubuntu-latest=-self-hosted``) in a clean environment: a new
HOME, a PATH without the tests' tooling or pyenv, as on a GitHub runner. Each action a workflow uses,
apart from ``actions/checkout`` (act copies the work tree for it), is replaced by its stand-in from
``tests/actions/`` (test doubles for actions that need the network; see the README there).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from tests.helpers import TEMPLATE, run, which

STAND_INS = TEMPLATE / "tests" / "actions"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
USES = re.compile(r"uses:\s*([\w.-]+)/([\w.-]+)@([0-9a-f]{40})")
# Passed through from the tests' environment when set: TLS trust (a proxy may re-sign TLS here) and
# the caches the session shares.
PASS_THROUGH = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "PIP_INDEX_URL",
    "POETRY_CACHE_DIR",
    "PIP_CACHE_DIR",
)


def stand_in_options(project: Path) -> list[str]:
    """Return the ``--local-repository`` options that replace every remote action the project uses."""
    options: list[str] = []
    seen: set[str] = set()
    for path in sorted((project / ".github").rglob("*.yml")):
        for owner, name, sha in USES.findall(path.read_text()):
            ref = f"{owner}/{name}@{sha}"
            if (owner, name) == ("actions", "checkout") or ref in seen:
                continue
            stand_in = STAND_INS / name
            if not (stand_in / "action.yml").is_file():
                raise AssertionError(f"{path}: {ref} has no stand-in in {STAND_INS}; add one")
            options += ["--local-repository", f"{ref}={stand_in}"]
            seen.add(ref)
    return options


def act_env(home: str, extra: dict[str, str]) -> dict[str, str]:
    """Return the clean environment act runs in, with ``home`` as its HOME."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    env = {
        "HOME": home,
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYENV_ROOT": pyenv_root,
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
    }
    env.update({key: os.environ[key] for key in PASS_THROUGH if key in os.environ})
    env.update(extra)
    return env


def run_act(
    project: Path,
    env: dict[str, str],
    event: str = "push",
    job: str | None = None,
    timeout: float = 1800,
    workflow: str = "ci.yml",
    job_env: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    inputs: dict[str, str] | None = None,
    event_file: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one of the project's workflows for ``event`` (or one ``job``) under act; return the result.

    ``job_env`` is set in every step of every job (act's ``--env``), on top of the workflow's own;
    act also takes ``GITHUB_API_URL`` and ``GITHUB_REPOSITORY`` from it for the ``github`` context.
    ``secrets`` are the workflow's ``secrets`` (``GITHUB_TOKEN`` is ``github.token``), ``inputs``
    a ``workflow_dispatch``'s inputs, ``event_file`` the event's payload (a JSON file: a tag's ``ref``).
    One workflow only: act does not apply a trigger's tag filter to a branch push, so it would run
    the release workflow too.
    """
    args = [
        which("act"),
        event,
        "--workflows",
        str(Path(".github") / "workflows" / workflow),
        "--platform",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        # One job at a time: jobs share poetry's cache, which is not safe for parallel writers.
        "--concurrent-jobs",
        "1",
        *stand_in_options(project),
    ]
    for name, value in (job_env or {}).items():
        args += ["--env", f"{name}={value}"]
    for name, value in (secrets or {}).items():
        args += ["--secret", f"{name}={value}"]
    for name, value in (inputs or {}).items():
        args += ["--input", f"{name}={value}"]
    if job:
        args += ["--job", job]
    if event_file:
        args += ["--eventpath", str(event_file)]
    with tempfile.TemporaryDirectory(prefix="act-home-") as home:
        # A run still going after ``timeout`` is killed, and the test fails with what it had printed.
        result = run(args, cwd=project, env=act_env(home, env), check=False, timeout=timeout)
    # Some tools colour their output whatever NO_COLOR says: strip the escape codes.
    result.stdout = ANSI_ESCAPE.sub("", result.stdout)
    result.stderr = ANSI_ESCAPE.sub("", result.stderr)
    return result
