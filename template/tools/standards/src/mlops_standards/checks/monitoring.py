"""Stage 4, monitoring: its gate, the Prometheus alert rules and their promtool tests."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from mlops_standards.checks.base import Standard, adopted, gate_problem
from mlops_standards.fixtures import read_yaml


class MonitoringStage(Standard):
    """Stage 4, monitoring."""

    family: ClassVar[str] = "mlops-stage-4"
    stage: ClassVar[int] = 4


class MLO401(MonitoringStage):
    """CI runs the stage 4 gate, `make stage-monitoring`."""

    @classmethod
    def check(cls, mlops_stage: int, mlops_workflows: dict[str, Any]) -> str | None:
        """A `stage-monitoring` job in the CI workflow runs `make stage-monitoring`."""
        if not adopted(cls.stage, mlops_stage):
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

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """A rules file in `monitoring/rules/` defines alerts (`groups:` of rules with `alert:`)."""
        if not adopted(cls.stage, mlops_stage):
            return None
        if not any(alerts_in(document) for document in rule_files(root).values()):
            return (
                "No Prometheus rules file in `monitoring/rules/` defines an alert (`groups:`,"
                " `alert:`)."
            )
        return ""


class MLO403(MonitoringStage):
    """Tests its alert rules with promtool."""

    @classmethod
    def check(cls, mlops_stage: int, root: Traversable) -> str | None:
        """A promtool test file in `monitoring/rules/` (`rule_files:`, `tests:`) tests the rules."""
        if not adopted(cls.stage, mlops_stage):
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
