"""The template's own docs: the site builds without warnings, and it tells the truth about each stage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import STAGE_FILES, TEMPLATE, copy_project, run, tool_env, which


def test_template_docs_build_strict(tmp_path: Path) -> None:
    # when
    result = run(
        [which("mkdocs"), "build", "--strict", "--site-dir", tmp_path / "site"],
        cwd=TEMPLATE,
        env=tool_env({"NO_MKDOCS_2_WARNING": "1"}),
    )

    # then
    assert (tmp_path / "site" / "index.html").is_file(), f"the site should be built:\n{result.stderr}"


def test_the_api_reference_page_is_the_default_projects(tmp_path: Path) -> None:
    # given a project with the default answers (its API reference is written by `make api-docs`
    # and checked by its stage-serving gate)
    project = copy_project(tmp_path / "project")

    # when
    shipped = (project / "docs" / "serving" / "api.md").read_text(encoding="utf-8")
    copy = (TEMPLATE / "docs" / "reference" / "api.md").read_text(encoding="utf-8")

    # then the template's docs show exactly that page, below their own note
    assert copy.endswith(shipped), "docs/reference/api.md should end with the default project's page"


STAGE_NAMES = {1: "data in order", 2: "tracking", 3: "serving", 4: "monitoring"}
STATUS_CLAIM = re.compile(r"[Ss]tages? (\d)(?: to \d)?[^.\n]*?(?:not (?:landed|built)|comes next)")


def stages_built() -> int:
    """The one place the stage status is kept: copier.yml's internal `stages_built`."""
    config = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
    return int(config["stages_built"]["default"])


def status_line(built: int) -> str:
    """The sentence the README and the docs use to say which stages are built."""
    if built == 4:
        return "**Built: stages 1 to 4.**"
    missing = ", ".join(f"stage {stage}, {STAGE_NAMES[stage]}" for stage in range(built + 1, 5))
    return f"**Built: stages 1 to {built}. Not built yet: {missing}.**"


def test_the_stage_status_is_kept_in_one_place_and_told_everywhere() -> None:
    # given the status, and what the template really holds for each stage
    built = stages_built()
    gated = {
        int(match)
        for path in (TEMPLATE / "template").rglob("*")
        for match in re.findall(r"stage >= (\d)", path.relative_to(TEMPLATE).as_posix())
    }

    # then the status agrees with the template's files and the tests' expected file sets
    assert gated == set(range(2, built + 1)), f"stages_built={built}, but files are gated on {sorted(gated)}"
    assert all(STAGE_FILES[stage] for stage in range(1, built + 1)), "a built stage should have files"
    assert not any(STAGE_FILES[stage] for stage in range(built + 1, 5)), "a stage not built has no files"
    # and the front pages say it in the same words
    for page in ("README.md", "docs/index.md", "docs/explanations/stages.md"):
        assert status_line(built) in (TEMPLATE / page).read_text(), f"{page} should say: {status_line(built)}"
    # and no page says that a built stage is not there yet
    for page in [TEMPLATE / "README.md", *sorted((TEMPLATE / "docs").rglob("*.md"))]:
        for claim in STATUS_CLAIM.finditer(page.read_text()):
            assert int(claim.group(1)) > built, (
                f"{page.relative_to(TEMPLATE)} says {claim.group(0)!r}, but stages 1 to {built} are built"
            )


def test_a_project_that_adopts_a_stage_not_built_is_told_so(tmp_path: Path) -> None:
    # given
    built = stages_built()
    if built == 4:
        pytest.skip("every stage is built")

    # when
    page = (copy_project(tmp_path / "project", stage=4) / "docs" / "stages.md").read_text()

    # then
    assert f"builds stages 1 to {built}" in page, "the project's stages page should say what is built"
    assert page.count("| yes, not built yet |") == 4 - built, "each stage not built should be marked"
