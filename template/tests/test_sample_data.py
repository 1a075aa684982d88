"""Tests for tools/sample_data.py: the shipped sample is exactly what the generator writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """The generator script, imported from its path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "sample_data", PROJECT / "tools" / "sample_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_shipped_sample(generator: ModuleType, tmp_path: Path) -> None:
    # when
    code = generator.main(["--out", str(tmp_path)])

    # then
    assert code == 0
    for name in ("customers.csv", "activity.csv"):
        shipped = (PROJECT / "data" / "sample" / name).read_text()
        assert (tmp_path / name).read_text() == shipped, f"{name} should be regenerated exactly"


def test_generator_scales(generator: ModuleType) -> None:
    # when
    tables = generator.generate(customers=50, seed=1)

    # then
    assert len(tables["customers"]) == 50, "one row per customer"
    assert set(tables["activity"]["customer_id"]) <= set(tables["customers"]["customer_id"])
