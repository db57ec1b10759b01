"""The main job: an end-to-end compatibility analysis on an offline data set.

h1 is a logistic regression trained on an early, clean sample of the digits;
h2 an MLP trained on the larger, noisier update. The lambda_c sweep (11 values
x 2 dissonances) is cross-validated, every point trained at once by
:class:`~sklearn_bc.BackwardCompatibleClassifierCV` (``engine="vectorised"``,
the default) or one fit after the other by a ``GridSearchCV`` scored with the
compatibility scorers (``engine="gridsearch"``). It selects the most accurate
candidate whose cross-validated BTC reaches a floor, and writes:

- ``sweep_results.csv`` (and ``.parquet`` when pyarrow is installed): the
  cross-validated sweep, one row per candidate (see ``sweep_results``);
- ``compatibility_table.csv``: test-set accuracy, BTC, BEC, NFR and PFR of
  every candidate refitted on the whole training set;
- ``selected.json``: the chosen candidate with its test accuracy and BTC;
- PNGs of the displays (``compatibility_scatter.png``, ``error_venn.png``,
  ``incompatibility_histogram.png``, ``group_compatibility.png``) when
  matplotlib and matplotlib-venn are installed (the ``plot`` extra);
- ``report.html``: the interactive :class:`~sklearn_bc.CompatibilityExplorer`
  of every point on both splits, with the digits' pictures, when
  vl-convert-python is installed (the ``report`` extra).
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from ._callbacks import TorchSeed
from .classifier import BackwardCompatibleClassifier
from .classifier_cv import BackwardCompatibleClassifierCV
from .datasets import load_digits_update
from .metrics import bec_score, btc_score, negative_flip_rate, positive_flip_rate
from .modules import MLPModule
from .scorers import bec_scorer, btc_scorer, make_compatibility_scorer, nfr_scorer
from .sweep import save_results, select_compatible, sweep_progress, sweep_results

TABLE_NAME = "compatibility_table.csv"
RESULTS_NAME = "sweep_results"
SELECTED_NAME = "selected.json"
REPORT_NAME = "report.html"
ENGINES = ("vectorised", "gridsearch")
# h2's architecture and optimiser, shared by both sweep engines
_H2_SETTINGS = {
    "module__n_features": 64,
    "module__n_classes": 10,
    "module__hidden": (64,),
    "optimizer": torch.optim.Adam,
    "lr": 0.01,
    "batch_size": 64,
}
# the demo's scorers: names are the sweep_results column suffixes
SCORING = {
    "accuracy": "accuracy",
    "btc": btc_scorer,
    "bec": bec_scorer,
    "nfr": nfr_scorer,
    "pfr": make_compatibility_scorer("pfr"),
    "reference_accuracy": make_compatibility_scorer("reference_accuracy"),
}


def make_reference(data, *, random_state=0):
    """The old model h1: a logistic regression trained on the early sample."""
    return LogisticRegression(C=0.1, max_iter=2000, random_state=random_state).fit(
        data.X_reference, data.y_reference
    )


def make_new_model(reference, *, max_epochs=40, random_state=0, **params):
    """The new model h2: an MLP trained for compatibility with ``reference``.

    The torch seed is set by a callback inside every fit, so each clone gives
    the same model in this process, a joblib worker or a Dask worker.
    """
    return BackwardCompatibleClassifier(
        MLPModule,
        reference=reference,
        max_epochs=max_epochs,
        **_H2_SETTINGS,
        iterator_train__shuffle=True,
        train_split=None,
        callbacks=[("seed", TorchSeed(random_state))],
        verbose=0,
        **params,
    )


def make_sweep(
    reference,
    *,
    lambdas=None,
    dissonances=("new_error", "strict_imitation"),
    max_epochs=40,
    cv=3,
    min_btc=0.965,
    n_jobs=None,
    random_state=0,
):
    """The demo's lambda_c sweep: an unfitted ``GridSearchCV``."""
    lambdas = np.linspace(0.0, 1.0, 11).round(2) if lambdas is None else lambdas
    grid = {
        "dissonance": list(dissonances),
        "lambda_c": [float(value) for value in lambdas],
    }
    return GridSearchCV(
        make_new_model(reference, max_epochs=max_epochs, random_state=random_state),
        grid,
        scoring=SCORING,
        refit=select_compatible(min_btc, score="accuracy", compatibility="btc"),
        cv=StratifiedKFold(cv, shuffle=True, random_state=random_state),
        n_jobs=n_jobs,
    )


def make_vectorised_sweep(
    reference,
    *,
    lambdas=None,
    dissonances=("new_error", "strict_imitation"),
    max_epochs=40,
    cv=3,
    min_btc=0.965,
    random_state=0,
    progress=False,
):
    """The same sweep as :func:`make_sweep`, every point trained at once."""
    lambdas = np.linspace(0.0, 1.0, 11).round(2) if lambdas is None else lambdas
    return BackwardCompatibleClassifierCV(
        MLPModule,
        reference,
        lambdas=[float(value) for value in lambdas],
        dissonances=tuple(dissonances),
        cv=StratifiedKFold(cv, shuffle=True, random_state=random_state),
        refit=select_compatible(min_btc, score="accuracy", compatibility="btc"),
        max_epochs=max_epochs,
        **_H2_SETTINGS,
        random_state=random_state,
        progress=progress,
    )


def stroke_band(X):
    """Group digits by ink: thin, medium or bold strokes (tertiles of mean pixel)."""
    ink = np.asarray(X).reshape(len(X), -1).mean(axis=1)
    edges = np.quantile(ink, [1 / 3, 2 / 3])
    return np.array(["thin", "medium", "bold"])[np.searchsorted(edges, ink)]


@contextlib.contextmanager
def _torch_threads(n_threads):
    """Run torch on ``n_threads`` intra-op threads inside the block.

    The demo's MLP is too small to gain from intra-op threads, and idle ones
    spin: on a busy machine two threads made a fit up to 10x slower than one.
    Parallelism comes from ``n_jobs`` (joblib's and Dask's workers already
    limit torch to one thread each).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _test_row(estimator, data, y_ref):
    """Refit one candidate on all training rows and score it on the test set."""
    h2 = estimator.fit(data.X_train, data.y_train)
    y_pred = h2.predict(data.X_test)
    return _scores(estimator.dissonance, estimator.lambda_c, data.y_test, y_ref, y_pred)


def _write_pngs(output_dir, search, results, data, y_ref, selected, log):
    """The displays of the chosen point, as PNGs (skipped without matplotlib)."""
    try:
        from ._plot._demo import write_display_pngs

        label = f"{selected['dissonance']}, lambda_c={selected['lambda_c']:.1f}"
        return write_display_pngs(
            output_dir,
            y_true=data.y_test,
            y_ref=y_ref,
            predictions={label: search.predict(data.X_test)},
            results=results,
            groups=stroke_band(data.X_test),
            highlight=int(search.best_index_),  # ring the chosen point
        )
    except ImportError as exc:
        log(f"skipped the display PNGs: {exc}")
        return []


def _write_report(output_dir, search, data, h1, n_jobs, log):
    """The interactive report of every point (skipped without vl-convert)."""
    from ._explorer import CompatibilityExplorer

    splits = (data.X_train, data.y_train, data.X_test, data.y_test)
    images = {"train": data.X_train.reshape(-1, 8, 8), "test": data.images_test}
    title = "Digits update: logistic regression (h1) -> MLP (h2)"
    try:
        if isinstance(search, BackwardCompatibleClassifierCV):
            models = {
                (params["dissonance"], params["lambda_c"]): search.estimator_for(i)
                for i, params in enumerate(search.cv_results_["params"])
            }
            best = search.cv_results_["params"][search.best_index_]
            explorer = CompatibilityExplorer.from_models(
                models, h1, *splits, instance_images=images, title=title,
                selected=(best["dissonance"], best["lambda_c"]),
                confidence_level=0.95, random_state=0,
            )  # fmt: skip
        else:
            with _torch_threads(1):
                explorer = CompatibilityExplorer.from_search(
                    search, *splits, n_jobs=n_jobs, instance_images=images,
                    title=title, confidence_level=0.95, random_state=0,
                )  # fmt: skip
        path = explorer.save(output_dir / REPORT_NAME)
    except ImportError as exc:
        log(f"skipped the interactive report: {exc}")
        return []
    log(f"interactive report: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return [path]


def _scores(dissonance, lambda_c, y_true, y_ref, y_pred):
    """One row of the test-set compatibility table."""
    args = (y_true, y_ref, y_pred)
    return {
        "dissonance": dissonance,
        "lambda_c": float(lambda_c),
        "accuracy": float(np.mean(y_pred == y_true)),
        "btc": btc_score(*args),
        "bec": bec_score(*args),
        "nfr": negative_flip_rate(*args),
        "pfr": positive_flip_rate(*args),
    }


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
    cv=3,
    min_btc=0.965,
    n_jobs=None,
    progress=False,
    engine="vectorised",
):
    """Sweep lambda_c with cross-validation and write the results.

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
    cv : int, default=3
        Folds of the sweep's cross-validation on the training rows.
    min_btc : float, default=0.965
        Floor of the cross-validated BTC for the selection rule
        (:func:`~sklearn_bc.select_compatible`).
    n_jobs : int or None, default=None
        Parallel fits (joblib; None is one, or the active backend's default,
        e.g. a Dask cluster under ``joblib.parallel_config(backend="dask")``).
    progress : bool, default=False
        Show a progress bar of the sweep: its fits (``engine="gridsearch"``)
        or its trainings, one per split and the refit (``"vectorised"``).
    engine : {"vectorised", "gridsearch"}, default="vectorised"
        Train all points at once (:class:`BackwardCompatibleClassifierCV`) or
        one by one (``GridSearchCV``; parallel with ``n_jobs``).

    Returns
    -------
    table : pandas.DataFrame
        One row per (dissonance, lambda_c) with test accuracy, BTC, BEC, NFR
        and PFR of the candidate refitted on all training rows.
    """
    lambdas = np.linspace(0.0, 1.0, 11).round(2) if lambdas is None else lambdas
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
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}; got {engine!r}.")
    sweep_args = dict(
        lambdas=lambdas,
        dissonances=dissonances,
        max_epochs=max_epochs,
        cv=cv,
        min_btc=min_btc,
        random_state=random_state,
    )
    if engine == "vectorised":
        search = make_vectorised_sweep(h1, progress=progress, **sweep_args)
        bar = contextlib.nullcontext()
    else:
        search = make_sweep(h1, n_jobs=n_jobs, **sweep_args)
        n_fits = len(lambdas) * len(dissonances) * cv
        bar = (
            sweep_progress(total=n_fits, desc="lambda_c sweep")
            if progress
            else contextlib.nullcontext()
        )
    with bar, _torch_threads(1):
        search.fit(data.X_train, data.y_train)
    log(f"sweep ({engine}): {len(search.cv_results_['params'])} points, {cv} folds")
    results = sweep_results(search)
    paths = [save_results(results, output_dir / f"{RESULTS_NAME}.csv")]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        paths.append(save_results(results, output_dir / f"{RESULTS_NAME}.parquet"))
    # test-set compatibility of every candidate trained on all training rows
    if engine == "vectorised":
        rows = [
            _scores(dissonance, lambda_c, data.y_test, y_ref, y_pred)
            for (dissonance, lambda_c), y_pred in search.predict_all(
                data.X_test
            ).items()
        ]
    else:
        with _torch_threads(1):
            rows = Parallel(n_jobs=n_jobs)(
                delayed(_test_row)(
                    clone(search.estimator).set_params(**params), data, y_ref
                )
                for params in search.cv_results_["params"]
            )
    table = pd.DataFrame(rows)
    table_path = output_dir / TABLE_NAME
    table.to_csv(table_path, index=False)
    paths.append(table_path)

    best = search.best_index_
    chosen = table.iloc[best]
    selected = {
        "dissonance": str(chosen["dissonance"]),
        "lambda_c": float(chosen["lambda_c"]),
        "min_btc": float(min_btc),
        "cv_accuracy": float(results.loc[best, "mean_test_accuracy"]),
        "cv_btc": float(results.loc[best, "mean_test_btc"]),
        "test_accuracy": float(chosen["accuracy"]),
        "test_btc": float(chosen["btc"]),
    }
    selected_path = output_dir / SELECTED_NAME
    selected_path.write_text(json.dumps(selected, indent=2) + "\n")
    paths.append(selected_path)
    paths += _write_pngs(output_dir, search, results, data, y_ref, selected, log)
    paths += _write_report(output_dir, search, data, h1, n_jobs, log)

    log(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    log(
        f"selected: {selected['dissonance']} lambda_c={selected['lambda_c']:.1f} "
        f"(best CV accuracy with CV BTC >= {min_btc}): test accuracy "
        f"{selected['test_accuracy']:.3f}, test BTC {selected['test_btc']:.3f}"
    )
    log(
        f"wrote {', '.join(str(p) for p in paths)} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    return table
