"""What every check shares: its family, its link, and the reading of the CI workflow's gates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from mlops_standards.links import check_url

# The workflow that runs the gates, as the template writes it.
CI_WORKFLOW = ".github/workflows/ci.yml"


class Standard:
    """A standard of the template: a repo-review check, named by its code (MLO001...).

    Each family sets ``stage`` (0 for the standards of every project); its checks return None
    (repo-review's "skipped") when the project has not adopted that stage. The link to the section
    of docs/standards.md that explains the standard comes from the code.
    """

    family: ClassVar[str]
    stage: ClassVar[int] = 0
    url: ClassVar[str] = ""
    requires: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give each check the link to its section of the standards page."""
        super().__init_subclass__(**kwargs)
        cls.url = check_url(cls.__name__)


def ci_workflow(workflows: dict[str, Any]) -> dict[str, Any] | None:
    """Return the CI workflow (ci.yml, or ci.yaml), parsed; None when there is none."""
    for path in (CI_WORKFLOW, CI_WORKFLOW.removesuffix(".yml") + ".yaml"):
        workflow = workflows.get(path)
        if isinstance(workflow, dict):
            return workflow
    return None


def jobs_of(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return a workflow's jobs by id, leaving out any entry that is not a job."""
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict):
        return {}
    return {str(name): job for name, job in jobs.items() if isinstance(job, dict)}


def run_commands(job: dict[str, Any]) -> Iterator[str]:
    """Yield the command of each `run:` step of a job."""
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and isinstance(step.get("run"), str):
            yield step["run"].strip()


def gate_problem(workflows: dict[str, Any], job_id: str, target: str) -> str:
    """Return what keeps CI from running a stage's gate; empty when its job runs `make TARGET`."""
    workflow = ci_workflow(workflows)
    if workflow is None:
        return f"There is no CI workflow (`{CI_WORKFLOW}`) to run the `{job_id}` gate."
    job = jobs_of(workflow).get(job_id)
    if job is None:
        return f"`{CI_WORKFLOW}` has no `{job_id}` job: the stage's gate does not run in CI."
    if f"make {target}" not in run_commands(job):
        return f"The `{job_id}` job of `{CI_WORKFLOW}` does not run `make {target}`."
    return ""


def adopted(stage: int, mlops_stage: int) -> bool:
    """Return whether the project has adopted ``stage``."""
    return mlops_stage >= stage


def sections(text: str) -> dict[str, str]:
    """Return a Markdown page's `## ` sections: title to body, stripped."""
    parts = re.split(r"^## +(.+)$", text, flags=re.MULTILINE)
    return {
        title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2], strict=True)
    }
