"""Stage 2, experiment and model tracking: its gate, the tracker and settings, the model card."""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from mlops_standards.checks.base import Standard, adopted, gate_problem, sections
from mlops_standards.fixtures import read_yaml

TRACKERS = ("mlflow", "mlflow-skinny", "wandb")
TRAINING_CONFIG = "configs/train.yaml"


class TrackingStage(Standard):
    """Stage 2, experiment and model tracking."""

    family: ClassVar[str] = "mlops-stage-2"
    stage: ClassVar[int] = 2


class MLO201(TrackingStage):
    """CI runs the stage 2 gate, `make stage-tracking`."""

    @classmethod
    def check(cls, mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-tracking` job in the CI workflow runs `make stage-tracking`."""
        if not adopted(cls.stage, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-tracking", "stage-tracking")


class MLO202(TrackingStage):
    """Configures experiment tracking: a tracker and the runs' experiment and model."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable, pyproject: dict[str, Any]) -> str | None:
        """The project depends on a tracker and `configs/train.yaml` names the experiment."""
        if not adopted(cls.stage, mlops_stage):
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

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """The model card exists, with its sections (`make model-card` writes the generated)."""
        if not adopted(cls.stage, mlops_stage):
            return None
        path = root.joinpath("docs").joinpath("models").joinpath("model-card.md")
        if not path.is_file():
            return "There is no model card, `docs/models/model-card.md`: run `make model-card`."
        if not sections(path.read_text(encoding="utf-8")):
            return "`docs/models/model-card.md` has no `## ` section."
        return ""
