"""Tests of the package's map: the import contracts that `make lint` checks, and its page.

The contracts are run on a copy of the package with lint-imports, as the pre-commit hook runs them:
a module that imports a floor above its own fails them, naming the contract.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
IMPORTLINTER: dict[str, Any] = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))[
    "tool"
]["importlinter"]
PACKAGE: str = IMPORTLINTER["root_package"]
FLOORS = next(contract for contract in IMPORTLINTER["contracts"] if contract["id"] == "floors")


@pytest.fixture(scope="module")
def architecture() -> ModuleType:
    """tools/architecture.py, imported from its path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("architecture", PROJECT / "tools/architecture.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the package and pyproject.toml, to change."""
    copy = tmp_path / "project"
    shutil.copytree(
        PROJECT / "src" / PACKAGE,
        copy / "src" / PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(PROJECT / "pyproject.toml", copy)
    return copy


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the copy in ``project``: its package comes first on the path."""
    command = Path(sys.executable).parent / "lint-imports"
    environment = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(  # noqa: S603  (the environment's lint-imports, fixed arguments)
        [str(command), "--no-cache", "--no-logo"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_keeps_every_import_contract(project: Path) -> None:
    # when
    result = lint_imports(project)

    # then
    assert result.returncode == 0, f"every contract should be kept:\n{result.stdout}"


def test_a_module_that_imports_a_floor_above_fails_the_contracts(project: Path) -> None:
    # given a module of core/, the lowest floor, that imports a job
    upward = project / "src" / PACKAGE / "core" / "upward.py"
    upward.write_text(
        f'"""Reaches up to the jobs."""\n\nfrom {PACKAGE}.jobs import build_data  # noqa: F401\n',
        encoding="utf-8",
    )

    # when
    result = lint_imports(project)

    # then
    assert result.returncode == 1, f"the upward import should fail the lint:\n{result.stdout}"
    assert f"{FLOORS['name']} BROKEN" in result.stdout, "the floors' contract should be named"
    assert f"{PACKAGE}.core.upward -> {PACKAGE}.jobs.build_data" in result.stdout, (
        "the report should name the import"
    )


def test_a_module_outside_the_floors_fails_the_contracts(project: Path) -> None:
    # given a new module at the package's top, on no floor
    (project / "src" / PACKAGE / "helpers.py").write_text('"""Helpers."""\n', encoding="utf-8")

    # when
    result = lint_imports(project)

    # then
    assert result.returncode == 1, "the floors are exhaustive: a new module should take a floor"
    assert f"{PACKAGE}.helpers" in result.stdout, "the report should name the module"


def test_a_module_the_team_adds_is_listed_on_the_page(
    architecture: ModuleType, project: Path
) -> None:
    # given a module the team adds to io/
    (project / "src" / PACKAGE / "io" / "lake.py").write_text(
        '"""The data lake: files read from object storage.\n\nMore details.\n"""\n',
        encoding="utf-8",
    )

    # when
    code = architecture.main(["--project", str(project)])

    # then
    assert code == 0
    page = (project / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "| `io/lake.py` | — | The data lake: files read from object storage. |" in page, (
        "the team's module should be listed with no stage and its docstring's first line"
    )


def test_every_module_of_the_template_has_its_stage(architecture: ModuleType) -> None:
    # when
    page = architecture.render(PROJECT)

    # then each of the template's modules has a stage; only the team's own may have none ("—")
    rows = [line.split(" | ")[:2] for line in page.splitlines() if line.startswith("| `")]
    template_modules = set(architecture.STAGES) | set(architecture.STAGE_FOLDERS)
    for path, stage in rows:
        name = path.strip("| `").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        ours = name in template_modules or any(
            name.startswith(f"{folder}.") for folder in architecture.STAGE_FOLDERS
        )
        assert stage != "—" or not ours, f"{path}: a module of the template should have a stage"


def test_a_module_of_the_teams_own_is_listed_as_the_teams(
    architecture: ModuleType, project: Path
) -> None:
    # given a module the template does not ship, on the jobs' floor
    module = project / "src" / PACKAGE / "jobs" / "score_leads.py"
    module.write_text('"""Score the sales team\'s leads."""\n', encoding="utf-8")

    # when
    page = architecture.render(project)

    # then
    assert "| `jobs/score_leads.py` | — | Score the sales team's leads. |" in page


def test_the_page_lists_the_floors_from_the_contracts(architecture: ModuleType) -> None:
    # when
    page = architecture.render(PROJECT)

    # then
    for layer in FLOORS["layers"]:
        for name in layer.replace(":", "|").split("|"):
            assert f"`{name.strip()}" in page, f"the floor {name} should be on the page"
    assert "| `core/` | nothing of the package |" in page, "core/ should be the lowest floor"


def test_a_project_without_contracts_is_named_and_gets_no_page(
    architecture: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a pyproject.toml without the import contracts
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")

    # when
    code = architecture.main(["--project", str(project)])

    # then
    assert code == 1
    assert "has no [tool.importlinter]" in capsys.readouterr().err
    assert not (project / "docs" / "architecture.md").exists(), "no page should be written"
