"""Tests for tools/scorecard.py, the CI stage scorecard."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "scorecard.py"


@pytest.fixture(scope="module")
def scorecard() -> ModuleType:
    """The scorecard script, imported from its path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("scorecard", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_gates_passing_exits_0_and_writes_the_summary(
    scorecard: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given
    summary = tmp_path / "summary.md"
    needs = {"quality": {"result": "success"}, "tests": {"result": "success"}}
    monkeypatch.setenv("NEEDS_JSON", json.dumps(needs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    # when
    code = scorecard.main([])

    # then
    assert code == 0, "every gate passed, so the scorecard should pass"
    text = summary.read_text()
    assert "| `quality` |" in text, "the summary should have a row per gate"
    assert text.count("✅ pass") == 2, "both gates should be marked as passing"


def test_a_failed_gate_fails_the_scorecard(
    scorecard: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    needs = {"quality": {"result": "success"}, "tests": {"result": "failure"}}
    monkeypatch.setenv("NEEDS_JSON", json.dumps(needs))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    # when
    code = scorecard.main([])

    # then
    assert code == 1, "a failed gate should fail the scorecard"
    assert "| `tests` | pytest" in capsys.readouterr().out, "the table should go to stdout"


def test_the_gates_that_did_not_pass_are_named(
    scorecard: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a failed gate, one cancelled and one skipped
    needs = {
        "quality": {"result": "success"},
        "tests": {"result": "failure"},
        "stage-data": {"result": "cancelled"},
        "stage-tracking": {"result": "skipped"},
    }
    monkeypatch.setenv("NEEDS_JSON", json.dumps(needs))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    # when
    code = scorecard.main([])

    # then
    captured = capsys.readouterr()
    assert code == 1, "a gate that did not succeed should fail the scorecard"
    assert "| `tests` | pytest with branch coverage (fail under 90%) | ❌ fail |" in captured.out
    assert "| ⏭ skipped |" in captured.out, "a skipped gate should show as skipped, not passed"
    assert captured.err == (
        "error: 3 of 4 gates did not pass: tests (failure), stage-data (cancelled), "
        "stage-tracking (skipped)\n"
    ), "the error should name each gate that did not pass, in the table's order"


@pytest.mark.parametrize("raw", ["", "not json", '{"quality": "success"}', "{}"])
def test_missing_or_malformed_input_exits_2(
    scorecard: ModuleType, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    # given
    monkeypatch.setenv("NEEDS_JSON", raw)

    # when
    code = scorecard.main([])

    # then
    assert code == 2, f"NEEDS_JSON={raw!r} should be rejected"
