"""Slow layer: install generated projects and run their own gates, as a new user would."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SetUpProject
from tests.helpers import copy_project, free_port, git_commit_all, run, wait_for
from tools.environment import index_url

pytestmark = pytest.mark.slow


REGISTRY_STATE = """
import json
from mlflow import MlflowClient
client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
champion = client.get_model_version_by_alias("my-ml-project-churn", "champion")
run = client.get_run(champion.run_id)
print(json.dumps({
    "versions": len(client.search_model_versions("name='my-ml-project-churn'")),
    "champion": str(champion.version),
    "aliases": sorted(champion.aliases),
    "decision": champion.tags.get("promotion.decision"),
    "digest": run.data.tags.get("dataset_digest"),
    "datasets": [item.dataset.digest for item in run.inputs.dataset_inputs],
    "git_commit": run.data.tags.get("git_commit"),
}))
"""


def test_make_ci_leaves_a_registered_champion(default_project: Path, project_env: dict[str, str]) -> None:
    # given make ci has run (make demo ran it)

    # when the registry is read with the MLflow client, from the project's environment
    python = str(default_project / ".venv" / "bin" / "python")
    state = json.loads(run([python, "-c", REGISTRY_STATE], cwd=default_project, env=project_env).stdout)

    # then the gate's training is registered and promoted, with what it was trained on
    assert state["champion"] == "1", state
    # the gates that need a model share make ci's one training: one version (tracking-check's fits
    # are not registered)
    assert "champion" in state["aliases"], state
    assert state["versions"] == 1, state
    assert state["decision"] == "promoted", state
    assert len(state["digest"]) == 64, "the run should record the data's SHA-256"
    assert state["datasets"] == [state["digest"][:32]], "the run's dataset should carry the digest"
    head = run(["git", "rev-parse", "HEAD"], cwd=default_project, env=project_env).stdout.strip()
    assert state["git_commit"] == head, "the run should record the commit it was trained from"


def post_json(url: str, body: object, key: str | None = None) -> dict[str, Any]:
    """POST ``body`` as JSON (with ``key`` as X-API-Key) and return the JSON answer."""
    headers = {"Content-Type": "application/json"} | ({"X-API-Key": key} if key else {})
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def test_the_image_scores_a_file_in_batch(
    default_project: Path, project_env: dict[str, str], tmp_path: Path
) -> None:
    # given the image built by make ci (its smoke test), and a Parquet file of feature rows
    data = tmp_path / "data"
    data.mkdir()
    python = str(default_project / ".venv" / "bin" / "python")
    export = (
        "import duckdb; duckdb.connect('data/warehouse.duckdb', read_only=True)"
        ".sql('select * from customer_features').write_parquet('{}')"
    )
    run([python, "-c", export.format(data / "features.parquet")], cwd=default_project, env=project_env)
    data.chmod(0o777)  # the image runs as an unprivileged user

    # when the image runs the batch job instead of the API
    volumes = ["--volume", f"{data}:/data", "--volume", f"{data}:/predictions"]
    command = [
        "docker",
        "run",
        "--rm",
        *volumes,
        "my-ml-project:latest",
        "predict-batch",
        "--input",
        "/data/features.parquet",
    ]
    result = run(command, cwd=default_project, env=project_env)

    # then
    assert "1500 rows in, 1500 predicted, 0 quarantined" in result.stderr, result.stderr
    assert (data / "features" / "predictions.parquet").is_file(), "the predictions should be published"


def test_compose_serves_the_api_and_mlflow(default_project: Path, project_env: dict[str, str]) -> None:
    # given a champion in the registry (make demo ran make ci), free ports for the services and an
    # API key (the image runs in production, where the API needs one), passed as the project's settings
    api, mlflow, key = free_port(), free_port(), secrets.token_urlsafe(32)
    env = {
        **project_env,
        "MY_ML_PROJECT_API_PORT": str(api),
        "MY_ML_PROJECT_MLFLOW_PORT": str(mlflow),
        "MY_ML_PROJECT_API_KEY": key,
    }

    # when both services start with Docker Compose (stopped whatever happens, a failed start too)
    try:
        run(["make", "compose-up"], cwd=default_project, env=env)
        health = wait_for(f"http://127.0.0.1:{mlflow}/health")
        wait_for(f"http://127.0.0.1:{api}/ready")
        record = {
            **{"plan": "basic", "country": "US", "age": 30, "monthly_fee": 9.99, "tenure_days": 100},
            **{"sessions_90d": 12, "minutes_90d": 95.5, "tickets_90d": 1},
        }
        answer = post_json(f"http://127.0.0.1:{api}/predict", {"records": [record]}, key)
    finally:
        down = run(["make", "compose-down"], cwd=default_project, env=env, check=False)
        running = ["docker", "ps", "--quiet", "--filter", "label=com.docker.compose.project=project"]
        left = run(running, cwd=default_project, check=False)

    # then
    assert health == b"OK", health
    assert len(answer["predictions"]) == 1, answer
    model = answer["model"]
    assert (model["name"], model["version"]) == ("my-ml-project-churn", "1"), answer
    assert down.returncode == 0, down.stderr
    assert left.stdout.strip() == "", "compose-down should leave no container running"


def test_make_format_leaves_the_project_unchanged(default_project: Path, project_env: dict[str, str]) -> None:
    # when
    run(["make", "format"], cwd=default_project, env=project_env)

    # then
    status = run(["git", "status", "--porcelain"], cwd=default_project, env=project_env).stdout
    assert status == "", f"the rendered code should already be formatted:\n{status}"


def test_pre_commit_passes_on_all_files(default_project: Path, project_env: dict[str, str]) -> None:
    # when
    result = run(["poetry", "run", "pre-commit", "run", "--all-files"], cwd=default_project, env=project_env)

    # then
    assert "Failed" not in result.stdout, result.stdout


def test_the_cli_runs_in_the_environment(default_project: Path, project_env: dict[str, str]) -> None:
    # when
    result = run(["poetry", "run", "my-ml-project", "settings"], cwd=default_project, env=project_env)

    # then
    assert '"log_level": "INFO"' in result.stdout, "the console script should print the settings"


def test_pre_commit_hook_refuses_a_rej_file(
    default_project: Path, project_env: dict[str, str], tmp_path: Path
) -> None:
    # given a clone with a .rej file left by an update
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", str(default_project), str(clone)], cwd=tmp_path)
    (clone / "Makefile.rej").write_text("@@ -1 +1 @@\n-old\n+new\n")
    run(["git", "add", "Makefile.rej"], cwd=clone)

    # when the hooks run from the original project's environment
    hook = [str(default_project / ".venv" / "bin" / "pre-commit"), "run", "no-rej-files", "--all-files"]
    result = run(hook, cwd=clone, env=project_env, check=False)

    # then
    assert result.returncode == 1, "a .rej file should fail the hooks"
    assert "could not apply" in result.stdout, "the hook should say what a .rej file is"


# Python 3.12, the default, runs every gate in the tests above; 3.11 runs `make ci` in the PostgreSQL
# project's test (tests/test_postgres.py) and 3.13 in a team's first day (tests/test_first_day.py):
# each other answer's project takes one of the other versions, so no install is only for a version.


# Stage 1's `make ci` runs in tests/test_update.py, on a stage 1 project updated across a dependency
# change to the template as it is; stage 3's in tests/test_releases.py, on a project from a release
# updated to the template as it is, which then adopts stage 4 by update. A fresh install of either
# here would cost minutes for little more.


@pytest.mark.parametrize(
    ("warehouse", "unset"),
    [("bigquery", "MY_ML_PROJECT_BIGQUERY_PROJECT"), ("snowflake", "MY_ML_PROJECT_SNOWFLAKE_ACCOUNT")],
)
def test_a_cloud_warehouse_project_passes_ci_and_names_missing_credentials(
    set_up_project: SetUpProject, project_env: dict[str, str], warehouse: str, unset: str
) -> None:
    # given a project whose warehouse needs credentials that this machine does not have
    project = set_up_project(stage=1, warehouse=warehouse)

    # when its CI runs, which checks the sample in an embedded DuckDB
    ci = run(["make", "ci"], cwd=project, env={**project_env, "MY_ML_PROJECT_WAREHOUSE": "duckdb"})
    # and a user builds the data before setting the credentials
    data = run(["make", "data"], cwd=project, env=project_env, check=False)

    # then
    assert "Every table and view passes its contract" in ci.stdout + ci.stderr
    assert f"tests/io/test_{warehouse}.py" in ci.stdout, "the offline warehouse tests should run"
    assert data.returncode != 0, "building without credentials should fail"
    assert f"{unset} is not set" in data.stderr, data.stderr


def path_without_pyenv(extra: Path) -> str:
    """Return PATH with ``extra`` first and every pyenv directory removed."""
    kept = [entry for entry in os.environ["PATH"].split(os.pathsep) if ".pyenv" not in entry]
    return os.pathsep.join([str(extra), *kept])


def test_setup_without_pyenv_uses_a_matching_python_on_path(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    # given a machine without pyenv, with python3.12 on PATH
    project = copy_project(tmp_path / "project", package_index_url=index_url())
    git_commit_all(project, "Generate")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = run(["pyenv", "prefix", "3.12"], cwd=tmp_path).stdout.strip()
    (bin_dir / "python3.12").symlink_to(Path(real) / "bin" / "python3.12")
    poetry = shutil.which("poetry", path=project_env["PATH"])
    assert poetry is not None
    (bin_dir / "poetry").symlink_to(poetry)
    env = {**project_env, "PATH": path_without_pyenv(bin_dir)}

    # when
    result = run(["make", "setup"], cwd=project, env=env)

    # then
    assert f"Using {bin_dir / 'python3.12'}" in result.stdout, "setup should use python3.12 from PATH"


def test_setup_without_a_matching_python_says_how_to_get_one(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    # given a machine without pyenv and without python3.13
    project = copy_project(tmp_path / "project", python_version="3.13")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    poetry = shutil.which("poetry", path=project_env["PATH"])
    assert poetry is not None
    (bin_dir / "poetry").symlink_to(poetry)
    env = {**project_env, "PATH": path_without_pyenv(bin_dir)}
    if shutil.which("python3.13", path=env["PATH"]):
        pytest.skip("this machine has python3.13 outside pyenv")

    # when
    result = run(["make", "setup"], cwd=project, env=env, check=False)

    # then
    assert result.returncode != 0, "setup should stop"
    assert "Python 3.13 (from .python-version) was not found" in result.stderr, result.stderr
    assert "pyenv" in result.stderr, "the message should say how to get that Python"
    assert not (project / ".venv").exists(), "nothing should be installed"


def test_setup_in_ci_refuses_a_missing_lock_file(tmp_path: Path, project_env: dict[str, str]) -> None:
    # given a project whose poetry.lock was never committed
    project = copy_project(tmp_path / "project", package_index_url=index_url())

    # when
    result = run(["make", "setup"], cwd=project, env={**project_env, "CI": "true"}, check=False)

    # then
    assert result.returncode != 0, "CI should not resolve dependencies on its own"
    assert "poetry.lock is missing" in result.stderr, result.stderr
