"""The template's own docs site builds without warnings."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import TEMPLATE, copy_project, run, tool_env, which


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
