"""Fast layer: the standards review (repo-review with the generated project's mlops-standards plugin).

The plugin is not installed: each review runs repo-review's command line in a subprocess whose path
holds the rendered plugin's sources and a distribution's metadata made from its pyproject.toml (the
entry points, as an install writes them), so the plugin is found exactly as installed.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from poetry.packages.locker import Locker
from repo_review.fixtures import apply_fixtures, compute_fixtures, pyproject
from repo_review.processor import CollectionReturn, Result, process

from tests.helpers import TEMPLATE, copy_project, git_commit_all, run
from tools.environment import tool_env

CODES_BY_FAMILY = {
    "mlops-general": ["MLO001", "MLO002", "MLO003", "MLO004", "MLO005", "MLO006", "MLO007"],
    "mlops-stage-1": ["MLO101", "MLO102", "MLO103", "MLO104"],
    "mlops-stage-2": ["MLO201", "MLO202", "MLO203"],
    "mlops-stage-3": ["MLO301", "MLO302"],
    "mlops-stage-4": ["MLO401", "MLO402", "MLO403"],
}
ALL_CODES = [code for codes in CODES_BY_FAMILY.values() for code in codes]
DOCS_PAGE = "https://github.com/ml-platform-team/my-ml-project/blob/main/docs/standards.md"


def plugin_path(project: Path, tmp_path: Path) -> str:
    """Return a PYTHONPATH on which Python finds the project's plugin as if it were installed."""
    plugin = project / "tools" / "standards"
    config = tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist_info = tmp_path / "site" / "mlops_standards-0.1.0.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {config['name']}\nVersion: {config['version']}\n"
    )
    groups = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in config["entry-points"].items()
    ]
    (dist_info / "entry_points.txt").write_text("\n".join(groups))
    return os.pathsep.join([str(plugin / "src"), str(dist_info.parent)])


def review(
    repository: Path, plugin_from: Path, tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Run `repo-review` on ``repository`` with the plugin of the project ``plugin_from``."""
    env = {**os.environ, "PYTHONPATH": plugin_path(plugin_from, tmp_path), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "repo_review", str(repository), *options],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def review_json(repository: Path, plugin_from: Path, tmp_path: Path) -> dict[str, Any]:
    """Return the review of ``repository`` as repo-review's JSON: status, families, checks."""
    result = review(repository, plugin_from, tmp_path, "--format", "json")
    assert result.returncode in {0, 3}, f"repo-review failed:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def lock(project: Path) -> None:
    """Write the `poetry.lock` that `make setup` would: its content-hash computed by poetry itself."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    content_hash = Locker(project / "poetry.lock", pyproject)._get_content_hash()
    (project / "poetry.lock").write_text(
        "# A stand-in for the lock `make setup` writes: the review reads only its metadata.\npackage = []\n\n"
        f'[metadata]\nlock-version = "2.1"\npython-versions = "3.12"\ncontent-hash = "{content_hash}"\n'
    )


def record_commit(project: Path, commit: str) -> None:
    """Record ``commit`` as the template's version the project was rendered from (`_commit`)."""
    answers = project / ".copier-answers.yml"
    text = re.sub(r"^_commit: .*$", f"_commit: {commit}", answers.read_text(encoding="utf-8"), flags=re.M)
    answers.write_text(text, encoding="utf-8")


def template_head() -> str:
    """Return the template's HEAD commit, as copier records it when it renders a clean work tree.

    (With uncommitted changes, copier records a commit of its scratch copy, which the template's
    history does not have.)
    """
    return run(["git", "rev-parse", "--short", "HEAD"], cwd=TEMPLATE).stdout.strip()


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """A project at each stage, locked and committed, as after `make setup`."""
    rendered = {}
    for stage in (1, 2, 3, 4):
        project = copy_project(tmp_path_factory.mktemp(f"stage{stage}") / "project", stage=stage)
        record_commit(project, template_head())
        lock(project)
        git_commit_all(project, "Generate")
        rendered[stage] = project
    return rendered


@pytest.mark.parametrize("stage", [1, 2, 3, 4])
def test_a_generated_project_passes_the_checks_of_its_stages_and_skips_the_others(
    projects: dict[int, Path], stage: int, tmp_path: Path
) -> None:
    # when
    report = review_json(projects[stage], projects[stage], tmp_path)

    # then every check of the project and of its adopted stages passes
    checks = report["checks"]
    assert sorted(checks) == sorted(ALL_CODES), "one check per standard"
    for family, codes in CODES_BY_FAMILY.items():
        family_stage = 0 if family == "mlops-general" else int(family[-1])
        for code in codes:
            assert checks[code]["family"] == family
            assert checks[code]["url"] == f"{DOCS_PAGE}#{code.lower()}"
            expected = True if family_stage <= stage else None
            assert checks[code]["result"] is expected, f"{code}: {checks[code]}"
    # and the stages it has not adopted say so
    families = report["families"]
    for later in range(stage + 1, 5):
        assert "**Not adopted**" in families[f"mlops-stage-{later}"]["description"]
        assert f"copier update --data stage={later}" in families[f"mlops-stage-{later}"]["description"]
    for adopted in range(1, stage + 1):
        assert families[f"mlops-stage-{adopted}"]["description"] == f"Adopted (stage {stage})."
    assert report["status"] == ("passed" if stage == 4 else "skips")


def test_a_bare_repository_fails_every_check_with_its_message_and_link(
    projects: dict[int, Path], tmp_path: Path
) -> None:
    # given a repository with nothing but a README
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "README.md").write_text("# A repository\n")
    git_commit_all(bare, "Start")

    # when
    report = review_json(bare, projects[4], tmp_path)
    printed = review(bare, projects[4], tmp_path)

    # then
    checks = report["checks"]
    assert sorted(checks) == sorted(ALL_CODES)
    for code, check in checks.items():
        assert check["result"] is False, f"{code} should fail on a bare repository: {check}"
        assert check["err_msg"].strip(), f"{code} should say what is missing"
        assert check["url"] == f"{DOCS_PAGE}#{code.lower()}"
    assert report["status"] == "errors"
    assert "Not generated by the template" in report["families"]["mlops-general"]["description"]
    assert printed.returncode == 3, "repo-review exits 3 when a check fails"
    for code in ALL_CODES:
        assert f"{code} " in printed.stdout, f"the printed review should list {code}"
    assert "There is no pyproject.toml to declare the project" in printed.stdout, printed.stdout
    assert f"How to meet each standard: {DOCS_PAGE}" in " ".join(printed.stdout.split())


@pytest.fixture(scope="module")
def plugin(projects: dict[int, Path]) -> dict[str, Any]:
    """The rendered plugin's entry points, loaded in this process: fixtures, checks, families by name."""
    sources = projects[4] / "tools" / "standards"
    config = tomllib.loads((sources / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    sys.path.insert(0, str(sources / "src"))
    try:
        return {
            group: {name: load(target) for name, target in entries.items()}
            for group, entries in config["entry-points"].items()
        }
    finally:
        sys.path.remove(str(sources / "src"))


def load(target: str) -> Any:
    """Return the object an entry point names (`module:attribute`)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def process_review(root: Path, plugin: dict[str, Any]) -> dict[str, Result]:
    """Review ``root`` with repo-review's processor and the plugin's entry points; results by code."""
    fixtures = compute_fixtures(root, root, {"pyproject": pyproject, **plugin["repo_review.fixtures"]})
    checks = {
        code: check for entry in plugin["repo_review.checks"].values() for code, check in entry().items()
    }
    families = {
        key: family
        for entry in plugin["repo_review.families"].values()
        for key, family in apply_fixtures(fixtures, entry).items()
    }
    _, results = process(root, collected=CollectionReturn(fixtures, checks, families))  # type: ignore[arg-type]
    return {result.name: result for result in results}


def edit_ci(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the parsed CI workflow and write it back."""
    path = project / ".github" / "workflows" / "ci.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(workflow)
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in a file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} should hold {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def unpin_checkout(project: Path) -> None:
    """Point the first checkout of the CI workflow at a tag instead of a commit."""
    path = project / ".github" / "workflows" / "ci.yml"
    text = path.read_text(encoding="utf-8")
    pinned = re.search(r"actions/checkout@[0-9a-f]{40}", text)
    assert pinned, "the workflow should check out with a pinned action"
    path.write_text(text.replace(pinned.group(0), "actions/checkout@v6", 1), encoding="utf-8")


def drop_user(project: Path) -> None:
    """Remove every USER instruction of the Dockerfile: the images run as root."""
    path = project / "Dockerfile"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("USER ")), encoding="utf-8")


# Each standard broken the way a team breaks it, and the words its failure must say.
VIOLATIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "MLO001": (
        lambda project: (project / ".python-version").write_text("3.10\n"),
        "outside `requires-python`",
    ),
    "MLO002": (lambda project: (project / "poetry.lock").unlink(), "There is no `poetry.lock`"),
    "MLO003": (
        lambda project: replace_in(
            project / "pyproject.toml", '"numpy>=2.1,<3",', '"numpy>=2.1,<3", "rich",'
        ),
        "resolved for another `pyproject.toml`",
    ),
    "MLO004": (
        lambda project: edit_ci(project, lambda ci: ci["jobs"]["scorecard"]["needs"].remove("standards")),
        "does not wait for `standards`",
    ),
    "MLO005": (unpin_checkout, "`actions/checkout@v6` (.github/workflows/ci.yml)"),
    "MLO006": (
        lambda project: edit_ci(project, lambda ci: ci.update(permissions={"contents": "write"})),
        "grants writes to every job",
    ),
    "MLO007": (lambda project: record_commit(project, "v0.0.1"), "the template's newest release is"),
    "MLO101": (
        lambda project: edit_ci(project, lambda ci: ci["jobs"].pop("stage-data")),
        "no `stage-data` job",
    ),
    "MLO102": (
        lambda project: (project / "src" / "my_ml_project" / "core" / "data" / "contracts.py").unlink(),
        "declares the data contracts",
    ),
    "MLO103": (
        lambda project: replace_in(
            project / "docs" / "data" / "datasheet.md", "## Composition\n", "## Composition\n\n## Spare\n"
        ),
        "leaves sections empty: Composition",
    ),
    "MLO104": (lambda project: (project / "docs" / "data" / "dictionary.md").unlink(), "no data dictionary"),
    "MLO201": (
        lambda project: edit_ci(project, lambda ci: ci["jobs"]["stage-tracking"]["steps"].pop()),
        "does not run `make stage-tracking`",
    ),
    "MLO202": (
        lambda project: replace_in(project / "configs" / "train.yaml", "\nexperiment:", "\n# experiment:"),
        "does not name the experiment",
    ),
    "MLO203": (lambda project: (project / "docs" / "models" / "model-card.md").unlink(), "no model card"),
    "MLO301": (
        lambda project: edit_ci(project, lambda ci: ci["jobs"].pop("stage-serving")),
        "no `stage-serving`",
    ),
    "MLO302": (drop_user, "the `runtime` image runs as root"),
    "MLO401": (
        lambda project: edit_ci(project, lambda ci: ci["jobs"].pop("stage-monitoring")),
        "no `stage-monitoring` job",
    ),
    "MLO402": (
        lambda project: (project / "monitoring" / "rules" / "alerts.yml").write_text("groups: []\n"),
        "defines an alert",
    ),
    "MLO403": (
        lambda project: (project / "monitoring" / "rules" / "alerts.test.yml").unlink(),
        "promtool test",
    ),
}


# A check that reads what another one requires fails with it.
ALSO_FAILS = {"MLO002": ["MLO003"]}


def test_every_check_has_a_violation_below() -> None:
    assert sorted(VIOLATIONS) == sorted(ALL_CODES)


@pytest.mark.parametrize("code", sorted(VIOLATIONS))
def test_a_broken_standard_fails_its_check_alone_and_says_why(
    projects: dict[int, Path], plugin: dict[str, Any], tmp_path: Path, code: str
) -> None:
    # given a stage 4 project that passes every check, with one standard broken
    project = tmp_path / "project"
    shutil.copytree(projects[4], project, ignore=shutil.ignore_patterns(".git"))
    break_standard, message = VIOLATIONS[code]
    break_standard(project)

    # when
    results = process_review(project, plugin)

    # then
    failed = {name: result.err_msg for name, result in results.items() if result.result is False}
    assert list(failed) == [code, *ALSO_FAILS.get(code, [])], f"only {code} should fail: {failed}"
    assert message in " ".join(failed[code].split()), failed[code]


def test_the_images_health_check_is_read_through_the_stages_of_the_dockerfile(plugin: dict[str, Any]) -> None:
    # given the images check's Dockerfile reader, from the rendered plugin
    images = importlib.import_module("mlops_standards.checks.images")
    dockerfile = (
        "FROM python:3.12-slim AS base\nUSER 10001\nHEALTHCHECK CMD true\n"
        'FROM base AS api\nCMD ["serve"]\n'
        'FROM base AS worker\nUSER root\nENTRYPOINT ["work"]\n'
        'FROM python:3.12-slim AS bare\nHEALTHCHECK NONE\nUSER 0:0\nCMD ["x"]\n'
    )

    # when
    problems = images.image_problems(dockerfile)

    # then the api inherits what base set, the worker switches back to root, the bare image has neither
    assert problems == [
        "the `worker` image runs as root (no `USER` with another user)",
        "the `bare` image has no `HEALTHCHECK`",
        "the `bare` image runs as root (no `USER` with another user)",
    ]


def test_a_project_whose_template_is_not_on_this_machine_skips_the_update_check(
    projects: dict[int, Path], plugin: dict[str, Any], tmp_path: Path
) -> None:
    # given a project generated from the template on GitHub, as a team's is
    project = tmp_path / "project"
    shutil.copytree(projects[2], project, ignore=shutil.ignore_patterns(".git"))
    replace_in(project / ".copier-answers.yml", f"_src_path: {TEMPLATE}", "_src_path: gh:acme/copier-mlops")

    # when
    results = process_review(project, plugin)

    # then the update check is skipped, and the review says why
    assert results["MLO007"].result is None
    assert [name for name, result in results.items() if result.result is False] == []


@pytest.mark.parametrize("commit", ["v0.1.0", "v0.1.0-4-g1234abc", "a8cd10f"])
def test_a_project_on_the_newest_release_or_after_it_is_up_to_date(
    projects: dict[int, Path], plugin: dict[str, Any], tmp_path: Path, commit: str
) -> None:
    # given a project that records the newest release as a tag, past it, or as its commit
    project = tmp_path / "project"
    shutil.copytree(projects[1], project, ignore=shutil.ignore_patterns(".git"))
    record_commit(project, commit)

    # when
    results = process_review(project, plugin)

    # then
    assert results["MLO007"].result is True, results["MLO007"]


def test_the_lock_check_agrees_with_poetry_with_a_package_mirror(
    plugin: dict[str, Any], tmp_path: Path
) -> None:
    # given a project whose pyproject.toml declares a mirror as poetry's source, locked by poetry's rule
    project = copy_project(tmp_path / "project", package_index_url="https://packages.example.com/simple")
    lock(project)

    # when
    results = process_review(project, plugin)

    # then
    assert results["MLO003"].result is True, results["MLO003"].err_msg


def test_make_review_runs_repo_review_here_or_on_the_repository_named(projects: dict[int, Path]) -> None:
    # given a project, and a run summary file as GitHub Actions gives one
    project = projects[1]
    summary = {"GITHUB_STEP_SUMMARY": "/tmp/summary.md"}

    # when
    here = run(["make", "--dry-run", "review"], cwd=project).stdout
    there = run(["make", "--dry-run", "review", "REPO=../theirs"], cwd=project).stdout
    in_ci = run(["make", "--dry-run", "review"], cwd=project, env=tool_env(summary)).stdout
    everything = run(["make", "--dry-run", "ci"], cwd=project).stdout

    # then
    assert here.strip() == 'poetry run repo-review "."'
    assert there.strip() == 'poetry run repo-review "../theirs"'
    assert in_ci.strip() == 'poetry run repo-review "." --stderr html 2>>"/tmp/summary.md"', (
        "in CI the review's report should also go to the run's summary"
    )
    assert 'poetry run repo-review "."' in [line.strip() for line in everything.splitlines()], (
        "make ci should run the review"
    )
