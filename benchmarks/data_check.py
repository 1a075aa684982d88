"""Stage 1: how long `data-check` takes on 1M rows of the feature view, and its peak memory.

Runs on the shared 1M-customer warehouse (benchmarks/project.py), checking the feature view
against its contract several times, each in a fresh process.
Goal: under 10 s and under 2 GB on 2 cores.
"""

from __future__ import annotations

import statistics

from benchmarks.project import BigWarehouse, Project, sh, timed_peak

RUNS = 3


def run(project: Project, big: BigWarehouse) -> str:
    """Measure and return the report."""
    runs = [
        timed_peak(project.cli("data-check", "--table", "customer_features"), project.root, big.env)
        for _ in range(RUNS)
    ]
    count = (
        "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True)"
        ".sql('select count(*) from customer_features').fetchall()[0][0])"
    )
    path = big.env["MY_ML_PROJECT_WAREHOUSE_PATH"]
    rows = sh([project.python, "-c", count, path], project.root, big.env).stdout.strip()
    seconds = [wall for wall, _ in runs]
    peaks = [peak for _, peak in runs]
    return "\n".join(
        [
            f"stage 1 data-check on the feature view ({rows} rows; {RUNS} runs, fresh process each)",
            f"  data-check wall time   median {statistics.median(seconds):6.2f} s   "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f})   goal < 10 s",
            f"  data-check peak memory max    {max(peaks):6.0f} MiB                        goal < 2048 MiB",
            f"  context: sample generation {big.generate_seconds:.1f} s; data-build (raw contracts + load "
            f"+ views) {big.build_seconds:.1f} s at {big.build_peak:.0f} MiB peak",
        ]
    )
