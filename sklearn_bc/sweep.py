"""The lambda_c sweep: tidy results, a selection rule and a progress bar.

A sweep is an ordinary scikit-learn search over ``lambda_c`` (and usually
``dissonance``) scored with the compatibility scorers::

    search = GridSearchCV(
        BackwardCompatibleClassifier(..., reference=h1),
        {"dissonance": ["new_error", "strict_imitation"],
         "lambda_c": np.linspace(0, 1, 11)},
        scoring={"accuracy": "accuracy", "btc": btc_scorer, "bec": bec_scorer},
        refit=select_compatible(0.95),
        cv=3,
    ).fit(X, y)
    results = sweep_results(search)

Parallel and distributed sweeps
-------------------------------
The search's ``n_jobs`` and joblib's backends do the work: ``n_jobs=2`` runs
two loky worker processes; ``joblib.parallel_config(backend="dask")`` inside a
``dask.distributed.Client`` sends every fit to a Dask cluster. h1 is pickled to
each worker and never modified. Results are identical across backends when the
torch seed is set *inside* each fit (a seed set before ``fit`` in the parent
process does not reach a worker): the demo adds a callback that seeds torch when
the net initialises, see ``sklearn_bc.demo.make_new_model``.

GPU sweeps follow skorch's documented route: start one Dask worker per GPU,
each with its own ``CUDA_VISIBLE_DEVICES``
(``CUDA_VISIBLE_DEVICES=0 dask worker SCHEDULER --nworkers 1 --nthreads 1``,
then ``=1`` for the next, ...), build the estimator with ``device="cuda"`` and
fit the search under ``parallel_config(backend="dask")``. Each worker then
trains on "its" GPU, which it sees as ``cuda:0``. h1 is copied to each worker
as it is; a torch h1 stays on the device it was put on.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
import weakref
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from ._results_io import RESULT_COLUMNS, load_results, save_results

__all__ = [
    "RESULT_COLUMNS",
    "load_results",
    "save_results",
    "select_compatible",
    "sweep_progress",
    "sweep_results",
]

_KNOWN = ("dissonance", "lambda_c")

CV_RESULTS_EXPECTED = (
    "sweep_results expects a fitted search (GridSearchCV, RandomizedSearchCV, "
    "BackwardCompatibleClassifierCV, ...) or its cv_results_: a mapping with the "
    "keys 'mean_fit_time', 'std_fit_time' and, for every scorer m, "
    "'mean_test_m' and 'std_test_m' (one entry per candidate)"
)
NO_CV_RESULTS = CV_RESULTS_EXPECTED + "; got {kind}, which has no cv_results_."
NOT_FITTED = (
    "This {kind} instance is not fitted yet. Call 'fit' with appropriate "
    "arguments before passing it to sweep_results."
)
MISSING_CV_KEYS = CV_RESULTS_EXPECTED + "; {source} lacks {missing}."
RAGGED_CV_KEY = (
    "{source}: {key!r} has {found} entries but 'mean_fit_time' has {n}; every "
    "entry of cv_results_ holds one value per candidate."
)


def _check_cv_results(cv_results, source):
    """Raise a ValueError naming the keys sweep_results needs and lacks."""
    missing = [k for k in ("mean_fit_time", "std_fit_time") if k not in cv_results]
    scores = [k for k in cv_results if str(k).startswith(("mean_test_", "mean_train_"))]
    if not any(k.startswith("mean_test_") for k in scores):
        missing.append("mean_test_<metric>")
    missing += [
        f"std_{k[len('mean_') :]}"
        for k in scores
        if f"std_{k[len('mean_') :]}" not in cv_results
    ]
    if missing:
        raise ValueError(MISSING_CV_KEYS.format(source=source, missing=missing))
    n = len(cv_results["mean_fit_time"])
    for key in cv_results:
        if key in ("mean_fit_time", "std_fit_time") or str(key).startswith(
            ("mean_", "std_", "param_")
        ):
            found = len(cv_results[key])
            if found != n:
                raise ValueError(
                    RAGGED_CV_KEY.format(source=source, key=key, found=found, n=n)
                )


def _cv_results(search):
    if isinstance(search, Mapping):
        _check_cv_results(search, "the mapping")
        return search
    results = getattr(search, "cv_results_", None)
    if results is None:
        kind = type(search).__name__
        if hasattr(search, "fit"):  # scikit-learn's wording for an unfitted search
            raise NotFittedError(NOT_FITTED.format(kind=kind))
        raise ValueError(NO_CV_RESULTS.format(kind=kind))
    _check_cv_results(results, f"{type(search).__name__}.cv_results_")
    return results


def _param_key(cv_results, name):
    """The ``param_*`` key of ``name``, also step-prefixed (``clf__lambda_c``)."""
    keys = [
        key
        for key in cv_results
        if key == f"param_{name}"
        or (key.startswith("param_") and key.endswith(f"__{name}"))
    ]
    if len(keys) > 1:
        raise ValueError(f"Several searched parameters end in {name!r}: {keys}.")
    return keys[0] if keys else None


def _fixed_param(search, name):
    """A parameter the search did not vary, read from its estimator."""
    estimator = getattr(search, "estimator", None)
    if estimator is None:
        return None
    params = estimator.get_params()
    matches = [k for k in params if k == name or k.endswith(f"__{name}")]
    return params[matches[0]] if len(matches) == 1 else None


def _param_values(cv_results, key):
    column = cv_results[key]
    if isinstance(column, np.ma.MaskedArray):
        return column.tolist()  # masked entries (absent from a sub-grid) -> None
    return list(column)


def _metric_names(cv_results, search):
    names = [k[len("mean_test_") :] for k in cv_results if k.startswith("mean_test_")]
    rename = {}
    if names == ["score"]:
        scoring = getattr(search, "scoring", None)
        if isinstance(scoring, str):
            rename["score"] = scoring
        elif getattr(scoring, "metric", None) is not None:
            rename["score"] = scoring.metric
    return names, rename


def _pareto_front(first, second):
    """Rows not dominated in (first, second), both higher-is-better.

    A row is dominated when another is at least as good in both and better in
    one; equal rows do not dominate each other. Rows with NaN are never on the
    front and dominate nothing.
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    valid = np.isfinite(a) & np.isfinite(b)
    ge = (a[None, :] >= a[:, None]) & (b[None, :] >= b[:, None])
    gt = (a[None, :] > a[:, None]) | (b[None, :] > b[:, None])
    dominated = np.any(ge & gt & valid[None, :], axis=1)
    return valid & ~dominated


def sweep_results(search):
    """One row per candidate of a lambda_c sweep, as a tidy DataFrame.

    Parameters
    ----------
    search : fitted search or dict
        A fitted ``GridSearchCV``, ``RandomizedSearchCV`` or any object with
        a ``cv_results_`` of the same layout (such as
        ``BackwardCompatibleClassifierCV``), or that dict itself: it needs
        ``mean_fit_time``, ``std_fit_time`` and, for every scorer ``m``,
        ``mean_test_m`` and ``std_test_m``, one entry per candidate. Anything
        else is a ValueError naming the missing keys (``NotFittedError``, a
        ValueError too, for an unfitted search).

    Returns
    -------
    results : pandas.DataFrame
        Rows in candidate order, columns:

        - ``dissonance`` (str) and ``lambda_c`` (float), from
          ``param_dissonance`` / ``param_lambda_c`` or a step-prefixed
          ``param_<step>__lambda_c``; a parameter the search did not vary is
          read from its estimator;
        - every other searched parameter under its own name (no ``param_``);
        - for every scorer ``m``: ``mean_test_m``, ``std_test_m`` and, with
          ``return_train_score=True``, ``mean_train_m``, ``std_train_m``. A
          single-metric search names ``m`` after its ``scoring`` string (or
          compatibility scorer's metric), else ``score``;
        - ``mean_fit_time``, ``std_fit_time``;
        - ``pareto_btc``, ``pareto_bec`` (bool): on the Pareto front of mean
          test accuracy versus BTC (BEC): no other candidate is at least as
          good in both and better in one. All False when the search did not
          score ``accuracy`` and ``btc`` (``bec``); a NaN score is never on
          the front.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_bc import sweep_results
    >>> cv_results = {
    ...     "param_dissonance": np.ma.array(["new_error"] * 2, dtype=object),
    ...     "param_lambda_c": np.ma.array([0.0, 1.0], dtype=object),
    ...     "mean_test_accuracy": np.array([0.9, 0.88]),
    ...     "std_test_accuracy": np.array([0.01, 0.01]),
    ...     "mean_test_btc": np.array([0.93, 0.97]),
    ...     "std_test_btc": np.array([0.02, 0.01]),
    ...     "mean_fit_time": np.array([1.0, 1.1]),
    ...     "std_fit_time": np.array([0.1, 0.1]),
    ... }
    >>> sweep_results(cv_results)[["lambda_c", "mean_test_btc", "pareto_btc"]]
       lambda_c  mean_test_btc  pareto_btc
    0       0.0           0.93        True
    1       1.0           0.97        True
    """
    cv_results = _cv_results(search)
    n = len(cv_results["mean_fit_time"])
    columns = {}
    for name in _KNOWN:
        key = _param_key(cv_results, name)
        if key is not None:
            values = _param_values(cv_results, key)
        else:
            value = _fixed_param(search, name)
            if value is None:
                raise ValueError(
                    f"Cannot find {name!r}: neither a searched parameter "
                    f"(param_{name} or param_<step>__{name}) nor a parameter of "
                    "the search's estimator."
                )
            values = [value] * n
        if name == "lambda_c":
            columns[name] = np.asarray(values, dtype=np.float64)
        else:
            columns[name] = pd.Series([str(v) for v in values], dtype=object)
    known_keys = {_param_key(cv_results, name) for name in _KNOWN}
    for key in cv_results:
        if key.startswith("param_") and key not in known_keys:
            values = _param_values(cv_results, key)
            columns[key[len("param_") :]] = pd.Series(values, dtype=object)
    names, rename = _metric_names(cv_results, search)
    for name in names:
        out = rename.get(name, name)
        for part in ("test", "train"):
            for stat in ("mean", "std"):
                key = f"{stat}_{part}_{name}"
                if key in cv_results:
                    columns[f"{stat}_{part}_{out}"] = np.asarray(
                        cv_results[key], dtype=np.float64
                    )
    for key in ("mean_fit_time", "std_fit_time"):
        columns[key] = np.asarray(cv_results[key], dtype=np.float64)
    frame = pd.DataFrame(columns)
    for name in frame.columns.drop(list(_KNOWN)):
        if frame[name].dtype == object:
            frame[name] = frame[name].infer_objects()
    for compatibility in ("btc", "bec"):
        comp = f"mean_test_{compatibility}"
        if "mean_test_accuracy" in frame and comp in frame:
            front = _pareto_front(frame["mean_test_accuracy"], frame[comp])
        else:
            front = np.zeros(n, dtype=bool)
        frame[f"pareto_{compatibility}"] = front
    return frame


class _CompatibleSelection:
    """``refit=`` callable of :func:`select_compatible` (picklable)."""

    def __init__(
        self, floor, score, compatibility, bound="mean", confidence_level=0.95
    ):
        self.floor = floor
        self.score = score
        self.compatibility = compatibility
        self.bound = bound
        self.confidence_level = confidence_level

    def __repr__(self):
        extra = (
            f", bound='lower', confidence_level={self.confidence_level!r}"
            if self.bound == "lower"
            else ""
        )
        return (
            f"select_compatible({self.floor!r}, score={self.score!r}, "
            f"compatibility={self.compatibility!r}{extra})"
        )

    def _lower_bound(self, cv_results, metric, mean):
        """One-sided lower confidence bound of the mean over the CV folds.

        The folds' scores are not independent (their training sets overlap),
        so the plain t-interval is too narrow; Nadeau and Bengio's corrected
        variance (Machine Learning 52, 2003), ``(1/k + n_test/n_train) * s^2``
        with ``n_test/n_train = 1/(k-1)`` for k equal folds, widens it.
        """
        from scipy.stats import t

        splits = sorted(
            key
            for key in cv_results
            if key.startswith("split") and key.endswith(f"_test_{metric}")
        )
        k = len(splits)
        if k < 2:
            raise ValueError(
                f"bound='lower' needs the per-fold scores split<k>_test_{metric} of "
                f"at least 2 folds; cv_results has {k}."
            )
        scores = np.column_stack([np.asarray(cv_results[s], float) for s in splits])
        variance = (1.0 / k + 1.0 / (k - 1)) * scores.var(axis=1, ddof=1)
        quantile = t.ppf(self.confidence_level, df=k - 1)
        return mean - quantile * np.sqrt(variance)

    def _column(self, cv_results, metric):
        key = f"mean_test_{metric}"
        if key not in cv_results:
            available = sorted(
                k[len("mean_test_") :] for k in cv_results if k.startswith("mean_test_")
            )
            raise ValueError(
                f"select_compatible needs the scorer {metric!r} (cv_results_ key "
                f"{key!r}); the search scored {available}. Use a multi-metric "
                "scoring dict with that name."
            )
        return np.asarray(cv_results[key], dtype=float)

    def __call__(self, cv_results):
        score = self._column(cv_results, self.score)
        compat = self._column(cv_results, self.compatibility)
        what = f"mean test {self.compatibility}"
        if self.bound == "lower":
            compat = self._lower_bound(cv_results, self.compatibility, compat)
            what = (
                f"{self.confidence_level:g} lower confidence bound of the test "
                f"{self.compatibility}"
            )
        key = _param_key(cv_results, "lambda_c")
        lam = (
            np.asarray(_param_values(cv_results, key), dtype=float)
            if key is not None
            else np.zeros(len(score))
        )
        index = np.arange(len(score))

        def _best(rows, first, second):
            # NaN sorts after every number: never chosen over one
            def desc(v):
                return np.where(np.isnan(v), np.inf, -v)

            order = np.lexsort(
                (
                    index[rows],
                    np.where(np.isnan(lam), np.inf, lam)[rows],
                    desc(second)[rows],
                    desc(first)[rows],
                )
            )
            return int(index[rows][order[0]])

        feasible = compat >= self.floor  # NaN is not >= anything
        if feasible.any():
            return _best(feasible, score, compat)
        best = _best(np.ones(len(score), dtype=bool), compat, score)
        warnings.warn(
            f"No candidate reaches a {what} of "
            f"{self.floor}; the best {self.compatibility} found is "
            f"{compat[best]:.4f} (candidate {best}, {self.score} "
            f"{score[best]:.4f}), which is refitted instead.",
            UserWarning,
            stacklevel=2,
        )
        return best


def select_compatible(
    floor=0.95,
    *,
    score="accuracy",
    compatibility="btc",
    bound="mean",
    confidence_level=0.95,
):
    """A ``refit=`` rule: the best score among compatible-enough candidates.

    Parameters
    ----------
    floor : float, default=0.95
        Least test ``compatibility`` a candidate must reach: its mean over
        the CV folds, or (``bound="lower"``) a lower confidence bound of it.
    score : str, default="accuracy"
        Scorer name (key of the search's ``scoring`` dict) to maximise.
    compatibility : str, default="btc"
        Scorer name of a higher-is-better compatibility metric (``"btc"``,
        ``"bec"``); NFR, lower-is-better, is refused.
    bound : {"mean", "lower"}, default="mean"
        Compare the floor with the mean over the folds, or with the one-sided
        ``confidence_level`` lower bound of the mean from the per-fold scores
        (``split<k>_test_<compatibility>``): a t bound with Nadeau and
        Bengio's variance correction for the overlap of the folds' training
        sets, which assumes k equal folds of one k-fold split. "BTC's lower
        bound >= 0.97" refuses candidates whose BTC only reaches the floor
        by the luck of the folds.
    confidence_level : float, default=0.95
        Of the lower bound, in (0, 1).

    Returns
    -------
    rule : callable
        ``rule(cv_results) -> int``, for ``GridSearchCV(refit=rule)``. It
        returns the candidate with the highest mean test ``score`` among those
        with mean test ``compatibility >= floor``. Ties go to the higher
        compatibility, then to the lower ``lambda_c`` (the smaller departure
        from plain training), then to the first candidate. A NaN score is
        never chosen over a number and a NaN compatibility never meets the
        floor. When no candidate meets it, the rule returns the most
        compatible candidate (ties broken by score) and warns with a
        ``UserWarning`` naming the best compatibility found.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_bc import select_compatible
    >>> rule = select_compatible(0.95)
    >>> rule({"mean_test_accuracy": np.array([0.91, 0.90, 0.88]),
    ...       "mean_test_btc": np.array([0.93, 0.96, 0.99])})
    1
    """
    if not isinstance(floor, numbers.Real) or not np.isfinite(floor):
        raise ValueError(f"floor must be a finite number; got {floor!r}.")
    if bound not in ("mean", "lower"):
        raise ValueError(f"bound must be 'mean' or 'lower'; got {bound!r}.")
    if (
        isinstance(confidence_level, bool)
        or not isinstance(confidence_level, numbers.Real)
        or not 0 < confidence_level < 1
    ):
        raise ValueError(
            f"confidence_level must be a float in (0, 1); got {confidence_level!r}."
        )
    if compatibility == "nfr":
        raise ValueError(
            "compatibility must be higher-is-better; NFR is a rate of damage. "
            "Use compatibility='btc' (1 - BTC is NFR relative to h1's hits)."
        )
    return _CompatibleSelection(
        float(floor), score, compatibility, bound, float(confidence_level)
    )


@contextlib.contextmanager
def sweep_progress(total=None, *, desc="sweep", **tqdm_kwargs):
    """Show a tqdm progress bar of the fits of every joblib call inside.

    Counts the tasks joblib completes (a search's fits: ``n_candidates *
    n_splits``; the final refit runs outside joblib), for every backend:
    sequential, loky and Dask, whose completions are reported in this
    process. Nothing is shown unless this context is entered.

    Parameters
    ----------
    total : int, default=None
        Expected number of fits, for a bar with an end.
    desc : str, default="sweep"
        Label of the bar.
    **tqdm_kwargs
        Passed to ``tqdm.tqdm`` (``file=``, ``disable=``, ...).

    Yields
    ------
    bar : tqdm.tqdm
        The progress bar.
    """
    import joblib
    from tqdm.auto import tqdm

    seen = weakref.WeakKeyDictionary()
    original = joblib.Parallel.print_progress

    def print_progress(parallel):
        original(parallel)
        done = parallel.n_completed_tasks
        bar.update(done - seen.get(parallel, 0))
        seen[parallel] = done

    with tqdm(total=total, desc=desc, unit="fit", **tqdm_kwargs) as bar:
        joblib.Parallel.print_progress = print_progress
        try:
            yield bar
        finally:
            joblib.Parallel.print_progress = original
