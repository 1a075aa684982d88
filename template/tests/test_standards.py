"""Tests of the standards review's checks (tools/standards), with repo-review's test helper."""

from __future__ import annotations

from pathlib import Path

from repo_review.testing import compute_check

from mlops_standards import fixtures

PINNED = "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd"
WORKFLOW = """\
name: CI
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: {uses}
"""
DOCKERFILE = """\
FROM python:3.12-slim AS runtime
{user}HEALTHCHECK CMD ["python", "-c", "print('ok')"]
CMD ["serve"]
"""


def write_workflow(root: Path, uses: str) -> None:
    """Write a workflow whose one step uses ``uses``."""
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yml").write_text(WORKFLOW.format(uses=uses), encoding="utf-8")


def test_an_action_pinned_by_commit_passes_and_one_pinned_by_tag_fails(tmp_path: Path) -> None:
    # given two repositories, one pinned by commit, one by tag
    pinned, tagged = tmp_path / "pinned", tmp_path / "tagged"
    write_workflow(pinned, PINNED)
    write_workflow(tagged, "actions/checkout@v6")

    # when
    results = [
        compute_check(
            "MLO005",
            mlops_workflows=fixtures.mlops_workflows(root),
            mlops_actions=fixtures.mlops_actions(root),
        )
        for root in (pinned, tagged)
    ]

    # then
    assert results[0].result is True, results[0].err_msg
    assert results[1].result is False, "an action pinned by tag should fail"
    assert "`actions/checkout@v6` (.github/workflows/ci.yml)" in results[1].err_msg
    assert results[1].url.endswith("docs/standards.md#mlo005"), "the failure links to its section"


def test_an_image_without_a_user_fails_and_a_stage_not_adopted_skips(tmp_path: Path) -> None:
    # given an image that runs as root
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(user=""), encoding="utf-8")

    # when the project is at stage 3, then at stage 2
    adopted = compute_check("MLO302", root=tmp_path, mlops_stage=3)
    not_adopted = compute_check("MLO302", root=tmp_path, mlops_stage=2)

    # then
    assert adopted.result is False
    assert "the `runtime` image runs as root" in adopted.err_msg
    assert not_adopted.result is None, "a stage the project has not adopted is skipped"


def test_an_image_with_a_user_and_a_health_check_passes(tmp_path: Path) -> None:
    # given
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(user="USER 10001\n"), encoding="utf-8")

    # when
    result = compute_check("MLO302", root=tmp_path, mlops_stage=4)

    # then
    assert result.result is True, result.err_msg


def test_the_adopted_stage_comes_from_the_answers_file(tmp_path: Path) -> None:
    # given a project at stage 2, and a repository the template did not generate
    (tmp_path / ".copier-answers.yml").write_text("_commit: v0.1.0\nstage: 2\n", encoding="utf-8")

    # when
    generated = fixtures.mlops_stage(fixtures.mlops_answers(tmp_path))
    other = fixtures.mlops_stage(fixtures.mlops_answers(tmp_path / "elsewhere"))

    # then
    assert generated == 2
    assert other == fixtures.LAST_STAGE, "a repository without answers is held to every stage"
