"""The main job: an end-to-end compatibility analysis on an offline data set."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from .classifier import BackwardCompatibleClassifier
from .datasets import load_digits_update
from .metrics import bec_score, btc_score, negative_flip_rate, positive_flip_rate
from .modules import MLPModule

TABLE_NAME = "compatibility_table.csv"


def make_reference(data, *, random_state=0):
    """The old model h1: a logistic regression trained on the early sample."""
    return LogisticRegression(C=0.1, max_iter=2000, random_state=random_state).fit(
        data.X_reference, data.y_reference
    )


def make_new_model(reference, *, max_epochs=40, random_state=0, **params):
    """The new model h2: an MLP trained for compatibility with ``reference``."""
    torch.manual_seed(random_state)
    return BackwardCompatibleClassifier(
        MLPModule,
        reference=reference,
        module__n_features=64,
        module__n_classes=10,
        module__hidden=(64,),
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=max_epochs,
        batch_size=64,
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
        **params,
    )


def run_demo(
    output_dir,
    *,
    lambdas=None,
    dissonances=("new_error", "strict_imitation"),
    max_epochs=40,
    n_reference=150,
    label_noise=0.15,
    random_state=0,
    log=print,
):
    """Train h2 over a lambda_c grid and write the compatibility table.

    Parameters
    ----------
    output_dir : str or Path
        Folder for the outputs (created if missing).
    lambdas : sequence of float, default=None
        The lambda_c grid; None means 0, 0.1, ..., 1.
    dissonances : sequence of str, default=("new_error", "strict_imitation")
    max_epochs : int, default=40
    n_reference : int, default=150
        Training rows of the reference model (the early sample).
    label_noise : float, default=0.15
        Share of h2's training labels that are wrong (the larger but noisier
        data of the update).
    random_state : int, default=0
    log : callable, default=print
        Where progress lines go.

    Returns
    -------
    table : pandas.DataFrame
        One row per (dissonance, lambda_c) with test accuracy, BTC, BEC, NFR
        and PFR.
    """
    lambdas = np.linspace(0.0, 1.0, 11) if lambdas is None else lambdas
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = load_digits_update(
        n_reference=n_reference, label_noise=label_noise, random_state=random_state
    )
    h1 = make_reference(data, random_state=random_state)
    y_ref = h1.predict(data.X_test)
    log(
        f"reference h1: logistic regression on {len(data.y_reference)} clean rows, "
        f"test accuracy {np.mean(y_ref == data.y_test):.3f}"
    )
    rows = []
    for dissonance in dissonances:
        for lambda_c in lambdas:
            h2 = make_new_model(
                h1,
                max_epochs=max_epochs,
                random_state=random_state,
                dissonance=dissonance,
                lambda_c=float(lambda_c),
            ).fit(data.X_train, data.y_train)
            y_pred = h2.predict(data.X_test)
            args = (data.y_test, y_ref, y_pred)
            rows.append(
                {
                    "dissonance": dissonance,
                    "lambda_c": float(lambda_c),
                    "accuracy": float(np.mean(y_pred == data.y_test)),
                    "btc": btc_score(*args),
                    "bec": bec_score(*args),
                    "nfr": negative_flip_rate(*args),
                    "pfr": positive_flip_rate(*args),
                }
            )
    table = pd.DataFrame(rows)
    path = output_dir / TABLE_NAME
    table.to_csv(path, index=False)
    log(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    log(f"wrote {path} ({time.perf_counter() - start:.1f} s)")
    return table
