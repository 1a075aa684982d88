"""The standards each stage brings: its CI gate, and what the stage must leave in the repository.

A check of a stage the project has not adopted returns None: repo-review reports it skipped, and the
stage's family says that it is not adopted (families.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from mlops_standards.checks.base import Standard, gate_problem
from mlops_standards.checks.images import image_problems
from mlops_standards.fixtures import read_yaml

# How deep below src/ a package's data contracts may sit (src/<package>/core/data/contracts.py).
CONTRACTS_DEPTH = 4
TRACKERS = ("mlflow", "mlflow-skinny", "wandb")
TRAINING_CONFIG = "configs/train.yaml"


class DataStage(Standard):
    """Stage 1, data in order."""

    family: ClassVar[str] = "mlops-stage-1"
    stage: ClassVar[int] = 1


class TrackingStage(Standard):
    """Stage 2, experiment and model tracking."""

    family: ClassVar[str] = "mlops-stage-2"
    stage: ClassVar[int] = 2


class ServingStage(Standard):
    """Stage 3, standardized production."""

    family: ClassVar[str] = "mlops-stage-3"
    stage: ClassVar[int] = 3


class MonitoringStage(Standard):
    """Stage 4, monitoring."""

    family: ClassVar[str] = "mlops-stage-4"
    stage: ClassVar[int] = 4


def adopted(stage: int, mlops_stage: int) -> bool:
    """Return whether the project has adopted ``stage``."""
    return mlops_stage >= stage


class MLO101(DataStage):
    """CI runs the stage 1 gate, `make stage-data`."""

    @staticmethod
    def check(mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-data` job in the CI workflow runs `make stage-data`."""
        return (
            gate_problem(mlops_workflows, "stage-data", "stage-data")
            if adopted(1, mlops_stage)
            else None
        )


class MLO102(DataStage):
    """Declares a data contract (pandera) for its tables and views."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """A `contracts.py` module under `src/` declares the tables' contracts with pandera."""
        if not adopted(1, mlops_stage):
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


def sections(text: str) -> dict[str, str]:
    """Return a Markdown page's `## ` sections: title to body, stripped."""
    parts = re.split(r"^## +(.+)$", text, flags=re.MULTILINE)
    return {
        title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2], strict=True)
    }


class MLO103(DataStage):
    """Documents its data in a datasheet, `docs/data/datasheet.md`."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """The datasheet exists and answers each of its sections (Datasheets for Datasets)."""
        if not adopted(1, mlops_stage):
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

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """The data dictionary, generated from the contracts by `make data-docs`, is in the docs."""
        if not adopted(1, mlops_stage):
            return None
        path = root.joinpath("docs").joinpath("data").joinpath("dictionary.md")
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            return "There is no data dictionary, `docs/data/dictionary.md`: run `make data-docs`."
        return ""


class MLO201(TrackingStage):
    """CI runs the stage 2 gate, `make stage-tracking`."""

    @staticmethod
    def check(mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-tracking` job in the CI workflow runs `make stage-tracking`."""
        if not adopted(2, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-tracking", "stage-tracking")


class MLO202(TrackingStage):
    """Configures experiment tracking: a tracker and the runs' experiment and model."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable, pyproject: dict[str, Any]) -> str | None:
        """The project depends on a tracker and `configs/train.yaml` names the experiment."""
        if not adopted(2, mlops_stage):
            return None
        if not any(tracker in dependency_names(pyproject) for tracker in TRACKERS):
            return (
                "`pyproject.toml` depends on no experiment tracker (`mlflow-skinny`, `mlflow` or"
                " `wandb`)."
            )
        config = read_yaml(root.joinpath("configs").joinpath("train.yaml"))
        if not isinstance(config, dict):
            return f"There is no `{TRAINING_CONFIG}` naming the runs' experiment."
        missing = [key for key in ("experiment", "model_name") if not config.get(key)]
        if missing:
            return f"`{TRAINING_CONFIG}` does not name the {' and the '.join(missing)}."
        return ""


def dependency_names(pyproject: dict[str, Any]) -> set[str]:
    """Return the names of every dependency `pyproject.toml` declares: main, extras, groups."""
    project = pyproject.get("project", {})
    specs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    names = {
        re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower()
        for spec in specs
        if isinstance(spec, str)
    }
    poetry = pyproject.get("tool", {}).get("poetry", {})
    names |= {name.lower() for name in poetry.get("dependencies", {})}
    for group in poetry.get("group", {}).values():
        names |= {name.lower() for name in group.get("dependencies", {})}
    return names


class MLO203(TrackingStage):
    """Describes its model in a model card, `docs/models/model-card.md`."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """The model card exists, with its sections (`make model-card` writes the generated)."""
        if not adopted(2, mlops_stage):
            return None
        path = root.joinpath("docs").joinpath("models").joinpath("model-card.md")
        if not path.is_file():
            return "There is no model card, `docs/models/model-card.md`: run `make model-card`."
        if not sections(path.read_text(encoding="utf-8")):
            return "`docs/models/model-card.md` has no `## ` section."
        return ""


class MLO301(ServingStage):
    """CI runs the stage 3 gate, `make stage-serving`."""

    @staticmethod
    def check(mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-serving` job in the CI workflow runs `make stage-serving`."""
        if not adopted(3, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-serving", "stage-serving")


class MLO302(ServingStage):
    """Builds its images with a health check, run as a user without privileges."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """Each `Dockerfile` image that runs a service has a `HEALTHCHECK` and a non-root `USER`."""
        if not adopted(3, mlops_stage):
            return None
        path = root.joinpath("Dockerfile")
        if not path.is_file():
            return (
                "There is no `Dockerfile`: the model is served from one image, built and tested in"
                " CI."
            )
        problems = image_problems(path.read_text(encoding="utf-8"))
        return "; ".join(problems) + "." if problems else ""


class MLO401(MonitoringStage):
    """CI runs the stage 4 gate, `make stage-monitoring`."""

    @staticmethod
    def check(mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-monitoring` job in the CI workflow runs `make stage-monitoring`."""
        if not adopted(4, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-monitoring", "stage-monitoring")


def rule_files(root: Traversable) -> dict[str, Any]:
    """Return the YAML files of `monitoring/rules/`, parsed, by path."""
    folder = root.joinpath("monitoring").joinpath("rules")
    if not folder.is_dir():
        return {}
    return {
        f"monitoring/rules/{path.name}": read_yaml(path)
        for path in sorted(folder.iterdir(), key=lambda path: path.name)
        if path.is_file() and path.name.endswith((".yml", ".yaml"))
    }


def alerts_in(document: Any) -> list[str]:
    """Return the alerts a Prometheus rules file defines (each rule with `alert:` and `expr:`)."""
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
        return []
    return [
        str(rule["alert"])
        for group in document["groups"]
        if isinstance(group, dict) and isinstance(group.get("rules"), list)
        for rule in group["rules"]
        if isinstance(rule, dict) and rule.get("alert") and rule.get("expr")
    ]


class MLO402(MonitoringStage):
    """Alerts on its model with Prometheus rules, `monitoring/rules/`."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """A rules file in `monitoring/rules/` defines alerts (`groups:` of rules with `alert:`)."""
        if not adopted(4, mlops_stage):
            return None
        if not any(alerts_in(document) for document in rule_files(root).values()):
            return (
                "No Prometheus rules file in `monitoring/rules/` defines an alert (`groups:`,"
                " `alert:`)."
            )
        return ""


class MLO403(MonitoringStage):
    """Tests its alert rules with promtool."""

    @staticmethod
    def check(mlops_stage: int, root: Traversable) -> str | None:
        """A promtool test file in `monitoring/rules/` (`rule_files:`, `tests:`) tests the rules."""
        if not adopted(4, mlops_stage):
            return None
        files = rule_files(root)
        tests = [
            document
            for document in files.values()
            if isinstance(document, dict) and document.get("rule_files") and document.get("tests")
        ]
        if not tests:
            return (
                "No promtool test file in `monitoring/rules/` (`rule_files:` and `tests:`) shows"
                " that each alert fires when it should and stays silent otherwise"
                " (`promtool test rules`)."
            )
        return ""
