"""A 22-point lambda_c sweep: GridSearchCV vs BackwardCompatibleClassifierCV.

Every timing is a ratio to T0, one plain skorch fit measured in the same run:

    python benchmarks/bench_sweep.py                 # CPU, full size
    python benchmarks/bench_sweep.py --device cuda   # on a GPU
    python benchmarks/bench_sweep.py --quick         # small, for a smoke run

T0 and the single compatibility fit are the fastest of ``--repeats`` runs.
When ``backwardcompatibilityml`` is importable (see ``_predecessor.py`` for
the install), the predecessor's ``compatibility_sweep`` trains the same 22
models on the same split, epochs, batch size, optimizer and architecture.

GridSearchCV and the CV class use the same single train/test split
(``PredefinedSplit``), the same 2 x 11 grid and no refit, so both train the
same 22 models. Peak resident memory of one compatibility fit and of
the vectorised sweep is measured each in a fresh subprocess, from the end of
data loading to the end of the fit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import _predecessor
import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from skorch import NeuralNetClassifier

from sklearn_bc import BackwardCompatibleClassifier, BackwardCompatibleClassifierCV
from sklearn_bc.modules import MLPModule

LAMBDAS = np.linspace(0, 1, 11)
DISSONANCES = ("new_error", "strict_imitation")
BARS = {"compat": 1.10, "speedup_vs_gs1": 1.5, "memory": 1.15, "predecessor": 5.0}


def load(name, quick):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
    else:
        n = 10_000 if quick else 50_000
        X, y = make_classification(
            n_samples=n, n_features=100, n_informative=40, n_classes=10,
            random_state=0,
        )  # fmt: skip
    X = X.astype(np.float32)
    rng = np.random.RandomState(0)
    subset = rng.choice(len(X), size=min(len(X) // 5, 2000), replace=False)
    h1 = LogisticRegression(max_iter=300).fit(X[subset], y[subset])
    # one split: 80% train, 20% test, for GridSearchCV and the CV class alike
    test_fold = np.where(rng.rand(len(X)) < 0.2, 0, -1)
    return X, y, h1, PredefinedSplit(test_fold)


def common(X, y, args):
    return dict(
        module__n_features=X.shape[1],
        module__n_classes=len(np.unique(y)),
        module__hidden=(256, 256),
        max_epochs=args.epochs,
        batch_size=128,
        lr=0.01,
        device=args.device,
    )


def make(kind, X, y, h1, split, args):
    kw = common(X, y, args)
    if kind == "plain":
        return NeuralNetClassifier(
            MLPModule, criterion=torch.nn.CrossEntropyLoss, train_split=None,
            verbose=0, **kw,
        )  # fmt: skip
    if kind == "compat":
        return BackwardCompatibleClassifier(
            MLPModule, reference=h1, lambda_c=0.5, train_split=None, verbose=0, **kw
        )
    if kind == "sweep":
        return BackwardCompatibleClassifierCV(
            MLPModule, h1, lambdas=LAMBDAS, dissonances=DISSONANCES, cv=split,
            refit=False, random_state=0, **kw,
        )  # fmt: skip
    raise ValueError(kind)


def timed(fn, repeats=1):
    """Fastest of ``repeats`` runs of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def grid_search(X, y, h1, split, args, n_jobs):
    search = GridSearchCV(
        make("compat", X, y, h1, split, args),
        {"dissonance": list(DISSONANCES), "lambda_c": list(LAMBDAS)},
        cv=split, refit=False, n_jobs=n_jobs,
    )  # fmt: skip
    return timed(lambda: search.fit(X, y))


def _status_mib(field):
    """VmRSS / VmHWM of this process from /proc, in MiB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    """Reset the peak RSS to the current RSS (Linux >= 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def child(args):
    """Fit once in this fresh process and report the peak resident memory.

    Loading the data (make_classification in float64, h1's fit) can peak
    above the fit itself, so the peak is reset once the data is loaded: the
    reported peak is the process's high-water mark during the fit.
    """
    X, y, h1, split = load(args.dataset, args.quick)
    reset = _reset_peak()
    before = _status_mib("VmRSS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds = timed(lambda: make(args.child, X, y, h1, split, args).fit(X, y))
    print(json.dumps({"peak_mib": _status_mib("VmHWM"), "before_mib": before,
                      "peak_reset": reset, "seconds": seconds}))  # fmt: skip


def peak_memory(kind, dataset, args):
    cmd = [sys.executable, __file__, "--child", kind, "--dataset", dataset,
           "--device", args.device, "--epochs", str(args.epochs),
           "--threads", str(torch.get_num_threads())]  # fmt: skip
    if args.quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine(args):
    device = args.device
    if device.startswith("cuda"):
        device = torch.cuda.get_device_name(torch.device(device))
    else:
        device = platform.processor() or platform.machine()
    return (
        f"{datetime.datetime.now().isoformat(timespec='seconds')} | "
        f"{os.cpu_count()} CPUs | torch {torch.__version__} "
        f"({torch.get_num_threads()} threads) | device {args.device}: {device} | "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def bench(name, args):
    X, y, h1, split = load(name, args.quick)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # warm-up, one epoch of each: first-call costs (lazy imports, kernels,
        # torch.func's set-up) are paid once per process, not per fit
        make("plain", X, y, h1, split, args).set_params(max_epochs=1).fit(X, y)
        make("compat", X, y, h1, split, args).set_params(max_epochs=1).fit(X, y)
        first = timed(lambda: make("sweep", X, y, h1, split, args)
                      .set_params(max_epochs=1).fit(X, y))  # fmt: skip
        t0 = timed(lambda: make("plain", X, y, h1, split, args).fit(X, y),
                   args.repeats)  # fmt: skip
        rows.append(("T0: plain skorch fit", t0))
        rows.append(("compatibility fit", timed(
            lambda: make("compat", X, y, h1, split, args).fit(X, y),
            args.repeats)))  # fmt: skip
        sweep = make("sweep", X, y, h1, split, args)
        rows.append(("22 points: BackwardCompatibleClassifierCV",
                     timed(lambda: sweep.fit(X, y))))  # fmt: skip
        rows.append(("22 points: GridSearchCV n_jobs=1",
                     grid_search(X, y, h1, split, args, 1)))  # fmt: skip
        rows.append(("22 points: GridSearchCV n_jobs=2",
                     grid_search(X, y, h1, split, args, 2)))  # fmt: skip
        old = None
        if _predecessor.available():
            train, test = next(split.split(X, y))
            old = _predecessor.predecessor_sweep(X, y, h1, train, test,
                                                 epochs=args.epochs,
                                                 device=args.device)  # fmt: skip
            rows.append((f"{old['models']} models: predecessor compatibility_sweep",
                         old["total"]))  # fmt: skip
            rows.append(("  of which its training calls", old["training"]))
    times = dict(rows)
    print(f"\n## {name}: X {X.shape}, {len(np.unique(y))} classes, "
          f"{args.epochs} epochs, batch 128, MLP (256, 256)")  # fmt: skip
    print(f"{'run':45s} {'seconds':>9s} {'x T0':>7s}")
    for label, seconds in rows:
        print(f"{label:45s} {seconds:9.2f} {seconds / t0:7.2f}")
    print(f"(warm-up: the process's first CV-class fit, 1 epoch, took {first:.2f} s)")
    cv = times["22 points: BackwardCompatibleClassifierCV"]
    gs1 = times["22 points: GridSearchCV n_jobs=1"]
    gs2 = times["22 points: GridSearchCV n_jobs=2"]
    compat = times["compatibility fit"] / t0
    print(f"vectorised: {'yes' if sweep.vectorised_ else 'NO (fallback)'}")
    checks = [
        (f"compat / T0 = {compat:.2f} <= {BARS['compat']}", compat <= BARS["compat"]),
        (f"GridSearchCV n_jobs=1 / CV class = {gs1 / cv:.2f} >= "
         f"{BARS['speedup_vs_gs1']}", gs1 / cv >= BARS["speedup_vs_gs1"]),
        (f"GridSearchCV n_jobs=2 / CV class = {gs2 / cv:.2f} >= 1", gs2 >= cv),
    ]  # fmt: skip
    if old is not None:
        # the bar: the sweep call as a user makes it, both sides; its
        # training calls alone are printed too (its evaluation is the rest)
        checks.append((f"predecessor sweep / CV class = {old['total'] / cv:.2f} >= "
                       f"{BARS['predecessor']} (its training calls alone: "
                       f"{old['training'] / cv:.2f})",
                       old["total"] / cv >= BARS["predecessor"]))  # fmt: skip
    if not args.no_memory:
        one = peak_memory("compat", name, args)
        many = peak_memory("sweep", name, args)
        ratio = many["peak_mib"] / one["peak_mib"]
        note = "" if one["peak_reset"] and many["peak_reset"] else (
            " (peak not reset after loading: the load's peak may hide the fit's)")
        before = f"{one['before_mib']:.0f} / {many['before_mib']:.0f} MiB"
        print(f"peak RSS during the fit: one fit {one['peak_mib']:.0f} MiB, "
              f"vectorised sweep {many['peak_mib']:.0f} MiB (RSS before: "
              f"{before}){note}")  # fmt: skip
        checks.append((f"sweep / one fit peak RSS = {ratio:.2f} <= {BARS['memory']}",
                       ratio <= BARS["memory"]))  # fmt: skip
    for text, ok in checks:
        print(f"  [{'pass' if ok else 'FAIL'}] {text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 synthetic rows and 5 epochs")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--datasets", default="digits,synthetic")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of T0 and of the compatibility fit")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads in this process (GridSearchCV "
                        "workers get cpu_count // n_jobs from joblib)")  # fmt: skip
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 5 if args.quick else 20
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        return child(args)
    print(machine(args))
    if not _predecessor.available():
        print("predecessor: skipped (backwardcompatibilityml is not installed)")
    for name in args.datasets.split(","):
        bench(name, args)


if __name__ == "__main__":
    main()
