"""Updates from the template's releases to the template as it is, with a team's work in the project.

CHANGELOG.md's Releases table lists each release and the commit its tag points at: the tests tag a
clone of the history from it (tools/changelog.py), so they run where the tags were not fetched. A
release cut but not yet recorded in the table is not tested until its row is added.

The fast layer generates a project from every release, makes the team's edits (in files the team
owns, in files the template owns, in files of its own) and deletes files it does not use, then
updates. The slow layer does it as a user does for the oldest and the newest release, on a stage 3
project: `make setup`, the edits, the update, the steps it prints, `make ci`; then raises the newest
one to stage 4.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml

from tests.conftest import BaseImage
from tests.helpers import (
    TEMPLATE,
    clone_history,
    copy_project,
    git_commit_all,
    git_env,
    project_files,
    run,
)
from tests.test_update import (
    conflict_leftovers_in_git as conflict_leftovers,
)
from tests.test_update import (
    printed_steps,
    team_owned,
    update,
    user_env,
)
from tools import changelog
from tools.environment import index_url

CHANGELOG = changelog.parse((TEMPLATE / "CHANGELOG.md").read_text(encoding="utf-8"))
# Every recorded release, oldest first; the slow layer takes the oldest and the newest.
RELEASES = sorted(CHANGELOG.commits, key=changelog.key)
ENDS = sorted({RELEASES[0], RELEASES[-1]}, key=changelog.key)

# The team's edits. In files the team owns: appended, or a value changed.
TEAM_README = "\n## Our notes\n\nWritten by the team.\n"
TEAM_TARGET = (
    "\n.PHONY: team-report\n"
    "team-report: ## Print the team's report (a target of the team's own)\n"
    '\t@echo "the team\'s report"\n'
)
TEAM_SQL = "-- Reviewed by the data team.\n"
TEAM_CONTRACT = "\n\n# The team reviews these contracts with the data owners every quarter.\n"
TEAM_DATASHEET = "\n## The team's notes\n\nWhere our own sources come from, and who owns them.\n"
TEAM_VIEW_TEST = (
    "\n\ndef test_the_team_keeps_a_view_per_contract() -> None:\n"
    "    # the team's own test, beside the sample's\n"
    "    assert set(CONTRACTS) == {table.name for table in TABLES if not table.is_raw}\n"
)
# Values the team tuned: (file, the template's line, the team's line).
TEAM_VALUES = [
    # (a comment: a new value would need the model trained and its card written again, in the edit)
    (
        "configs/train.yaml",
        "  learning_rate: 0.05\n",
        "  learning_rate: 0.05  # the team's, after its sweep\n",
    ),
    ("configs/monitoring.yaml", "  ks_p_value: 0.05\n", "  ks_p_value: 0.01\n"),
]
# In files the template owns: lines of the team's, where a template release rarely writes.
TEAM_GITIGNORE = "# The team's scratch notebooks\n/notebooks/scratch/\n"
TEAM_DESCRIPTION = 'description = "Churn predictions for the customer success team."\n'
# A file of the team's own.
TEAM_TOOL = '''"""The team's report on its tables."""

from __future__ import annotations

from {package}.core.data.contracts import TABLES


def raw_tables() -> list[str]:
    """Return the names of the raw tables, in the contracts' order."""
    return [table.name for table in TABLES if table.is_raw]
'''
# Team-owned files a team that brings its own data deletes: the sample's generator and its test.
# (The update writes them anew, copier's rule for such files: the update must not fail on them.)
DELETED = ["tools/sample_data.py", "tests/test_sample_data.py"]


@dataclass(frozen=True)
class TeamWork:
    """What the team wrote: each file it owns or added, with its text; the files it deleted."""

    texts: dict[str, str]
    deleted: list[str]


def edit(project: Path, name: str, change: str, *, at_start: bool = False) -> str:
    """Add ``change`` to the end (or the start) of the project's file ``name``; return its new text."""
    path = project / name
    text = change + path.read_text() if at_start else path.read_text() + change
    path.write_text(text)
    return text


def do_the_teams_work(project: Path) -> TeamWork:
    """Make a team's edits in every kind of file of a stage 2 or later project, delete, and commit."""
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    texts = {
        "README.md": edit(project, "README.md", TEAM_README),
        "project.mk": edit(project, "project.mk", TEAM_TARGET),
        "sql/staging/stg_customers.sql": edit(
            project, "sql/staging/stg_customers.sql", TEAM_SQL, at_start=True
        ),
        f"src/{package}/core/data/contracts.py": edit(
            project, f"src/{package}/core/data/contracts.py", TEAM_CONTRACT
        ),
        "docs/data/datasheet.md": edit(project, "docs/data/datasheet.md", TEAM_DATASHEET),
        "tests/test_sql_views.py": edit(project, "tests/test_sql_views.py", TEAM_VIEW_TEST),
    }
    for name, old, new in TEAM_VALUES:
        path = project / name
        if not path.exists():
            continue  # a later stage's file
        text = path.read_text()
        assert text.count(old) == 1, f"{name} should hold {old!r} once: update this test"
        texts[name] = text.replace(old, new)
        path.write_text(texts[name])
    edit(project, ".gitignore", TEAM_GITIGNORE, at_start=True)
    pyproject = (project / "pyproject.toml").read_text()
    description = next(line for line in pyproject.splitlines(keepends=True) if line.startswith("description"))
    (project / "pyproject.toml").write_text(pyproject.replace(description, TEAM_DESCRIPTION, 1))
    texts["tools/team_report.py"] = TEAM_TOOL.format(package=package)
    (project / "tools" / "team_report.py").write_text(texts["tools/team_report.py"])
    for name in DELETED:
        (project / name).unlink()
    for name in [*texts, *DELETED]:
        assert name == "tools/team_report.py" or team_owned(name, package), f"{name} should be the team's"
    git_commit_all(project, "The team's work")
    return TeamWork(texts, DELETED)


def assert_the_teams_work_survived(project: Path, work: TeamWork) -> None:
    """Check the team's files, edits and deletions after an update, and that nothing conflicted."""
    for name, text in work.texts.items():
        assert (project / name).read_text() == text, f"{name} should be as the team left it"
    assert (project / ".gitignore").read_text().startswith(TEAM_GITIGNORE), "the team's .gitignore lines"
    assert TEAM_DESCRIPTION in (project / "pyproject.toml").read_text(), "the team's description"
    assert conflict_leftovers(project) == [], "no conflict markers or .rej files were expected"


@pytest.fixture(scope="module")
def released_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the template's history, its releases tagged from CHANGELOG.md, the working tree on top."""
    root = clone_history(tmp_path_factory.mktemp("releases") / "copier-mlops")
    try:
        changelog.tag(CHANGELOG, root)
    except changelog.ChangelogError as error:
        pytest.fail(f"the releases cannot be tagged: {error}")
    return root


def test_the_releases_table_lists_at_least_the_first_release() -> None:
    assert RELEASES, "CHANGELOG.md's Releases table should list the releases and their commits"
    assert RELEASES[0] == "0.1.0", "the oldest release is 0.1.0, the first one cut"


@pytest.mark.parametrize("version", RELEASES)
def test_a_project_from_each_release_updates_and_keeps_the_teams_work(
    released_template: Path, tmp_path: Path, version: str
) -> None:
    # given a project generated from the release, with the team's work in it
    project = copy_project(
        tmp_path / "project", src=released_template, vcs_ref=f"v{version}", package_index_url=index_url()
    )
    git_commit_all(project, f"Generate from copier-mlops {version}")
    work = do_the_teams_work(project)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]

    # when it takes the template as it is
    update(project, "HEAD")

    # then the answers file records the new version
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    head = run(["git", "describe", "--tags", "--always"], cwd=released_template).stdout.strip()
    assert answers["_commit"] == head, "the answers file should record the template's new version"
    # and the team's work is as the team left it
    assert_the_teams_work_survived(project, work)
    # and every other file of the template's is as a fresh render of the template as it is
    fresh = copy_project(tmp_path / "fresh", src=released_template, package_index_url=index_url())
    missing = sorted(project_files(fresh) - project_files(project) - set(work.deleted))
    assert missing == [], f"the template's new files should arrive: {missing}"
    different = sorted(
        name
        for name in project_files(fresh)
        if not team_owned(name, package)
        and name not in {".copier-answers.yml", ".gitignore", "pyproject.toml", *work.deleted}
        and (project / name).read_bytes() != (fresh / name).read_bytes()
    )
    assert different == [], f"the template's files should be as a fresh render: {different}"


def test_where_the_team_deleted_a_file_the_update_still_leaves_the_teams_files_alone(
    released_template: Path, tmp_path: Path
) -> None:
    # given a project from the newest release whose team deleted the sample's generator and edited
    # its contracts
    project = copy_project(tmp_path / "project", src=released_template, vcs_ref=f"v{RELEASES[-1]}")
    git_commit_all(project, "Generate")
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    (project / "tools" / "sample_data.py").unlink()
    contracts = f"src/{package}/core/data/contracts.py"
    team_contracts = edit(project, contracts, TEAM_CONTRACT)
    git_commit_all(project, "We bring our own data")
    # and a template whose next commit changes both files
    template = tmp_path / "template"
    run(["git", "clone", "--quiet", released_template, template], cwd=tmp_path, env=git_env())
    for name in ("tools/sample_data.py", "src/{{package_name}}/core/data/contracts.py"):
        with (template / "template" / name).open("a") as changed:
            changed.write("\n# A change of the template's, after the team's.\n")
    git_commit_all(template, "Change two files the team owns")
    answers_file = project / ".copier-answers.yml"
    answers_file.write_text(answers_file.read_text().replace(str(released_template), str(template)))
    git_commit_all(project, "Follow the template's clone")

    # when
    update(project, "HEAD")

    # then the update ran, and the template's change stayed out of the team's contracts
    answers = yaml.safe_load(answers_file.read_text())
    assert answers["_commit"] != f"v{RELEASES[-1]}", "the update should have run"
    assert (project / contracts).read_text() == team_contracts, "the team's contracts are the team's"
    # and the deleted file is written anew as the template has it now (copier's rule, in the docs)
    generator = (project / "tools" / "sample_data.py").read_text()
    assert generator.endswith("# A change of the template's, after the team's.\n")
    assert conflict_leftovers(project) == [], "no conflict markers or .rej files were expected"


@dataclass(frozen=True)
class UpdatedProject:
    """A set-up project from a release, with the team's work, updated, and the printed steps run."""

    project: Path
    work: TeamWork
    steps: list[list[str]]
    results: list[subprocess.CompletedProcess[str]]


UpdateFromRelease = Callable[[str], UpdatedProject]


@pytest.fixture(scope="module")
def updated_from_release(
    released_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    project_env: dict[str, str],
    docker_base_image: BaseImage,
) -> UpdateFromRelease:
    """Factory: a stage 3 project from a release, as a user lives with it until the update's steps.

    Generated from the release, set up and committed; the team's work done and committed; updated
    to the template as it is with `copier update --defaults` (no `--trust`: no migration applies
    after 0.1.0); then each step the update printed run in order: `make setup`, `make ci` (which
    builds and runs the image), `git add`, `git commit`. Cached per release for the module.
    """
    cache: dict[str, UpdatedProject] = {}

    def factory(version: str) -> UpdatedProject:
        if version not in cache:
            docker_base_image("3.12")
            env = user_env(project_env)
            project = tmp_path_factory.mktemp(f"release-{version}") / "project"
            copy_project(
                project, src=released_template, vcs_ref=f"v{version}", stage=3, package_index_url=index_url()
            )
            run(["git", "init", "--quiet", "--initial-branch=main"], cwd=project, env=env)
            run(["make", "setup"], cwd=project, env=env)
            run(["git", "add", "--all"], cwd=project, env=env)
            run(
                ["git", "commit", "--quiet", "-m", f"Generate from copier-mlops {version}"],
                cwd=project,
                env=env,
            )
            work = do_the_teams_work(project)
            copier_cli = Path(sys.executable).parent / "copier"
            updated = run([copier_cli, "update", "--defaults", "--vcs-ref", "HEAD"], cwd=project, env=env)
            steps = printed_steps(updated.stderr)
            results = [run(step, cwd=project, env=env) for step in steps]
            cache[version] = UpdatedProject(project, work, steps, results)
        return cache[version]

    return factory


@pytest.mark.slow
@pytest.mark.xdist_group("engine")  # its make ci builds and runs the stage 3 image
@pytest.mark.parametrize("version", ENDS)
def test_a_set_up_project_from_a_release_takes_the_update_and_passes_ci(
    updated_from_release: UpdateFromRelease, project_env: dict[str, str], version: str
) -> None:
    # given a set-up stage 3 project from the release, with the team's work in it
    # when it takes the template as it is, and the team runs the steps the update printed
    updated = updated_from_release(version)

    # then the steps are those of docs/how-to/update-a-project.md, and each one passed
    steps = [step[:2] for step in updated.steps]
    assert steps == [["git", "diff"], ["make", "setup"], ["make", "ci"], ["git", "add"], ["git", "commit"]]
    ci = updated.results[steps.index(["make", "ci"])]
    output = ci.stdout + ci.stderr
    # (this is also the slow layer's `make ci` of a stage 3 project: the demo runs stage 4's)
    assert "Every table and view passes its contract" in output, "the stage 1 gate should run"
    assert "The model card describes the current champion" in output, "the stage 2 gate should run"
    served = "my-ml-project:latest serves my-ml-project-churn version 1"
    assert served in output, "the stage 3 gate should build and smoke-test the image"
    # and the team's work is intact, and everything is committed
    assert_the_teams_work_survived(updated.project, updated.work)
    status = run(["git", "status", "--porcelain"], cwd=updated.project, env=project_env).stdout
    assert status == "", f"every change should be committed:\n{status}"


@pytest.mark.slow
@pytest.mark.xdist_group("engine")  # the updated stage 3 project of the test above, on its worker
def test_the_updated_project_adopts_stage_4_by_update(
    updated_from_release: UpdateFromRelease, project_env: dict[str, str]
) -> None:
    # given the stage 3 project from the newest release, updated (through its make ci when run with it)
    updated = updated_from_release(RELEASES[-1])
    project = updated.project

    # when the team raises its stage, as docs/stages.md says, then runs the printed steps
    copier.run_update(
        project, data={"stage": 4}, defaults=True, overwrite=True, vcs_ref="HEAD", quiet=True, unsafe=False
    )
    changed = run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=project, env=project_env
    ).stdout
    run(["make", "setup"], cwd=project, env=project_env)
    run(["git", "add", "--all"], cwd=project, env=project_env)
    run(["make", "lint", "stage-monitoring"], cwd=project, env=project_env)

    # then the stage's files came, the team's work is intact, and the stage's gate passes
    files = [line[3:] for line in changed.splitlines()]
    assert "configs/monitoring.yaml" in files, f"the update should add stage 4's files:\n{changed}"
    assert_the_teams_work_survived(project, updated.work)
