"""Stage 4: drift on 1,000,000 rows against Evidently's, and the prediction log's cost to the API.

Side by side in one run, on this machine:
- drift: 1,000,000 current rows (the 1M-customer warehouse's feature view: the model's feature
  columns and its score) against a 1,000-row reference (the registered reference sample of the
  model `benchmarks.train` trained on that warehouse, else a seeded sample of the sample's feature
  view), every feature and the score; the project's `core.monitoring.drift.drift_report` in the project's
  venv and Evidently's data drift report (`DataDriftPreset`) in a throwaway venv of its own
  (Evidently 0.7 needs pandas < 3, which the project does not pin), each in a fresh process reading
  the same Parquet files, with its wall time and peak memory; then each one's verdict per feature,
  on that window and on one with real drift (a numeric feature shifted, a new category);
- the prediction log: `make serve` loaded with single records at concurrency 8, with the log off
  and on, alternated, and what the log wrote and dropped.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import statistics
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks.project import PREFIX, BigWarehouse, Project, sh, timed_peak
from benchmarks.serving import RECORDS, Load, server, wrk
from tools import docker_engine
from tools.environment import index_url

EVIDENTLY = "0.7.23"
# Evidently's own venv, kept between runs outside the repository: the first `make bench` builds it
# (~440 MB; about 5 minutes here), later ones reuse it.
EVIDENTLY_HOME = Path.home() / ".cache" / "copier-mlops-bench"
EVIDENTLY_PINS = (f"evidently=={EVIDENTLY}", "pandas<3")
SEED = 20_240_614
REFERENCE_ROWS = 1_000
# The window with real drift: this numeric feature moves by one reference standard deviation, and
# this share of rows of the categorical feature gets a category the reference never had.
SHIFT_STDS = 1.0
NEW_CATEGORY_SHARE = 0.10
GOAL_SECONDS, GOAL_MIB, GOAL_SPEEDUP = 5.0, 1024.0, 5.0
GOAL_LOG_SLOWER = 0.10
LOG_ROUNDS = 3  # off, on, off, on, off, on: the medians of each

# Writes the Parquet files both drift reports read: the reference, the 1M-row window, the same
# window with drift; each with the model's feature columns (as the model receives them) + score.
PREPARE = """
import json, sys
from pathlib import Path
import duckdb, mlflow, numpy as np, pandas as pd
from my_ml_project.core.data.contracts import CustomerFeatures
from my_ml_project.core.model.features import model_input
from my_ml_project.core.model.training import features_of
from my_ml_project.io.configs import load_train_config
from my_ml_project.io.registry import open_registry, version_by_alias
from my_ml_project.io.run_artifacts import REFERENCE_ARTIFACT, load_model_at
out, big_warehouse, sample_warehouse, big_store, sample_store, rows, seed, stds, share = sys.argv[1:]
out, rows, seed, stds, share = Path(out), int(rows), int(seed), float(stds), float(share)
config = load_train_config(Path("configs/train.yaml"))
features = features_of(CustomerFeatures, config)
def registered(store):
    client = open_registry(store)
    for alias in ("champion", "challenger"):
        version = version_by_alias(client, config.model_name, alias)
        if version is not None:
            return version, alias
    return None, None
version, alias = registered(big_store)
if version is not None:
    local = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=str(out / "artifact")
    )
    reference = pd.read_parquet(local)
    origin = f"registered reference sample of version {version.version} ({alias}, trained on 1M rows)"
else:
    version, alias = registered(sample_store)
    reference = duckdb.connect(sample_warehouse, read_only=True).sql(
        f"select * from customer_features using sample reservoir({rows} rows) repeatable ({seed})"
    ).df()
    origin = f"seeded {rows:,}-row sample of the sample's feature view (no model trained on 1M rows)"
pipeline = load_model_at(f"models:/{config.model_name}/{version.version}")
def scored(frame):
    window = model_input(frame, features)
    window["score"] = pipeline.predict_proba(window)[:, 1]
    return window
reference = scored(reference)
current = scored(duckdb.connect(big_warehouse, read_only=True).sql(
    f"select {', '.join(features.columns)} from customer_features"
).df())
reference.to_parquet(out / "reference.parquet", index=False)
current.to_parquet(out / "current.parquet", index=False)
rng = np.random.default_rng(seed)
numeric, categorical = features.numeric[0], features.categorical[0]
shift = float(reference[numeric].std()) * stds
drifted = current[features.columns].copy()
drifted[numeric] = drifted[numeric] + shift
new = f"new-{categorical}"
drifted.loc[rng.random(len(drifted)) < share, categorical] = new
drifted = scored(drifted)
drifted.to_parquet(out / "drifted.parquet", index=False)
json.dump({
    "categorical": list(features.categorical), "numeric": list(features.numeric),
    "origin": origin, "model_version": str(version.version), "reference_rows": len(reference),
    "current_rows": len(current), "shifted": numeric, "shift": shift, "new_category": [categorical, new],
}, open(out / "windows.json", "w"))
"""

# The project's drift: `core.monitoring.drift.drift_report` (its default thresholds, as
# configs/monitoring.yaml ships them) on the Parquet files; its verdicts as JSON. It tests the score
# column by itself.
OURS = """
import json, sys, time
from pathlib import Path
import pandas as pd
from my_ml_project.core.monitoring.drift import drift_report
from my_ml_project.core.monitoring.drift_statistics import DriftConfig
reference, current, windows, out = (Path(arg) for arg in sys.argv[1:])
meta = json.loads(windows.read_text())
start = time.perf_counter()
result = drift_report(
    pd.read_parquet(reference), pd.read_parquet(current),
    categorical=meta["categorical"], numeric=meta["numeric"], config=DriftConfig(),
)
seconds = time.perf_counter() - start
found = result.features | ({} if result.score is None else {"score": result.score})
features = {
    name: {
        "kind": f.kind, "test": f.test, "statistic": f.statistic, "threshold": f.threshold,
        "drifted": bool(f.drifted),
        "also": [kind for kind, flag in (("unseen", f.unseen_flagged), ("missing", f.missing_rose)) if flag],
    }
    for name, f in found.items()
}
out.write_text(json.dumps({"seconds": seconds, "features": features}))
"""

# Evidently's data drift report on the same files, the column types declared as the project's.
THEIRS = """
import json, sys, time
from pathlib import Path
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
reference, current, windows, out = (Path(arg) for arg in sys.argv[1:])
meta = json.loads(windows.read_text())
start = time.perf_counter()
definition = DataDefinition(
    numerical_columns=[*meta["numeric"], "score"], categorical_columns=meta["categorical"]
)
snapshot = Report([DataDriftPreset()]).run(
    Dataset.from_pandas(pd.read_parquet(current), data_definition=definition),
    Dataset.from_pandas(pd.read_parquet(reference), data_definition=definition),
)
seconds = time.perf_counter() - start
features = {}
for metric in snapshot.dict()["metrics"]:
    config = metric.get("config", {})
    if config.get("type", "").endswith("ValueDrift"):
        method, threshold, value = config.get("method"), config.get("threshold"), metric["value"]
        drifted = value < threshold if "p_value" in str(method) else value >= threshold
        features[config["column"]] = {
            "test": method, "statistic": value, "threshold": threshold, "drifted": bool(drifted)
        }
out.write_text(json.dumps({"seconds": seconds, "features": features}))
"""

# Counts the rows of the prediction log's Parquet files (hidden temporary files excluded).
COUNT_LOG = """
import sys
from pathlib import Path
import pyarrow.parquet as pq
files = [p for p in Path(sys.argv[1]).rglob("*.parquet") if not p.name.startswith(".")]
print(sum(pq.ParquetFile(p).metadata.num_rows for p in files), len(files))
"""


@dataclass(frozen=True)
class DriftRun:
    """One drift report: wall time and peak of its process, and its verdict per feature."""

    seconds: float
    peak_mib: float
    inner_seconds: float
    features: dict[str, dict[str, object]]


def evidently_python(project: Project) -> Path:
    """Evidently's throwaway venv (made once, with the project's Python version); its interpreter."""
    version = sh(
        [project.python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        project.root,
        project.env,
    ).stdout.strip()
    venv = EVIDENTLY_HOME / f"evidently-{EVIDENTLY}-py{version}"
    python = venv / "bin" / "python"
    if (venv / ".installed").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    sh([project.python, "-m", "venv", str(venv)], project.root, project.env)
    # pyarrow reads the Parquet files; the index is pip's default or PIP_INDEX_URL, computed here.
    install = [str(python), "-m", "pip", "install", "--quiet", "--index-url", index_url()]
    sh([*install, *EVIDENTLY_PINS, "pyarrow"], project.root, project.env)
    (venv / ".installed").touch()
    return python


def _drift(python: str | Path, script: str, files: tuple[Path, Path, Path], project: Project) -> DriftRun:
    out = files[1].with_name(f"verdicts-{secrets.token_hex(4)}.json")
    seconds, peak = timed_peak(
        [str(python), "-c", script, *map(str, files), str(out)], project.root, project.env
    )
    found = json.loads(out.read_text())
    return DriftRun(seconds, peak, found["seconds"], found["features"])


def _verdict(found: dict[str, object] | None) -> str:
    if found is None:
        return "(not reported)"
    word = "DRIFT" if found["drifted"] else "ok"
    also = "".join(f" +{kind}" for kind in found.get("also", []))  # type: ignore[attr-defined]
    return f"{word:<5} {found['test']} {float(found['statistic']):.3g} vs {found['threshold']}{also}"  # type: ignore[arg-type]


def _letters(text: object) -> str:
    return re.sub("[^a-z]", "", str(text).lower())  # "chi_square" in "chi-square p_value"


def _reason(ours: dict[str, object], theirs: dict[str, object], rows: tuple[int, int]) -> str:
    """Why two verdicts differ, in a line: the test each picked, or the threshold.

    Evidently's default picks (its stattests registry) go by the reference's rows: up to 1,000,
    p-value tests (K-S; chi-square for text and for numbers with <= 5 distinct values); ours by
    the window's rows, distances above `small_window_rows`.
    """
    reference, current = rows
    if _letters(ours["test"]) in _letters(theirs["test"]):
        return f"same test, thresholds {ours['threshold']} (ours) and {theirs['threshold']} (Evidently)"
    picked = f"Evidently's {theirs['test']} (its pick for a {reference:,}-row reference"
    if ours.get("kind") == "numeric" and _letters(theirs["test"]).startswith(("chi", "z")):
        picked += "; <= 5 distinct numbers read as categories"
    picked += f") vs our {ours['test']} (our pick for {current:,} rows)"
    if theirs["drifted"] and _letters(theirs["test"]).startswith("chi"):
        return f"{picked}: chi-square takes the reference's shares as exact, its sampling noise as drift"
    if theirs["drifted"]:
        return f"{picked}: a p-value on {current:,} rows flags a difference this small"
    return f"{picked}: the distance passes our threshold, the p-value stays above its own"


def _verdicts(title: str, ours: DriftRun, theirs: DriftRun, rows: tuple[int, int]) -> list[str]:
    width = max(map(len, [*ours.features, *theirs.features])) + 2
    lines = [f"  {title}", f"    {'column':<{width}}{'ours':<46}Evidently"]
    disagreements = []
    for name in [*ours.features, *(name for name in theirs.features if name not in ours.features)]:
        mine, other = ours.features.get(name), theirs.features.get(name)
        lines.append(f"    {name:<{width}}{_verdict(mine):<46}{_verdict(other)}")
        if mine is not None and other is not None and mine["drifted"] != other["drifted"]:
            disagreements.append(f"    {name}: {_reason(mine, other, rows)}")
    drifted = (sum(bool(found["drifted"]) for found in run.features.values()) for run in (ours, theirs))
    lines.append("    drifted: {} (ours), {} (Evidently)".format(*drifted))
    lines.append(f"    disagreements: {len(disagreements) or 'none'}")
    return lines + disagreements


def drift(project: Project, big: BigWarehouse, scratch: Path) -> list[str]:
    """Both drift reports on the same windows; return the report's lines."""
    folder = scratch / "drift"
    folder.mkdir(exist_ok=True)
    big_store = f"sqlite:///{scratch / 'big-mlruns' / 'mlflow.db'}"
    sample_store = sh(project.cli("settings", "--field", "mlflow_tracking_uri"), project.root, project.env)
    sh(
        [project.python, "-c", PREPARE, str(folder), big.env[f"{PREFIX}WAREHOUSE_PATH"],
         str(project.root / "data" / "warehouse.duckdb"), big_store, sample_store.stdout.strip(),
         str(REFERENCE_ROWS), str(SEED), str(SHIFT_STDS), str(NEW_CATEGORY_SHARE)],
        project.root,
        project.env,
    )  # fmt: skip
    meta = json.loads((folder / "windows.json").read_text())
    evidently = evidently_python(project)
    reference, windows = folder / "reference.parquet", folder / "windows.json"
    runs = {}
    for window in ("current", "drifted"):
        files = (reference, folder / f"{window}.parquet", windows)
        runs[window] = (
            _drift(project.python, OURS, files, project),
            _drift(evidently, THEIRS, files, project),
        )
    ours, theirs = runs["current"]
    columns = len(meta["categorical"]) + len(meta["numeric"]) + 1

    def row(name: str, run: DriftRun) -> str:
        seconds, peak, inner = run.seconds, run.peak_mib, run.inner_seconds
        return f"    {name:<34}{seconds:6.1f} s  {peak:6.0f} MiB   ({inner:.1f} s reading and comparing)"

    new_category = meta["new_category"]
    rows = (meta["reference_rows"], meta["current_rows"])
    return [
        f"  drift: {meta['current_rows']:,} current rows vs {meta['reference_rows']:,} reference rows, "
        f"{columns} columns (features + score); fresh process each, from Parquet",
        f"    reference: {meta['origin']}",
        row("ours (core.monitoring.drift.drift_report)", ours),
        row(f"Evidently {EVIDENTLY} (DataDriftPreset)", theirs),
        f"    goal ours <= {GOAL_SECONDS:.0f} s and <= {GOAL_MIB:.0f} MiB: "
        f"{'met' if ours.seconds <= GOAL_SECONDS and ours.peak_mib <= GOAL_MIB else 'NOT met'}; "
        f"{theirs.seconds / ours.seconds:.1f}x faster than Evidently, "
        f"{theirs.peak_mib / ours.peak_mib:.1f}x less memory (goal >= {GOAL_SPEEDUP:.0f}x faster)",
        *_verdicts("verdicts on the 1M-row window (same distribution as the reference)", ours, theirs, rows),
        *_verdicts(
            f"verdicts with real drift: {meta['shifted']} + {meta['shift']:.3g} "
            f"({SHIFT_STDS:g} reference std), "
            f"{NEW_CATEGORY_SHARE:.0%} of {new_category[0]} set to {new_category[1]!r}, rescored",
            *runs["drifted"],
            rows,
        ),
    ]


def _metric(text: str, name: str) -> float:
    return sum(float(value) for value in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def prediction_log(project: Project, scratch: Path) -> list[str]:
    """The API under load with the log off and on, alternated; return the report's lines."""
    if shutil.which("wrk") is None:
        docker_engine.apt_install("wrk")
    records = json.loads(sh([project.python, "-c", RECORDS, "1"], project.root, project.env).stdout)
    body = scratch / "log-1.json"
    body.write_text(json.dumps({"records": records[:1]}))
    key = secrets.token_urlsafe(32)
    env = project.env | {
        "PATH": f"{project.root / '.venv' / 'bin'}:{project.env['PATH']}",
        "PORT": "5603",
        f"{PREFIX}API_KEY": key,
    }
    loads: dict[bool, list[Load]] = {False: [], True: []}
    answered = dropped = 0
    rows = files = 0
    for round_ in range(LOG_ROUNDS):
        for enabled in (False, True):
            folder = scratch / f"prediction-log-{round_}-{'on' if enabled else 'off'}"
            run_env = env | {
                f"{PREFIX}PREDICTION_LOG_ENABLED": str(enabled).lower(),
                f"{PREFIX}PREDICTION_LOG_DIR": str(folder),
            }
            with server(project.cli("serve"), project, run_env, "http://127.0.0.1:5603/ready"):
                loads[enabled].append(wrk("http://127.0.0.1:5603/predict", body, 8, scratch, key))
                request = urllib.request.Request("http://127.0.0.1:5603/metrics", headers={"X-API-Key": key})
                with urllib.request.urlopen(request, timeout=10) as answer:
                    metrics = answer.read().decode()
            # After the server stopped: it writes what its queue still held as it shuts down.
            counted = sh([project.python, "-c", COUNT_LOG, str(folder)], project.root, project.env)
            found_rows, found_files = map(int, counted.stdout.split())
            if not enabled:
                if found_rows:
                    raise RuntimeError(f"the API logged {found_rows} predictions with the log off")
                continue
            answered += int(_metric(metrics, r'api_requests_total\{path="/predict",status="200"\}'))
            dropped += int(_metric(metrics, "api_prediction_log_dropped_total"))
            rows, files = rows + found_rows, files + found_files

    def median(enabled: bool, field: str) -> float:
        return statistics.median(getattr(load, field) for load in loads[enabled])

    off_rate, on_rate = median(False, "requests_per_second"), median(True, "requests_per_second")
    off_p99, on_p99 = median(False, "p99_ms"), median(True, "p99_ms")
    rate_change, p99_change = on_rate / off_rate - 1, on_p99 / off_p99 - 1
    met = rate_change >= -GOAL_LOG_SLOWER and p99_change <= GOAL_LOG_SLOWER

    def each(enabled: bool) -> str:
        return ", ".join(
            f"{load.requests_per_second:.0f} req/s p99 {load.p99_ms:.1f} ms" for load in loads[enabled]
        )

    return [
        f"  prediction log, make serve, 1 record x c=8, {LOG_ROUNDS} rounds (off, on, ...), medians",
        f"    log off   {off_rate:7.0f} req/s   p99 {off_p99:6.1f} ms   ({each(False)})",
        f"    log on    {on_rate:7.0f} req/s   p99 {on_p99:6.1f} ms   ({each(True)})",
        f"    on vs off: req/s {rate_change:+.1%}, p99 {p99_change:+.1%} (goal: req/s >= "
        f"-{GOAL_LOG_SLOWER:.0%}, p99 <= +{GOAL_LOG_SLOWER:.0%}: {'met' if met else 'NOT met'})",
        f"    log on: {answered:,} predictions answered, {rows:,} rows in {files} Parquet files once "
        "stopped, "
        f"{dropped:,} counted dropped, {answered - rows:,} missing",
    ]


def run(project: Project, big: BigWarehouse, scratch: Path) -> str:
    """Measure and return the report (benchmarks.train and benchmarks.serving must have run first)."""
    return "\n".join(
        [
            "stage 4 monitoring",
            *drift(project, big, scratch),
            *prediction_log(project, scratch),
        ]
    )
