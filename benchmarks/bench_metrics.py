"""Cost of the compatibility metrics relative to scikit-learn's accuracy_score.

On the same label vectors (int labels, 10 classes; then string labels),
interleaved and repeated in one process: ``accuracy_score(y, y_pred)`` against
``btc_score``, ``bec_score``, ``negative_flip_rate``, ``positive_flip_rate``
(each validates three label vectors, so one validation costs about three of
accuracy_score's two) and ``compatibility_report`` without and with intervals.
The fastest of ``--repeats`` is reported with its ratio to accuracy_score.
Bars: each score <= 1.2x, the report (no intervals) <= 3x.

    python benchmarks/bench_metrics.py [--n 10000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np
from sklearn.metrics import accuracy_score

from sklearn_bc import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)


def labels(n, kind, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 10, n)
    y_ref = np.where(rng.rand(n) < 0.85, y, rng.randint(0, 10, n))
    y_pred = np.where(rng.rand(n) < 0.9, y, rng.randint(0, 10, n))
    if kind == "str":
        names = np.array([f"class_{k}" for k in range(10)])
        y, y_ref, y_pred = names[y], names[y_ref], names[y_pred]
    return y, y_ref, y_pred


def metric_calls(y, y_ref, y_pred):
    """Each timed call on one set of label vectors."""
    return {
        "accuracy_score": lambda: accuracy_score(y, y_pred),
        "btc_score": lambda: btc_score(y, y_ref, y_pred),
        "bec_score": lambda: bec_score(y, y_ref, y_pred),
        "negative_flip_rate": lambda: negative_flip_rate(y, y_ref, y_pred),
        "positive_flip_rate": lambda: positive_flip_rate(y, y_ref, y_pred),
        "compatibility_report": lambda: compatibility_report(y, y_ref, y_pred),
        "report, 95% intervals x1000": lambda: compatibility_report(
            y, y_ref, y_pred, confidence_level=0.95, random_state=0
        ),
    }


def fastest(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  load {os.getloadavg()[0]:.2f}  n={args.n:,}"
    )
    for kind in ("int", "str"):
        n = args.n if kind == "int" else args.n // 10
        y, y_ref, y_pred = labels(n, kind)
        calls = metric_calls(y, y_ref, y_pred)
        times = {name: fastest(call, args.repeats) for name, call in calls.items()}
        base = times["accuracy_score"]
        print(f"\n{kind} labels, {n:,} rows")
        for name, seconds in times.items():
            print(f"  {name:<30} {seconds:8.3f} s  {seconds / base:6.2f}x")


if __name__ == "__main__":
    main()
