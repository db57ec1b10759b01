"""Wall time of the demo's 22-point lambda_c sweep on three joblib backends.

Runs the same GridSearchCV (11 lambda_c x 2 dissonances, cv=3, the demo's
scorers, no refit) sequentially, with n_jobs=2 (loky) and on a local Dask
cluster of 2 single-threaded worker processes, checks that the three give the
same test scores and prints the times side by side. The Dask time is measured
with the cluster already started (its start-up is printed separately).

    python benchmarks/bench_sweep_backends.py
"""

from __future__ import annotations

import time

import joblib
import numpy as np

from sklearn_bc.datasets import load_digits_update
from sklearn_bc.demo import _torch_threads, make_reference, make_sweep


def _sweep(h1, n_jobs):
    search = make_sweep(h1, n_jobs=n_jobs)
    search.set_params(refit=False)
    return search


def _fit(search, data):
    start = time.perf_counter()
    with _torch_threads(1):
        search.fit(data.X_train, data.y_train)
    return time.perf_counter() - start, search.cv_results_


def _same_scores(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a if "_test_" in k)


def main():
    from dask.distributed import Client, LocalCluster

    data = load_digits_update(n_reference=150, label_noise=0.15, random_state=0)
    h1 = make_reference(data)
    times, results = {}, {}
    times["n_jobs=1"], results["n_jobs=1"] = _fit(_sweep(h1, 1), data)
    times["n_jobs=2"], results["n_jobs=2"] = _fit(_sweep(h1, 2), data)
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        startup = time.perf_counter() - start
        with joblib.parallel_config(backend="dask"):
            times["dask (2 workers)"], results["dask (2 workers)"] = _fit(
                _sweep(h1, None), data
            )
    base = times["n_jobs=1"]
    print(f"22-point sweep, cv=3 (66 fits); Dask cluster start-up {startup:.1f} s")
    print(f"{'backend':<18} {'wall s':>8} {'vs n_jobs=1':>12} {'same scores':>12}")
    for name, seconds in times.items():
        same = _same_scores(results["n_jobs=1"], results[name])
        print(f"{name:<18} {seconds:8.1f} {seconds / base:11.2f}x {str(same):>12}")


if __name__ == "__main__":
    main()
