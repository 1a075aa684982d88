"""Fixtures of the template's tests: rendered projects, and set-up projects shared by the slow layer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import copy_project, git_commit_all, run, tool_env
from tools import docker_engine
from tools.environment import index_url

# Caches shared by every test of a session, and by later sessions: poetry's and pip's downloads.
CACHE_ROOT = Path(os.environ.get("COPIER_MLOPS_TEST_CACHE", Path.home() / ".cache" / "copier-mlops-tests"))


@pytest.fixture(scope="session")
def shared_cache_env() -> dict[str, str]:
    """Environment variables that point poetry and pip at the session's shared caches."""
    return {
        "POETRY_CACHE_DIR": str(CACHE_ROOT / "poetry"),
        "PIP_CACHE_DIR": str(CACHE_ROOT / "pip"),
    }


@pytest.fixture(scope="session")
def project_env(shared_cache_env: dict[str, str]) -> dict[str, str]:
    """The environment in which generated projects are set up and run."""
    return tool_env(shared_cache_env)


SetUpProject = Callable[..., Path]
BaseImage = Callable[[str], str]


@pytest.fixture(scope="session")
def docker_base_image() -> Iterator[BaseImage]:
    """A Docker engine for the session; yields a function that makes `python:X.Y-slim` available.

    The engine is made ready on the function's first call, so a session that builds no image starts
    none. Where no engine answers, dockerd is started then and stopped after the session; where no
    registry is reachable, the base image is built locally (see tools/docker_engine.py).
    """
    started: list[int | None] = []

    def base_image(python_version: str) -> str:
        if not started:
            started.append(docker_engine.start_engine())
        return docker_engine.ensure_base_image(python_version)

    try:
        yield base_image
    finally:
        if started and started[0] is not None:
            docker_engine.stop_engine(started[0])


@pytest.fixture(scope="session")
def set_up_project(
    tmp_path_factory: pytest.TempPathFactory, project_env: dict[str, str], docker_base_image: BaseImage
) -> SetUpProject:
    """Factory: render with the given answers, commit, run `make setup`, commit poetry.lock.

    Projects are cached per answers for the whole session, so tests that only read a set-up project
    share one install. A project at stage 3 or later builds Docker images in `make ci`: the engine
    and its base image are made ready for it, unless ``with_docker=False`` (tests that skip the
    stage gates).
    """
    cache: dict[tuple[tuple[str, Any], ...], Path] = {}

    def factory(*, with_docker: bool = True, **answers: Any) -> Path:
        answers.setdefault("package_index_url", index_url())
        if with_docker and answers.get("stage", 4) >= 3:
            docker_base_image(answers.get("python_version", "3.12"))
        key = tuple(sorted(answers.items()))
        if key not in cache:
            name = "-".join(f"{k}_{v}" for k, v in key if k != "package_index_url") or "defaults"
            root = tmp_path_factory.mktemp(name.replace("/", "_")[:60]) / "project"
            copy_project(root, **answers)
            git_commit_all(root, "Generate from copier-mlops")
            run(["make", "setup"], cwd=root, env=project_env)
            git_commit_all(root, "Lock the dependencies")
            cache[key] = root
        return cache[key]

    return factory


@pytest.fixture(scope="session")
def default_project(set_up_project: SetUpProject) -> Path:
    """A project generated with the default answers, set up and committed."""
    return set_up_project()
