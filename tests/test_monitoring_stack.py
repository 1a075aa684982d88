"""Slow layer: a real Prometheus server, with the generated scrape config and rules, scrapes the API.

Prometheus comes from the generated project's tools/promtool.py (--server): on PATH, or unpacked
from Debian's prometheus package. The API runs with a random key, which Prometheus sends from a
file as a bearer token, exactly as the generated monitoring/prometheus.yml says.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import free_port, run, wait_for
from tools.generated import waiting

pytestmark = pytest.mark.slow

# Upper bounds, not the expected times: the API imports MLflow and loads the model in a few seconds
# on an idle machine, and Prometheus scrapes it within a second or two of starting.
API_READY_TIMEOUT_S = 120
SCRAPE_TIMEOUT_S = 30


@contextmanager
def started(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in a process group of its own, logging to ``log``; stop the group after."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def scrape_config(project: Path, api: str, key_file: Path) -> dict[str, Any]:
    """The generated config, for this test: the API at ``api``, the key from ``key_file``.

    Only the target and the key file's path change (they are the compose services' names and the
    container's secret), the rule files are named by absolute path, and Prometheus scrapes every
    second instead of every 15, to see a scrape soon. The Pushgateway job is left out: none runs.
    """
    config: dict[str, Any] = yaml.safe_load((project / "monitoring" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(project / "monitoring" / name) for name in config["rule_files"]]
    jobs = [job for job in config["scrape_configs"] if job["job_name"] == "api"]
    assert len(jobs) == 1, "the config should have one job that scrapes the API"
    jobs[0]["static_configs"] = [{"targets": [api]}]
    assert "credentials_file" in jobs[0]["authorization"], "the key should come from a file"
    jobs[0]["authorization"]["credentials_file"] = str(key_file)
    config["scrape_configs"] = jobs
    return config


def query(prometheus: str, path: str, **params: str) -> Any:
    """GET Prometheus' HTTP API; return its data (fail on an error answer)."""
    url = f"{prometheus}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success", body
    return body["data"]


def first_scrape(prometheus: str, timeout: float) -> dict[str, Any]:
    """Return the API target once a scrape of it succeeded; fail with its last error after ``timeout``."""

    def scraped() -> dict[str, Any]:
        targets = query(prometheus, "targets")["activeTargets"]
        target: dict[str, Any] = next((item for item in targets if item["labels"]["job"] == "api"), {})
        if target.get("health") != "up":
            raise waiting.NotYet(f"the API's target: {target}")
        return target

    return waiting.until(scraped, "a successful scrape of the API", timeout)


def series(prometheus: str, promql: str, timeout: float) -> list[dict[str, Any]]:
    """Return the result of the instant query ``promql`` once it has one; fail after ``timeout``."""

    def result() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = query(prometheus, "query", query=promql)["result"]
        if not found:
            raise waiting.NotYet("no series yet")
        return found

    return waiting.until(result, f"Prometheus to have a series for {promql}", timeout)


def test_prometheus_scrapes_the_api_with_the_generated_config(
    default_project: Path, project_env: dict[str, str], tmp_path: Path
) -> None:
    # given the API serving the champion (make demo ran make ci) with a random key, on a free port
    api_port, prometheus_port, key = free_port(), free_port(), secrets.token_urlsafe(32)
    api_env = {**project_env, "MY_ML_PROJECT_API_PORT": str(api_port), "MY_ML_PROJECT_API_KEY": key}
    serve = [str(default_project / ".venv" / "bin" / "python"), "-m", "my_ml_project", "serve"]
    # and Prometheus with the generated config, the key in a file of its own
    key_file = tmp_path / "api-key"
    key_file.write_text(key)
    key_file.chmod(0o600)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(default_project, f"127.0.0.1:{api_port}", key_file)))
    prometheus = [
        "python3",
        "tools/promtool.py",
        "--server",
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ]
    prometheus_url = f"http://127.0.0.1:{prometheus_port}"
    where = run(["python3", "tools/promtool.py", "--where"], cwd=default_project, env=project_env)
    assert where.stdout.strip(), "tools/promtool.py should find or unpack promtool (and the server)"

    # when both run until Prometheus scraped the API
    with (
        started(serve, default_project, api_env, tmp_path / "api.log") as api_process,
        started(prometheus, default_project, project_env, tmp_path / "prometheus.log") as server,
    ):
        api_ready = f"http://127.0.0.1:{api_port}/ready"
        wait_for(api_ready, API_READY_TIMEOUT_S, api_process, tmp_path / "api.log")
        wait_for(f"{prometheus_url}/-/ready", SCRAPE_TIMEOUT_S, server, tmp_path / "prometheus.log")
        target = first_scrape(prometheus_url, SCRAPE_TIMEOUT_S)
        models = series(prometheus_url, 'api_model_info{job="api"}', SCRAPE_TIMEOUT_S)
        # A scrape's own request is counted after its answer: the next scrape reads it
        scrapes = series(prometheus_url, 'api_requests_total{path="/metrics"}', SCRAPE_TIMEOUT_S)
        groups = query(prometheus_url, "rules")["groups"]

    # then the scrape passed the key, and the series it read are Prometheus' to query
    assert target["lastError"] == "", target
    assert [model["metric"]["version"] for model in models] == ["1"], models
    assert models[0]["metric"]["name"] == "my-ml-project-churn", models
    assert [item["metric"]["status"] for item in scrapes] == ["200"], "the scrapes should be answered 200"
    # and the server loaded the generated alert rules
    alerts = {rule["name"] for group in groups for rule in group["rules"]}
    assert {"ApiHighErrorRate", "ApiNotReady", "MonitoringAlertRaised"} <= alerts, alerts
