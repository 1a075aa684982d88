"""The template's own docs site builds without warnings."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import TEMPLATE, run, tool_env, which


def test_template_docs_build_strict(tmp_path: Path) -> None:
    # when
    result = run(
        [which("mkdocs"), "build", "--strict", "--site-dir", tmp_path / "site"],
        cwd=TEMPLATE,
        env=tool_env({"NO_MKDOCS_2_WARNING": "1"}),
    )

    # then
    assert (tmp_path / "site" / "index.html").is_file(), f"the site should be built:\n{result.stderr}"
