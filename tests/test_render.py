"""Fast layer: render meaningful answer combinations and check the output without installing anything."""

from __future__ import annotations

import fnmatch
import importlib.util
import itertools
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import (
    BINARY_SUFFIXES,
    EXAMPLE_ANSWERS,
    TEMPLATE,
    copy_project,
    expected_files,
    expected_gate_jobs,
    project_files,
    run,
    team_patterns,
    text_files,
    which,
)

PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
STAGES = (1, 2, 3, 4)
WAREHOUSES = ("duckdb", "postgres", "bigquery", "snowflake")
MIRROR = "https://packages.example.com/simple"


def answer_combinations() -> list[Any]:
    """Every stage with every Python version; licenses, the mirror and the warehouse rotate across them.

    The full product (384) renders the other answers against stages they don't interact with;
    these 12 cover every pair of (stage, Python) and every value of the other questions, plus the
    example answers (every option on) and names at their longest.
    """
    combos = []
    for index, (stage, python) in enumerate(itertools.product(STAGES, PYTHON_VERSIONS)):
        answers = {
            "stage": stage,
            "python_version": python,
            "license": LICENSES[index % len(LICENSES)],
            "package_index_url": MIRROR if index % 2 else "",
            "warehouse": WAREHOUSES[index // 2 % len(WAREHOUSES)],
        }
        combo_id = f"stage{stage}-py{python}-{answers['license']}-{answers['warehouse']}" + (
            "-mirror" if index % 2 else ""
        )
        combos.append(pytest.param(answers, id=combo_id))
    combos.append(pytest.param(dict(EXAMPLE_ANSWERS), id="example-answers"))
    long_name = "Customer Lifetime Value And Churn Propensity Forecasting Platform"
    combos.append(
        pytest.param(
            {
                "project_name": long_name,
                # The longest package name the question accepts.
                "package_name": "customer_lifetime_value_and_churn_propen",
                "description": "A " + "very " * 40 + "long description.",
            },
            id="long-names",
        )
    )
    quoted = {"project_name": 'The "Quoted" Project: #1', "description": 'Says "hi" & <more>: yes'}
    combos.append(pytest.param(quoted, id="quotes"))
    return combos


@pytest.fixture(scope="module", params=answer_combinations())
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template rendered with one answer combination."""
    answers: dict[str, Any] = request.param
    return copy_project(tmp_path_factory.mktemp("render") / "project", **answers)


def answers_of(project: Path) -> dict[str, Any]:
    """Return the answers recorded in a rendered project."""
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def test_file_set_is_exact(rendered: Path) -> None:
    answers = answers_of(rendered)
    expected = expected_files(answers["stage"], answers["package_name"], answers["warehouse"])
    actual = project_files(rendered)
    assert actual == expected, (
        f"missing: {sorted(expected - actual)}; unexpected: {sorted(actual - expected)}"
    )


def test_the_development_guide_lists_the_team_files_of_its_stage(rendered: Path) -> None:
    # given the team's files at the project's stage (copier.yml's _skip_if_exists), its package filled in
    answers = answers_of(rendered)
    expected = [
        pattern.replace("{{ package_name }}", answers["package_name"])
        for pattern in team_patterns(answers["stage"], answers["warehouse"])
    ]

    # when
    page = (rendered / "docs" / "development.md").read_text(encoding="utf-8")
    section = page.split("Files the team owns are created once")[1].split("The other tests are")[0]
    listed = re.findall(r"^- `([^`]+)`$", section, flags=re.MULTILINE)

    # then
    assert listed == expected, "docs/development.md should list _skip_if_exists as rendered"
    files = project_files(rendered)
    absent = [name for name in listed if not fnmatch.filter(files, name.replace("**/", "*"))]
    assert absent == [], f"docs/development.md lists team files the project does not have: {absent}"


LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#")


def test_no_leftover_jinja(rendered: Path) -> None:
    leftovers = []
    for name in sorted(text_files(rendered)):
        text = (rendered / name).read_text(encoding="utf-8")
        # GitHub Actions expressions are ${{ ... }}; strip them before looking for Jinja.
        text = re.sub(r"\$\{\{[^}]*\}\}", "", text)
        leftovers += [f"{name}: {match.group(0)!r}" for match in LEFTOVER_JINJA.finditer(text)]
    assert not leftovers, f"Jinja left in the rendered files: {leftovers}"


def test_structured_files_parse(rendered: Path) -> None:
    for name in sorted(project_files(rendered)):
        path = rendered / name
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_ruff_check_and_format_pass(rendered: Path) -> None:
    ruff = which("ruff")
    run([ruff, "check", "--no-cache", "."], cwd=rendered)
    run([ruff, "format", "--check", "--no-cache", "."], cwd=rendered)


def test_python_versions_agree(rendered: Path) -> None:
    answers = answers_of(rendered)
    version = (rendered / ".python-version").read_text().strip()
    major, minor = version.split(".")
    requires = tomllib.loads((rendered / "pyproject.toml").read_text())["project"]["requires-python"]
    setup = yaml.safe_load((rendered / ".github/actions/setup/action.yml").read_text())
    python_step = next(s for s in setup["runs"]["steps"] if "setup-python" in s.get("uses", ""))

    assert version == answers["python_version"], ".python-version should hold the answer"
    assert requires == f">={version},<{major}.{int(minor) + 1}", "requires-python pins that minor"
    assert python_step["with"] == {"python-version-file": ".python-version"}, (
        "CI should take its Python from .python-version"
    )


def test_package_index_is_poetrys_primary_source(rendered: Path) -> None:
    answers = answers_of(rendered)
    sources = tomllib.loads((rendered / "pyproject.toml").read_text())["tool"]["poetry"].get("source", [])
    if answers["package_index_url"]:
        assert sources == [{"name": "mirror", "url": answers["package_index_url"], "priority": "primary"}], (
            "the mirror should be poetry's only, primary source"
        )
    else:
        assert sources == [], "without a mirror, poetry should use its default source"


def test_license_matches_answer(rendered: Path) -> None:
    answers = answers_of(rendered)
    text = (rendered / "LICENSE").read_text()
    first_line = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Proprietary": "Copyright (c)",
    }[answers["license"]]
    declared = tomllib.loads((rendered / "pyproject.toml").read_text())["project"]["license"]
    assert text.strip().startswith(first_line), "LICENSE should hold the chosen license"
    assert declared == (
        "LicenseRef-Proprietary" if answers["license"] == "Proprietary" else answers["license"]
    ), "pyproject.toml should declare the license as an SPDX expression"


def test_stage_gates_in_ci_and_scorecard(rendered: Path) -> None:
    answers = answers_of(rendered)
    workflow = yaml.safe_load((rendered / ".github/workflows/ci.yml").read_text())
    jobs = workflow["jobs"]
    gates = expected_gate_jobs(answers["stage"])
    assert [name for name in jobs if name != "scorecard"] == gates, "one job per adopted gate"
    assert jobs["scorecard"]["needs"] == gates, "the scorecard should wait for every gate"
    assert jobs["scorecard"]["if"] == "always()", "the scorecard should run when a gate fails"


def test_ci_jobs_call_make_targets_only(rendered: Path) -> None:
    workflow = yaml.safe_load((rendered / ".github/workflows/ci.yml").read_text())
    action = yaml.safe_load((rendered / ".github/actions/setup/action.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    steps += action["runs"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    assert commands, "the workflow should run make targets"
    assert all(re.fullmatch(r"make [a-z-]+", command) for command in commands), commands


def test_actions_are_pinned_by_commit_sha(rendered: Path) -> None:
    uses = []
    for name in project_files(rendered):
        if name.startswith(".github/") and name.endswith(".yml"):
            uses += re.findall(r"uses: (\S+)(.*)", (rendered / name).read_text())
    remote = [(ref, comment) for ref, comment in uses if not ref.startswith("./")]
    assert remote, "the workflows should use actions"
    for ref, comment in remote:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by SHA"
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{ref} needs its version as a comment"


DIGEST = re.compile(r"[\w./-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}")


def dockerfile_images(text: str) -> list[str]:
    """The image each FROM of a Dockerfile builds on, with the global ARGs' defaults substituted.

    A FROM naming an earlier stage is left out: that stage's own FROM is checked instead.
    """
    args: dict[str, str] = {}
    stages: set[str] = set()
    images = []
    for line in text.splitlines():
        if match := re.fullmatch(r"ARG (\w+)=(\S+)", line):
            args.setdefault(match.group(1), match.group(2))
        elif match := re.fullmatch(r"FROM (\S+)(?: AS (\S+))?", line):
            reference = re.sub(r"\$\{(\w+)\}", lambda arg: args.get(arg.group(1), ""), match.group(1))
            if reference not in stages:
                images.append(reference)
            if match.group(2):
                stages.add(match.group(2))
    return images


def test_images_are_pinned_by_digest(rendered: Path) -> None:
    answers = answers_of(rendered)
    images = []
    if answers["stage"] >= 2:
        images = dockerfile_images((rendered / "Dockerfile").read_text())
        assert images, "the Dockerfile should build on an image"
        assert all(image.startswith(f"python:{answers['python_version']}-slim@") for image in images), images
    for name in sorted(project_files(rendered)):
        if name.startswith(".github/workflows/"):
            workflow = yaml.safe_load((rendered / name).read_text())
            for job in workflow["jobs"].values():
                images += [service["image"] for service in (job.get("services") or {}).values()]
                images += [job["container"]["image"]] if "container" in job else []
    unpinned = [image for image in images if not DIGEST.fullmatch(image)]
    assert not unpinned, f"images pinned by tag only (pin them by digest): {unpinned}"


def test_the_base_image_is_overridable_for_mirrors(rendered: Path) -> None:
    if answers_of(rendered)["stage"] < 3:
        pytest.skip("the image's make targets come with stage 3")
    serving = (rendered / "make" / "stage-3-serving.mk").read_text()
    recipes = {
        target: re.search(rf"^{target}:.*\n((?:\t.*\n)+)", serving, re.MULTILINE)
        for target in ("docker-build", "compose-up")
    }
    for target, recipe in recipes.items():
        assert recipe is not None, f"{target} should have a recipe"
        assert "$(BASE_IMAGE_ARG)" in recipe.group(1), f"{target} should pass DOCKER_BASE_IMAGE on"
    build_arg = '$(if $(DOCKER_BASE_IMAGE),--build-arg BASE_IMAGE="$(DOCKER_BASE_IMAGE)")'
    assert f"BASE_IMAGE_ARG = {build_arg}" in serving, "DOCKER_BASE_IMAGE should set the BASE_IMAGE argument"


MONITORING_SERVICES = {"prometheus", "pushgateway", "grafana"}
# An image pinned by tag: no registry is reachable where the template is tested, to resolve digests.
IMAGE_TAG = re.compile(r"[a-z0-9./-]+:v?\d+\.\d+\.\d+")


def test_the_monitoring_profile_runs_beside_the_api_on_loopback_only(rendered: Path) -> None:
    stage = answers_of(rendered)["stage"]
    if stage < 2:
        pytest.skip("compose.yaml comes with stage 2")
    compose = yaml.safe_load((rendered / "compose.yaml").read_text())
    services = compose["services"]
    profiled = {name for name, service in services.items() if "monitoring" in service.get("profiles", [])}
    assert profiled == (MONITORING_SERVICES if stage >= 4 else set()), profiled
    if stage < 4:
        return
    for name in sorted(profiled):
        service = services[name]
        assert all(port.startswith("127.0.0.1:") for port in service["ports"]), f"{name}: {service['ports']}"
        assert IMAGE_TAG.fullmatch(service["image"]), f"{name}: pin the image by its version tag"
    # Prometheus reads the API's key from the compose secret, a file: never from its config's text
    assert services["prometheus"]["secrets"] == ["api_key"]
    assert compose["secrets"] == {"api_key": {"file": "build/monitoring/api-key"}}
    assert "./monitoring:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    config = yaml.safe_load((rendered / "monitoring/prometheus.yml").read_text())
    api = next(job for job in config["scrape_configs"] if job["job_name"] == "api")
    assert api["authorization"]["credentials_file"] == "/run/secrets/api_key"
    assert api["static_configs"] == [{"targets": ["api:8000"]}], "the compose service's name and port"
    provisioning = "./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro"
    assert provisioning in services["grafana"]["volumes"]
    # and Docker Compose itself reads the file, with the profile
    compose_tool = shutil.which("docker-compose")
    if compose_tool is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    resolved = yaml.safe_load(run([compose_tool, "--profile", "monitoring", "config"], cwd=rendered).stdout)
    assert MONITORING_SERVICES | {"api", "mlflow"} == set(resolved["services"])
    ports = [str(port) for name in MONITORING_SERVICES for port in resolved["services"][name]["ports"]]
    assert all(port.startswith("127.0.0.1:") for port in ports), ports


def requirement_lines(text: str) -> list[str]:
    """The requirements of a pip requirements file, continuation lines joined."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    lines = (line.strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_poetry_is_installed_with_hashes_from_one_pin(rendered: Path) -> None:
    answers = answers_of(rendered)
    pins = requirement_lines((rendered / "tools/poetry-requirements.txt").read_text())
    wanted = requirement_lines((rendered / "tools/poetry-requirements.in").read_text())
    poetry = [pin for pin in pins if pin.startswith("poetry==")]
    installs = [
        line
        for name in ("Makefile", "Dockerfile")
        if (rendered / name).is_file()
        for line in (rendered / name).read_text().splitlines()
        if re.search(r"pip install .*poetry", line, re.IGNORECASE)
    ]

    assert pins, "poetry-requirements.txt should pin poetry and what it needs"
    hashed = re.compile(r"\S+==\S+( --hash=sha256:[0-9a-f]{64})+")
    assert all(hashed.fullmatch(pin) for pin in pins), "each pin needs its hashes"
    assert len(poetry) == 1, poetry
    assert wanted == [poetry[0].split()[0]], "the .txt should compile the .in's one pin"
    assert len(installs) == (2 if answers["stage"] >= 2 else 1), installs
    for line in installs:
        assert "--require-hashes" in line, f"pip should check the hashes: {line}"
        assert re.search(r"-r \S*(poetry-requirements\.txt|POETRY_REQUIREMENTS)", line), (
            f"poetry should come from its hashed pins: {line}"
        )
    action = yaml.safe_load((rendered / ".github/actions/setup/action.yml").read_text())
    assert {"run": "make poetry", "shell": "bash"} in action["runs"]["steps"], "CI installs poetry by make"
    mentions = [
        name
        for name in sorted(text_files(rendered))
        if name != "tools/poetry-requirements.txt" and re.search(r"poetry==\d", (rendered / name).read_text())
    ]
    assert mentions == ["tools/poetry-requirements.in"], f"poetry's version needs one source: {mentions}"


def test_release_gives_each_secret_to_the_steps_that_use_it(rendered: Path) -> None:
    if answers_of(rendered)["stage"] < 3:
        pytest.skip("the release workflow comes with stage 3")
    workflow = yaml.safe_load((rendered / ".github/workflows/release.yml").read_text())
    (job,) = workflow["jobs"].values()
    secrets_by_step: dict[str, list[str]] = {}
    for step in job["steps"]:
        for name in re.findall(r"secrets\.(\w+)", json.dumps(step)):
            secrets_by_step.setdefault(name, []).append(step.get("name", step.get("uses", "?")))

    assert workflow["permissions"] == {}, "the workflow should grant nothing by default"
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    assert job["environment"] == "release", "the job should run in the protected release environment"
    assert "secrets." not in json.dumps(job.get("env", {})), "no secret in the job's env: every step sees it"
    assert secrets_by_step == {
        "MLFLOW_TRACKING_URI": ["Build the image with the champion"],
        "GITHUB_TOKEN": ["Push to GHCR"],
    }, secrets_by_step


def test_stage_status_page_records_the_stage(rendered: Path) -> None:
    stage = answers_of(rendered)["stage"]
    text = (rendered / "docs/stages.md").read_text()
    assert f"**Adopted: stage {stage}**" in text, "the stages page should say which stage"
    next_step = f"copier update --data stage={stage + 1}"
    assert (next_step in text) == (stage < 4), "the page should say how to adopt the next stage"


QUOTING = re.compile(r"\{%[^%]*\"[^%]*%\}|\{\{[^}]*\"[^}]*\}\}")


def test_template_file_names_follow_the_quoting_rule() -> None:
    """Jinja in file names uses single quotes only, with the suffix outside any condition."""
    problems = []
    for path in (TEMPLATE / "template").rglob("*"):
        name = path.name
        if "{" not in name:
            continue
        if QUOTING.search(name):
            problems.append(f"{name}: use single quotes in Jinja file names")
        if re.search(r"\.jinja\s*\{%", name):
            problems.append(f"{name}: put the .jinja suffix outside the condition")
    assert not problems, problems


def test_only_files_that_use_answers_are_jinja() -> None:
    """A .jinja file must contain Jinja; every other file must not, so it stays lintable."""
    wrong = []
    for path in (TEMPLATE / "template").rglob("*"):
        if not path.is_file() or path.suffix in BINARY_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8")
        has_jinja = bool(re.search(r"(?<!\$)\{\{|\{%", text))
        if path.name.endswith(".jinja") != has_jinja:
            wrong.append(str(path.relative_to(TEMPLATE)))
    assert not wrong, f".jinja suffix and Jinja content disagree: {wrong}"


def test_makefile_runs_stage_fragments_and_team_targets(tmp_path: Path) -> None:
    """make/stage-*.mk fragments add gates that `make ci` runs; project.mk adds the team's targets."""
    # given a fragment as a stage adds one, and a team target
    project = copy_project(tmp_path / "project")
    (project / "make").mkdir(exist_ok=True)
    (project / "make" / "stage-9-example.mk").write_text(
        "STAGE_GATES += stage-example\n\n.PHONY: stage-example\n"
        "stage-example: ## Example gate\n\t@echo running the example gate\n"
    )
    with (project / "project.mk").open("a") as team:
        team.write("\n.PHONY: notebook\nnotebook: ## Start Jupyter\n\t@echo jupyter\n")

    # when
    dry_run = run(["make", "--dry-run", "ci"], cwd=project).stdout
    help_text = run(["make", "help"], cwd=project).stdout

    # then
    commands = dry_run.splitlines()
    assert commands[-1] == "echo running the example gate", f"the gate should run last:\n{dry_run}"
    assert any("mkdocs build --strict" in line for line in commands), "make ci should build the docs"
    assert "stage-example" in help_text, "make help should list the fragment's targets"
    assert "notebook" in help_text, "make help should list the team's targets"
    assert "$(" not in help_text, f"make help should show values, not make variables:\n{help_text}"


# The targets `make pages` runs at each stage: the pages that stage generates.
PAGES_BY_STAGE = {
    1: ["data-docs"],
    2: ["data-docs", "model-card"],
    3: ["data-docs", "model-card", "api-docs"],
    4: ["data-docs", "model-card", "api-docs"],
}


@pytest.mark.parametrize("stage", sorted(PAGES_BY_STAGE))
def test_make_pages_regenerates_every_page_the_stage_has(tmp_path: Path, stage: int) -> None:
    # given
    project = copy_project(tmp_path / "project", stage=stage)

    # when
    dry_run = run(["make", "--dry-run", "pages"], cwd=project).stdout
    help_text = run(["make", "help"], cwd=project).stdout

    # then
    commands = [line.split(" -m ", 1)[-1] for line in dry_run.splitlines() if " -m " in line]
    expected = [f"my_ml_project {target}" for target in PAGES_BY_STAGE[stage]]
    assert commands == expected, f"make pages should run {expected} in order:\n{dry_run}"
    assert re.search(r"^  pages +Regenerate every generated page", help_text, re.MULTILINE), help_text


def test_poetry_accepts_the_pyproject(rendered: Path) -> None:
    # when
    result = run([which("poetry"), "check"], cwd=rendered)

    # then
    assert "All set!" in result.stdout, result.stdout + result.stderr


def importlinter_config(project: Path) -> dict[str, Any]:
    """Return the rendered ``[tool.importlinter]`` section."""
    config: dict[str, Any] = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["importlinter"]
    return config


def test_import_contracts_place_every_module_of_the_stage(rendered: Path) -> None:
    """The floors name exactly the package's top-level modules and folders at this stage."""
    # given
    answers = answers_of(rendered)
    package = answers["package_name"]
    config = importlinter_config(rendered)
    contracts = {contract["id"]: contract for contract in config["contracts"]}

    # when
    floors = contracts["floors"]
    named = [name.strip() for layer in floors["layers"] for name in re.split(r"[|:]", layer)]
    present = {
        path.stem if path.is_file() else path.name
        for path in (rendered / "src" / package).iterdir()
        if path.suffix == ".py" or (path / "__init__.py").is_file()
    } - {"__init__"}

    # then
    assert config["root_package"] == package
    assert floors["containers"] == [package]
    assert floors["exhaustive"] is True
    assert sorted(named) == sorted(present), "every top-level module and folder takes a floor"
    clis = ["cli_data", "cli_tracking", "cli_serving", "cli_monitoring"][: answers["stage"]]
    assert named[:2] == ["__main__", "cli"]
    assert named[2 : 3 + len(clis)] == [*clis, "cli_common"], "each stage's commands, then what they share"
    assert named[-4:] == ["settings", "io", "pages", "core"], (
        "settings, io/ beside pages/, core/ at the bottom"
    )
    ignored = contracts["jobs-stand-alone"].get("ignore_imports", [])
    for line in ignored:  # an exception naming a module the stage lacks fails lint-imports
        for module in line.split(" -> "):
            path = rendered / "src" / Path(*module.split("."))
            assert path.with_suffix(".py").is_file(), f"{line}: {module} does not exist"
    assert bool(ignored) == (answers["stage"] >= 2)


def test_architecture_page_lists_every_module(rendered: Path) -> None:
    """tools/architecture.py writes a page with each of the render's modules (make docs runs it)."""
    # when
    run([sys.executable, "tools/architecture.py"], cwd=rendered)

    # then
    page = (rendered / "docs" / "architecture.md").read_text()
    package = next((rendered / "src").iterdir())
    for path in package.rglob("*.py"):
        module = path.relative_to(package).as_posix()
        if path.name != "__init__.py":
            assert f"| `{module}` |" in page, f"{module} should have a row on the page"
    assert "| — |" not in page, "every module of a fresh render has a stage"


STAGE_CONDITION = re.compile(r"\{% if stage >= (\d) %\}")


def test_architecture_stages_match_the_template_file_names() -> None:
    """tools/architecture.py's STAGES give each template module the stage its file name says."""
    # given
    spec = importlib.util.spec_from_file_location("architecture", TEMPLATE / "template/tools/architecture.py")
    assert spec is not None
    assert spec.loader is not None
    architecture = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = architecture  # its dataclasses look their module up there
    spec.loader.exec_module(architecture)
    package_dir = TEMPLATE / "template" / "src" / "{{package_name}}"

    # when
    wrong = []
    for path in package_dir.rglob("*.py*"):
        if path.name.startswith("py.typed"):
            continue
        parts = list(path.relative_to(package_dir).parts)
        expected = 1
        for index, part in enumerate(parts):
            found = STAGE_CONDITION.search(part)
            expected = max(expected, int(found.group(1))) if found else expected
            parts[index] = re.sub(r"\{%.*?%\}", "", part).removesuffix(".jinja").removesuffix(".py")
        if parts[-1] == "__init__":
            parts.pop()
        if not parts:
            continue
        name = ".".join(parts)
        module = architecture.Module(name, Path(), "", is_package=False)
        if module.stage != str(expected):
            wrong.append(f"{name}: stage {module.stage}, its file name says {expected}")

    # then
    assert not wrong, f"tools/architecture.py's STAGES disagree with the template: {wrong}"
