"""A Dockerfile: which images run a service; whether each has a health check and a user."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROOT_USERS = {"root", "0"}
# `FROM image AS name`: three words at least (a `--platform=...` may come first).
FROM_AS_WORDS = 3


@dataclass
class BuildStage:
    """What a Dockerfile's build stage sets: its own, over what the stage it starts from set."""

    name: str
    user: str = ""
    healthcheck: bool = False
    runs_service: bool = False
    instructions: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """Return a Dockerfile's instructions, `(KEYWORD, arguments)`, continuation lines joined."""
    joined = re.sub(r"\\\s*\n", " ", text)
    found = []
    for line in joined.splitlines():
        instruction = line.strip()
        if instruction and not instruction.startswith("#"):
            keyword, _, arguments = instruction.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def build_stages(text: str) -> list[BuildStage]:
    """Return the build stages of a Dockerfile, each with what the stage it starts from set."""
    stages: list[BuildStage] = []
    by_name: dict[str, BuildStage] = {}
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            words = arguments.split()
            base = next((word for word in words if not word.startswith("--")), "")
            named = len(words) >= FROM_AS_WORDS and words[-2].upper() == "AS"
            name = words[-1] if named else f"#{len(stages)}"
            parent = by_name.get(base.lower())
            stage = BuildStage(name)
            if parent is not None:
                stage.user, stage.healthcheck = parent.user, parent.healthcheck
                stage.runs_service = parent.runs_service
            stages.append(stage)
            by_name[name.lower()] = stage
        elif stages:
            stage = stages[-1]
            if keyword == "USER":
                stage.user = arguments.split(":")[0]
            elif keyword == "HEALTHCHECK":
                stage.healthcheck = arguments.split()[0].upper() != "NONE" if arguments else False
            elif keyword in {"CMD", "ENTRYPOINT"}:
                stage.runs_service = True
    return stages


def image_problems(text: str) -> list[str]:
    """Return what each service image of a Dockerfile lacks: a health check, a non-root user.

    A service image is a build stage that sets CMD or ENTRYPOINT; where none does, the last stage.
    """
    stages = build_stages(text)
    if not stages:
        return ["the `Dockerfile` has no `FROM`"]
    services = [stage for stage in stages if stage.runs_service] or stages[-1:]
    problems = []
    for stage in services:
        if not stage.healthcheck:
            problems.append(f"the `{stage.name}` image has no `HEALTHCHECK`")
        if not stage.user or stage.user.lower() in ROOT_USERS:
            problems.append(f"the `{stage.name}` image runs as root (no `USER` with another user)")
    return problems
