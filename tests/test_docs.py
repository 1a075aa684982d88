"""The template's own docs: the site builds without warnings, and it tells the truth about each stage."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    STAGES,
    TEMPLATE,
    copy_project,
    run,
    stage_files,
    tool_env,
    warehouse_files,
    which,
)


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
    assert all(stage_files(stage) for stage in range(1, built + 1)), "a built stage should have files"
    assert not any(stage_files(stage) for stage in range(built + 1, 5)), "a stage not built has no files"
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


# generated-project.md: each section's files, and the files the template derivation gives that section.
# A section may also name a file an earlier section has, to say what it gains (`pyproject.toml`), and
# `poetry.lock`, which the first `make setup` writes.
GENERATED_PROJECT = TEMPLATE / "docs" / "reference" / "generated-project.md"
DEFAULT_PACKAGE = "my_ml_project"
WRITTEN_BY_SETUP = {"poetry.lock"}


def page_sections(text: str) -> dict[str, str]:
    """Return each `## ` section of a page by its title."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def table_files(section: str) -> set[str]:
    """Return the paths named in the first column of a section's table (several per cell, comma separated)."""
    cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name.strip().strip("`") for cell in cells for name in cell.split(", ")}


def tree_files(section: str) -> set[str]:
    """Return the file paths of a `tree`-style listing (four characters a level, folders ending in /)."""
    files, folders = set(), []
    for line in section.splitlines():
        match = re.match(r"^((?:│   |    )*)(?:├── |└── )(.+)$", line)
        if not match:
            continue
        depth = len(match.group(1)) // 4
        folders = folders[:depth]
        name = match.group(2)
        if name.endswith("/"):
            folders.append(name.removesuffix("/"))
        else:
            files.add("/".join([*folders, name]))
    return files


def test_the_generated_project_reference_lists_each_stages_files() -> None:
    # given the page's sections, and the files the template's names give each stage and warehouse
    sections = page_sections(GENERATED_PROJECT.read_text(encoding="utf-8"))
    default = {name.format(package=DEFAULT_PACKAGE) for name in stage_files(1)}
    expected = {
        "Tree": default,
        "Files": default,
        **{
            f"With stage {stage} or more": {
                name.format(package=DEFAULT_PACKAGE) for name in stage_files(stage)
            }
            for stage in STAGES[1:]
        },
        "With `warehouse=postgres`": {
            name.format(package=DEFAULT_PACKAGE) for name in warehouse_files("postgres")
        },
        # Snowflake's files are named after it, in a sentence; the table shows BigQuery's.
        "With `warehouse=bigquery` or `warehouse=snowflake`": {
            name.format(package=DEFAULT_PACKAGE) for name in warehouse_files("bigquery")
        },
    }
    earlier = default | WRITTEN_BY_SETUP

    # when
    problems = []
    for title, files in expected.items():
        listed = tree_files(sections[title]) if title == "Tree" else table_files(sections[title])
        # A pattern (`docs/models/figures/*.png`) stands for the files it matches, and must match one.
        patterns = {name for name in listed if "*" in name}
        listed = (listed - patterns) | {
            name for name in files for pattern in patterns if fnmatch.fnmatch(name, pattern)
        }
        problems += [
            f"'## {title}' lists {pattern}, which matches none of its files"
            for pattern in sorted(patterns)
            if not fnmatch.filter(files, pattern)
        ]
        allowed = WRITTEN_BY_SETUP if title in {"Tree", "Files"} else earlier
        problems += [f"'## {title}' should list {name}" for name in sorted(files - listed)]
        problems += [
            f"'## {title}' lists {name}, not one of its files" for name in sorted(listed - files - allowed)
        ]

    # then
    assert problems == [], "\n".join(problems)
