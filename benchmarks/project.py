"""A generated project to measure: created once per `make bench`, shared by the stage benchmarks.

`new_project` renders the default answers and installs them (`make setup`), timing each step;
`big_warehouse` builds a warehouse of 1,000,000 customers with the project's own sample generator.
Commands run in fresh processes; `timed_peak` also reads their peak resident memory from the
kernel's accounting of the child.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.environment import TOOLS_BIN, index_url, tool_env

TEMPLATE = Path(__file__).resolve().parents[1]
PREFIX = "MY_ML_PROJECT_"
CUSTOMERS = 1_000_000
# Runs a command and prints the peak resident memory (KiB) of the largest process it waited for.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command; raise with its output when it fails."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``args``; return its wall time in seconds."""
    start = time.perf_counter()
    sh(args, cwd, env)
    return time.perf_counter() - start


def timed_peak(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``args`` in a fresh process; return (seconds, peak memory in MiB)."""
    start = time.perf_counter()
    done = sh([sys.executable, "-c", PEAK, *args], cwd, env)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


@dataclass
class Project:
    """A generated, installed project, and how long each step took."""

    root: Path
    env: dict[str, str]
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def python(self) -> str:
        """The project's interpreter."""
        return str(self.root / ".venv" / "bin" / "python")

    def cli(self, *args: str) -> list[str]:
        """The project's command line with ``args``."""
        return [self.python, "-m", "my_ml_project", *args]


def new_project(scratch: Path) -> Project:
    """Render the default answers into ``scratch`` and install them, timing each step."""
    env = tool_env()
    project = Project(scratch / "project", env)
    project.steps["copier copy"] = timed(
        [str(TOOLS_BIN / "copier"), "copy", "--quiet", "--defaults", "--vcs-ref", "HEAD",
         "--data", f"package_index_url={index_url()}", str(TEMPLATE), str(project.root)],
        scratch,
        env,
    )  # fmt: skip
    sh(["git", "init", "--quiet"], project.root, env)
    project.steps["make setup"] = timed(["make", "setup"], project.root, env)
    return project


@dataclass(frozen=True)
class BigWarehouse:
    """A warehouse of 1M customers, and the settings that point the project at it."""

    env: dict[str, str]
    generate_seconds: float
    build_seconds: float
    build_peak: float


def big_warehouse(project: Project, scratch: Path) -> BigWarehouse:
    """Generate 1M customers with the project's generator and build the warehouse from them."""
    env = project.env | {
        f"{PREFIX}SAMPLE_DIR": str(scratch / "big"),
        f"{PREFIX}WAREHOUSE_PATH": str(scratch / "big.duckdb"),
    }
    generator = [project.python, "tools/sample_data.py", "--customers", str(CUSTOMERS)]
    generate = timed([*generator, "--out", str(scratch / "big")], project.root, env)
    build, peak = timed_peak(project.cli("data-build"), project.root, env)
    return BigWarehouse(env, generate, build, peak)
