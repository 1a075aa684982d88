"""Stage 3, standardized production: its gate, and images with a health check and a user."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from mlops_standards.checks.base import Standard, adopted, gate_problem
from mlops_standards.checks.images import image_problems


class ServingStage(Standard):
    """Stage 3, standardized production."""

    family: ClassVar[str] = "mlops-stage-3"
    stage: ClassVar[int] = 3


class MLO301(ServingStage):
    """CI runs the stage 3 gate, `make stage-serving`."""

    @classmethod
    def check(cls, mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-serving` job in the CI workflow runs `make stage-serving`."""
        if not adopted(cls.stage, mlops_stage):
            return None
        return gate_problem(mlops_workflows, "stage-serving", "stage-serving")


class MLO302(ServingStage):
    """Builds its images with a health check, run as a user without privileges."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """Each `Dockerfile` image that runs a service has a `HEALTHCHECK` and a non-root `USER`."""
        if not adopted(cls.stage, mlops_stage):
            return None
        path = root.joinpath("Dockerfile")
        if not path.is_file():
            return (
                "There is no `Dockerfile`: the model is served from one image, built and tested in"
                " CI."
            )
        problems = image_problems(path.read_text(encoding="utf-8"))
        return "; ".join(problems) + "." if problems else ""
