"""`copier update`: a project generated from an older version takes the newer one, and keeps its edits.

The tests work on a temporary copy of the template, versioned there as 0.1.0 (the template as it is)
and 0.2.0 (0.1.0 plus a change to a template-owned file and to a team-owned one), so that they check
the update mechanism itself, whatever the template's own release history.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import copier
import pytest
import yaml

from tests.helpers import (
    TEMPLATE,
    copy_project,
    expected_files,
    expected_gate_jobs,
    git_commit_all,
    git_env,
    project_files,
    run,
)

NEW_TARGET = "\n.PHONY: hello\nhello: ## Say hello (added by template version 0.2.0)\n\t@echo hello\n"
TEAM_README_CHANGE = "\nA line the template added to README.md in 0.2.0.\n"


@pytest.fixture(scope="module")
def versioned_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the template in its own repository, tagged 0.1.0 and 0.2.0."""
    root = tmp_path_factory.mktemp("template") / "copier-mlops"
    ignore = shutil.ignore_patterns(".git", ".venv", "tmp", "demo", "site", "__pycache__", "*_cache")
    shutil.copytree(TEMPLATE, root, ignore=ignore)
    git_commit_all(root, "Template 0.1.0")
    run(["git", "tag", "0.1.0"], cwd=root, env=git_env())

    with (root / "template" / "Makefile").open("a") as makefile:
        makefile.write(NEW_TARGET)
    with (root / "template" / "README.md.jinja").open("a") as readme:
        readme.write(TEAM_README_CHANGE)
    git_commit_all(root, "Template 0.2.0")
    run(["git", "tag", "0.2.0"], cwd=root, env=git_env())
    return root


def generate(template: Path, destination: Path, ref: str, **answers: object) -> Path:
    """Generate a project from ``template`` at ``ref`` and commit it."""
    copy_project(destination, src=template, vcs_ref=ref, **answers)
    git_commit_all(destination, f"Generate from {ref}")
    return destination


def update(project: Path, ref: str | None = None, **data: object) -> None:
    """Run `copier update` non-interactively, like `copier update --defaults [--data ...]`."""
    copier.run_update(
        project, data=data, defaults=True, overwrite=True, vcs_ref=ref, quiet=True, unsafe=False
    )


def conflict_leftovers(project: Path) -> list[str]:
    """Return the files holding conflict markers, and the .rej files."""
    return [
        name
        for name in sorted(project_files(project))
        if name.endswith(".rej")
        or "<<<<<<< " in (project / name).read_text(encoding="utf-8", errors="replace")
    ]


def test_update_brings_template_changes_and_keeps_team_edits(
    versioned_template: Path, tmp_path: Path
) -> None:
    # given a project from 0.1.0, with an edit in a team-owned and in a template-owned file
    project = generate(versioned_template, tmp_path / "project", "0.1.0")
    readme = project / "README.md"
    team_readme = readme.read_text() + "\n## Our notes\n\nWritten by the team.\n"
    readme.write_text(team_readme)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '    "pydantic>=2.11,<3",\n', '    "pydantic>=2.11,<3",\n    "numpy>=2,<3",\n'
        )
    )
    git_commit_all(project, "The team's edits")

    # when
    update(project, "0.2.0")

    # then
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "0.2.0", "the answers file should record the new version"
    assert readme.read_text() == team_readme, "the team-owned README should be left untouched"
    assert NEW_TARGET.strip() in (project / "Makefile").read_text(), "template changes should arrive"
    assert '"numpy>=2,<3",' in pyproject.read_text(), "the edit in a template-owned file should survive"
    assert conflict_leftovers(project) == [], "no conflict markers or .rej files were expected"


def test_conflicting_edit_in_a_template_owned_file_is_marked(
    versioned_template: Path, tmp_path: Path
) -> None:
    # given a project from 0.1.0 whose Makefile ends where 0.2.0 adds a target
    project = generate(versioned_template, tmp_path / "project", "0.1.0")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + "\n.PHONY: mine\nmine:\n\t@echo mine\n")
    git_commit_all(project, "A target of our own, in the wrong file")

    # when
    update(project, "0.2.0")

    # then the clash is shown, not resolved silently either way
    assert conflict_leftovers(project) == ["Makefile"], "the clash should be marked in the Makefile"
    text = makefile.read_text()
    assert "mine:" in text, "the team's lines should still be there"
    assert "hello:" in text, "the template's lines should be there too"


def test_raising_the_stage_by_update(versioned_template: Path, tmp_path: Path) -> None:
    # given a project that started at stage 1
    project = generate(versioned_template, tmp_path / "project", "0.2.0", stage=1)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]

    for stage in (2, 3, 4):
        # when
        update(project, "0.2.0", stage=stage)
        git_commit_all(project, f"Adopt stage {stage}")

        # then
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
        assert answers["stage"] == stage, "the answers file should record the new stage"
        files = project_files(project)
        assert files == expected_files(stage, package), f"stage {stage} files should be exactly there"
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        assert workflow["jobs"]["scorecard"]["needs"] == expected_gate_jobs(stage)
        assert f"**Adopted: stage {stage}**" in (project / "docs" / "stages.md").read_text()
        assert conflict_leftovers(project) == [], "adopting a stage should not conflict"
