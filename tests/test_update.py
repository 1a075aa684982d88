"""`copier update`: a project generated from an older version takes the newer one, and keeps its edits.

The tests work on a temporary copy of the template, versioned there as 0.1.0 (the template as it is)
and 0.2.0 (0.1.0 plus a change to a template-owned file and to a team-owned one), so that they check
the update mechanism itself, whatever the template's own release history. The slow tests update a
set-up project across a release that changes the dependencies, by the steps the update prints.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import copier
import pytest
import yaml

from tests.helpers import (
    TEMPLATE,
    clone_history,
    copy_project,
    expected_files,
    expected_gate_jobs,
    git_commit_all,
    git_env,
    project_files,
    run,
    team_patterns,
)
from tools.environment import index_url

NEW_TARGET = "\n.PHONY: hello\nhello: ## Say hello (added by template version 0.2.0)\n\t@echo hello\n"
TEAM_README_CHANGE = "\nA line the template added to README.md in 0.2.0.\n"
# 0.2.0 changes a template-owned module and its template-owned test, and a team-owned data test.
SQL_MODULE = "src/{{package_name}}/core/data/sql.py"
NEW_IN_MODULE = '\n\nVIEW_SUFFIX = ".sql"  # added by template version 0.2.0\n'
NEW_TEST = (
    "\n\ndef test_views_are_sql_files() -> None:\n"
    "    # added by template version 0.2.0\n"
    '    assert VIEW_SUFFIX == ".sql"\n'
)
TEAM_TEST_CHANGE = "\n\n# A line the template added to the team's data test in 0.2.0.\n"


def copy_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copy the template's working tree (uncommitted changes included) into a new folder."""
    root = tmp_path_factory.mktemp("template") / "copier-mlops"
    ignore = shutil.ignore_patterns(".git", ".venv", "tmp", "demo", "site", "__pycache__", "*_cache")
    shutil.copytree(TEMPLATE, root, ignore=ignore)
    return root


@pytest.fixture(scope="module")
def versioned_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the template in its own repository, tagged 0.1.0 and 0.2.0."""
    root = copy_template(tmp_path_factory)
    git_commit_all(root, "Template 0.1.0")
    run(["git", "tag", "0.1.0"], cwd=root, env=git_env())

    with (root / "template" / "Makefile").open("a") as makefile:
        makefile.write(NEW_TARGET)
    with (root / "template" / "README.md.jinja").open("a") as readme:
        readme.write(TEAM_README_CHANGE)
    for name, change in (
        (SQL_MODULE, NEW_IN_MODULE),
        ("tests/core/data/test_sql.py.jinja", NEW_TEST),
        ("tests/test_sql_views.py.jinja", TEAM_TEST_CHANGE),
        ("tests/core/data/test_quality.py.jinja", TEAM_TEST_CHANGE),
    ):
        with (root / "template" / name).open("a") as template_file:
            template_file.write(change)
    git_commit_all(root, "Template 0.2.0")
    run(["git", "tag", "0.2.0"], cwd=root, env=git_env())
    return root


def generate(template: Path, destination: Path, ref: str, **answers: object) -> Path:
    """Generate a project from ``template`` at ``ref`` and commit it."""
    copy_project(destination, src=template, vcs_ref=ref, **answers)
    git_commit_all(destination, f"Generate from {ref}")
    return destination


def update(project: Path, ref: str | None = None, quiet: bool = True, **data: object) -> None:
    """Run `copier update` non-interactively, like `copier update --defaults [--data ...]`."""
    copier.run_update(
        project, data=data, defaults=True, overwrite=True, vcs_ref=ref, quiet=quiet, unsafe=False
    )


def printed_steps(output: str) -> list[list[str]]:
    """Return the commands listed under "Next steps" in copier's output, as argument lists.

    The message after update is the one place that says what to run: the tests run what it prints.
    """
    lines = output.splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("Next steps")]
    assert starts, f"the message should list the next steps:\n{output}"
    steps = []
    for line in lines[starts[-1] + 1 :]:
        if not line.strip() and not steps:
            continue
        if not line.startswith("  "):
            break
        steps.append(shlex.split(line, comments=True))
    return steps


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


def test_update_brings_a_module_and_its_test_and_leaves_the_teams_data_tests(
    versioned_template: Path, tmp_path: Path
) -> None:
    # given a project from 0.1.0 whose team edited its data tests and added a test of its own
    project = generate(versioned_template, tmp_path / "project", "0.1.0")
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    data_tests = [project / "tests" / "test_sql_views.py", project / "tests/core/data/test_quality.py"]
    team_texts = [path.read_text() + "\n\n# Adapted by the team to its own tables.\n" for path in data_tests]
    for path, text in zip(data_tests, team_texts, strict=True):
        path.write_text(text)
    git_commit_all(project, "The team's data tests")

    # when
    update(project, "0.2.0")

    # then the template's module and its test both change
    module = (project / SQL_MODULE.replace("{{package_name}}", package)).read_text()
    assert module.endswith(NEW_IN_MODULE), "the change to the template-owned module should arrive"
    test = (project / "tests/core/data/test_sql.py").read_text()
    assert test.endswith(NEW_TEST), "and the change to its template-owned test with it"
    # and the team's data tests are as the team wrote them, though the template changed them too
    for path, text in zip(data_tests, team_texts, strict=True):
        assert path.read_text() == text, f"{path.relative_to(project)} is the team's: left as it was"
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


def test_the_message_after_update_lists_the_steps_in_the_order_that_works(
    versioned_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    project = generate(versioned_template, tmp_path / "project", "0.1.0")
    capsys.readouterr()

    # when
    update(project, "0.2.0", quiet=False)

    # then the lock and the environment are brought in line before the gates and the commit, whose
    # hooks run the tools of the environment
    steps = [step[:2] for step in printed_steps(capsys.readouterr().err)]
    assert steps == [
        ["git", "diff"],
        ["make", "setup"],
        ["make", "ci"],
        ["git", "add"],
        ["git", "commit"],
    ], "review, set up, check, then commit"


@pytest.mark.parametrize("stages", [(2, 3, 4), (4,)], ids=["one-stage-at-a-time", "in-one-jump"])
def test_raising_the_stage_by_update(
    versioned_template: Path, tmp_path: Path, stages: tuple[int, ...]
) -> None:
    # given a project that started at stage 1
    project = generate(versioned_template, tmp_path / "project", "0.2.0", stage=1)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]

    for stage in stages:
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


# A release that changes the dependencies, as most template releases do: 0.1.0 is the template with
# three differences in its dependencies, 0.2.0 the template as it is.
OLD_RELEASE_EDITS = {
    # An older upper bound: the project locks pre-commit-hooks 5, and the update allows 6 but must
    # not upgrade it (nor anything else) while it re-resolves the lock.
    "template/pyproject.toml.jinja": [
        ('pre-commit-hooks = ">=5,<7"', 'pre-commit-hooks = ">=5,<6"'),
        # 0.2.0 adds a package that a hook needs, like a release whose code imports a new package:
        # the hooks find it only once `make setup` has installed it.
        ('detect-secrets = ">=1.5,<2"\n', ""),
        # 0.2.0 drops a package: `make setup` removes it from the environment.
        ('pytest = ">=8.3,<10"\n', 'pytest = ">=8.3,<10"\ntypes-toml = ">=0.10"\n'),
    ],
    "template/.pre-commit-config.yaml": [
        (
            "      - id: detect-secrets\n"
            "        name: no secrets (detect-secrets)\n"
            "        entry: poetry run detect-secrets-hook\n"
            "        language: unsupported\n"
            "        types: [text]\n"
            "        exclude: ^poetry\\.lock$\n",
            "",
        )
    ],
}


@pytest.fixture(scope="module")
def dependency_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the template tagged 0.1.0 (other dependencies) and 0.2.0 (the template as it is)."""
    root = copy_template(tmp_path_factory)
    for name, edits in OLD_RELEASE_EDITS.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"{name} should contain {old!r} once: update this test"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    git_commit_all(root, "Template 0.1.0")
    run(["git", "tag", "0.1.0"], cwd=root, env=git_env())
    for name in OLD_RELEASE_EDITS:
        shutil.copy2(TEMPLATE / name, root / name)
    git_commit_all(root, "Template 0.2.0")
    run(["git", "tag", "0.2.0"], cwd=root, env=git_env())
    return root


def user_env(project_env: dict[str, str]) -> dict[str, str]:
    """Return the environment of a user's shell: the session's caches and a git identity."""
    return {**project_env, **{key: git_env()[key] for key in git_env() if key.startswith("GIT_")}}


def locked_versions(project: Path) -> dict[str, str]:
    """Return the version poetry.lock pins for each package."""
    lock = tomllib.loads((project / "poetry.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"]}


def installed_packages(project: Path) -> set[str]:
    """Return the names of the packages installed in the project's environment, in lower case."""
    script = "import importlib.metadata as m; print(*(d.metadata['Name'] for d in m.distributions()))"
    names = run([project / ".venv" / "bin" / "python", "-c", script], cwd=project).stdout
    return {name.lower() for name in names.split()}


@pytest.fixture(scope="module")
def project_at_old_release(
    dependency_release: Path, tmp_path_factory: pytest.TempPathFactory, project_env: dict[str, str]
) -> tuple[Path, str]:
    """A project generated from 0.1.0, set up and committed as a user does; and that commit.

    Stage 1: the update path does not depend on the stage, and stage 1's `make ci` is the cheapest
    (no training, no image).
    """
    project = tmp_path_factory.mktemp("old-release") / "project"
    copy_project(project, src=dependency_release, vcs_ref="0.1.0", stage=1, package_index_url=index_url())
    env = user_env(project_env)
    run(["git", "init", "--quiet", "--initial-branch=main"], cwd=project, env=env)
    run(["make", "setup"], cwd=project, env=env)
    run(["git", "add", "--all"], cwd=project, env=env)
    run(["git", "commit", "--quiet", "-m", "Generate from copier-mlops 0.1.0"], cwd=project, env=env)
    commit = run(["git", "rev-parse", "HEAD"], cwd=project, env=env).stdout.strip()
    return project, commit


@pytest.mark.slow
@pytest.mark.xdist_group("old-release")  # one project at the old release (see conftest.py)
def test_setup_in_ci_refuses_a_lock_that_an_update_made_stale(
    project_at_old_release: tuple[Path, str], tmp_path: Path, project_env: dict[str, str]
) -> None:
    # given a clone of the set-up project, updated to a release that changed the dependencies
    origin, commit = project_at_old_release
    project = tmp_path / "clone"
    env = user_env(project_env)
    run(["git", "clone", "--quiet", origin, project], cwd=tmp_path, env=env)
    run(["git", "reset", "--quiet", "--hard", commit], cwd=project, env=env)
    update(project, "0.2.0")
    lock = (project / "poetry.lock").read_text(encoding="utf-8")

    # when CI sets it up
    result = run(["make", "setup"], cwd=project, env={**env, "CI": "true"}, check=False)

    # then
    assert result.returncode != 0, "CI should not resolve dependencies on its own"
    assert (
        "poetry.lock does not match pyproject.toml: run `make setup` locally and commit poetry.lock"
        in result.stderr
    ), result.stderr
    assert (project / "poetry.lock").read_text(encoding="utf-8") == lock, "the lock should be left as is"


@pytest.mark.slow
@pytest.mark.xdist_group("old-release")  # one project at the old release (see conftest.py)
def test_update_across_a_dependency_change_by_the_printed_steps(
    project_at_old_release: tuple[Path, str],
    project_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a set-up project from 0.1.0
    project, _ = project_at_old_release
    env = user_env(project_env)
    old_pins = locked_versions(project)
    capsys.readouterr()

    # when it takes 0.2.0, whose dependencies differ
    update(project, "0.2.0", quiet=False)
    steps = printed_steps(capsys.readouterr().err)
    # (committing straight away fails: a hook needs a package that only `make setup` installs)
    run(["git", "add", "--all"], cwd=project, env=env)
    early = run(["git", "commit", "--quiet", "-m", "Too early"], cwd=project, env=env, check=False)
    # and the user runs the steps the update printed
    results = [run(step, cwd=project, env=env) for step in steps]

    # then
    assert early.returncode != 0, "committing before `make setup` should fail a hook"
    assert "detect-secrets" in early.stdout + early.stderr, "the hook of the new package should fail"
    setup = results[steps.index(["make", "setup"])].stdout
    assert "poetry.lock was stale" in setup, f"`make setup` should say it re-resolved the lock:\n{setup}"
    new_pins = locked_versions(project)
    assert "detect-secrets" in new_pins, "the lock should pin the package 0.2.0 added"
    assert "types-toml" not in new_pins, "the lock should drop the package 0.2.0 removed"
    kept = {name: old_pins[name] for name in old_pins.keys() & new_pins.keys()}
    assert kept == {name: new_pins[name] for name in kept}, "re-resolving should keep every pin that fits"
    assert "types-toml" not in installed_packages(project), "the environment should drop it too"
    # (this is also the slow layer's `make ci` of a stage 1 project: test_project.py runs stage 3's)
    ci = results[steps.index(["make", "ci"])]
    ci_output = ci.stdout + ci.stderr
    assert "Every table and view passes its contract" in ci_output, "stage 1's gate should run"
    assert "The model card describes" not in ci_output, "a stage 1 project has no stage 2 gate"
    assert "serves my-ml-project-churn" not in ci_output, "a stage 1 project has no stage 3 gate"
    status = run(["git", "status", "--porcelain"], cwd=project, env=env).stdout
    assert status == "", f"every change should be committed:\n{status}"
    changed = run(["git", "show", "--name-only", "--format=", "HEAD"], cwd=project, env=env).stdout
    assert "poetry.lock" in changed.split(), "the re-resolved lock should be committed with the update"


@pytest.mark.slow
@pytest.mark.xdist_group("old-release")  # one project at the old release (see conftest.py)
def test_a_stage_1_project_jumps_to_stage_4_by_update(
    project_at_old_release: tuple[Path, str], project_env: dict[str, str]
) -> None:
    # given the set-up stage 1 project (through the update above, when run with it), all committed
    project, _ = project_at_old_release
    env = user_env(project_env)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]

    # when it adopts stage 4 in one jump, and the team runs the printed steps
    update(project, "0.2.0", stage=4)
    run(["make", "setup"], cwd=project, env=env)
    run(["git", "add", "--all"], cwd=project, env=env)
    # (every gate but stage 3's, whose image needs the Docker engine of the other worker: the
    # image's gate runs in tests/test_releases.py and in the demo)
    gates = run(["make", "lint", "stage-tracking", "stage-monitoring"], cwd=project, env=env, check=False)

    # then the files of stages 2 to 4 came without conflict, and their gates pass
    missing = sorted(expected_files(4, package) - project_files(project))
    assert missing == [], f"every file of stage 4 should be there: {missing}"
    assert conflict_leftovers_in_git(project) == [], "adopting stage 4 should not conflict"
    output = gates.stdout + gates.stderr
    assert gates.returncode == 0, f"lint and the gates should pass:\n{output[-20000:]}"
    assert "The model card describes the current champion" in output, "the stage 2 gate should run"


def conflict_leftovers_in_git(project: Path) -> list[str]:
    """Return the project's files (git's, the ignored ones left out) with conflict markers, and .rej files."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=project).stdout
    return [
        name
        for name in sorted(set(listed.split()))
        if name.endswith(".rej")
        or ((project / name).is_file() and "<" * 7 + " " in (project / name).read_text(errors="replace"))
    ]


# The update from before core/ had one folder per stage (copier.yml's `_migrations`, hooks/): a project
# generated from the commit before the move, with the team's edits, updated to the template as it is.
BEFORE_THE_MOVE = "54bcf35"
TEAM_CONTRACT = (
    "\n\nclass Refunds(Contract):\n"
    '    """Refunds, a source the team adds next: its contract comes first."""\n\n'
    '    customer_id: Series[str] = pa.Field(description="Customer key.")\n'
    '    amount: Series[float] = pa.Field(gt=0, description="Refunded amount in USD.")\n'
)
TEAM_TEST = "\n\ndef test_the_team_knows_its_tables() -> None:\n    assert len(TABLES) == 5\n"
# The team's own module, in the package and in tools/: it imports moved modules in each of their forms.
TEAM_MODULE = '''"""The team's rules on the training data."""

from __future__ import annotations

from {package}.core import training
from {package}.core.contracts import (
    TABLES,
)


def trained_tables(config: training.TrainConfig) -> list[str]:
    """Return the tables the training configuration reads."""
    return [table.name for table in TABLES if table.name == config.table]
'''
TEAM_TOOL = '''"""The team's report on its features."""

from __future__ import annotations

from {package}.core.contracts import CustomerFeatures
from {package}.core.training import Features, TrainConfig


def describe(features: Features, config: TrainConfig) -> str:
    """Return the features a configuration trains on, in one line."""
    return f"{{config.table}}: {{CustomerFeatures.__name__}} {{features}}"
'''
# Each team-owned file that moved: its old path and its new one ({package}: the package's folder).
TEAM_MOVES = {
    "src/{package}/core/contracts.py": "src/{package}/core/data/contracts.py",
    "src/{package}/core/model.py": "src/{package}/core/model/pipeline.py",
    "tests/core/test_documentation.py": "tests/pages/test_data_dictionary.py",
    "tests/core/test_quality.py": "tests/core/data/test_quality.py",
}


@pytest.fixture(scope="module")
def template_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository's history, with the working tree committed on top."""
    root = clone_history(tmp_path_factory.mktemp("history") / "copier-mlops")
    found = run(["git", "cat-file", "-e", f"{BEFORE_THE_MOVE}^{{commit}}"], cwd=root, check=False)
    if found.returncode != 0:
        pytest.fail(
            f"the template's history lacks {BEFORE_THE_MOVE}, the commit before core/ took one folder "
            "per stage: the update tests need the full history (a shallow clone? `git fetch --unshallow`, "
            "or `fetch-depth: 0` in CI)"
        )
    return root


def project_before_the_move(
    history: Path, destination: Path, team_module: bool, stage: int = 4
) -> tuple[Path, str]:
    """Generate a project from the commit before the move, commit, make the team's edits, commit.

    Returns the project and its package name.
    """
    project = generate(history, destination, BEFORE_THE_MOVE, package_index_url=index_url(), stage=stage)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    source = project / "src" / package
    with (source / "core" / "contracts.py").open("a") as contracts:
        contracts.write(TEAM_CONTRACT)
    model = source / "core" / "model.py"
    text = model.read_text()
    assert text.count("max_leaf_nodes: int = Field(ge=2)") == 1, "update this test: the parameter moved"
    model.write_text(
        text.replace("max_leaf_nodes: int = Field(ge=2)", "max_leaf_nodes: int = Field(ge=2, le=256)")
    )
    for name in ("test_documentation.py", "test_quality.py"):
        test = project / "tests" / "core" / name
        imports = (
            "" if "    TABLES,\n" in test.read_text() else f"from {package}.core.contracts import TABLES\n"
        )
        test.write_text(test.read_text().replace("\n\n\n", f"\n{imports}\n\n", 1) + TEAM_TEST)
    (project / "tools" / "team_report.py").write_text(TEAM_TOOL.format(package=package))
    if team_module:
        (source / "core" / "team_rules.py").write_text(TEAM_MODULE.format(package=package))
    git_commit_all(project, "The team's edits")
    return project, package


def team_owned(name: str, package: str) -> bool:
    """Tell whether copier.yml hands the file ``name`` to the team (``_skip_if_exists``)."""
    return any(
        fnmatch(name, pattern.replace("{{ package_name }}", package).replace("**/", ""))
        for pattern in team_patterns()
    )


def update_past_the_move(project: Path) -> str:
    """Update to the template as it is (the migration needs --trust); return what the migration printed."""
    result = run(
        [
            Path(sys.executable).parent / "copier",
            "update",
            "--defaults",
            "--trust",
            "--vcs-ref",
            "HEAD",
        ],
        cwd=project,
    )
    return result.stdout + result.stderr


def test_update_from_before_the_move_carries_the_teams_files_and_edits_over(
    template_history: Path, tmp_path: Path
) -> None:
    # given a project from before the move, with the team's edits and a module of the team's own
    project, package = project_before_the_move(template_history, tmp_path / "project", team_module=True)

    # when
    output = update_past_the_move(project)

    # then each team-owned file is at its new path, with the team's edits, and nothing at the old one
    for old, new in TEAM_MOVES.items():
        old_path, new_path = project / old.format(package=package), project / new.format(package=package)
        assert not old_path.exists(), f"{old_path.relative_to(project)} should have moved"
        assert new_path.is_file(), f"{new_path.relative_to(project)} should hold the team's file"
        assert f"moved {old.format(package=package)} to {new.format(package=package)}" in output
    source = project / "src" / package
    assert (source / "core/data/contracts.py").read_text().endswith(TEAM_CONTRACT), "the team's contract"
    pipeline = (source / "core/model/pipeline.py").read_text()
    assert "max_leaf_nodes: int = Field(ge=2, le=256)" in pipeline, "the team's parameter"
    assert f"from {package}.core.model.features import (\n        Features,\n    )" in pipeline
    for new in ("tests/pages/test_data_dictionary.py", "tests/core/data/test_quality.py"):
        assert (project / new).read_text().endswith(TEAM_TEST), f"the team's test in {new}"
    # and the team's Python files import the modules from their new homes
    team_module = (source / "core" / "team_rules.py").read_text()
    assert f"from {package}.core.model import training\n" in team_module
    assert f"from {package}.core.data.contracts import (\n    TABLES,\n)" in team_module
    team_tool = (project / "tools" / "team_report.py").read_text()
    assert f"from {package}.core.data.contracts import CustomerFeatures\n" in team_tool
    assert f"from {package}.core.model.features import Features\n" in team_tool
    assert f"from {package}.core.model.training import TrainConfig\n" in team_tool
    team_files = [
        *(new.format(package=package) for new in TEAM_MOVES.values()),
        f"src/{package}/core/team_rules.py",
        "tools/team_report.py",
        "tests/test_sql_views.py",
        "tests/configs/test_train.py",
        "docs/data/dictionary.md",
        "configs/train.yaml",
    ]
    for name in team_files:
        text = (project / name).read_text()
        assert f"{package}.core.training" not in text, f"{name} should not import the old module"
        assert f"{package}.core.contracts" not in text, f"{name} should not import the old module"
        assert "core/contracts.py" not in text, f"{name} should name the contracts' new path"
    # and no copy is left at an old path, no conflict, and the template's files are as a fresh render
    fresh = copy_project(
        tmp_path / "fresh", src=template_history, vcs_ref="HEAD", package_index_url=index_url()
    )
    stale = sorted(
        project_files(project)
        - project_files(fresh)
        - {f"src/{package}/core/team_rules.py", "tools/team_report.py"}
    )
    assert stale == [], f"files of the old layout should be gone: {stale}"
    assert conflict_leftovers(project) == [], "no conflict markers or .rej files were expected"
    different = sorted(
        name
        for name in project_files(fresh)
        if not team_owned(name, package)
        and name != ".copier-answers.yml"
        and (project / name).read_bytes() != (fresh / name).read_bytes()
    )
    assert different == [], f"the template's files should be as a fresh render: {different}"
    # and the migration, run again, finds nothing left to do
    again = run([sys.executable, TEMPLATE / "hooks" / "move_to_stage_folders.py"], cwd=project)
    assert again.stdout == "", f"a second run should change nothing:\n{again.stdout}"


def test_the_migration_runs_once_and_only_from_before_the_move(
    template_history: Path, tmp_path: Path
) -> None:
    # given a project already updated past the move
    project, _ = project_before_the_move(template_history, tmp_path / "project", team_module=False)
    update_past_the_move(project)
    git_commit_all(project, "Update past the move")

    # when it updates again between two commits after the move, without --trust
    head = run(["git", "rev-parse", "HEAD"], cwd=template_history).stdout.strip()
    (template_history / "NEWS.md").write_text("A commit after the move.\n")
    git_commit_all(template_history, "A later commit")
    try:
        update(project, "HEAD")
    finally:
        run(["git", "reset", "--quiet", "--hard", head], cwd=template_history, env=git_env())

    # then no migration ran (copier would have refused it without --trust), and nothing changed
    status = run(["git", "status", "--porcelain"], cwd=project).stdout
    assert status.splitlines() == [" M .copier-answers.yml"], status


@pytest.mark.slow
def test_a_project_updated_past_the_move_passes_lint_and_tests(
    template_history: Path, tmp_path: Path, project_env: dict[str, str]
) -> None:
    # given a project from before the move, with the team's edits, updated past it
    # (its team module sits in tools/: one in the package would have no stage, which the template's
    # test of docs/architecture.md refuses, before the move as after it; stage 2, the last stage whose
    # team-owned files moved: the fast tests above update every stage's files)
    project, _ = project_before_the_move(template_history, tmp_path / "project", team_module=False, stage=2)
    update_past_the_move(project)
    env = user_env(project_env)

    # when the team runs the steps of docs/how-to/update-a-project.md
    run(["make", "setup"], cwd=project, env=env)
    run(["make", "format"], cwd=project, env=env)  # re-sorts the imports the migration rewrote
    run(["git", "add", "--all"], cwd=project, env=env)
    results = [run(["make", target], cwd=project, env=env, check=False) for target in ("lint", "test")]

    # then
    for result in results:
        assert result.returncode == 0, (
            f"{result.args} failed:\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
        )
    pipeline = (project / "src" / "my_ml_project" / "core" / "model" / "pipeline.py").read_text()
    assert "max_leaf_nodes: int = Field(ge=2, le=256)" in pipeline, "the team's edit should survive"
