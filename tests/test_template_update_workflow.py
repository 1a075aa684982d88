"""The generated template-update workflow under act, with a stand-in for GitHub's API.

The template is a clone of this repository's history with two releases made for the tests: v0.2.0,
the template as it is, and v0.3.0, which adds a make target to the template-owned Makefile and a
section to the changelog. A stage 1 project generated from v0.2.0 and set up is the origin (a bare
repository) that the workflow's checkout came from and pushes to; the stand-in for GitHub's REST and
GraphQL APIs on 127.0.0.1 records the pull requests that would have been opened or updated.

Three runs: a clean update (one pull request, ready for review, `make ci` passed), one that
conflicts with the team's edit (the open pull request updated, turned into a draft listing the
file), and one already up to date (nothing pushed, no call to GitHub).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.act import run_act
from tests.github_stand_in import JsonHandler, serve
from tests.helpers import clone_history, copy_project, git_commit_all, git_env, run
from tests.test_update import update
from tools.environment import index_url

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("template-update")]

REPOSITORY = "team/project"
NEW_TARGET = "\n.PHONY: hello\nhello: ## Say hello (added by template version 0.3.0)\n\t@echo hello\n"
NEW_SECTION = "## 0.3.0 (2026-12-03)\n\n### Added\n\n- `make hello`, which says hello.\n\n"


@dataclass
class FakeGitHub:
    """The stand-in's state: the pull requests, and every request it was sent."""

    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    url: str = ""


def handler_for(github: FakeGitHub) -> type[JsonHandler]:
    """Return a handler that answers the calls of tools/template_update.py like GitHub."""
    prefix = f"/repos/{REPOSITORY}"

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            github.requests.append(("GET", self.path, None))
            if url.path != f"{prefix}/pulls":
                self.answer(404, {"message": "Not Found"})
                return
            head = parse_qs(url.query).get("head", [""])[0]
            owner = REPOSITORY.split("/")[0]
            self.answer(200, [pull for pull in github.pulls if f"{owner}:{pull['head']}" == head])

        def do_POST(self) -> None:
            path, body = urlsplit(self.path).path, self.body()
            github.requests.append(("POST", path, body))
            if path == "/graphql":
                for pull in github.pulls:
                    if pull["node_id"] == body["variables"]["id"]:
                        pull["draft"] = "convertPullRequestToDraft" in body["query"]
                self.answer(200, {"data": {}})
            elif path == f"{prefix}/pulls":
                number = len(github.pulls) + 1
                pull = {**body, "number": number, "node_id": f"PR_{number}"}
                github.pulls.append(pull)
                self.answer(201, {**pull, "html_url": f"https://github.test/pull/{number}"})
            else:
                self.answer(404, {"message": "Not Found"})

        def do_PATCH(self) -> None:
            path, body = urlsplit(self.path).path, self.body()
            github.requests.append(("PATCH", path, body))
            number = int(path.removeprefix(f"{prefix}/pulls/"))
            github.pulls[number - 1].update(body)
            self.answer(200, {**github.pulls[number - 1], "html_url": "https://github.test/pull/1"})

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The stand-in, on a free port of 127.0.0.1, stopped after the test."""
    state = FakeGitHub()
    with serve(handler_for(state)) as url:
        state.url = url
        yield state


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's history, the template as it is tagged v0.2.0, and a v0.3.0 on top."""
    root = clone_history(tmp_path_factory.mktemp("template-update") / "copier-mlops")
    run(["git", "tag", "v0.2.0"], cwd=root, env=git_env())
    with (root / "template" / "Makefile").open("a") as makefile:
        makefile.write(NEW_TARGET)
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text()
    assert text.count("\n## Unreleased\n") == 1, "CHANGELOG.md should have one Unreleased section"
    changelog.write_text(
        text.replace("\n## Unreleased\n", f"\n## Unreleased\n\nNothing yet.\n\n{NEW_SECTION}", 1)
    )
    git_commit_all(root, "Template 0.3.0")
    run(["git", "tag", "v0.3.0"], cwd=root, env=git_env())
    return root


@pytest.fixture(scope="module")
def origin(template: Path, tmp_path_factory: pytest.TempPathFactory, project_env: dict[str, str]) -> Path:
    """A stage 1 project from v0.2.0, set up and committed with its lock, as a bare repository."""
    project = tmp_path_factory.mktemp("project") / "project"
    copy_project(project, src=template, vcs_ref="v0.2.0", stage=1, package_index_url=index_url())
    git_commit_all(project, "Generate from copier-mlops 0.2.0")
    run(["make", "setup"], cwd=project, env=project_env)
    git_commit_all(project, "Lock the dependencies")
    bare = project.parent / "origin.git"
    run(["git", "clone", "--quiet", "--bare", project, bare], cwd=project.parent, env=git_env())
    return bare


def clone(origin: Path, destination: Path) -> Path:
    """Clone ``origin`` into a fresh bare repository and a working copy of it; return the copy."""
    bare = destination / "origin.git"
    run(["git", "clone", "--quiet", "--bare", origin, bare], cwd=destination, env=git_env())
    work = destination / "project"
    run(["git", "clone", "--quiet", bare, work], cwd=destination, env=git_env())
    return work


@dataclass(frozen=True)
class Run:
    """One act run of the workflow: its exit code and output, and the branch it pushed (or None)."""

    code: int
    output: str
    pushed: str | None


def run_workflow(project: Path, github: FakeGitHub, env: dict[str, str]) -> Run:
    """Run template-update.yml on ``project`` as a manual dispatch; return what it did."""
    job_env = {
        "GITHUB_API_URL": github.url,
        "GITHUB_GRAPHQL_URL": f"{github.url}/graphql",
        "GITHUB_REPOSITORY": REPOSITORY,
    }
    result = run_act(
        project,
        env,
        event="workflow_dispatch",
        workflow="template-update.yml",
        job_env=job_env,
        secrets={"GITHUB_TOKEN": "token-for-the-stand-in"},
    )
    bare = project.parent / "origin.git"
    branch = run(["git", "branch", "--list", "template-update"], cwd=bare).stdout.strip()
    pushed = run(["git", "rev-parse", "template-update"], cwd=bare).stdout.strip() if branch else None
    return Run(result.returncode, result.stdout + result.stderr, pushed)


def test_a_clean_update_opens_one_pull_request_with_the_changelog_and_a_passed_make_ci(
    origin: Path, github: FakeGitHub, shared_cache_env: dict[str, str], tmp_path: Path
) -> None:
    # given a project at v0.2.0 while v0.3.0 is out
    project = clone(origin, tmp_path)

    # when the workflow runs
    result = run_workflow(project, github, shared_cache_env)

    # then one pull request is opened, ready for review
    assert result.code == 0, f"act should pass:\n{result.output[-15000:]}"
    [pull] = github.pulls
    assert pull["title"] == "Update from the template: v0.2.0 → v0.3.0"
    assert (pull["head"], pull["base"], pull["draft"]) == ("template-update", "main", False)
    assert "`make ci` passed" in pull["body"], pull["body"]
    assert "`make hello`, which says hello." in pull["body"], "the new release's changelog section"
    assert "## 0.1.0" not in pull["body"], "only the sections after the project's version"
    # and the branch holds the update
    assert result.pushed is not None, "the branch template-update should be pushed"
    bare = project.parent / "origin.git"
    makefile = run(["git", "show", "template-update:Makefile"], cwd=bare).stdout
    assert "hello:" in makefile, "the pushed branch should hold the template's change"
    answers = run(["git", "show", "template-update:.copier-answers.yml"], cwd=bare).stdout
    assert "_commit: v0.3.0" in answers


def test_a_conflicting_update_turns_the_open_pull_request_into_a_draft_listing_the_file(
    origin: Path, github: FakeGitHub, shared_cache_env: dict[str, str], tmp_path: Path
) -> None:
    # given a team edit where v0.3.0 adds its target, and the pull request of an earlier update
    project = clone(origin, tmp_path)
    with (project / "Makefile").open("a") as makefile:
        makefile.write("\n.PHONY: mine\nmine:\n\t@echo mine\n")
    git_commit_all(project, "A target of our own, in the template's Makefile")
    github.pulls.append(
        {"number": 1, "node_id": "PR_1", "head": "template-update", "draft": False, "title": "Earlier"}
    )

    # when
    result = run_workflow(project, github, shared_cache_env)

    # then the open pull request is updated, as a draft that lists the conflicted file
    assert result.code == 0, f"act should pass:\n{result.output[-15000:]}"
    methods = [(method, path.split("?")[0]) for method, path, _ in github.requests]
    assert methods == [
        ("GET", f"/repos/{REPOSITORY}/pulls"),
        ("PATCH", f"/repos/{REPOSITORY}/pulls/1"),
        ("POST", "/graphql"),
    ], "the open pull request should be updated, not a second one opened"
    [pull] = github.pulls
    assert pull["draft"] is True, "an update that conflicts is a draft"
    assert "- `Makefile`" in pull["body"], pull["body"]
    assert "`make ci` passed" not in pull["body"], "make ci does not run on conflict markers"
    # and the branch carries the markers for the team to resolve
    bare = project.parent / "origin.git"
    makefile = run(["git", "show", "template-update:Makefile"], cwd=bare).stdout
    assert "<" * 7 in makefile, "the conflict is marked in the pushed Makefile"


def test_an_up_to_date_project_pushes_nothing_and_calls_nobody(
    origin: Path, github: FakeGitHub, shared_cache_env: dict[str, str], tmp_path: Path
) -> None:
    # given a project already at v0.3.0
    project = clone(origin, tmp_path)
    update(project, "v0.3.0")
    git_commit_all(project, "Update from the template (0.3.0)")

    # when
    result = run_workflow(project, github, shared_cache_env)

    # then
    assert result.code == 0, f"act should pass:\n{result.output[-15000:]}"
    assert "up-to-date: v0.3.0 -> v0.3.0" in result.output
    assert github.requests == [], "nothing to review: GitHub should not be called"
    assert result.pushed is None, "no branch should be pushed"
