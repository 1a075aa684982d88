"""Stage 3: the online API and batch predictions against MLflow's own, on the same registered model.

Side by side in one run, on this machine, with the champion that `benchmarks.train` promoted:
- online: `make serve` (the project's API, as in production: with an API key, which every request
  sends) and `mlflow models serve --env-manager local`, each alone on the machine, loaded with wrk:
  1 and 100 records per request, at concurrency 1, 8 and 32;
- batch: `make predict-batch` on 1,000,000 and 5,000,000 feature rows from Parquet, and `mlflow
  models predict` on the same 1,000,000 rows (which reads CSV or JSON: the Parquet to CSV conversion
  is timed apart), each in a fresh process, with its peak memory;
- the image: its size, and the time from `docker run` to the first prediction (`make docker-smoke`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.project import PREFIX, BigWarehouse, Project, sh, timed_peak
from tools import docker_engine
from tools.generated import waiting

MODEL_URI = "models:/my-ml-project-churn@champion"
SECONDS = 8
CONCURRENCY = (1, 8, 32)
SIZES = (1, 100)
BIG_ROWS = 1_000_000
RECORDS = """
import json, sys
from pathlib import Path
import duckdb
from my_ml_project.core.data.contracts import CustomerFeatures
from my_ml_project.core.model.training import features_of
from my_ml_project.io.configs import load_train_config
config = load_train_config(Path("configs/train.yaml"))
columns = features_of(CustomerFeatures, config).columns
rows = duckdb.connect("data/warehouse.duckdb", read_only=True).sql(
    f"select {', '.join(columns)} from customer_features order by customer_id limit {int(sys.argv[1])}"
).df()
print(rows.to_json(orient="records"))
"""
EXPORT = """
import sys
import duckdb
warehouse, parquet, parquet5 = sys.argv[1:]
db = duckdb.connect(warehouse, read_only=True)
db.sql(f"copy (select * exclude (churned) from customer_features) to '{parquet}' (format parquet)")
db.sql(f"copy (select f.* from read_parquet('{parquet}') f, range(5)) to '{parquet5}' (format parquet)")
"""
TO_CSV = """
import sys
from pathlib import Path
import duckdb
from my_ml_project.core.data.contracts import CustomerFeatures
from my_ml_project.core.model.training import features_of
from my_ml_project.io.configs import load_train_config
features = features_of(CustomerFeatures, load_train_config(Path("configs/train.yaml")))
# The model's signature reads numbers as doubles: written as such, so pandas reads them back so.
columns = ", ".join([*features.categorical, *(f"{name}::double as {name}" for name in features.numeric)])
duckdb.sql(f"copy (select {columns} from read_parquet('{sys.argv[1]}')) to '{sys.argv[2]}' (header)")
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float


@contextmanager
def server(args: list[str], project: Project, env: dict[str, str], probe: str) -> Iterator[None]:
    """Run a server in its own process group until the block ends."""
    log_path = project.root / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            args, cwd=project.root, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        waiting.url_answers(probe, 180, gone=waiting.exited(process, log_path))
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def tracking_uri(project: Project) -> str:
    """The project's tracking store, as its settings name it: MLflow's own commands are pointed at it."""
    asked = sh(project.cli("settings", "--field", "mlflow_tracking_uri"), project.root, project.env)
    return asked.stdout.strip()


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, body: Path, concurrency: int, scratch: Path, key: str | None = None) -> Load:
    """Load ``url`` with POSTs of ``body`` (and ``key`` as X-API-Key) for SECONDS; return figures."""
    script = scratch / "post.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = io.open("{body}"):read("*a")\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        + (f'wrk.headers["X-API-Key"] = "{key}"\n' if key is not None else "")
    )
    # One load thread: on a 2-core machine a second one takes the server's core (measured: at
    # concurrency 8, p99 39 ms with one wrk thread, 181 ms with two).
    threads = 1
    # Two seconds first, unmeasured: connections open, caches and allocators warm.
    warm = ["wrk", f"-t{threads}", f"-c{concurrency}", "-d2s", "-s", str(script), url]
    subprocess.run(warm, capture_output=True, check=True)
    args = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{SECONDS}s", "--latency", "-s", str(script), url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # The latency distribution's lines (other lines end in percentages too).
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.M).group(1))  # type: ignore[union-attr]
    return Load(rate, p50, p99)


def online(project: Project, scratch: Path) -> list[str]:
    """Load both servers with the same records; return the report's lines."""
    if shutil.which("wrk") is None:
        docker_engine.apt_install("wrk")
    records = json.loads(
        sh([project.python, "-c", RECORDS, str(max(SIZES))], project.root, project.env).stdout
    )
    bodies: dict[tuple[str, int], Path] = {}
    for size in SIZES:
        for name, key in (("api", "records"), ("mlflow", "dataframe_records")):
            bodies[name, size] = scratch / f"{name}-{size}.json"
            bodies[name, size].write_text(json.dumps({key: records[:size]}))
    env = project.env | {"PATH": f"{project.root / '.venv' / 'bin'}:{project.env['PATH']}"}
    results: dict[tuple[str, int, int], Load] = {}
    mlflow = [str(project.root / ".venv" / "bin" / "mlflow"), "models", "serve", "-m", MODEL_URI]
    mlflow += ["--env-manager", "local", "--host", "127.0.0.1", "--port", "5601"]
    with server(
        mlflow,
        project,
        env | {"MLFLOW_TRACKING_URI": tracking_uri(project)},
        "http://127.0.0.1:5601/ping",
    ):
        for size in SIZES:
            for concurrency in CONCURRENCY:
                url = "http://127.0.0.1:5601/invocations"
                results["mlflow", size, concurrency] = wrk(url, bodies["mlflow", size], concurrency, scratch)
    key = secrets.token_urlsafe(32)
    api_env = env | {"PORT": "5602", f"{PREFIX}API_KEY": key}
    with server(project.cli("serve"), project, api_env, "http://127.0.0.1:5602/ready"):
        for size in SIZES:
            for concurrency in CONCURRENCY:
                url = "http://127.0.0.1:5602/predict"
                results["api", size, concurrency] = wrk(url, bodies["api", size], concurrency, scratch, key)
    lines = [
        f"  online, wrk {SECONDS} s per cell: req/s, p50 / p99 ms (records per request x concurrency)",
        f"  {'':18}{'make serve':>28}{'mlflow models serve':>28}{'req/s ratio':>14}",
    ]
    for size in SIZES:
        for concurrency in CONCURRENCY:
            ours, theirs = results["api", size, concurrency], results["mlflow", size, concurrency]
            lines.append(
                f"  {size:>3} x c={concurrency:<10}"
                f"{ours.requests_per_second:>9.0f} {ours.p50_ms:>7.1f} / {ours.p99_ms:<7.1f}"
                f"{theirs.requests_per_second:>12.0f} {theirs.p50_ms:>7.1f} / {theirs.p99_ms:<7.1f}"
                f"{ours.requests_per_second / theirs.requests_per_second:>10.1f}x"
            )
    return lines


def batch(project: Project, big: BigWarehouse, scratch: Path) -> list[str]:
    """Score 1M (and 5M) rows both ways; return the report's lines.

    Ours twice: with the exported champion (`SERVING_MODEL_DIR`, as the image runs it: no MLflow
    import) and from the registry's alias (as `make predict-batch` does on a developer's machine).
    """
    parquet, parquet5, csv = scratch / "rows-1m.parquet", scratch / "rows-5m.parquet", scratch / "rows-1m.csv"
    warehouse = big.env[f"{PREFIX}WAREHOUSE_PATH"]
    sh([project.python, "-c", EXPORT, warehouse, str(parquet), str(parquet5)], project.root, project.env)
    exported = scratch / "model"
    sh(project.cli("export-model", "--to", str(exported)), project.root, project.env)
    env = project.env | {f"{PREFIX}PREDICTIONS_DIR": str(scratch / "predictions")}
    image_env = env | {f"{PREFIX}SERVING_MODEL_DIR": str(exported)}
    score_1m, score_5m = (project.cli("predict-batch", "--input", str(path)) for path in (parquet, parquet5))
    ours_1m, ours_1m_peak = timed_peak(score_1m, project.root, image_env)
    ours_5m, ours_5m_peak = timed_peak(score_5m, project.root, image_env)
    registry_1m, registry_1m_peak = timed_peak(score_1m, project.root, env)
    convert, _ = timed_peak([project.python, "-c", TO_CSV, str(parquet), str(csv)], project.root, project.env)
    mlflow = [str(project.root / ".venv" / "bin" / "mlflow"), "models", "predict", "-m", MODEL_URI]
    mlflow += ["--env-manager", "local", "-t", "csv", "-i", str(csv), "-o", str(scratch / "mlflow.json")]
    mlflow_env = project.env | {"MLFLOW_TRACKING_URI": tracking_uri(project)}
    theirs, theirs_peak = timed_peak(mlflow, project.root, mlflow_env)
    theirs_total = theirs + convert

    def row(name: str, rows: int, seconds: float, peak: float) -> str:
        return f"  {name:<40}{rows / seconds:>10,.0f} rows/s  {seconds:6.1f} s  {peak:6.0f} MiB"

    def ratio(name: str, seconds: float, peak: float) -> str:
        speed, memory = theirs_total / seconds, peak / theirs_peak
        return f"  {name}: {speed:.1f}x the rows/s, {memory:.2f}x the peak memory"

    return [
        "  batch, end to end from Parquet, fresh process each (rows/s, seconds, peak memory)",
        row("predict-batch, exported model, 1M rows", BIG_ROWS, ours_1m, ours_1m_peak),
        row("predict-batch, exported model, 5M rows", 5 * BIG_ROWS, ours_5m, ours_5m_peak),
        row("predict-batch, registry alias, 1M rows", BIG_ROWS, registry_1m, registry_1m_peak),
        row("mlflow models predict, 1M rows", BIG_ROWS, theirs_total, theirs_peak)
        + f"   ({convert:.1f} s of it Parquet to CSV)",
        ratio("exported model (the image's way) vs mlflow, 1M rows", ours_1m, ours_1m_peak),
        ratio("registry alias vs mlflow, 1M rows", registry_1m, registry_1m_peak),
    ]


def image(project: Project) -> list[str]:
    """Build the image with the champion and time its start; return the report's lines."""
    pid = docker_engine.start_engine()
    try:
        base = docker_engine.base_image_override((project.root / ".python-version").read_text().strip())
        smoke = sh(["make", "docker-smoke", f"DOCKER_BASE_IMAGE={base}"], project.root, project.env).stdout
        size = int(
            sh(
                ["docker", "image", "inspect", "--format", "{{.Size}}", "my-ml-project:latest"],
                project.root,
                project.env,
            ).stdout
        )
    finally:
        if pid is not None:
            docker_engine.stop_engine(pid)
    found = re.search(r"ready in ([\d.]+) s, first prediction in ([\d.]+) s", smoke)
    if found is None:
        raise RuntimeError(f"make docker-smoke printed no timing:\n{smoke[-2000:]}")
    ready, first = found.groups()
    return [f"  image: {size / 1e6:.0f} MB; docker run to ready {ready} s, to first prediction {first} s"]


def run(project: Project, big: BigWarehouse, scratch: Path) -> str:
    """Measure and return the report (the champion must exist: run benchmarks.train first)."""
    return "\n".join(
        [
            "stage 3 serving (the champion trained on the sample; same registered model both ways)",
            *online(project, scratch),
            *batch(project, big, scratch),
            *image(project),
        ]
    )
