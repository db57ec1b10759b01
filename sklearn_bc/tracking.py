"""Log a lambda_c sweep to MLflow: one run per point, the report as an artifact.

MLflow is optional (``pip install 'sklearn_bc[tracking]'``): it is imported
when :func:`log_sweep_to_mlflow` is called, never by ``import sklearn_bc``.
"""

from __future__ import annotations

import importlib
import math
import numbers
import time
from pathlib import Path

import pandas as pd

__all__ = ["log_sweep_to_mlflow"]

TRACKING_EXTRA_HINT = "install it with: pip install 'sklearn_bc[tracking]'"
_METRIC_PREFIXES = ("mean_", "std_", "rank_", "split", "pareto_")


def _mlflow(caller):
    try:
        client = importlib.import_module("mlflow.tracking")
        entities = importlib.import_module("mlflow.entities")
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires mlflow (or mlflow-skinny), which is not installed; "
            f"{TRACKING_EXTRA_HINT}"
        ) from exc
    return client.MlflowClient, entities.Metric, entities.Param


def _as_results(results):
    if isinstance(results, pd.DataFrame):
        return results
    from .sweep import sweep_results

    return sweep_results(results)  # a search or a cv_results_ mapping


def _is_metric(name, value):
    if isinstance(value, bool):
        return name.startswith("pareto_")
    return name.startswith(_METRIC_PREFIXES) and isinstance(value, numbers.Real)


def _point_name(row):
    dissonance = row.get("dissonance")
    lambda_c = row.get("lambda_c")
    if dissonance is not None and lambda_c is not None:
        return f"{dissonance} lambda_c={float(lambda_c):g}"
    return None


def log_sweep_to_mlflow(
    results,
    *,
    experiment_name="sklearn_bc",
    tracking_uri=None,
    run_name="lambda_c sweep",
    artifacts=(),
):
    """Log a sweep's results table to MLflow, one nested run per point.

    A parent run holds the sweep (its number of points and the files in
    ``artifacts``, e.g. the ``CompatibilityExplorer`` report and the saved
    results); under it, one run per row of the results table carries the
    point's parameters (``dissonance``, ``lambda_c`` and every other searched
    parameter) and its metrics (``mean_test_*``, ``std_test_*``, fit times,
    ``pareto_btc``/``pareto_bec`` as 0/1). Undefined (NaN) metrics are left
    out, since MLflow cannot compare them.

    Parameters
    ----------
    results : DataFrame, fitted search or dict
        A table from :func:`~sklearn_bc.sweep_results`, or anything it
        accepts (a fitted ``GridSearchCV``, ``BackwardCompatibleClassifierCV``
        or their ``cv_results_``).
    experiment_name : str, default="sklearn_bc"
        The MLflow experiment, created when it does not exist.
    tracking_uri : str, default=None
        Where to log (``"sqlite:///mlflow.db"``, a server URL, ...); None
        uses MLflow's own default (``MLFLOW_TRACKING_URI``).
    run_name : str, default="lambda_c sweep"
        Name of the parent run.
    artifacts : sequence of path-like, default=()
        Files logged as artifacts of the parent run.

    Returns
    -------
    run_ids : dict
        ``{"parent": run_id, "points": [run_id per row]}``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_bc import log_sweep_to_mlflow
    >>> results = pd.DataFrame({
    ...     "dissonance": ["new_error"], "lambda_c": [0.5],
    ...     "mean_test_btc": [0.97], "pareto_btc": [True],
    ... })
    >>> uri = "sqlite:///mlflow.db"  # or a server, or MLFLOW_TRACKING_URI
    >>> ids = log_sweep_to_mlflow(results, tracking_uri=uri)  # doctest: +SKIP
    >>> sorted(ids)  # doctest: +SKIP
    ['parent', 'points']
    """
    MlflowClient, Metric, Param = _mlflow("log_sweep_to_mlflow")
    table = _as_results(results)
    paths = [Path(p) for p in artifacts]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"artifacts: no such file(s): {missing}.")
    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else client.create_experiment(experiment_name)
    )
    now = int(time.time() * 1000)
    parent = client.create_run(experiment_id, run_name=run_name).info.run_id
    point_ids = []
    try:
        client.log_batch(
            parent,
            metrics=[Metric("n_points", float(len(table)), now, 0)],
            params=[Param("columns", ",".join(map(str, table.columns))[:500])],
        )
        for path in paths:
            client.log_artifact(parent, str(path))
        for index, row in enumerate(table.to_dict(orient="records")):
            metrics, params = [], []
            for name, value in row.items():
                if _is_metric(name, value):
                    value = float(value)
                    if not math.isnan(value):
                        metrics.append(Metric(str(name), value, now, 0))
                else:
                    params.append(Param(str(name), str(value)[:500]))
            run = client.create_run(
                experiment_id,
                run_name=_point_name(row) or f"point {index}",
                tags={"mlflow.parentRunId": parent, "sklearn_bc.point": str(index)},
            ).info.run_id
            client.log_batch(run, metrics=metrics, params=params)
            client.set_terminated(run)
            point_ids.append(run)
    except BaseException:
        client.set_terminated(parent, status="FAILED")
        raise
    client.set_terminated(parent)
    return {"parent": parent, "points": point_ids}
