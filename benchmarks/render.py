"""How long `copier copy` takes to render a project, for default and for all-options answers.

Each case runs the copier command line, as a user does, several times into a new folder; the figures
are wall-clock seconds: the median, and the fastest and slowest runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
COPIER = Path(sys.executable).parent / "copier"
MIRROR = "https://packages.example.com/simple"  # rendered only, never contacted


@dataclass(frozen=True)
class Case:
    """One set of answers to render."""

    name: str
    args: tuple[str, ...]


CASES = (
    Case("default answers", ()),
    Case(
        "all options (example-answers.yml + mirror)",
        ("--data-file", str(TEMPLATE / "example-answers.yml"), "--data", f"package_index_url={MIRROR}"),
    ),
)


@dataclass(frozen=True)
class Result:
    """The timings of one case."""

    case: Case
    seconds: tuple[float, ...]
    files: int

    @property
    def median(self) -> float:
        """The median run, in seconds."""
        return statistics.median(self.seconds)


def render_once(case: Case) -> tuple[float, int]:
    """Render ``case`` into a new folder; return the wall time and the number of files written."""
    with tempfile.TemporaryDirectory() as scratch:
        destination = Path(scratch) / "project"
        command = [str(COPIER), "copy", "--quiet", "--defaults", "--vcs-ref", "HEAD", *case.args]
        start = time.perf_counter()
        done = subprocess.run(
            [*command, str(TEMPLATE), str(destination)],
            stdin=subprocess.DEVNULL,
            capture_output=True,  # copier warns on every run of a template with uncommitted changes
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"copier copy failed for {case.name}:\n{done.stderr}")
        files = sum(1 for path in destination.rglob("*") if path.is_file())
    return elapsed, files


def measure(case: Case, runs: int) -> Result:
    """Render ``case`` once to warm caches, then ``runs`` times."""
    render_once(case)
    timings = [render_once(case) for _ in range(runs)]
    return Result(case, tuple(seconds for seconds, _ in timings), timings[-1][1])


def report(results: list[Result], runs: int) -> str:
    """Return the results as a table."""
    lines = [
        f"copier copy render time (copier command line, {runs} runs each after one warm-up)",
        f"{'case':<45} {'median':>8} {'min':>8} {'max':>8} {'files':>6}",
    ]
    for result in results:
        lines.append(
            f"{result.case.name:<45} {result.median:>7.2f}s {min(result.seconds):>7.2f}s"
            f" {max(result.seconds):>7.2f}s {result.files:>6}"
        )
    return "\n".join(lines)


def run(runs: int = 7) -> str:
    """Measure every case and return the report."""
    return report([measure(case, runs) for case in CASES], runs)
