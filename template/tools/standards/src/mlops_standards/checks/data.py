"""Stage 1, data in order: its gate, the data contracts, the datasheet and the dictionary."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from mlops_standards.checks.base import Standard, adopted, gate_problem, sections

# How deep below src/ a package's data contracts may sit (src/<package>/core/data/contracts.py).
CONTRACTS_DEPTH = 4


class DataStage(Standard):
    """Stage 1, data in order."""

    family: ClassVar[str] = "mlops-stage-1"
    stage: ClassVar[int] = 1


class MLO101(DataStage):
    """CI runs the stage 1 gate, `make stage-data`."""

    @classmethod
    def check(cls, mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-data` job in the CI workflow runs `make stage-data`."""
        if not adopted(cls.stage, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-data", "stage-data")


class MLO102(DataStage):
    """Declares a data contract (pandera) for its tables and views."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """A `contracts.py` module under `src/` declares the tables' contracts with pandera."""
        if not adopted(cls.stage, mlops_stage):
            return None
        found = list(contract_modules(root.joinpath("src"), CONTRACTS_DEPTH))
        if not found:
            return (
                "No `src/<package>/core/data/contracts.py` declares the data contracts: one"
                " pandera model per table and view, which the warehouse checks, the docs and the"
                " model all read."
            )
        if not any("pandera" in path.read_text(encoding="utf-8") for path in found):
            return "`contracts.py` does not declare its contracts with pandera."
        return ""


def contract_modules(folder: Traversable, depth: int) -> Iterator[Traversable]:
    """Yield the `contracts.py` files below ``folder``, at most ``depth`` folders down."""
    if depth < 0 or not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.name == "contracts.py":
            yield path
        elif path.is_dir() and not path.name.startswith((".", "__")):
            yield from contract_modules(path, depth - 1)


class MLO103(DataStage):
    """Documents its data in a datasheet, `docs/data/datasheet.md`."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """The datasheet exists and answers each of its sections (Datasheets for Datasets)."""
        if not adopted(cls.stage, mlops_stage):
            return None
        path = root.joinpath("docs").joinpath("data").joinpath("datasheet.md")
        if not path.is_file():
            return (
                "There is no datasheet, `docs/data/datasheet.md`: what the data is, where it"
                " comes from."
            )
        found = sections(path.read_text(encoding="utf-8"))
        if not found:
            return "`docs/data/datasheet.md` has no `## ` section to answer."
        empty = [title for title, body in found.items() if not body]
        if empty:
            return f"`docs/data/datasheet.md` leaves sections empty: {', '.join(empty)}."
        return ""


class MLO104(DataStage):
    """Has a data dictionary, `docs/data/dictionary.md`."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """The data dictionary, generated from the contracts by `make data-docs`, is in the docs."""
        if not adopted(cls.stage, mlops_stage):
            return None
        path = root.joinpath("docs").joinpath("data").joinpath("dictionary.md")
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            return "There is no data dictionary, `docs/data/dictionary.md`: run `make data-docs`."
        return ""
