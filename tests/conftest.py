"""Fixtures of the template's tests: rendered projects, and set-up projects shared by the slow layer."""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TEMPLATE, copy_project, git_commit_all, run, tool_env
from tools import docker_engine
from tools.environment import TOOLS_BIN, index_url

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
def docker_base_image(shared_cache_env: dict[str, str], project_env: dict[str, str]) -> Iterator[BaseImage]:
    """A Docker engine for the session; yields a function that makes `python:X.Y-slim` available.

    The engine is made ready on the function's first call, so a session that builds no image starts
    none. Where no engine answers, dockerd is started then and stopped after the session; where no
    registry is reachable, the base image is built locally (see tools/docker_engine.py), and the
    session's environments name it in DOCKER_BASE_IMAGE, in place of the Dockerfile's pinned digest.
    That variable names one image, so one session builds images of one Python version only.
    """
    started: list[int | None] = []

    def base_image(python_version: str) -> str:
        if not started:
            started.append(docker_engine.start_engine())
        override = docker_engine.base_image_override(python_version)
        current = project_env.get("DOCKER_BASE_IMAGE", override)
        if current != override:
            raise AssertionError(
                f"DOCKER_BASE_IMAGE is {current!r} for this session's images, and Python {python_version}'s "
                f"would be {override!r}: build one Python version's images per session"
            )
        if override:
            for env in (shared_cache_env, project_env):
                env["DOCKER_BASE_IMAGE"] = override
        return override

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


@dataclass(frozen=True)
class Demo:
    """What `make demo` left: the project, its output, and whether an engine answered before and after."""

    project: Path
    result: subprocess.CompletedProcess[str]
    engine_before: bool
    engine_after: bool


def user_env(project_env: dict[str, str]) -> dict[str, str]:
    """The environment of a user's shell: the project's, without the template's tooling on PATH."""
    path = [entry for entry in project_env["PATH"].split(os.pathsep) if Path(entry) != TOOLS_BIN]
    return {**project_env, "PATH": os.pathsep.join(path)}


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, project_env: dict[str, str]) -> Demo:
    """`make demo`, the README's first command, run once for the session, from a user's shell.

    It runs before anything else of the session starts a Docker engine (see
    pytest_collection_modifyitems), so on a machine where none runs, it starts one and must stop it.
    Its project is the session's default project: generated with the default answers on Python
    3.12, set up, committed, and through `make ci`.
    """
    project = tmp_path_factory.mktemp("demo") / "my-ml-project"
    engine_before = docker_engine.engine_answers()
    command = ["make", "demo", f"DEMO_DIR={project}", "DEMO_PYTHON=3.12"]
    result = run(command, cwd=TEMPLATE, env=user_env(project_env), check=False, timeout=3600)
    return Demo(project, result, engine_before, docker_engine.engine_answers())


@pytest.fixture(scope="session")
def default_project(demo: Demo, docker_base_image: BaseImage) -> Path:
    """The project `make demo` generated with the default answers, set up, committed, after `make ci`.

    The Docker engine is (re)started for the tests that use it, after the demo stopped its own.
    """
    assert demo.result.returncode == 0, (
        f"make demo failed:\n{demo.result.stdout[-15000:]}\n{demo.result.stderr[-15000:]}"
    )
    docker_base_image("3.12")
    return demo.project


# The fixtures of tests that use the Docker engine: the session's default project is `make demo`'s,
# which starts and stops an engine. (Every set_up_project test has docker_base_image among its
# fixtures, but only those of stage 3 and later projects that run their gates use it: those are
# marked.)
ENGINE_FIXTURES = frozenset({"demo", "default_project"})
ENGINE = "engine"


def xdist_groups(folder: Path) -> dict[str, str]:
    """Return the xdist group of each test function of ``folder`` that has one, by its node id.

    Read from the source: an ``xdist_group`` mark on the function or in the module's
    ``pytestmark``, else the engine's group for a function that takes an engine's fixture. The
    scheduler runs where nothing is collected, so it reads the groups here; each worker checks
    them against the tests it collects (see pytest_collection_modifyitems).
    """
    groups: dict[str, str] = {}
    for path in sorted(folder.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_group = next(
            (
                group
                for node in tree.body
                if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets)
                for group in _marked_groups(node.value)
            ),
            None,
        )
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            marked = [group for decorator in node.decorator_list for group in _marked_groups(decorator)]
            arguments = {argument.arg for argument in node.args.args}
            group = next(iter(marked), None) or module_group
            if group is None and ENGINE_FIXTURES & arguments:
                group = ENGINE
            if group is not None:
                groups[f"{folder.name}/{path.name}::{node.name}"] = group
    return groups


def _marked_groups(node: ast.expr) -> list[str]:
    """Return the names of the ``pytest.mark.xdist_group("name")`` calls in ``node``."""
    calls = node.elts if isinstance(node, ast.List) else [node]
    return [
        call.args[0].value
        for call in calls
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "xdist_group"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `--dist loadgroup`, schedule by the groups the tests' source names (xdist_groups).

    pytest-xdist's own loadgroup renames each grouped test's node id, which pytest 9 no longer
    lets a plugin do: its groups are lost, and the tests of one engine would run on two workers.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    groups = xdist_groups(Path(str(config.rootpath)) / "tests")

    class GroupScheduling(LoadScopeScheduling):
        """Whole groups to one worker each, in the order of the collection; other tests alone."""

        def _split_scope(self, nodeid: str) -> str:
            return groups.get(nodeid.split("[")[0], nodeid)

    return GroupScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests of `make demo` first, and keep the tests of one engine on one worker.

    The slow layer runs on two pytest-xdist workers (`--dist loadgroup`; see the Makefile), and
    schedules them by group (pytest_xdist_make_scheduler). Each worker has its own session
    fixtures: the tests that use the Docker engine (the demo, which must meet the machine with no
    engine running, then the tests of its project, and any that builds images, marked
    ``xdist_group("engine")`` where no fixture says so) form one group, on one worker, so that no
    other worker starts or stops an engine under them. The other tests spread over the workers;
    those that share a set-up project share a group, so it is set up once. A test that takes an
    engine's fixture through another fixture is refused until it is marked.

    Groups go to the workers in this order (`--no-loadscope-reorder`), and each worker starts with
    two: the engine's group, the longest, goes first, and the tests that set up no project of
    their own come next, so that the engine's worker takes a short one with it.
    """

    def engine(item: pytest.Item) -> bool:
        return bool(ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())))

    groups = xdist_groups(TEMPLATE / "tests")
    for item in items:
        if engine(item) and groups.get(item.nodeid.split("[")[0]) != ENGINE:
            raise pytest.UsageError(
                f"{item.nodeid} uses the Docker engine's tests' project: take `default_project` as "
                f'an argument, or mark it @pytest.mark.xdist_group("{ENGINE}")'
            )

    def sets_up_a_project(item: pytest.Item) -> bool:
        names = getattr(item, "fixturenames", ())
        return "set_up_project" in names or item.nodeid.split("[")[0] in groups

    items.sort(
        key=lambda item: (
            "demo" not in getattr(item, "fixturenames", ()),
            not engine(item),
            sets_up_a_project(item),
        )
    )
