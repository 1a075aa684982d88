"""Slow layer: a team's first day, bringing its own data and labels without touching the template's files."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.conftest import SetUpProject
from tests.helpers import assert_venv_runs, run, team_patterns

pytestmark = pytest.mark.slow

PACKAGE = "churn_desk"
PYTHON = "3.13"


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there once) with ``new`` in the file at ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path} should hold {old!r} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def team_owned(name: str) -> bool:
    """Tell whether copier.yml hands the file ``name`` to the team (``_skip_if_exists``)."""
    return any(
        fnmatch(name, pattern.replace("{{ package_name }}", PACKAGE).replace("**/", ""))
        for pattern in team_patterns()
    )


def changed_files(project: Path) -> list[str]:
    """Return the files git sees as changed or new in ``project``, ignored ones aside."""
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project).stdout
    return sorted(line[3:] for line in status.splitlines())


def test_a_new_feature_and_renamed_classes_need_no_template_owned_file(
    set_up_project: SetUpProject, project_env: dict[str, str]
) -> None:
    # given a project of another name than the sample's, on the newest Python the template supports
    # (which no other project of the slow layer runs), with_docker=False: the serving gate's image does
    # not read the team's data; its API reference does, and is checked below
    project = set_up_project(project_name="Churn Desk", python_version=PYTHON, with_docker=False)

    # when the team adds a feature to the view and its contract, and names its label's classes
    edit(
        project / "sql" / "features" / "customer_features.sql",
        "sum(activity.support_tickets) as tickets_90d\n",
        "sum(activity.support_tickets) as tickets_90d,\n        count(*) as active_days_90d\n",
    )
    edit(
        project / "sql" / "features" / "customer_features.sql",
        "coalesce(recent.tickets_90d, 0) as tickets_90d,\n",
        "coalesce(recent.tickets_90d, 0) as tickets_90d,\n"
        "    coalesce(recent.active_days_90d, 0) as active_days_90d,\n",
    )
    contracts = project / "src" / PACKAGE / "core" / "data" / "contracts.py"
    before_the_contract = run(["make", "data", "data-check"], cwd=project, env=project_env, check=False)
    edit(
        contracts,
        '    tickets_90d: Series[int] = pa.Field(ge=0, description="Support tickets in the last 90 days.")\n',
        '    tickets_90d: Series[int] = pa.Field(ge=0, description="Support tickets in the last 90 days.")\n'
        "    active_days_90d: Series[int] = pa.Field(\n"
        '        ge=0, description="Days with activity in the last 90 days."\n'
        "    )\n",
    )
    edit(
        project / "configs" / "train.yaml",
        "negative: stays\n  positive: churns\n",
        "negative: retained\n  positive: lost\n",
    )
    # and brings the generated pages in line with one command, then runs CI's checks
    run(["make", "data", "train", "promote", "pages"], cwd=project, env=project_env)
    ci = run(
        ["make", "ci", "STAGE_GATES=stage-data stage-tracking stage-monitoring"], cwd=project, env=project_env
    )
    api_reference = run(
        ["poetry", "run", "python", "-m", PACKAGE, "api-docs", "--check"],
        cwd=project,
        env=project_env,
        check=False,
    )

    # then CI's checks ran on the project's Python
    assert_venv_runs(project, PYTHON, project_env)
    # and the contract's failure said which files to edit, in plain words
    said = before_the_contract.stdout + before_the_contract.stderr
    assert before_the_contract.returncode != 0, "a view column the contract lacks should fail the check"
    assert f"src/{PACKAGE}/core/data/contracts.py" in said, said
    assert "sql/features/customer_features.sql" in said, said
    # and every page and check took the new column, and nothing the template owns was edited
    assert "Every table and view passes its contract" in ci.stdout + ci.stderr
    assert api_reference.returncode == 0, api_reference.stdout + api_reference.stderr
    for page in ("docs/data/dictionary.md", "docs/serving/api.md"):
        assert "active_days_90d" in (project / page).read_text(encoding="utf-8"), f"{page} should list it"
    changed = changed_files(project)
    assert "docs/data/dictionary.md" in changed, changed
    assert [name for name in changed if not team_owned(name)] == [], "only the team's files should change"
