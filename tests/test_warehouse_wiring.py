"""Fast layer: the warehouse wiring of the generated CI, which CI itself cannot run here.

act ignores `services:`, so no run of the generated workflow proves that its PostgreSQL service and
the connection variables agree with each other and with the names the project reads. These tests read
the rendered `ci.yml`, `settings/` and tests, and check them against each other.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers import copy_project

WAREHOUSES = ("duckdb", "postgres", "bigquery", "snowflake")
# The warehouses CI can reach without credentials: the others run the stage gates on DuckDB.
SERVED = {"duckdb", "postgres"}


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory: a project at the last stage (every gate job) with a warehouse, rendered once."""
    projects: dict[str, Path] = {}

    def factory(warehouse: str) -> Path:
        if warehouse not in projects:
            root = tmp_path_factory.mktemp(warehouse) / "project"
            projects[warehouse] = copy_project(root, warehouse=warehouse)
        return projects[warehouse]

    return factory


def settings_names(settings: Path) -> tuple[set[str], set[str]]:
    """Return the fields of the settings package's classes and the values ``WarehouseKind`` accepts."""
    nodes = [
        node
        for module in sorted(settings.glob("*.py"))
        for node in ast.parse(module.read_text(encoding="utf-8")).body
    ]
    fields: set[str] = set()
    kinds: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Settings"):
            fields |= {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "WarehouseKind" for target in node.targets
        ):
            kinds = {
                constant.value
                for constant in ast.walk(node.value)
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str)
            }
    assert fields, f"{settings} should define the settings' classes"
    assert kinds, f"{settings} should define WarehouseKind"
    return fields, kinds


def variables_read_by_tests(tests: Path) -> set[str]:
    """Return the environment variables the tests read by name (``os.environ.get``, ``os.getenv``)."""
    names = set()
    for path in tests.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) in {"os.environ.get", "os.getenv"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return names


def job_env(job: dict[str, Any]) -> dict[str, str]:
    """Return the variables a job sets, at job level and in its steps."""
    env = dict(job.get("env") or {})
    for step in job.get("steps", []):
        env.update(step.get("env") or {})
    return {name: str(value) for name, value in env.items()}


def dsn_problems(job_id: str, name: str, dsn: str, job: dict[str, Any]) -> list[str]:
    """Check a PostgreSQL connection string against the job's postgres service."""
    service = (job.get("services") or {}).get("postgres")
    if service is None:
        return [f"{job_id}: sets {name} but declares no postgres service"]
    env = service.get("env") or {}
    user = env.get("POSTGRES_USER", "postgres")
    expected = {
        "host": ("localhost", "127.0.0.1"),
        "port": tuple(int(port.split(":")[0]) for port in service.get("ports", [])),
        "user": (user,),
        "password": (env.get("POSTGRES_PASSWORD"),),
        "database": (env.get("POSTGRES_DB", user),),
    }
    url = urlsplit(dsn)
    actual = {
        "host": url.hostname,
        "port": url.port or 5432,
        "user": url.username,
        "password": url.password,
        "database": url.path.lstrip("/"),
    }
    return [
        f"{job_id}: {name} has {part} {actual[part]!r}, the service {expected[part]!r}"
        for part in expected
        if actual[part] not in expected[part]
    ]


def wiring_problems(project: Path) -> list[str]:
    """Return what in the project's CI does not match the names its code reads, or its services."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package, warehouse = answers["package_name"], answers["warehouse"]
    prefix = f"{package.upper()}_"
    fields, kinds = settings_names(project / "src" / package / "settings")
    read_by_tests = variables_read_by_tests(project / "tests")
    jobs = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]
    problems = []
    for job_id, job in jobs.items():
        env = job_env(job)
        for name, value in env.items():
            if not name.startswith(prefix):
                continue
            field = name.removeprefix(prefix).lower()
            if field not in fields and name not in read_by_tests:
                problems.append(f"{job_id}: {name} is read by no setting and no test")
            if field == "warehouse" and value not in kinds:
                problems.append(f"{job_id}: {name}={value} is not one of {sorted(kinds)}")
            if name.endswith("POSTGRES_DSN"):
                problems += dsn_problems(job_id, name, value, job)
        runs = {step.get("run", "") for step in job.get("steps", [])}
        # A gate job opens the warehouse that the settings name: the answer, unless the job overrides it.
        gate_warehouse = env.get(f"{prefix}WAREHOUSE", warehouse)
        if any(run.startswith("make stage-") for run in runs):
            if gate_warehouse not in SERVED:
                problems.append(f"{job_id}: runs on {gate_warehouse}, which CI cannot reach")
            if gate_warehouse == "postgres" and f"{prefix}POSTGRES_DSN" not in env:
                problems.append(f"{job_id}: runs on postgres without {prefix}POSTGRES_DSN")
        # Without a server to test against, the PostgreSQL tests skip: the tests job must name one.
        if "make test" in runs and warehouse == "postgres" and f"{prefix}TEST_POSTGRES_DSN" not in env:
            problems.append(f"{job_id}: runs the tests without {prefix}TEST_POSTGRES_DSN")
    return problems


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_ci_wiring_matches_the_settings_and_the_services(
    render: Callable[[str], Path], warehouse: str
) -> None:
    problems = wiring_problems(render(warehouse))
    assert not problems, "the CI workflow's warehouse wiring is wrong:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("warehouse", "typo", "problem"),
    [
        pytest.param(
            "postgres", ("_TEST_POSTGRES_DSN:", "_TEST_POSTGRE_DSN:"), "is read by no setting", id="test-dsn"
        ),
        pytest.param(
            "postgres",
            ("MY_ML_PROJECT_POSTGRES_DSN:", "MY_ML_PROJECT_POSTGRES_DNS:"),
            "DNS is read",
            id="dsn",
        ),
        pytest.param("postgres", ("- 5432:5432", "- 5433:5432"), "port 5432, the service (5433,)", id="port"),
        pytest.param("postgres", ("5432/postgres", "5432/app", 1), "database 'app'", id="database"),
        pytest.param("postgres", ("postgres:postgres@", "postgres:secret@", 1), "password 'secret'", id="pw"),
        pytest.param("postgres", ("    services: *postgres-service\n", "", 1), "no postgres", id="service"),
        pytest.param("bigquery", ("_WAREHOUSE: duckdb", "_WAREHOUSE: duck", 1), "is not one of", id="kind"),
        pytest.param("snowflake", ("_WAREHOUSE: duckdb", "_WAREHOUS: duckdb", 1), "cannot reach", id="gate"),
    ],
)
def test_a_typo_in_the_wiring_is_reported(
    render: Callable[[str], Path], tmp_path: Path, warehouse: str, typo: tuple[Any, ...], problem: str
) -> None:
    # given a copy of the project whose ci.yml has one typo
    project = tmp_path / "project"
    shutil.copytree(render(warehouse), project)
    workflow = project / ".github/workflows/ci.yml"
    old, new, *count = typo
    text = workflow.read_text()
    assert old in text, f"the rendered ci.yml should contain {old!r}"
    workflow.write_text(text.replace(old, new, *count))

    # when
    problems = wiring_problems(project)

    # then
    assert any(problem in found for found in problems), problems
