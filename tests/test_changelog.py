"""The template's releases: CHANGELOG.md, tools/changelog.py, and the release workflow under act."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.act import run_act
from tests.helpers import TEMPLATE, git_commit_all, git_env, run
from tools import changelog
from tools.changelog import parse

RELEASE = "## 0.2.0 (2026-12-20)\n\n### Changed\n\n- Something.\n\n"
FIRST = "## 0.1.0 (2026-12-02)\n\nThe first release.\n\n"


def write(folder: Path, text: str) -> Path:
    """Write ``text`` as folder/CHANGELOG.md; return its path."""
    path = folder / "CHANGELOG.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_changelog_is_well_formed_and_its_commits_are_in_the_history() -> None:
    # given the repository's own changelog
    log = parse((TEMPLATE / "CHANGELOG.md").read_text(encoding="utf-8"))

    # then it has at least the first release, and each recorded commit is one of this history
    assert log.releases, "CHANGELOG.md should have a release"
    assert log.releases[-1].version == "0.1.0", "the oldest release should be 0.1.0"
    for version, commit in log.commits.items():
        found = run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=TEMPLATE, check=False)
        assert found.returncode == 0, f"{version}'s commit {commit} should be in the history"
        tag = ["git", "rev-parse", "--verify", "--quiet", f"v{version}^{{commit}}"]
        tagged = run(tag, cwd=TEMPLATE, check=False)
        if tagged.returncode == 0:
            resolved = run(["git", "rev-parse", f"{commit}^{{commit}}"], cwd=TEMPLATE).stdout
            assert tagged.stdout == resolved, f"tag v{version} should point at the recorded commit"


def test_notes_are_the_releases_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = "## Releases\n\n| 0.1.0 | abcdef1 |\n"
    path = write(tmp_path, f"# Changelog\n\n## Unreleased\n\n{RELEASE}{FIRST}{table}")

    assert changelog.main(["--file", str(path), "notes", "v0.2.0"]) == 0
    assert capsys.readouterr().out == "### Changed\n\n- Something.\n"
    assert changelog.main(["--file", str(path), "check", "--tag", "v0.2.0"]) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{FIRST}{RELEASE}", "0.2.0 comes after 0.1.0: releases go newest first"),
        (f"{RELEASE}## Unreleased\n\n{FIRST}", "`## Unreleased` must come before every release"),
        ("## 0.1 (2026-12-02)\n\n", "`## 0.1 (2026-12-02)` is not `## X.Y.Z (YYYY-MM-DD)`"),
        (f"{RELEASE}{FIRST}## Releases\n\n| 0.2.0 | abcdef1 |\n", "the Releases table lacks 0.1.0"),
        (f"{FIRST}## Releases\n\n| 0.1.0 | main |\n", "`| 0.1.0 | main |` should be `| X.Y.Z | <commit> |`"),
        (f"{FIRST}## Releases\n\n| 0.3.0 | abcdef1 |\n", "lists 0.3.0, which has no section"),
    ],
)
def test_a_malformed_changelog_is_refused_with_the_line_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = write(tmp_path, text)

    assert changelog.main(["--file", str(path), "check"]) == 1
    assert message in capsys.readouterr().err


def test_a_tag_without_a_section_or_of_another_form_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, FIRST)

    assert changelog.main(["--file", str(path), "check", "--tag", "v0.2.0"]) == 1
    assert "no section for 0.2.0: add `## 0.2.0 (YYYY-MM-DD)`" in capsys.readouterr().err
    assert changelog.main(["--file", str(path), "check", "--tag", "release-1"]) == 1
    assert "'release-1' is not a release tag: release tags are vX.Y.Z" in capsys.readouterr().err


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository of three commits, without tags; and the commits, oldest first."""
    repository = tmp_path / "repository"
    repository.mkdir()
    run(["git", "init", "--quiet"], cwd=repository)
    commits = []
    for number in range(3):
        (repository / "file.txt").write_text(f"{number}\n")
        git_commit_all(repository, f"Commit {number}")
        commits.append(run(["git", "rev-parse", "HEAD"], cwd=repository).stdout.strip())
    return repository, commits


def test_a_clone_without_tags_is_tagged_from_the_table(
    history: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    # given a changelog whose table records two releases, one of them tagged already
    repository, commits = history
    header = "## Releases\n\n| version | commit | date |\n| --- | --- | --- |\n"
    table = f"{header}| 0.2.0 | {commits[2][:9]} | |\n"
    path = write(repository, f"{RELEASE}{FIRST}{table}| 0.1.0 | {commits[0]} | |\n")
    run(["git", "tag", "v0.2.0", commits[2]], cwd=repository, env=git_env())

    # when
    code = changelog.main(["--file", str(path), "tag"])

    # then the missing tag is made at its commit, and the other left as it was
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "tagged v0.1.0\n"
    assert run(["git", "rev-parse", "v0.1.0^{commit}"], cwd=repository).stdout.strip() == commits[0]


def test_a_tag_at_another_commit_or_an_unknown_commit_is_refused(
    history: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    repository, commits = history
    path = write(repository, f"{FIRST}## Releases\n\n| 0.1.0 | {commits[0]} | |\n")
    run(["git", "tag", "v0.1.0", commits[1]], cwd=repository, env=git_env())

    assert changelog.main(["--file", str(path), "tag"]) == 1
    assert f"tag v0.1.0 points at {commits[1][:12]}, and the Releases table says" in capsys.readouterr().err

    write(repository, f"{FIRST}## Releases\n\n| 0.1.0 | {'0' * 40} | |\n")
    assert changelog.main(["--file", str(path), "tag"]) == 1
    assert "is not in" in capsys.readouterr().err


@pytest.mark.slow
def test_the_release_workflow_publishes_the_tags_section_under_act(
    tmp_path: Path, shared_cache_env: dict[str, str]
) -> None:
    # given the template's release workflow, and a stand-in for GitHub's gh CLI (a test double) that
    # records the release it would create
    bin_dir, recorded = tmp_path / "bin", tmp_path / "release.json"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/usr/bin/env python3\nimport json, pathlib, sys\n"
        "args = sys.argv[1:]\nnotes = pathlib.Path(args[args.index('--notes-file') + 1]).read_text()\n"
        f"pathlib.Path({str(recorded)!r}).write_text(json.dumps({{'args': args, 'notes': notes}}))\n"
    )
    gh.chmod(0o755)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/tags/v0.1.0"}))
    env = {**shared_cache_env, "PATH": f"{bin_dir}{os.pathsep}/usr/local/bin:/usr/bin:/bin"}

    # when the tag v0.1.0 is pushed
    result = run_act(TEMPLATE, env, workflow="release.yml", event_file=event)

    # then gh creates the release, with the section of 0.1.0 as its notes
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    release = json.loads(recorded.read_text())
    assert release["args"][:4] == ["release", "create", "v0.1.0", "--verify-tag"], release["args"]
    notes = parse((TEMPLATE / "CHANGELOG.md").read_text(encoding="utf-8")).release("0.1.0").notes
    assert release["notes"] == notes + "\n"
