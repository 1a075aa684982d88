"""Helpers shared by the template's tests: render the template, run commands, read answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import copier
import yaml

from tools.environment import TOOLS_BIN, tool_env

TEMPLATE = Path(__file__).resolve().parents[1]
EXAMPLE_ANSWERS: dict[str, Any] = yaml.safe_load((TEMPLATE / "example-answers.yml").read_text())

# Files every project has, whatever the answers ({package} is the package name).
BASE_FILES = frozenset(
    {
        ".copier-answers.yml",
        ".editorconfig",
        ".github/actions/setup/action.yml",
        ".github/dependabot.yml",
        ".github/workflows/ci.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".python-version",
        "LICENSE",
        "Makefile",
        "README.md",
        "docs/development.md",
        "docs/explanations/security.md",
        "docs/index.md",
        "docs/stages.md",
        "mkdocs.yml",
        "poetry.toml",
        "project.mk",
        "pyproject.toml",
        "src/{package}/__init__.py",
        "src/{package}/__main__.py",
        "src/{package}/cli.py",
        "src/{package}/py.typed",
        "src/{package}/settings.py",
        "tests/conftest.py",
        "tests/test_cli.py",
        "tests/test_scorecard.py",
        "tests/test_settings.py",
        "tools/poetry-requirements.in",
        "tools/poetry-requirements.txt",
        "tools/scorecard.py",
    }
)

# What each stage adds, cumulatively: its files, its CI gate jobs and its make gate targets. Each stage
# fills its own entry when it lands; a project at stage N has the base plus the entries of stages 1..N.
STAGE_FILES: dict[int, frozenset[str]] = {
    # Stage 1, data in order: the warehouse, the SQL views, the contracts, the data docs.
    1: frozenset(
        {
            ".sqlfluff",
            "data/sample/activity.csv",
            "data/sample/customers.csv",
            "docs/data/datasheet.md",
            "docs/data/dictionary.md",
            "docs/data/warehouse.md",
            "make/stage-1-data.mk",
            "sql/features/customer_features.sql",
            "sql/staging/stg_activity.sql",
            "sql/staging/stg_customers.sql",
            "src/{package}/core/__init__.py",
            "src/{package}/core/contracts.py",
            "src/{package}/core/documentation.py",
            "src/{package}/core/quality.py",
            "src/{package}/core/sql.py",
            "src/{package}/io/__init__.py",
            "src/{package}/io/connection.py",
            "src/{package}/io/files.py",
            "src/{package}/io/warehouse.py",
            "src/{package}/jobs/__init__.py",
            "src/{package}/jobs/build_data.py",
            "src/{package}/jobs/check_data.py",
            "src/{package}/jobs/check_sql.py",
            "src/{package}/jobs/document_data.py",
            "tests/core/test_documentation.py",
            "tests/core/test_quality.py",
            "tests/core/test_sql.py",
            "tests/io/test_files.py",
            "tests/io/test_warehouse.py",
            "tests/jobs/test_build_data.py",
            "tests/jobs/test_check_data.py",
            "tests/jobs/test_document_data.py",
            "tests/test_cli_data.py",
            "tests/test_sample_data.py",
            "tools/sample_data.py",
        }
    ),
    # Stage 2, tracking: training, the registry, promotion, the model card, the environment check.
    2: frozenset(
        {
            ".devcontainer/devcontainer.json",
            ".dockerignore",
            "Dockerfile",
            "compose.yaml",
            "configs/train.yaml",
            "docs/models/figures/confusion_matrix.png",
            "docs/models/figures/feature_importance.png",
            "docs/models/model-card.md",
            "make/stage-2-tracking.mk",
            "src/{package}/cli_tracking.py",
            "src/{package}/core/figures.py",
            "src/{package}/core/model.py",
            "src/{package}/core/model_card.py",
            "src/{package}/core/promotion.py",
            "src/{package}/core/training.py",
            "src/{package}/io/model_folder.py",
            "src/{package}/io/provenance.py",
            "src/{package}/io/registry.py",
            "src/{package}/io/run_artifacts.py",
            "src/{package}/io/training_run.py",
            "src/{package}/jobs/check_tracking.py",
            "src/{package}/jobs/document_model.py",
            "src/{package}/jobs/promote.py",
            "src/{package}/jobs/train.py",
            "tests/core/test_model_card.py",
            "tests/core/test_promotion.py",
            "tests/core/test_training.py",
            "tests/io/test_provenance.py",
            "tests/io/test_registry.py",
            "tests/io/test_run_artifacts.py",
            "tests/jobs/test_check_tracking.py",
            "tests/jobs/test_document_model.py",
            "tests/jobs/test_promote.py",
            "tests/jobs/test_train.py",
            "tests/test_cli_tracking.py",
            "tests/test_env_check.py",
            "tools/env_check.py",
        }
    ),
    # Stage 3, serving: batch predictions, the online API, and the image that carries both.
    3: frozenset(
        {
            ".github/workflows/release.yml",
            "make/stage-3-serving.mk",
            "tools/docker_smoke.py",
            "src/{package}/cli_serving.py",
            "docs/serving/api.md",
            "src/{package}/core/api_reference.py",
            "src/{package}/core/batch.py",
            "src/{package}/core/requests.py",
            "src/{package}/core/scorer.py",
            "src/{package}/serving/__init__.py",
            "src/{package}/serving/app.py",
            "src/{package}/serving/endpoints.py",
            "src/{package}/serving/errors.py",
            "src/{package}/serving/guard.py",
            "src/{package}/serving/json_logs.py",
            "src/{package}/serving/metrics.py",
            "tests/serving/conftest.py",
            "tests/serving/test_api_schema.py",
            "tests/serving/test_app.py",
            "tests/serving/test_endpoints.py",
            "tests/serving/test_errors.py",
            "tests/serving/test_guard.py",
            "tests/serving/test_runtime_imports.py",
            "src/{package}/io/batch_ids.py",
            "src/{package}/io/batch_inputs.py",
            "src/{package}/io/batch_outputs.py",
            "src/{package}/io/exported_model.py",
            "src/{package}/io/registered_model.py",
            "src/{package}/io/serving_model.py",
            "src/{package}/jobs/document_api.py",
            "src/{package}/jobs/predict_batch.py",
            "tests/core/test_batch.py",
            "tests/core/test_scorer.py",
            "tests/jobs/test_document_api.py",
            "tests/jobs/test_predict_batch.py",
            "tests/test_cli_serving.py",
        }
    ),
    # Stage 4, monitoring: the monitor (drift, performance, segments), its report and its schedule
    # (the monitoring workflow); Prometheus' scrape config and alert rules (with their promtool
    # tests), Grafana's provisioning and dashboard, and the tool that finds promtool.
    4: frozenset(
        {
            ".github/workflows/monitoring.yml",
            "configs/monitoring.yaml",
            "docs/monitoring/index.md",
            "make/stage-4-monitoring.mk",
            "monitoring/grafana/dashboards/api.json",
            "monitoring/grafana/provisioning/dashboards/dashboards.yml",
            "monitoring/grafana/provisioning/datasources/prometheus.yml",
            "monitoring/prometheus.yml",
            "monitoring/rules/alerts.test.yml",
            "monitoring/rules/alerts.yml",
            "src/{package}/cli_monitoring.py",
            "src/{package}/core/drift.py",
            "src/{package}/core/monitoring.py",
            "src/{package}/core/monitoring_page.py",
            "src/{package}/core/segments.py",
            "src/{package}/io/prediction_log.py",
            "src/{package}/io/log_files.py",
            "src/{package}/io/windows.py",
            "src/{package}/jobs/monitor.py",
            "src/{package}/serving/observability.py",
            "tests/core/test_drift.py",
            "tests/core/test_monitoring.py",
            "tests/core/test_segments.py",
            "tests/io/test_prediction_log.py",
            "tests/io/test_log_files.py",
            "tests/io/test_windows.py",
            "tests/jobs/test_monitor.py",
            "tests/serving/test_observability.py",
            "tests/test_cli_monitoring.py",
            "tests/test_monitoring_config.py",
            "tests/test_monitoring_issue.py",
            "tools/monitoring_issue.py",
            "tools/promtool.py",
        }
    ),
}
# What the warehouse answer adds to stage 1: the connector and its tests (against a real server for
# PostgreSQL, offline for BigQuery and Snowflake, with the staged build they share).
STAGED = frozenset({"src/{package}/io/staged.py", "tests/io/test_staged.py"})
WAREHOUSE_FILES: dict[str, frozenset[str]] = {
    "duckdb": frozenset(),
    "postgres": frozenset({"src/{package}/io/postgres.py", "tests/io/test_postgres.py"}),
    "bigquery": STAGED | {"src/{package}/io/bigquery.py", "tests/io/test_bigquery.py"},
    "snowflake": STAGED | {"src/{package}/io/snowflake.py", "tests/io/test_snowflake.py"},
}
STAGE_JOBS: dict[int, tuple[str, ...]] = {
    1: ("stage-data",),
    2: ("stage-tracking",),
    3: ("stage-serving",),
    4: ("stage-monitoring",),
}
BASE_JOBS = ("quality", "tests")


def expected_files(stage: int, package: str, warehouse: str = "duckdb") -> set[str]:
    """Return the relative paths a project at ``stage`` must contain, and no others."""
    files = set(BASE_FILES) | WAREHOUSE_FILES[warehouse]
    for level in range(1, stage + 1):
        files |= STAGE_FILES[level]
    return {path.format(package=package) for path in files}


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
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, and fail with that output when ``check`` and it fails."""
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


def wait_for(url: str, timeout: float = 120) -> bytes:
    """Return the body of the first 200 answer from ``url``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    problem = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return bytes(answer.read())
        except OSError as error:
            problem = str(error)
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s: {problem}")
