"""Slow layer: `make demo`, the README's first command, as a user runs it, and the next steps it prints."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Demo, user_env
from tests.helpers import TEMPLATE, free_port, run, wait_for

pytestmark = pytest.mark.slow

# The "Try next" lines that start a server and block: each is tried on its own (make serve) or left
# out (the same poetry and settings as make serve; docker-run needs the engine the demo stopped).
SERVERS = ("make mlflow-ui", "make serve", "make docker-run", "make docs-serve")


def try_next_lines(output: str) -> list[str]:
    """Return the commands `make demo` printed under "Try next:", without their comments."""
    tail = output.split("Try next:\n", 1)[1]
    lines = []
    for line in tail.splitlines():
        if not line.startswith("  "):
            break
        lines.append(re.sub(r"\s+#.*$", "", line.strip()))
    return lines


def template_is_clean() -> bool:
    """Whether the template's checkout has no uncommitted change (as in CI's fresh clone)."""
    return run(["git", "status", "--porcelain"], cwd=TEMPLATE).stdout == ""


def test_make_demo_runs_the_lifecycle_and_leaves_the_engine_as_it_found_it(demo: Demo) -> None:
    # then make demo passed, through the project's whole make ci
    output = demo.result.stdout + demo.result.stderr
    assert demo.result.returncode == 0, f"make demo should pass:\n{output[-15000:]}"
    assert "Required test coverage of 90.0% reached" in demo.result.stdout, "coverage should be enforced"
    assert "Documentation built" in output, "the docs should build"
    assert "my-ml-project:latest serves my-ml-project-churn version 1" in demo.result.stdout, (
        "the image's smoke test should get a prediction from the container"
    )
    # and the Docker engine is as it was: stopped again if the demo started it, else still running
    assert demo.engine_after == demo.engine_before, (
        f"an engine answered before make demo: {demo.engine_before}, after: {demo.engine_after}"
    )


def test_the_try_next_lines_work_as_printed(demo: Demo, project_env: dict[str, str], tmp_path: Path) -> None:
    # given the lines make demo printed, run in the user's shell (no template tooling on PATH)
    lines = try_next_lines(demo.result.stdout)
    assert lines[0] == f"cd {demo.project}", lines
    if not template_is_clean():
        assert "The template has uncommitted changes" in demo.result.stdout, "the demo should say why"
        lines = [line for line in lines if not line.startswith("copier ")]
    else:
        assert "copier check-update" in lines, "the demo should say how to look for template updates"
    script = "set -euo pipefail\n" + "\n".join(line for line in lines if line not in SERVERS)
    env = user_env(project_env)

    # when
    result = run(["bash", "-c", script], cwd=Path.home(), env=env, check=False)

    # then
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the lines should work as printed:\n{script}\n{output[-8000:]}"
    assert "Every table and view passes its contract" in output, "make data-check should run"
    assert '"serving_alias": "champion"' in result.stdout, "the CLI should print the settings"
    assert "Unknown revision" not in output, "copier should find the template the project came from"
    assert "$(" not in result.stdout, "make help should show values, not make variables"

    # and make serve, on a free port, answers with the champion
    prelude = "\n".join(line for line in lines if line.startswith(("cd ", "export ")))
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["bash", "-c", f"{prelude}\nexec make serve"],
            env={**env, "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        version = json.loads(wait_for(f"http://127.0.0.1:{port}/version", 90, server, log))
    finally:
        subprocess.run(["pkill", "-TERM", "-s", str(server.pid)], check=False)
        server.wait(timeout=30)
    assert (version["model_name"], version["model_version"]) == ("my-ml-project-churn", "1"), version


PLAIN_MLFLOW = """
import json, mlflow
from mlflow import MlflowClient
runs = mlflow.search_runs(search_all_experiments=True)
champion = MlflowClient().get_model_version_by_alias("my-ml-project-churn", "champion")
print(json.dumps({"runs": len(runs), "champion": str(champion.version)}))
"""


def test_plain_mlflow_clients_find_the_project_store(demo: Demo, project_env: dict[str, str]) -> None:
    # given a user in the project folder, without any MLflow variable
    env = {key: value for key, value in user_env(project_env).items() if not key.startswith("MLFLOW_")}
    python = str(demo.project / ".venv" / "bin" / "python")

    # when MLflow is used as its own docs show, with no tracking URI
    result = run([python, "-c", PLAIN_MLFLOW], cwd=demo.project, env=env)

    # then
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["runs"] >= 1, "the project's runs should be found in MLflow's default store"
    assert state["champion"] == "1", state
