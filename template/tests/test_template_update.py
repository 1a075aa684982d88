"""Tests for tools/template_update.py: the update's report, and the pull request it hands on.

The update runs a stand-in for copier (``COPIER``) that changes the project as an update would; the
pull request goes to a stand-in for GitHub's REST and GraphQL APIs on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "template_update.py"
REPOSITORY = "team/project"
CHANGELOG = """# Changelog

## Unreleased

- Something on main.

## 0.3.0 (2026-03-01)

### Needs action

- Run `make setup`.

## 0.2.0 (2026-02-01)

- Second.

## 0.1.0 (2026-01-01)

- First.

## Releases

| version | commit | date |
"""


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """The script, imported from its path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("template_update", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["template_update"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_changelog_between_two_releases_has_the_later_ones_only(script: ModuleType) -> None:
    text = script.changelog_between(CHANGELOG, "v0.1.0", "v0.3.0")
    assert "## 0.3.0" in text
    assert "## 0.2.0" in text
    assert "## 0.1.0" not in text, "the release the project is on is not news"
    assert "Unreleased" not in text, "a release takes no unreleased section"
    assert "## Releases" not in text


def test_the_changelog_after_a_release_adds_the_unreleased_section(script: ModuleType) -> None:
    text = script.changelog_between(CHANGELOG, "v0.2.0", "v0.3.0-4-gabc1234")
    assert text.startswith("## Unreleased")
    assert "## 0.3.0" in text
    assert "## 0.2.0" not in text


def test_the_changelog_from_a_commit_before_any_release_has_every_release(
    script: ModuleType,
) -> None:
    text = script.changelog_between(CHANGELOG, "54bcf35", "v0.2.0")
    assert "## 0.2.0" in text
    assert "## 0.1.0" in text
    assert "## 0.3.0" not in text


@pytest.mark.parametrize(
    ("src_path", "expected"),
    [
        ("gh:team/template", "https://github.com/team/template"),
        ("gl:team/template", "https://gitlab.com/team/template"),
        ("https://git.example.com/t.git", "https://git.example.com/t.git"),
        ("git@github.com:team/template.git", "git@github.com:team/template.git"),
    ],
)
def test_the_template_is_cloned_from_what_the_answers_name(
    script: ModuleType, src_path: str, expected: str, tmp_path: Path
) -> None:
    assert script.template_url(src_path, tmp_path) == expected


# A stand-in for `copier update`: rewrites the answers file's _commit, changes what the test asks.
FAKE_COPIER = """
import json, os, pathlib, sys
plan = json.loads(os.environ["FAKE_COPIER_PLAN"])
answers = pathlib.Path(".copier-answers.yml")
if plan.get("commit"):
    text = answers.read_text().replace("_commit: v0.1.0", "_commit: " + plan["commit"])
    answers.write_text(text)
for name, text in plan.get("write", {}).items():
    pathlib.Path(name).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(name).write_text(text)
sys.stderr.write("copier: " + " ".join(sys.argv[1:]) + "\\n")
sys.exit(plan.get("exit", 0))
"""


def git(project: Path, *args: str) -> str:
    """Run git in ``project`` with a fixed identity; return its output."""
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    return subprocess.run(  # noqa: S603  (git, with the test's arguments)
        ["git", *identity, *args],  # noqa: S607  (git from PATH)
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project at v0.1.0 of a template with a changelog; its team deleted its sample generator."""
    template = tmp_path / "template"
    template.mkdir()
    (template / "CHANGELOG.md").write_text(CHANGELOG)
    git(template, "init", "--quiet", "--initial-branch=main")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "Template")
    git(template, "tag", "v0.1.0")
    git(template, "tag", "v0.2.0")
    root = tmp_path / "project"
    (root / "tools").mkdir(parents=True)
    (root / ".copier-answers.yml").write_text(f"_commit: v0.1.0\n_src_path: {template}\nstage: 1\n")
    (root / "tools" / "team-files.txt").write_text(
        "# The team's files\nREADME.md\ntools/sample_data.py\n"
    )
    (root / "tools" / "sample_data.py").write_text("# the sample's generator\n")
    (root / "Makefile").write_text("all:\n")
    (root / "README.md").write_text("# Our project\n")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "Generate")
    git(root, "rm", "--quiet", "tools/sample_data.py")
    git(root, "commit", "--quiet", "-m", "We bring our own data")
    # (a shell script that runs the stand-in with this Python: a shebang cannot name a path with a
    # space, which a project's folder may have)
    stand_in = tmp_path / "fake_copier.py"
    stand_in.write_text(FAKE_COPIER)
    copier = tmp_path / "copier"
    copier.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{stand_in}" "$@"\n')
    copier.chmod(0o755)
    monkeypatch.setenv("COPIER", str(copier))
    monkeypatch.chdir(root)
    return root


def update(
    script: ModuleType, plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, Any]:
    """Run `template_update.py update` with the stand-in's ``plan``; return its code and report."""
    monkeypatch.setenv("FAKE_COPIER_PLAN", json.dumps(plan))
    code = script.main(["update", "--report", "report.json"])
    report = Path("report.json")
    return code, json.loads(report.read_text()) if report.exists() else None


def test_an_update_with_nothing_new_is_up_to_date(
    script: ModuleType, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report = update(script, {}, monkeypatch)
    assert code == 0
    assert report["status"] == "up-to-date"
    assert report["from_version"] == report["to_version"] == "v0.1.0"


def test_an_update_reports_both_versions_and_the_changelog_between_them(
    script: ModuleType, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report = update(
        script, {"commit": "v0.2.0", "write": {"Makefile": "all:\n\techo\n"}}, monkeypatch
    )
    assert code == 0
    assert report["status"] == "updated"
    assert (report["from_version"], report["to_version"]) == ("v0.1.0", "v0.2.0")
    assert report["changelog"].startswith("## 0.2.0"), report["changelog"]
    assert report["conflicts"] == []


def test_a_team_file_the_team_deleted_is_deleted_again(
    script: ModuleType, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an update that writes the deleted team-owned file anew, and a new template file
    plan = {
        "commit": "v0.2.0",
        "write": {"tools/sample_data.py": "# anew\n", "tools/new.py": "# new\n"},
    }

    # when
    code, report = update(script, plan, monkeypatch)

    # then
    assert code == 0
    assert report["deleted_again"] == ["tools/sample_data.py"]
    assert not (project / "tools" / "sample_data.py").exists(), (
        "the team deleted it: it stays deleted"
    )
    assert (project / "tools" / "new.py").exists(), "a file new in the template arrives"


def test_conflicted_files_are_listed(
    script: ModuleType, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the markers built, so that no hook or update check takes this file for a conflicted one)
    start, end = "<" * 7, ">" * 7
    marked = f"all:\n{start} before updating\n\techo ours\n=======\n\techo theirs\n{end} after\n"
    plan = {"commit": "v0.2.0", "write": {"Makefile": marked, "docs/x.md.rej": "@@ -1 +1 @@\n"}}
    code, report = update(script, plan, monkeypatch)
    assert code == 0
    assert report["status"] == "conflicts"
    assert report["conflicts"] == ["Makefile", "docs/x.md.rej"]


def test_an_update_refuses_uncommitted_changes(
    script: ModuleType,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "README.md").write_text("# Edited, not committed\n")
    code, report = update(script, {"commit": "v0.2.0"}, monkeypatch)
    assert code == 1
    assert report is None, "no report for an update that did not run"
    assert "uncommitted changes: commit or stash them first" in capsys.readouterr().err


def test_a_failed_copier_update_fails_with_its_output(
    script: ModuleType,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = update(script, {"exit": 3}, monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert "copier: update --skip-answered --defaults" in err, "copier's own output is shown"
    assert "exited 3" in err


@dataclass
class FakeGitHub:
    """What the stand-in holds: the open pull requests, and every request it was sent."""

    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    refuse_with: int | None = None
    url: str = ""


def handler_for(github: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    """Return a handler that answers like GitHub's pulls API and its two draft mutations."""
    prefix = f"/repos/{REPOSITORY}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet: the tests read the requests, not the log

        def answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            github.requests.append(("GET", self.path, None))
            if github.refuse_with:
                self.answer(
                    github.refuse_with, {"message": "Resource not accessible by integration"}
                )
                return
            head = parse_qs(url.query)["head"][0]
            self.answer(200, [pull for pull in github.pulls if f"team:{pull['head']}" == head])

        def do_POST(self) -> None:
            path, body = urlsplit(self.path).path, self.body()
            github.requests.append(("POST", path, body))
            if path == "/graphql":
                draft = "convertPullRequestToDraft" in body["query"]
                for pull in github.pulls:
                    if pull["node_id"] == body["variables"]["id"]:
                        pull["draft"] = draft
                self.answer(200, {"data": {}})
                return
            number = len(github.pulls) + 1
            pull = {
                **body,
                "number": number,
                "node_id": f"PR_{number}",
                "html_url": f"https://github.test/pull/{number}",
            }
            github.pulls.append(pull)
            self.answer(201, pull)

        def do_PATCH(self) -> None:
            path, body = urlsplit(self.path).path, self.body()
            github.requests.append(("PATCH", path, body))
            number = int(path.removeprefix(f"{prefix}/pulls/"))
            github.pulls[number - 1].update(body)
            self.answer(200, github.pulls[number - 1])

    return Handler


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A stand-in for GitHub's API on a free port of 127.0.0.1, and the environment naming it."""
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("GITHUB_API_URL", state.url)
    monkeypatch.setenv("GITHUB_GRAPHQL_URL", f"{state.url}/graphql")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_TOKEN", "token-for-tests")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_report(path: Path, **fields: Any) -> Path:
    """Write an update's report with ``fields`` over a clean update from 0.1.0 to 0.2.0."""
    report = {
        "status": "updated",
        "from_version": "v0.1.0",
        "to_version": "v0.2.0",
        "conflicts": [],
        "deleted_again": [],
        "changelog": "## 0.2.0 (2026-02-01)\n\n- Second.",
        **fields,
    }
    path.write_text(json.dumps(report))
    return path


def test_a_clean_update_opens_a_pull_request_ready_for_review(
    script: ModuleType, github: FakeGitHub, tmp_path: Path
) -> None:
    report = write_report(tmp_path / "report.json")
    code = script.main(["pull-request", "--report", str(report), "--ci-result", "success"])
    assert code == 0
    [pull] = github.pulls
    assert pull["title"] == "Update from the template: v0.1.0 → v0.2.0"
    assert (pull["head"], pull["base"], pull["draft"]) == ("template-update", "main", False)
    assert "`make ci` passed" in pull["body"]
    assert "## 0.2.0 (2026-02-01)" in pull["body"], "the changelog's sections are in the body"


def test_a_conflicting_update_turns_the_open_pull_request_into_a_draft_listing_the_files(
    script: ModuleType, github: FakeGitHub, tmp_path: Path
) -> None:
    # given the pull request of an earlier update, still open and ready for review
    github.pulls.append(
        {"number": 1, "node_id": "PR_1", "head": "template-update", "draft": False, "title": "old"}
    )
    report = write_report(tmp_path / "report.json", status="conflicts", conflicts=["Makefile"])

    # when
    code = script.main(["pull-request", "--report", str(report)])

    # then it is updated, not opened anew, and is a draft
    assert code == 0
    assert [method for method, _, _ in github.requests] == ["GET", "PATCH", "POST"]
    [pull] = github.pulls
    assert pull["draft"] is True, "a conflicting update is a draft"
    assert "- `Makefile`" in pull["body"], "the conflicted file is listed"
    assert pull["title"] == "Update from the template: v0.1.0 → v0.2.0"


def test_an_up_to_date_report_sends_nothing(
    script: ModuleType, github: FakeGitHub, tmp_path: Path
) -> None:
    report = write_report(tmp_path / "report.json", status="up-to-date", to_version="v0.1.0")
    assert script.main(["pull-request", "--report", str(report)]) == 0
    assert github.requests == [], "nothing to review: no pull request"


def test_a_refusal_names_the_permission_to_give(
    script: ModuleType, github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.refuse_with = 403
    report = write_report(tmp_path / "report.json")
    assert script.main(["pull-request", "--report", str(report)]) == 1
    assert "permissions: pull-requests: write" in capsys.readouterr().err
