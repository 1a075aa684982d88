"""Write the stage scorecard of a CI run: each gate job, what it checks, and its result.

The scorecard job of ``.github/workflows/ci.yml`` runs this with the results of the jobs it needs
in ``NEEDS_JSON`` (``${{ toJSON(needs) }}``). The table goes to the run summary
(``GITHUB_STEP_SUMMARY``), and to stdout. The exit status is 1 when any gate did not succeed
(failed, cancelled or skipped), with a line on stderr naming those gates, so the scorecard is red
whenever one of its rows is.

Stdlib only, on purpose: the scorecard needs no project environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# What each gate job checks, in the order the scorecard lists them. A stage adds its row here when
# it adds its job to ci.yml.
GATES: dict[str, str] = {
    "quality": (
        "ruff lint and format, mypy, import contracts and the architecture page, YAML/TOML/JSON "
        "validity, whitespace, merge markers, secrets, docs build"
    ),
    "tests": "pytest with branch coverage (fail under 90%)",
    "standards": (
        "the standards review (repo-review with tools/standards): Python and lock, pinned and "
        "least-privilege workflows, the gates, and each adopted stage's files (docs/standards.md)"
    ),
    "stage-data": (
        "SQL lint, SQL schema check, warehouse build, contract checks on every table and view, "
        "datasheet, data dictionary freshness"
    ),
    "stage-tracking": (
        "environment matches .python-version and poetry.lock, training, promotion rule, "
        "identical results from two trainings, the champion's run records, model card freshness"
    ),
    "stage-serving": (
        "batch predictions from the champion on the sample (every row predicted or quarantined, "
        "published atomically); the runtime image built with the champion baked in, run, ready, "
        "predicting and counting it in /metrics"
    ),
    "stage-monitoring": (
        "the monitor on a shipped window that must not drift (report written, no alert); "
        "promtool: the Prometheus config, the alert rules and their unit tests, the dashboard's "
        "queries"
    ),
}

ICONS = {
    "success": "✅ pass",
    "failure": "❌ fail",
    "cancelled": "⏹ cancelled",
    "skipped": "⏭ skipped",
}


def ordered(results: dict[str, str]) -> list[str]:
    """Return the names in ``results`` in the scorecard's order: known gates, then the others."""
    return [name for name in GATES if name in results] + sorted(set(results) - set(GATES))


def render(results: dict[str, str]) -> str:
    """Return the scorecard as a Markdown table, known gates first, then any other job."""
    names = ordered(results)
    lines = ["## Stage scorecard", "", "| gate | checks | result |", "| --- | --- | --- |"]
    lines += [
        f"| `{name}` | {GATES.get(name, '')} | {ICONS.get(results[name], results[name])} |"
        for name in names
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Read the job results, write the scorecard, and return 1 when any gate did not succeed.

    Returns 2, writing nothing, when ``NEEDS_JSON`` is missing, malformed or lists no job: a
    scorecard with no gates would pass without checking anything.
    """
    del argv  # no options: everything comes from the environment GitHub Actions sets
    raw = os.environ.get("NEEDS_JSON")
    if not raw:
        sys.stderr.write("error: NEEDS_JSON is not set (the CI scorecard job sets it).\n")
        return 2
    try:
        needs = json.loads(raw)
        results = {name: str(job["result"]) for name, job in needs.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        sys.stderr.write(f"error: NEEDS_JSON is not a needs context ({error}): {raw[:200]!r}\n")
        return 2
    if not results:
        sys.stderr.write(
            "error: NEEDS_JSON lists no jobs: the scorecard job should need every gate job "
            "(`needs:` in .github/workflows/ci.yml).\n"
        )
        return 2
    table = render(results)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(table)
    sys.stdout.write(table)
    not_passed = [name for name in ordered(results) if results[name] != "success"]
    if not_passed:
        named = ", ".join(f"{name} ({results[name]})" for name in not_passed)
        sys.stderr.write(
            f"error: {len(not_passed)} of {len(results)} gates did not pass: {named}\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
