"""`make bench`: run every benchmark and print its figures.

`python -m benchmarks monitoring` runs only stage 4's, on a project set up as the others leave it
(rendered, a champion on the sample, a model trained on the 1M-customer warehouse).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import data_check, monitoring, render, serving, train
from benchmarks.project import big_warehouse, new_project


def main(only: str | None = None) -> int:
    """Print each benchmark's report as soon as it is measured."""
    if only not in (None, "monitoring"):
        sys.stderr.write(f"unknown benchmark {only!r}: run all, or only `monitoring`\n")
        return 2
    if only is None:
        sys.stdout.write(render.run() + "\n\n")
        sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        scratch = Path(folder)
        project = new_project(scratch)
        big = big_warehouse(project, scratch)
        if only is None:
            sys.stdout.write(data_check.run(project, big) + "\n\n")
            sys.stdout.flush()
            sys.stdout.write(train.run(project, big, scratch) + "\n\n")
            sys.stdout.flush()
            sys.stdout.write(serving.run(project, big, scratch) + "\n\n")
            sys.stdout.flush()
        else:
            train.to_champion(project)
            train.train_big(project, big, scratch)
        sys.stdout.write(monitoring.run(project, big, scratch) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
