"""Fast layer: the questions of copier.yml, their validators, and the configuration block."""

from __future__ import annotations

import fnmatch
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import STAGES, TEMPLATE, WAREHOUSES, copy_project, expected_files, team_patterns

CONFIG: dict[str, Any] = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
QUESTIONS = {name: spec for name, spec in CONFIG.items() if not name.startswith("_")}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param({"project_name": "   "}, "project name must not be empty", id="blank-name"),
        pytest.param({"project_name": "a\\b"}, r'"a\\b" contains a backslash', id="backslash"),
        pytest.param({"project_name": 'a """ b'}, "contains a backslash or\\s+triple", id="name-quotes"),
        pytest.param({"project_name": "!!!"}, '"!!!" has no letter or digit.*project_slug', id="symbols"),
        pytest.param({"description": " \t"}, "description must not be empty", id="blank-description"),
        pytest.param({"description": "C:\\data"}, r'"C:\\data" contains a backslash', id="description-bs"),
        pytest.param({"description": 'x """ y'}, "contains a backslash or", id="triple-quotes"),
        pytest.param({"project_slug": "My Project!"}, '"My Project!" is not a valid', id="slug"),
        pytest.param({"project_slug": "churn--model"}, '"churn--model" is not', id="slug-dashes"),
        pytest.param({"project_slug": "2024-churn"}, '"2024-churn" is not.*with a letter', id="slug-digit"),
        pytest.param({"package_name": "class"}, '"class" is a Python keyword', id="keyword"),
        pytest.param({"package_name": "json"}, '"json" is a standard library', id="stdlib"),
        pytest.param({"package_name": "a" * 41}, "is 41 characters long", id="package-too-long"),
        pytest.param({"package_name": "Churn"}, '"Churn" is not a valid package', id="package"),
        pytest.param({"package_name": "9lives"}, '"9lives" is not a valid package', id="digit"),
        pytest.param({"author_name": "  "}, "author name must not be empty", id="blank-author"),
        pytest.param({"author_email": "nobody"}, '"nobody" is not a valid email', id="email"),
        pytest.param({"github_owner": "-org"}, '"-org" is not a valid GitHub', id="owner"),
        pytest.param({"github_owner": "a" * 40}, f'"{"a" * 40}" is not a valid GitHub', id="owner-40"),
        pytest.param({"github_owner": "my--org"}, '"my--org" is not a valid GitHub', id="owner-dashes"),
        pytest.param({"author_name": "???"}, r'"\?\?\?" has no letter.*github_owner', id="owner-symbols"),
        pytest.param({"python_version": "3.10"}, "'3.10' is not in", id="python"),
        pytest.param({"license": "GPL"}, "'GPL' is not in", id="license"),
        pytest.param({"stage": 5}, "5 is not in", id="stage"),
        pytest.param({"stage": 0}, "0 is not in", id="stage-0"),
        pytest.param({"warehouse": "oracle"}, "'oracle' is not in", id="warehouse"),
        pytest.param({"package_index_url": "mirror"}, '"mirror" is not a valid package', id="url"),
        pytest.param(
            {"package_index_url": "https://nexus.example.com/py pi/simple"},
            "is not a valid package index URL",
            id="url-space",
        ),
        pytest.param(
            {"package_index_url": "ftp://nexus.example.com/simple"},
            '"ftp://nexus.example.com/simple" is not a valid package index URL',
            id="url-scheme",
        ),
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


@pytest.mark.parametrize(
    ("project_name", "slug"),
    [
        pytest.param("Détection d'Anomalies Client", "detection-d-anomalies-client", id="french"),
        pytest.param("Größenprüfung Übersicht", "grossenprufung-ubersicht", id="german"),
        pytest.param("Łódź Żółć Prognoza", "lodz-zolc-prognoza", id="polish"),
        pytest.param("Ærø Øst Ålborg Þing", "aero-ost-alborg-thing", id="nordic"),
        pytest.param("Œuvre Çà Ñandú", "oeuvre-ca-nandu", id="ligatures"),
        pytest.param("İstanbul Şube Çıktı", "istanbul-sube-cikti", id="turkish"),  # noqa: RUF001  (dotless i, on purpose)
    ],
)
def test_accented_names_derive_readable_slugs(tmp_path: Path, project_name: str, slug: str) -> None:
    # when (without --trust: the derivation needs no Jinja extension)
    project = copy_project(tmp_path / "project", project_name=project_name)

    # then
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == slug, "accented letters should become their base letters"
    assert recorded["package_name"] == slug.replace("-", "_"), "the package derives from the slug"
    assert recorded["project_name"] == project_name, "the name itself keeps its accents"


def test_the_ascii_table_covers_latin_1_and_extended_a() -> None:
    """Every letter of U+00C0..U+017F, once lowercased, has an ASCII spelling in ``ascii_letters``."""
    table = QUESTIONS["ascii_letters"]["default"]
    spelling = {letter: ascii for ascii, letters in table.items() for letter in letters}
    for code in range(0xC0, 0x180):
        for letter in chr(code).lower() if chr(code).isalpha() else "":
            assert letter.isascii() or letter in spelling, f"{letter!r} (U+{code:04X}) has no ASCII spelling"
            # Where Unicode decomposes the letter into an ASCII base, the table agrees with it.
            base = "".join(c for c in unicodedata.normalize("NFKD", letter) if c.isascii())
            if not letter.isascii() and base.isalpha():
                assert spelling[letter] == base, f"{letter!r} should read {base!r}"


def test_accented_author_derives_a_readable_owner(tmp_path: Path) -> None:
    # when
    project = copy_project(tmp_path / "project", author_name="Équipe Données Société")

    # then
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["github_owner"] == "equipe-donnees-societe"


def test_every_question_has_a_type_and_a_help() -> None:
    for name, spec in QUESTIONS.items():
        assert spec.get("type"), f"question {name} needs a type"
        assert len(spec.get("help", "")) > 20, f"question {name} needs a help that says what it does"


def test_configuration_block() -> None:
    assert CONFIG["_subdirectory"] == "template"
    assert CONFIG["_templates_suffix"] == ".jinja"
    assert CONFIG["_answers_file"] == ".copier-answers.yml"
    assert "_tasks" not in CONFIG, "copy tasks would need --trust; see decision 0002"
    # Every file a project may have, at the last stage and with any warehouse.
    sources = {
        name.format(package="{{ package_name }}")
        for warehouse in WAREHOUSES
        for name in expected_files(STAGES[-1], "{package}", warehouse)
    }
    assert len(team_patterns()) == len(CONFIG["_skip_if_exists"]), "every entry should hold at the last stage"
    for pattern in team_patterns():
        matched = [source for source in sources if fnmatch.fnmatch(source, pattern)]
        assert matched, f"team-owned {pattern} matches no file of the template"
        # The team's tests by name: a pattern would also take the tests of the template's code.
        if pattern.startswith("tests/"):
            assert not set(pattern) & set("*?["), f"team-owned {pattern}: name each test file"


def test_stdlib_list_covers_this_python() -> None:
    """The package_name validator's list must hold every importable stdlib module name."""
    validator = QUESTIONS["package_name"]["validator"]
    listed = set(validator.split('stdlib = "')[1].split('"')[0].split())
    names = {name for name in sys.stdlib_module_names if name.islower() and name.isidentifier()}
    missing = {name for name in names - listed if not name.startswith("_")}
    assert not missing, f"add to the package_name validator's stdlib list: {sorted(missing)}"
