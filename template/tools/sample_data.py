"""Generate the sample data in data/sample/: synthetic customers of a subscription service.

The sample is what lets every stage run on a fresh clone. It is synthetic (no real person is in it),
deterministic (a fixed seed: the same files every time, which a test checks), and as messy as real
exports are, so the SQL staging views have real cleaning to do: free-text plans and countries in
mixed case with stray spaces, missing ages and minutes, and dates as text.

    python tools/sample_data.py --customers 1500 --out data/sample

Larger samples (for benchmarks) come from the same generator: ``--customers 200000``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
SNAPSHOT = date(2025, 12, 31)  # the last day of activity in the sample
MISSING_AGE = 0.03  # share of customers who did not give their age
MISSING_MINUTES = 0.01  # share of active days whose minutes the app did not report
PLANS = {"basic": 9.99, "standard": 19.99, "premium": 39.99}
PLAN_SPELLINGS = {
    "basic": ["basic", "Basic", " basic", "BASIC "],
    "standard": ["standard", "Standard", "STANDARD", "standard "],
    "premium": ["premium", "Premium", " PREMIUM"],
}
COUNTRIES = {
    "US": ["US", "us", "U.S."],
    "GB": ["GB", "gb", "UK"],
    "DE": ["DE", "de "],
    "FR": ["FR"],
}


def spell(
    values: np.ndarray, spellings: dict[str, list[str]], rng: np.random.Generator
) -> list[str]:
    """Return each value written one of its ways, as free text in an export would be."""
    picks = rng.integers(0, 12, size=len(values))
    return [
        spellings[value][pick % len(spellings[value])]
        for value, pick in zip(values, picks, strict=True)
    ]


def customers_frame(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Return the raw customers table: one row per customer, with the churn label."""
    plan = rng.choice(list(PLANS), size=count, p=[0.5, 0.35, 0.15])
    country = rng.choice(list(COUNTRIES), size=count, p=[0.45, 0.25, 0.2, 0.1])
    tenure = rng.integers(30, 3 * 365, size=count)
    age = rng.integers(18, 80, size=count).astype(float)
    age[rng.random(count) < MISSING_AGE] = np.nan
    engagement = rng.gamma(2.0, 1.0, size=count)
    # Churn is likelier for short tenure, low engagement and the basic plan: a learnable signal.
    logit = 0.8 - 0.0015 * tenure - 0.6 * engagement + np.where(plan == "basic", 0.7, 0.0)
    churned = (rng.random(count) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "customer_id": [f"C{number:07d}" for number in range(1, count + 1)],
            "signup_date": (pd.Timestamp(SNAPSHOT) - pd.to_timedelta(tenure, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "plan": spell(plan, PLAN_SPELLINGS, rng),
            "country": spell(country, COUNTRIES, rng),
            "age": pd.array(age, dtype="Int64"),
            "monthly_fee": [PLANS[name] for name in plan],
            "churned": churned,
            "engagement": engagement,
        }
    )


def activity_frame(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """Return the raw activity table: one row per customer and active day, over 180 days."""
    churned = customers["churned"].to_numpy()
    rate = 2 + 4 * customers["engagement"].to_numpy() * np.where(churned == 1, 0.4, 1.0)
    per_customer = np.maximum(rng.poisson(rate), 1)
    owner = np.repeat(np.arange(len(customers)), per_customer)
    days_ago = rng.integers(0, 180, size=len(owner))
    frame = pd.DataFrame({"owner": owner, "days_ago": days_ago}).drop_duplicates()
    count = len(frame)
    dates = pd.Timestamp(SNAPSHOT) - pd.to_timedelta(frame["days_ago"].to_numpy(), unit="D")
    ticket_rate = np.where(churned[frame["owner"].to_numpy()] == 1, 0.1, 0.05)
    minutes = np.round(rng.gamma(2.0, 12.0, size=count), 1)
    minutes[rng.random(count) < MISSING_MINUTES] = np.nan
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[frame["owner"].to_numpy()],
            "activity_date": dates.strftime("%Y-%m-%d"),
            "sessions": rng.integers(1, 6, size=count),
            "minutes": minutes,
            "support_tickets": (rng.random(count) < ticket_rate).astype(int),
        }
    )


def generate(customers: int, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Return the raw tables, by name."""
    rng = np.random.default_rng(seed)
    people = customers_frame(rng, customers)
    activity = activity_frame(rng, people)
    return {"customers": people.drop(columns="engagement"), "activity": activity}


def write(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write each table to ``out/<name>.csv`` and return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Generate the sample and write it as CSV files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1500, help="number of customers")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("data/sample"), help="output folder")
    args = parser.parse_args(argv)
    for path in write(generate(args.customers, args.seed), args.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
