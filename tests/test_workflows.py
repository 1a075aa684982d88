"""Workflows: static checks of the generated and the template's own workflows, and act runs."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.act import run_act
from tests.conftest import SetUpProject
from tests.helpers import (
    EXAMPLE_ANSWERS,
    TEMPLATE,
    copy_project,
    git_commit_all,
    run,
    tool_env,
    which,
)

# A line of act's output: "[<workflow>/<job name>, padded] <text>".
ACT_JOB_LINE = re.compile(r"^\[CI/(?P<job>[^\]]*?)\s*\] ?(?P<text>.*)$")
# The bound of a whole-workflow act run (every job in turn), in seconds; one command has 1800.
ACT_WORKFLOW_TIMEOUT = 2700


@pytest.fixture(scope="module")
def example_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template rendered with the example answers, in a git repository (actionlint wants one)."""
    project = copy_project(tmp_path_factory.mktemp("workflows") / "project", **EXAMPLE_ANSWERS)
    git_commit_all(project, "Generate")
    return project


def lint_workflows(root: Path) -> None:
    """Run actionlint (with shellcheck), zizmor and check-jsonschema on root's .github folder."""
    workflows = sorted(str(path) for path in (root / ".github" / "workflows").glob("*.yml"))
    actions = sorted(str(path) for path in (root / ".github").rglob("action.yml"))
    env = tool_env()
    run([which("actionlint"), "-shellcheck", which("shellcheck"), *workflows], cwd=root, env=env)
    run([which("zizmor"), "--offline", "--no-progress", str(root / ".github")], cwd=root, env=env)
    jsonschema = which("check-jsonschema")
    run([jsonschema, "--builtin-schema", "vendor.github-workflows", *workflows], cwd=root, env=env)
    if actions:
        run([jsonschema, "--builtin-schema", "vendor.github-actions", *actions], cwd=root, env=env)
    dependabot = root / ".github" / "dependabot.yml"
    if dependabot.is_file():
        run([jsonschema, "--builtin-schema", "vendor.dependabot", str(dependabot)], cwd=root, env=env)


def test_generated_workflows_pass_the_linters(example_project: Path) -> None:
    lint_workflows(example_project)


def test_template_workflows_pass_the_linters() -> None:
    lint_workflows(TEMPLATE)


def test_stand_in_actions_are_valid_actions() -> None:
    actions = sorted(str(path) for path in (TEMPLATE / "tests" / "actions").rglob("action.yml"))
    assert actions, "the stand-ins should exist"
    run([which("check-jsonschema"), "--builtin-schema", "vendor.github-actions", *actions], TEMPLATE)


# What the green act run leaves out, because `make demo` ran it on the same commit (its whole `make ci`):
# the generated suite but for the tests that depend on the machine they run on (the interpreter and the
# lock, git, a fresh process's imports, promtool), and pre-commit's two slowest hooks. Each is the
# tool's own setting, so every job still runs its own target, as on GitHub.
GREEN_RUN_TESTS = (
    "tests/test_env_check.py",
    "tests/io/test_provenance.py",
    "tests/serving/test_runtime_imports.py",
    "tests/test_monitoring_config.py",
)
GREEN_RUN_ENV = {"PYTEST_ADDOPTS": f"--no-cov {' '.join(GREEN_RUN_TESTS)}", "SKIP": "mypy,detect-secrets"}


@pytest.mark.slow
def test_ci_workflow_runs_green_under_act(default_project: Path, shared_cache_env: dict[str, str]) -> None:
    # when every job of the workflow runs, one after the other, in a clean runner (see GREEN_RUN_ENV)
    result = run_act(default_project, shared_cache_env, job_env=GREEN_RUN_ENV, timeout=ACT_WORKFLOW_TIMEOUT)

    # then
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"act should pass:\n{output[-15000:]}"
    tests = job_logs(output).get("tests", "")
    summary = re.search(r"=+ (?P<counts>\d+ passed[^=]*) in [\d.]+s", tests)
    assert summary, f"the tests job should run the suite's tests:\n{tests[-5000:]}"
    assert "failed" not in summary["counts"], f"no test should fail:\n{tests[-5000:]}"
    stages = ("stage 1 - data", "stage 2 - tracking", "stage 3 - serving", "stage 4 - monitoring")
    for job in ("quality", "tests", "standards review", *stages, "stage scorecard"):
        assert f"[CI/{job}" in output, f"act should have run the {job} job"
    assert "Job failed" not in output, "no job should fail"
    assert "| `tests` | pytest" in output, "the scorecard should list the tests gate"
    assert "| `stage-tracking` |" in output, "the scorecard should list the stage 2 gate"
    assert "| `stage-serving` |" in output, "the scorecard should list the stage 3 gate"
    assert "| `stage-monitoring` |" in output, "the scorecard should list the stage 4 gate"
    assert "serves my-ml-project-churn version" in output, "stage-serving should run the image's smoke test"
    assert "(status ok)" in output, "stage-monitoring should run the monitor, without alert"


def job_logs(output: str) -> dict[str, str]:
    """Split act's output of the CI workflow into each job's lines, by job name."""
    logs: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = ACT_JOB_LINE.match(line)
        if match:
            logs.setdefault(match["job"], []).append(match["text"])
    return {job: "\n".join(lines) for job, lines in logs.items()}


@pytest.mark.slow
def test_a_failing_test_a_lint_error_and_a_failed_gate_each_fail_their_job_and_the_scorecard(
    set_up_project: SetUpProject, shared_cache_env: dict[str, str], tmp_path: Path
) -> None:
    # given a clone of a stage 1 project with three independent faults:
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", str(set_up_project(stage=1)), str(clone)], cwd=tmp_path)
    # a failing test, in a folder pytest collects first,
    (clone / "tests" / "broken").mkdir()
    (clone / "tests" / "broken" / "test_broken.py").write_text(
        '"""A test that fails on purpose."""\n\n\ndef test_arithmetic() -> None:\n    assert 1 + 1 == 3\n'
    )
    # a lint error that ruff's autofix leaves alone (an unused variable), in otherwise clean code,
    (clone / "src" / "my_ml_project" / "core" / "broken.py").write_text(
        '"""A module with a lint error on purpose."""\n\n\ndef answer() -> int:\n'
        '    """Return the answer."""\n    unused = 1\n    return 42\n'
    )
    # and a view that breaks the SQL style rules of the stage 1 gate (the tests do not lint SQL)
    view = clone / "sql" / "staging" / "stg_customers.sql"
    sql = view.read_text()
    assert "\nselect\n" in sql, "the view should start its query with a lower-case select"
    view.write_text(sql.replace("\nselect\n", "\nSELECT\n", 1))
    git_commit_all(clone, "Break a test, the lint and the SQL style")

    # when the whole workflow runs. To save time, pytest stops at its first failure, and pre-commit
    # skips its two slowest hooks, which have nothing to find here (the green run above runs them).
    job_env = {"PYTEST_ADDOPTS": "-x", "SKIP": "mypy,detect-secrets"}
    result = run_act(clone, shared_cache_env, job_env=job_env)

    # then the run fails
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"act should fail:\n{output[-15000:]}"
    logs = job_logs(output)
    quality, tests, data, scorecard = (
        logs.get(job, "") for job in ("quality", "tests", "stage 1 - data", "stage scorecard")
    )
    # and each gate job fails, for its own reason only
    for job, log, step in (
        ("quality", quality, "make lint"),
        ("tests", tests, "make test"),
        ("stage-data", data, "make stage-data"),
    ):
        assert f"Failure - Main {step}" in log, f"{step} should fail in {job}:\n{log[-5000:]}"
        assert log.endswith("Job failed"), f"the {job} job should fail:\n{log[-5000:]}"
    assert "F841 Local variable `unused` is assigned to but never used" in quality, quality
    assert "--> src/my_ml_project/core/broken.py:6:5" in quality, "ruff should say where the error is"
    assert quality.count("....Failed") == 1, f"only ruff's hook should fail:\n{quality}"
    assert "FAILED tests/broken/test_broken.py::test_arithmetic" in tests, tests
    assert "= 1 failed in " in tests, f"only the broken test should fail:\n{tests}"
    assert "== [sql/staging/stg_customers.sql] FAIL" in data, data
    assert "CP01 | Keywords must be lower case." in data, "sqlfluff should name the rule"
    # and the scorecard runs after them, marks each as failed, names them, and fails too
    for gate in ("quality", "tests", "stage-data"):
        row = re.search(rf"\| `{gate}` \|.*\| (?P<result>[^|]+) \|$", scorecard, re.MULTILINE)
        assert row, f"the scorecard should have a row for {gate}:\n{scorecard}"
        assert row["result"] == "❌ fail", f"the scorecard should mark {gate} as failed:\n{scorecard}"
    # (the standards review passes: none of the three faults breaks a standard)
    named = "error: 3 of 4 gates did not pass: quality (failure), tests (failure), stage-data (failure)"
    assert named in scorecard, f"the scorecard should name the failed gates:\n{scorecard}"
    assert scorecard.endswith("Job failed"), f"the scorecard job should fail:\n{scorecard}"


# A stand-in for `make` in the monitor step: records its arguments, writes the report the test asks
# for (FAKE_STATUS; none when unset), and exits with FAKE_CODE, as make does on the monitor's exit.
FAKE_MAKE = """#!/bin/bash
printf '%s\\n' "$@" > make-args.txt
if [ -n "${FAKE_STATUS:-}" ]; then
  mkdir -p reports/monitoring
  printf '{"status": "%s", "summary": "## Monitoring: %s\\\\n\\\\n- line two"}' \\
    "$FAKE_STATUS" "$FAKE_STATUS" > reports/monitoring/report.json
fi
exit "${FAKE_CODE:-0}"
"""


@dataclass
class MonitorStep:
    """What the monitor step of monitoring.yml did, run by bash with a stand-in make."""

    code: int
    output: str
    outputs: str
    step_summary: str
    make_args: list[str] | None


def run_monitor_step(
    project: Path,
    tmp_path: Path,
    *,
    status: str = "",
    code: int = 0,
    window: str = "",
    uri: str = "sqlite:///x.db",
) -> MonitorStep:
    """Run the monitor step's script as GitHub would (bash -e), with make replaced by FAKE_MAKE."""
    workflow = yaml.safe_load((project / ".github/workflows/monitoring.yml").read_text())
    [step] = [step for step in workflow["jobs"]["monitor"]["steps"] if step.get("id") == "monitor"]
    assert set(step["env"]) == {"WINDOW", "MLFLOW_TRACKING_URI"}, "the test sets each variable"
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    (bin_dir / "make").write_text(FAKE_MAKE)
    (bin_dir / "make").chmod(0o755)
    (tmp_path / "step.sh").write_text(step["run"])
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "WINDOW": window,
        "MLFLOW_TRACKING_URI": uri,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "FAKE_STATUS": status,
        "FAKE_CODE": str(code),
    }
    result = subprocess.run(
        ["bash", "-e", str(tmp_path / "step.sh")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    args = work / "make-args.txt"
    return MonitorStep(
        code=result.returncode,
        output=result.stdout + result.stderr,
        outputs=outputs.read_text() if outputs.exists() else "",
        step_summary=summary.read_text() if summary.exists() else "",
        make_args=args.read_text().splitlines() if args.exists() else None,
    )


def test_monitor_step_passes_a_report_without_alert_on(example_project: Path, tmp_path: Path) -> None:
    # when
    step = run_monitor_step(example_project, tmp_path, status="ok", code=0)

    # then
    assert step.code == 0, f"no alert should pass:\n{step.output}"
    assert step.make_args == ["monitor"], "without a window, the config's window is monitored"
    assert step.outputs.startswith("status=ok\nsummary<<summary-"), step.outputs
    assert "## Monitoring: ok\n\n- line two\n" in step.outputs, "the summary should be an output"
    assert step.step_summary == "## Monitoring: ok\n\n- line two\n", "the run summary shows it"


def test_monitor_step_hands_an_alert_on_without_failing(example_project: Path, tmp_path: Path) -> None:
    # when make fails, as it does on the monitor's exit 3, and the report says alert
    step = run_monitor_step(
        example_project, tmp_path, status="alert", code=2, window="log:2026-01-01..2026-01-31"
    )

    # then
    assert step.code == 0, f"an alert should pass the job on to the report job:\n{step.output}"
    assert step.make_args == ["monitor", "ARGS=--window log:2026-01-01..2026-01-31"], step.make_args
    delimiter = re.search(r"summary<<(\S+)\n", step.outputs)
    assert delimiter, step.outputs
    assert step.outputs == (
        f"status=alert\nsummary<<{delimiter[1]}\n## Monitoring: alert\n\n- line two\n{delimiter[1]}\n"
    ), "the whole summary should be handed on"
    assert "::warning::the monitor raised an alert" in step.output


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        pytest.param("error", 2, "report status: error", id="could-not-run"),
        pytest.param("", 2, "report status: missing", id="no-report"),
        pytest.param(
            "ok", 2, "make monitor failed (exit 2) after writing a report with status ok", id="ok-but-failed"
        ),
        pytest.param("drifting", 0, "report status: drifting", id="unknown-status"),
    ],
)
def test_monitor_step_fails_when_the_monitor_could_not_run(
    example_project: Path, tmp_path: Path, status: str, code: int, expected: str
) -> None:
    # when
    step = run_monitor_step(example_project, tmp_path, status=status, code=code)

    # then
    assert step.code != 0, f"the run should fail:\n{step.output}"
    assert expected in step.output, step.output
    assert step.outputs == "", "nothing should be handed on to the report job"


@pytest.mark.parametrize(
    "window",
    [
        "batch:x; touch pwned",
        "table:$(touch pwned)",
        "log:2026-01-01\n::set-output name=status::alert",
        "drift",
    ],
)
def test_monitor_step_refuses_a_window_that_is_not_a_window_spec(
    example_project: Path, tmp_path: Path, window: str
) -> None:
    # when
    step = run_monitor_step(example_project, tmp_path, status="ok", window=window)

    # then
    assert step.code != 0, "the step should fail"
    assert step.make_args is None, "make should not run"
    assert "::error::the window " in step.output, step.output
    assert not any(line.startswith("::set-output") for line in step.output.splitlines()), (
        "the refused value should not start a workflow command"
    )
    assert not (tmp_path / "work" / "pwned").exists()


def test_monitor_step_without_the_registry_secret_names_it(example_project: Path, tmp_path: Path) -> None:
    # when
    step = run_monitor_step(example_project, tmp_path, status="ok", uri="")

    # then
    assert step.code != 0, "the step should fail"
    assert step.make_args is None, "make should not run"
    assert "::error::set the secret MLFLOW_TRACKING_URI" in step.output, step.output
