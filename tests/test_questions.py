"""Fast layer: the questions of copier.yml, their validators, and the configuration block."""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import TEMPLATE, copy_project

CONFIG: dict[str, Any] = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
QUESTIONS = {name: spec for name, spec in CONFIG.items() if not name.startswith("_")}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param({"project_name": "   "}, "project name must not be empty", id="blank-name"),
        pytest.param({"project_name": "a\\b"}, r'"a\\b" contains a backslash', id="backslash"),
        pytest.param({"description": 'x """ y'}, "contains a backslash or", id="triple-quotes"),
        pytest.param({"project_slug": "My Project!"}, '"My Project!" is not a valid', id="slug"),
        pytest.param({"project_slug": "churn--model"}, '"churn--model" is not', id="slug-dashes"),
        pytest.param({"package_name": "class"}, '"class" is a Python keyword', id="keyword"),
        pytest.param({"package_name": "json"}, '"json" is a standard library', id="stdlib"),
        pytest.param({"package_name": "Churn"}, '"Churn" is not a valid package', id="package"),
        pytest.param({"package_name": "9lives"}, '"9lives" is not a valid package', id="digit"),
        pytest.param({"author_email": "nobody"}, '"nobody" is not a valid email', id="email"),
        pytest.param({"github_owner": "-org"}, '"-org" is not a valid GitHub', id="owner"),
        pytest.param({"python_version": "3.10"}, "'3.10' is not in", id="python"),
        pytest.param({"license": "GPL"}, "'GPL' is not in", id="license"),
        pytest.param({"stage": 5}, "5 is not in", id="stage"),
        pytest.param({"warehouse": "oracle"}, "'oracle' is not in", id="warehouse"),
        pytest.param({"package_index_url": "mirror"}, '"mirror" is not a valid package', id="url"),
    ],
)
def test_bad_answer_is_refused_naming_the_value(
    tmp_path: Path, answers: dict[str, Any], message: str
) -> None:
    # given
    destination = tmp_path / "project"

    # when / then
    with pytest.raises(ValueError, match=message):
        copy_project(destination, **answers)
    assert not destination.exists(), "nothing should be generated for a refused answer"


@pytest.mark.parametrize(
    "answers",
    [
        {"package_name": "churn_model_2"},
        {"project_slug": "churn-model-2"},
        {"package_index_url": "https://nexus.example.com/repository/pypi/simple"},
        {"project_name": 'The "Quoted" Project: #1', "description": 'Says "hi" & <more>: yes'},
    ],
    ids=["package", "slug", "mirror", "quotes"],
)
def test_good_answer_is_accepted(tmp_path: Path, answers: dict[str, Any]) -> None:
    # when
    project = copy_project(tmp_path / "project", **answers)

    # then
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: recorded[key] for key in answers} == answers, "answers should be recorded as given"


def test_derived_defaults_follow_the_project_name(tmp_path: Path) -> None:
    # when
    project = copy_project(tmp_path / "project", project_name="Fraud Detection_v2")

    # then
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "fraud-detection-v2", "the slug derives from the name"
    assert recorded["package_name"] == "fraud_detection_v2", "the package derives from the slug"


def test_every_question_has_a_type_and_a_help() -> None:
    for name, spec in QUESTIONS.items():
        assert spec.get("type"), f"question {name} needs a type"
        assert len(spec.get("help", "")) > 20, f"question {name} needs a help that says what it does"


def test_configuration_block() -> None:
    assert CONFIG["_subdirectory"] == "template"
    assert CONFIG["_templates_suffix"] == ".jinja"
    assert CONFIG["_answers_file"] == ".copier-answers.yml"
    assert "_tasks" not in CONFIG, "copy tasks would need --trust; see decision 0002"
    # A conditional file's name as rendered when its condition holds.
    condition = re.compile(r"\{% if [^%]*%\}(.*?)\{% endif %\}")
    sources = {
        condition.sub(r"\1", path.relative_to(TEMPLATE / "template").as_posix()).removesuffix(".jinja")
        for path in (TEMPLATE / "template").rglob("*")
        if path.is_file()
    }
    for pattern in CONFIG["_skip_if_exists"]:
        in_template = pattern.replace("{{ package_name }}", "{{package_name}}")
        matched = [source for source in sources if fnmatch.fnmatch(source, in_template)]
        assert matched, f"team-owned {pattern} matches no file of the template"


def test_stdlib_list_covers_this_python() -> None:
    """The package_name validator's list must hold every importable stdlib module name."""
    validator = QUESTIONS["package_name"]["validator"]
    listed = set(validator.split('stdlib = "')[1].split('"')[0].split())
    names = {name for name in sys.stdlib_module_names if name.islower() and name.isidentifier()}
    missing = {name for name in names - listed if not name.startswith("_")}
    assert not missing, f"add to the package_name validator's stdlib list: {sorted(missing)}"
