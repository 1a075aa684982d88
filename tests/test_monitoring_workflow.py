"""The generated monitoring workflow under act, with a stand-in for GitHub's REST API.

The workflow runs on a project with the default answers, set up, with a champion and its batch
predictions of the sample: its monitor job reads that project's registry, batch predictions and
warehouse (act copies the work tree without the files git ignores, so the test points the settings at
them), and its report job talks to a stand-in for GitHub's API on 127.0.0.1 that records what would
have been posted and answers as GitHub does.

The project is not the session's default one (`make demo`'s): that one's tests use the Docker engine
and run on one worker, and these need no engine, so they run beside them (see conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.act import run_act
from tests.conftest import SetUpProject
from tests.github_stand_in import JsonHandler, serve
from tests.helpers import run

REPOSITORY = "team/project"
LABEL = "monitoring-alert"


@dataclass
class FakeGitHub:
    """A stand-in for GitHub's issues API: the repository's issues, and every request it was sent."""

    url: str = ""
    issues: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def posted(self) -> list[tuple[str, Any]]:
        """Return the (path, body) of each POST, in order."""
        return [(path, body) for method, path, body in self.requests if method == "POST"]


def handler_for(github: FakeGitHub) -> type[JsonHandler]:
    """Return a handler that answers the calls of tools/monitoring_issue.py like GitHub."""

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            github.requests.append(("GET", self.path, None))
            if url.path != f"/repos/{REPOSITORY}/issues":
                self.answer(404, {"message": "Not Found"})
                return
            label = parse_qs(url.query).get("labels", [""])[0]
            self.answer(
                200,
                [
                    issue
                    for issue in github.issues
                    if issue["state"] == "open" and label in [item["name"] for item in issue["labels"]]
                ],
            )

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            body = self.body()
            github.requests.append(("POST", path, body))
            if path == f"/repos/{REPOSITORY}/issues":
                number = len(github.issues) + 1
                labels = [{"name": name} for name in body.get("labels", [])]
                issue = {"number": number, "state": "open", "labels": labels, "title": body["title"]}
                github.issues.append(issue)
                self.answer(201, {**issue, "html_url": f"https://github.test/{REPOSITORY}/issues/{number}"})
            elif path.startswith(f"/repos/{REPOSITORY}/issues/") and path.endswith("/comments"):
                self.answer(201, {"html_url": f"https://github.test{path}#1"})
            else:
                self.answer(404, {"message": "Not Found"})

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The stand-in, on a free port of 127.0.0.1, stopped after the test."""
    state = FakeGitHub()
    with serve(handler_for(state)) as url:
        state.url = url
        yield state


@pytest.fixture(scope="module")
def monitored_project(set_up_project: SetUpProject, project_env: dict[str, str]) -> Path:
    """A project with the default answers, its champion, and the champion's batch predictions."""
    project = set_up_project(with_docker=False)
    run(["make", "data", "train", "promote", "predict-batch"], cwd=project, env=project_env)
    return project


@dataclass(frozen=True)
class MonitoringRun:
    """What one act run of the monitoring workflow left: its result and the artifact's report."""

    code: int
    output: str
    report: dict[str, Any]


def run_monitoring(
    project: Path,
    data_from: Path,
    github: FakeGitHub,
    env: dict[str, str],
    artifacts: Path,
    inputs: dict[str, str] | None = None,
) -> MonitoringRun:
    """Run the monitoring workflow on ``project`` under act, as a manual dispatch, both jobs.

    The registry, batch predictions and warehouse are ``data_from``'s (a set-up project), the
    GitHub API the stand-in's, and the uploaded artifacts land in ``artifacts``.
    """
    job_env = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "STAND_IN_ARTIFACTS": str(artifacts),
        "MY_ML_PROJECT_PREDICTIONS_DIR": str(data_from / "predictions"),
        "MY_ML_PROJECT_WAREHOUSE_PATH": str(data_from / "data" / "warehouse.duckdb"),
    }
    secrets = {
        "MLFLOW_TRACKING_URI": f"sqlite:///{data_from / 'mlflow.db'}",
        "GITHUB_TOKEN": "token-for-the-stand-in",
    }
    result = run_act(
        project,
        env,
        event="workflow_dispatch",
        workflow="monitoring.yml",
        job_env=job_env,
        secrets=secrets,
        inputs=inputs,
    )
    output = result.stdout + result.stderr
    report_file = artifacts / "monitoring-report" / "report.json"
    assert report_file.is_file(), f"the reports should be uploaded as an artifact:\n{output[-15000:]}"
    return MonitoringRun(result.returncode, output, json.loads(report_file.read_text()))


@pytest.mark.slow
@pytest.mark.xdist_group("monitoring-workflow")  # one project for both (see conftest.py)
def test_monitoring_workflow_without_alert_posts_nothing(
    monitored_project: Path, shared_cache_env: dict[str, str], github: FakeGitHub, tmp_path: Path
) -> None:
    # when the workflow runs on the configured window, which does not drift
    monitoring = run_monitoring(monitored_project, monitored_project, github, shared_cache_env, tmp_path)

    # then
    assert monitoring.code == 0, f"act should pass:\n{monitoring.output[-15000:]}"
    assert monitoring.report["status"] == "ok", monitoring.report["summary"]
    assert "[Monitoring/monitor" in monitoring.output, "the monitor job should run"
    assert github.requests == [], "without an alert, GitHub should not be called"


@pytest.mark.slow
@pytest.mark.xdist_group("monitoring-workflow")  # one project for both (see conftest.py)
def test_monitoring_workflow_opens_one_labelled_issue_with_the_summary_on_an_alert(
    monitored_project: Path, shared_cache_env: dict[str, str], github: FakeGitHub, tmp_path: Path
) -> None:
    # given a clone whose drift thresholds every feature passes
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", str(monitored_project), str(clone)], cwd=tmp_path)
    config = clone / "configs" / "monitoring.yaml"
    text = config.read_text()
    for key in ("wasserstein", "jensen_shannon"):
        assert f"\n  {key}: " in text, f"the config should set drift.{key}"
        text = "\n".join(
            f"  {key}: 0.000001" if line.startswith(f"  {key}: ") else line for line in text.split("\n")
        )
    config.write_text(text)

    # when the workflow runs, the window given as the dispatch's input: the batch by its folder
    window = f"batch:{monitored_project / 'predictions' / 'customer_features'}"
    monitoring = run_monitoring(
        clone, monitored_project, github, shared_cache_env, tmp_path / "artifacts", {"window": window}
    )

    # then the run passes: the alert is handed on, not an error
    assert monitoring.code == 0, f"act should pass:\n{monitoring.output[-15000:]}"
    assert monitoring.report["status"] == "alert", monitoring.report["summary"]
    assert monitoring.report["window"]["spec"] == window, "the input should name the window"
    # and one issue is opened, labelled, with the report's summary
    [(path, body)] = github.posted()
    assert path == f"/repos/{REPOSITORY}/issues", "one issue should be opened"
    assert body["labels"] == [LABEL], "the issue should carry the alert label"
    assert body["title"] == "Monitoring alert"
    assert body["body"].startswith(monitoring.report["summary"].strip()), body["body"]
    assert "features drifted" in body["body"], "the summary should name the drift"
    searched = [target for method, target, _ in github.requests if method == "GET"]
    assert len(searched) == 1, "the open issues with the label should be looked up first"
    assert parse_qs(urlsplit(searched[0]).query)["labels"] == [LABEL]
    assert "Opened issue #1 labelled 'monitoring-alert'" in monitoring.output
