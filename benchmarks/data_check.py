"""Stage 1: how long `data-check` takes on 1M rows of the feature view, and its peak memory.

The benchmark generates a project with default answers, installs it (`make setup`), generates a
sample of 1,000,000 customers with the project's own generator (`tools/sample_data.py`), builds the
warehouse from it, then checks the feature view against its contract several times. Each run is a
fresh process; its peak resident memory is read from the kernel's accounting of that process.
Goal: under 10 s and under 2 GB on 2 cores.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
TOOLS_BIN = Path(sys.executable).parent
CUSTOMERS = 1_000_000
RUNS = 3
# Runs a command and prints the peak resident memory (KiB) of the largest process it waited for.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def index_url() -> str:
    """The package index the project installs from (PIP_INDEX_URL, else pip's default)."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url)


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command; raise with its output when it fails."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def timed_peak(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``args`` in a fresh process; return (seconds, peak memory in MiB)."""
    start = time.perf_counter()
    done = sh([sys.executable, "-c", PEAK, *args], cwd, env)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def run() -> str:
    """Measure and return the report."""
    with tempfile.TemporaryDirectory(prefix="bench-data-") as scratch:
        root = Path(scratch)
        project = root / "project"
        env = {**os.environ, "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"}
        env.pop("CI", None)
        sh(
            [str(TOOLS_BIN / "copier"), "copy", "--quiet", "--defaults", "--vcs-ref", "HEAD",
             "--data", f"package_index_url={index_url()}", str(TEMPLATE), str(project)],
            root,
            env,
        )  # fmt: skip
        sh(["git", "init", "--quiet"], project, env)
        sh(["make", "setup"], project, env)
        python = str(project / ".venv" / "bin" / "python")
        prefix = "MY_ML_PROJECT_"
        env |= {f"{prefix}SAMPLE_DIR": str(root / "big"), f"{prefix}WAREHOUSE_PATH": str(root / "big.duckdb")}

        start = time.perf_counter()
        sh(
            [python, "tools/sample_data.py", "--customers", str(CUSTOMERS), "--out", str(root / "big")],
            project,
            env,
        )
        generate = time.perf_counter() - start
        build, build_peak = timed_peak([python, "-m", "my_ml_project", "data-build"], project, env)
        runs = [
            timed_peak(
                [python, "-m", "my_ml_project", "data-check", "--table", "customer_features"], project, env
            )
            for _ in range(RUNS)
        ]
        rows = sh(
            [python, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True)"
             ".sql('select count(*) from customer_features').fetchall()[0][0])", str(root / "big.duckdb")],
            project,
            env,
        ).stdout.strip()  # fmt: skip

    seconds = [wall for wall, _ in runs]
    peaks = [peak for _, peak in runs]
    return "\n".join(
        [
            f"stage 1 data-check on the feature view ({rows} rows; {RUNS} runs, fresh process each)",
            f"  data-check wall time   median {statistics.median(seconds):6.2f} s   "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f})   goal < 10 s",
            f"  data-check peak memory max    {max(peaks):6.0f} MiB                        goal < 2048 MiB",
            f"  context: sample generation {generate:.1f} s; data-build (raw contracts + load + views) "
            f"{build:.1f} s at {build_peak:.0f} MiB peak",
        ]
    )
