"""Stage 2: `make train` on the sample and on 1M rows, and the time from `copier copy` to a champion.

From copy to champion is what a new user waits for on a warm cache (poetry's and pip's): render,
`make setup`, `make data`, `make train`, `make promote`, each timed. Then `make train` runs again on
the sample (fresh process each, a new version each), and once on the 1M-customer warehouse with its
own tracking store, with its peak memory.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks.project import BigWarehouse, Project, timed, timed_peak

RUNS = 3


def to_champion(project: Project) -> dict[str, float]:
    """Build the sample, train and promote; return the time of each make target."""
    targets = ("data", "train", "promote")
    return {target: timed(["make", target], project.root, project.env) for target in targets}


def train_big(project: Project, big: BigWarehouse, scratch: Path) -> tuple[float, float]:
    """Train on the 1M-customer warehouse, with its own tracking store; return (seconds, peak MiB)."""
    env = big.env | {"MY_ML_PROJECT_MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'big-mlruns' / 'mlflow.db'}"}
    return timed_peak(project.cli("train"), project.root, env)


def run(project: Project, big: BigWarehouse, scratch: Path) -> str:
    """Measure and return the report."""
    steps = project.steps | to_champion(project)
    sample = [timed(["make", "train"], project.root, project.env) for _ in range(RUNS)]
    big_seconds, big_peak = train_big(project, big, scratch)
    breakdown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
    return "\n".join(
        [
            "stage 2 training (default answers; warm poetry and pip caches)",
            f"  copier copy to registered champion   {sum(steps.values()):6.1f} s   ({breakdown})",
            f"  make train on the sample (1,500 customers; {RUNS} runs)   "
            f"median {statistics.median(sample):5.1f} s   (min {min(sample):.1f}, max {max(sample):.1f})",
            f"  make train on 1,000,000 customers   {big_seconds:6.1f} s at {big_peak:.0f} MiB peak",
            "  each run includes ~10 s of interpreter start and imports (mlflow, scikit-learn) here",
        ]
    )
