"""`make bench`: run every benchmark and print its figures."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import data_check, render, serving, train
from benchmarks.project import big_warehouse, new_project


def main() -> int:
    """Print each benchmark's report as soon as it is measured."""
    sys.stdout.write(render.run() + "\n\n")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        scratch = Path(folder)
        project = new_project(scratch)
        big = big_warehouse(project, scratch)
        sys.stdout.write(data_check.run(project, big) + "\n\n")
        sys.stdout.flush()
        sys.stdout.write(train.run(project, big, scratch) + "\n\n")
        sys.stdout.flush()
        sys.stdout.write(serving.run(project, big, scratch) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
