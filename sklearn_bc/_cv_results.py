"""The results table of BackwardCompatibleClassifierCV, shaped as GridSearchCV's."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .scorers import _GREATER_IS_BETTER

# name -> lower is better, in the order of cv_results_ (refit=True: the first)
SCORERS = {
    "accuracy": False,
    **{name: not greater for name, greater in _GREATER_IS_BETTER.items()},
}


def _check_scoring(scoring):
    if scoring is None:
        return list(SCORERS)
    names = [scoring] if isinstance(scoring, str) else list(scoring)
    unknown = [name for name in names if name not in SCORERS]
    if unknown or not names:
        raise ValueError(
            f"scoring must be None, or one or more of {list(SCORERS)}; got {scoring!r}."
        )
    return names


def _rank(values, lower_is_better):
    key = np.where(np.isnan(values), np.inf, values if lower_is_better else -values)
    return rankdata(key, method="min").astype(np.int32)


def cv_results(pairs, scores, fit_time, score_time):
    """``cv_results_`` of a sweep, shaped as GridSearchCV's.

    Parameters
    ----------
    pairs : list of (str, float)
        The (dissonance, lambda_c) points, in order.
    scores : dict of str to ndarray of shape (n_splits, n_points)
        Each metric's score per split and point.
    fit_time, score_time : ndarray of shape (n_splits, n_points)
        Seconds per split and point.

    Returns
    -------
    results : dict
    """
    params = [{"dissonance": d, "lambda_c": lam} for d, lam in pairs]
    results = {
        "params": params,
        "param_dissonance": np.ma.MaskedArray(
            [p["dissonance"] for p in params], mask=False, dtype=object
        ),
        "param_lambda_c": np.ma.MaskedArray(
            [p["lambda_c"] for p in params], mask=False, dtype=object
        ),
    }
    for name, values in scores.items():
        for k, row in enumerate(values):
            results[f"split{k}_test_{name}"] = row
        # as GridSearchCV: a NaN on any split makes the mean NaN
        results[f"mean_test_{name}"] = values.mean(axis=0)
        results[f"std_test_{name}"] = values.std(axis=0)
        results[f"rank_test_{name}"] = _rank(
            results[f"mean_test_{name}"], SCORERS[name]
        )
    for name, times in (("fit", fit_time), ("score", score_time)):
        results[f"mean_{name}_time"] = times.mean(axis=0)
        results[f"std_{name}_time"] = times.std(axis=0)
    return results
