"""`make bench`: run every benchmark and print its figures."""

from __future__ import annotations

import sys

from benchmarks import data_check, render


def main() -> int:
    """Print each benchmark's report."""
    sys.stdout.write(render.run() + "\n\n")
    sys.stdout.flush()
    sys.stdout.write(data_check.run() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
