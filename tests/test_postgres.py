"""Slow layer: a project with `warehouse=postgres` passes its gates against a real PostgreSQL server.

The fixture starts a throwaway server (initdb + pg_ctl, on 127.0.0.1 and a free port, trust
authentication) and stops it after the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SetUpProject
from tests.helpers import assert_venv_runs, free_port, run

# One group: the tests share one set-up project and one server (see conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]
# The project's Python: the oldest the template supports, which no other project of the slow layer runs
# (3.12, the default, is the demo's; 3.13 the first day's), so that its `make ci` covers that version too.
POSTGRES_PYTHON = "3.11"


def postgres_bin(tool: str) -> str:
    """Return the path of a PostgreSQL server tool (PATH, or Debian's versioned folder)."""
    found = shutil.which(tool) or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True)),
        None,
    )
    if found is None:
        raise AssertionError(
            f"{tool} not found: install PostgreSQL's server (Debian: apt-get install postgresql)"
        )
    return found


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A connection string to a PostgreSQL server started for the session."""
    # Not under pytest's temporary folder: the server's user must be able to reach its folder, and
    # pytest's is private to the user running the tests.
    root = Path(tempfile.mkdtemp(prefix="copier-mlops-postgres-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    # initdb refuses to run as root: run the server as the postgres user when the tests are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    initdb = [*as_user, postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    run(initdb, cwd=root)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
    pg_ctl = [*as_user, postgres_bin("pg_ctl"), "-D", str(data), "-l", str(root / "server.log")]
    run([*pg_ctl, "-o", options, "-w", "start"], cwd=root)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_project_passes_ci_against_a_real_server(
    set_up_project: SetUpProject, project_env: dict[str, str], postgres_dsn: str
) -> None:
    # given
    project = set_up_project(warehouse="postgres", python_version=POSTGRES_PYTHON, with_docker=False)
    env = {
        **project_env,
        "MY_ML_PROJECT_POSTGRES_DSN": postgres_dsn,
        "MY_ML_PROJECT_TEST_POSTGRES_DSN": postgres_dsn,
    }

    # when CI runs with the data gate (the other gates do not depend on the warehouse, and run in
    # the default project's tests), then a model scores the PostgreSQL feature view in batch
    result = run(["make", "ci", "STAGE_GATES=stage-data"], cwd=project, env=env)
    batch = run(["make", "train", "promote", "predict-batch"], cwd=project, env=env)

    # then
    output = result.stdout + result.stderr
    assert_venv_runs(project, POSTGRES_PYTHON, env)
    assert "tests/io/test_postgres.py ..." in output, "the PostgreSQL tests should run, not skip"
    assert "Every table and view passes its contract" in output, "stage-data should pass on PostgreSQL"
    assert "1500 rows in, 1500 predicted, 0 quarantined" in batch.stderr, batch.stderr[-3000:]


def test_unreachable_postgres_names_the_setting(
    set_up_project: SetUpProject, project_env: dict[str, str]
) -> None:
    # given
    project = set_up_project(warehouse="postgres", python_version=POSTGRES_PYTHON, with_docker=False)
    env = {**project_env, "MY_ML_PROJECT_POSTGRES_DSN": "postgresql://127.0.0.1:1/none"}

    # when
    result = run(["make", "data"], cwd=project, env=env, check=False)

    # then
    assert result.returncode != 0, "building without a server should fail"
    assert "check MY_ML_PROJECT_POSTGRES_DSN" in result.stderr, result.stderr


def test_without_a_server_only_the_server_tests_skip(
    set_up_project: SetUpProject, project_env: dict[str, str]
) -> None:
    # given no server to test against
    project = set_up_project(warehouse="postgres", python_version=POSTGRES_PYTHON, with_docker=False)
    env = {name: value for name, value in project_env.items() if "POSTGRES_DSN" not in name}

    # when
    result = run(
        ["poetry", "run", "pytest", "tests/io/test_postgres.py", "-rA", "--no-cov", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
    )

    # then the test that needs no server runs; the others say why they skip
    assert "PASSED tests/io/test_postgres.py::test_unreachable_server_names_the_setting" in result.stdout, (
        result.stdout
    )
    assert "1 passed, 2 skipped" in result.stdout, result.stdout
    assert "no PostgreSQL server to test against" in result.stdout, result.stdout
