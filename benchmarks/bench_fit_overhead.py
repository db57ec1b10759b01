"""Cost of a compatibility fit relative to the same plain skorch fit.

Same module, epochs, batch size, optimizer and data: a plain
``skorch.NeuralNetClassifier`` (cross-entropy, skorch's default loader) against
``BackwardCompatibleClassifier`` with each dissonance (h1's outputs computed
inside the timed fit). Runs are interleaved and repeated in one process; the
median time of each is reported with its ratio to the plain fit. Bar: <= 1.10.

    python benchmarks/bench_fit_overhead.py [--repeats 3] [--epochs 10] [--device cpu]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNetClassifier

from sklearn_bc import BackwardCompatibleClassifier
from sklearn_bc.modules import MLPModule


def datasets(n_synthetic):
    X, y = load_digits(return_X_y=True)
    yield "digits 1797x64", (X / 16.0).astype(np.float32), y
    X, y = make_classification(
        n_samples=n_synthetic,
        n_features=100,
        n_informative=40,
        n_classes=10,
        random_state=0,
    )
    yield f"synthetic {n_synthetic}x100", X.astype(np.float32), y


def make_fitters(X, y, h1, epochs, device):
    common = dict(
        module=MLPModule,
        module__n_features=X.shape[1],
        module__n_classes=10,
        module__hidden=(256, 256),
        optimizer=torch.optim.SGD,
        lr=0.05,
        max_epochs=epochs,
        batch_size=128,
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
        device=device,
    )
    return {
        "plain skorch": lambda: NeuralNetClassifier(
            criterion=torch.nn.CrossEntropyLoss, **common
        ).fit(X, y),
        "new_error": lambda: BackwardCompatibleClassifier(
            reference=h1, dissonance="new_error", lambda_c=0.5, **common
        ).fit(X, y),
        "strict_imitation": lambda: BackwardCompatibleClassifier(
            reference=h1, dissonance="strict_imitation", lambda_c=0.5, **common
        ).fit(X, y),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--n-synthetic", type=int, default=50_000)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device_name = (
        torch.cuda.get_device_name()
        if args.device.startswith("cuda")
        else platform.processor()
    )
    print(
        f"# {datetime.date.today()}  {platform.platform()}  cpus={os.cpu_count()}  "
        f"torch={torch.__version__}  threads={torch.get_num_threads()}  "
        f"device={args.device} ({device_name})"
    )
    print(f"# MLP 256-256, {args.epochs} epochs, batch 128, median of {args.repeats}")
    print(f"{'data':<22} {'fit':<18} {'seconds':>8} {'ratio':>6}")
    for name, X, y in datasets(args.n_synthetic):
        h1 = LogisticRegression(max_iter=300).fit(X[:1000], y[:1000])
        fitters = make_fitters(X, y, h1, args.epochs, args.device)
        times = {label: [] for label in fitters}
        for _ in range(args.repeats):
            for label, fit in fitters.items():  # interleaved: drift hits all alike
                torch.manual_seed(0)
                start = time.perf_counter()
                fit()
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                times[label].append(time.perf_counter() - start)
        base = statistics.median(times["plain skorch"])
        for label, values in times.items():
            median = statistics.median(values)
            print(f"{name:<22} {label:<18} {median:8.2f} {median / base:6.2f}")


if __name__ == "__main__":
    main()
