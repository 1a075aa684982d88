"""Workflows: static checks of the generated and the template's own workflows, and act runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_ci_workflow_runs_green_under_act(default_project: Path, shared_cache_env: dict[str, str]) -> None:
    # when
    result = run_act(default_project, shared_cache_env)

    # then
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"act should pass:\n{output[-15000:]}"
    stages = ("stage 1 - data", "stage 2 - tracking", "stage 3 - serving")
    for job in ("quality", "tests", *stages, "stage scorecard"):
        assert f"[CI/{job}" in output, f"act should have run the {job} job"
    assert "Job failed" not in output, "no job should fail"
    assert "| `tests` | pytest" in output, "the scorecard should list the tests gate"
    assert "| `stage-tracking` |" in output, "the scorecard should list the stage 2 gate"
    assert "| `stage-serving` |" in output, "the scorecard should list the stage 3 gate"
    assert "serves my-ml-project-churn version" in output, "stage-serving should run the image's smoke test"


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
    (clone / "src" / "my_ml_project" / "broken.py").write_text(
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
    assert "--> src/my_ml_project/broken.py:6:5" in quality, "ruff should say where the error is"
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
    named = "error: 3 of 3 gates did not pass: quality (failure), tests (failure), stage-data (failure)"
    assert named in scorecard, f"the scorecard should name the failed gates:\n{scorecard}"
    assert scorecard.endswith("Job failed"), f"the scorecard job should fail:\n{scorecard}"
