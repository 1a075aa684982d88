"""Workflows: static checks of the generated and the template's own workflows, and act runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.act import run_act
from tests.helpers import (
    EXAMPLE_ANSWERS,
    TEMPLATE,
    copy_project,
    git_commit_all,
    run,
    tool_env,
    which,
)


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


@pytest.mark.slow
def test_a_failing_test_makes_the_act_run_fail(
    default_project: Path, shared_cache_env: dict[str, str], tmp_path: Path
) -> None:
    # given a clone of the project with a test that fails
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", str(default_project), str(clone)], cwd=tmp_path)
    (clone / "tests" / "test_broken.py").write_text(
        '"""A test that fails on purpose."""\n\n\ndef test_arithmetic() -> None:\n    assert 1 + 1 == 3\n'
    )
    git_commit_all(clone, "Break a test")

    # when
    result = run_act(clone, shared_cache_env, job="tests")

    # then
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"act should fail when a test fails:\n{output[-15000:]}"
    assert "test_broken.py::test_arithmetic" in output, f"pytest should report the test:\n{output[-15000:]}"
    assert "Job failed" in output, "the tests job should fail"
