"""The template's releases, read from CHANGELOG.md: their notes, their commits, and their git tags.

CHANGELOG.md has one `## X.Y.Z (YYYY-MM-DD)` section per release, newest first, under an optional
`## Unreleased` one; its `## Releases` table records each released version's commit, so that a clone
fetched without tags can be tagged again (`tag`). The release workflow checks a pushed tag against it
(`check --tag`) and publishes the section as the release's notes (`notes`).

    python -m tools.changelog check [--tag vX.Y.Z]   # the file is well-formed (and has the tag's section)
    python -m tools.changelog notes X.Y.Z            # print a release's section
    python -m tools.changelog tag                     # create the missing vX.Y.Z tags at their commits
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
SECTION = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)
RELEASE = re.compile(r"(?P<version>\d+\.\d+\.\d+) \((?P<date>\d{4}-\d{2}-\d{2})\)")
ROW = re.compile(r"^\| *(?P<version>[^|]+?) *\| *`?(?P<commit>[^|`]+?)`? *\|", re.MULTILINE)
VERSION = re.compile(r"\d+\.\d+\.\d+")
COMMIT = re.compile(r"[0-9a-f]{7,40}")


class ChangelogError(ValueError):
    """CHANGELOG.md, or what is asked of it, is not as this module expects: the message says what to fix."""


@dataclass(frozen=True)
class Release:
    """One release: its version, its date, and the text of its section."""

    version: str
    date: str
    notes: str


@dataclass(frozen=True)
class Changelog:
    """The releases, newest first, and the commit the Releases table records for each version."""

    releases: tuple[Release, ...]
    commits: dict[str, str]

    def release(self, version: str) -> Release:
        """Return the release of ``version`` (with or without a leading ``v``)."""
        wanted = version.removeprefix("v")
        for release in self.releases:
            if release.version == wanted:
                return release
        raise ChangelogError(
            f"CHANGELOG.md has no section for {wanted}: add `## {wanted} (YYYY-MM-DD)` above the newest "
            "release, with what changed for generated projects, before tagging it"
        )


def key(version: str) -> tuple[int, ...]:
    """Return ``X.Y.Z`` as a tuple of integers, for ordering."""
    return tuple(int(part) for part in version.split("."))


def parse(text: str, source: str = "CHANGELOG.md") -> Changelog:
    """Read the releases and the Releases table of ``text``; raise ChangelogError where it is malformed."""
    sections = list(SECTION.finditer(text))
    releases: list[Release] = []
    commits: dict[str, str] = {}
    for index, section in enumerate(sections):
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        title, body = section["title"], text[section.end() : end].strip()
        line = text.count("\n", 0, section.start()) + 1
        if title == "Unreleased":
            if releases:
                raise ChangelogError(f"{source}:{line}: `## Unreleased` must come before every release")
        elif title == "Releases":
            commits = table(body, source, line)
        elif match := RELEASE.fullmatch(title):
            if releases and key(match["version"]) >= key(releases[-1].version):
                raise ChangelogError(
                    f"{source}:{line}: {match['version']} comes after {releases[-1].version}: "
                    "releases go newest first"
                )
            releases.append(Release(match["version"], match["date"], body))
        else:
            raise ChangelogError(
                f"{source}:{line}: `## {title}` is not `## X.Y.Z (YYYY-MM-DD)`, `## Unreleased` or "
                "`## Releases`: see the top of CHANGELOG.md for its layout"
            )
    versions = [release.version for release in releases]
    for version in commits:
        if version not in versions:
            raise ChangelogError(f"{source}: the Releases table lists {version}, which has no section")
    # A release's commit is recorded after its tag is cut, so only the newest may lack one.
    missing = [version for version in versions[1:] if version not in commits]
    if missing:
        raise ChangelogError(
            f"{source}: the Releases table lacks {', '.join(missing)}: add each with the commit its "
            "tag points at (`git rev-list -n 1 vX.Y.Z`)"
        )
    return Changelog(tuple(releases), commits)


def table(body: str, source: str, line: int) -> dict[str, str]:
    """Return the version -> commit rows of the Releases table in ``body``."""
    commits: dict[str, str] = {}
    for row in ROW.finditer(body):
        version, commit = row["version"], row["commit"]
        if version == "version" or set(version) <= set("-: "):
            continue  # the header and its separator
        version = version.removeprefix("v")
        if not VERSION.fullmatch(version) or not COMMIT.fullmatch(commit):
            raise ChangelogError(
                f"{source}:{line}: the Releases row `{row.group(0)}` should be `| X.Y.Z | <commit> |`, "
                "with the commit's hash"
            )
        commits[version] = commit
    return commits


def git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``repository``; return the result, whatever its exit code."""
    return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=False)


def tag(changelog: Changelog, repository: Path) -> list[str]:
    """Create the ``vX.Y.Z`` tag of each recorded release that ``repository`` lacks; return those made.

    A tag that exists already must point at the recorded commit: ChangelogError otherwise.
    """
    made: list[str] = []
    for version, commit in changelog.commits.items():
        name = f"v{version}"
        resolved = git(repository, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
        if resolved.returncode != 0:
            raise ChangelogError(
                f"the Releases table's commit {commit} for {version} is not in {repository}: fetch the "
                "whole history (`git fetch --unshallow`)"
            )
        existing = git(repository, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}")
        if existing.returncode == 0:
            if existing.stdout.strip() != resolved.stdout.strip():
                raise ChangelogError(
                    f"tag {name} points at {existing.stdout.strip()[:12]}, and the Releases table says "
                    f"{commit}: one of them is wrong"
                )
            continue
        git(repository, "tag", name, resolved.stdout.strip()).check_returncode()
        made.append(name)
    return made


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.changelog", description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=CHANGELOG, help="the changelog (default: CHANGELOG.md)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check the file's layout (and that the tag has a section)")
    check.add_argument("--tag", help="a tag being released, vX.Y.Z: its section must exist")
    notes = commands.add_parser("notes", help="print a release's section")
    notes.add_argument("version")
    commands.add_parser("tag", help="create the missing vX.Y.Z tags at the commits the table records")
    args = parser.parse_args(argv)
    try:
        changelog = parse(args.file.read_text(encoding="utf-8"), str(args.file))
        if args.command == "check" and args.tag:
            if not re.fullmatch(r"v\d+\.\d+\.\d+", args.tag):
                raise ChangelogError(f"tag {args.tag!r} is not a release tag: release tags are vX.Y.Z")
            changelog.release(args.tag)
        elif args.command == "notes":
            sys.stdout.write(changelog.release(args.version).notes + "\n")
        elif args.command == "tag":
            for name in tag(changelog, args.file.resolve().parent):
                sys.stdout.write(f"tagged {name}\n")
    except (ChangelogError, OSError, subprocess.CalledProcessError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
