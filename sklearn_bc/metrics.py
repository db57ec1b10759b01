"""Compatibility metrics between a reference model h1 and an updated model h2.

Every metric takes ``(y_true, y_ref, y_pred)``: the true labels, the labels
predicted by the reference model h1 and the labels predicted by the new model
h2. Counts are pooled over the whole input (weighted by ``sample_weight``),
never averaged over batches.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_random_state

from ._bootstrap import INTERVAL_METRICS, MIN_ROWS, bootstrap_intervals
from ._label_checks import (
    LABELS_SHAPE,
    _cell_sums,
    _check_label_arrays,
    _check_sample_weight,
    _check_zero_division,
)

__all__ = [
    "bec_score",
    "btc_score",
    "compatibility_report",
    "negative_flip_rate",
    "positive_flip_rate",
]

_COUNTS = ("n", "new_errors", "fixed_errors")
REPORT_COLUMNS = [
    "scope",
    "value",
    "n",
    "accuracy_ref",
    "accuracy",
    "btc",
    "bec",
    "nfr",
    "pfr",
    "new_errors",
    "fixed_errors",
]


def _divide(numerator, denominator, zero_division, metric, reason):
    """Return ``numerator / denominator`` following ``zero_division``."""
    if denominator > 0:
        return float(numerator / denominator)
    if zero_division == "warn":
        warnings.warn(
            f"{metric} is ill-defined and set to 0.0 because {reason}. Use the "
            "zero_division parameter to control this behavior.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return 0.0
    return float(zero_division)


def btc_score(y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"):
    """Backward trust compatibility: of the samples h1 gets right, the share h2 too.

    ``BTC = sum w[r == y & p == y] / sum w[r == y]``. A BTC of 1 means the
    update introduced no new error; ``1 - BTC`` is the share of the old
    model's correct answers the update broke.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights; they multiply every indicator.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when h1 is right on no sample. ``"warn"`` returns 0.0
        and emits an :class:`~sklearn.exceptions.UndefinedMetricWarning`;
        ``np.nan`` returns NaN. Other values are refused, as in scikit-learn.

    Returns
    -------
    score : float
        BTC in [0, 1].

    See Also
    --------
    bec_score : Backward error compatibility.
    negative_flip_rate : Share of all samples that became new errors.

    Examples
    --------
    >>> from sklearn_bc import btc_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_ref = [0, 1, 0, 0, 0]   # h1 right on samples 0, 1, 3
    >>> y_pred = [0, 0, 1, 0, 1]  # h2 breaks sample 1
    >>> btc_score(y_true, y_ref, y_pred)
    0.666...
    """
    zero_division = _check_zero_division(zero_division, "btc_score")
    sums = _cell_sums(y_true, y_ref, y_pred, sample_weight)
    both_wrong, positive, negative, both_right = sums
    return _divide(
        both_right,
        negative + both_right,
        zero_division,
        "BTC",
        "the reference model is right on no sample (of positive weight)",
    )


def bec_score(y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"):
    """Backward error compatibility: of the samples h2 gets wrong, the share h1 too.

    ``BEC = sum w[r != y & p != y] / sum w[p != y]``, that is
    P(h1 wrong | h2 wrong): the probability that a mistake of the new model is
    not new. (The predecessor library computed P(h2 wrong | h1 wrong) under
    this name; that is a different quantity.)

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights; they multiply every indicator.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when h2 is wrong on no sample (see :func:`btc_score`).

    Returns
    -------
    score : float
        BEC in [0, 1].

    See Also
    --------
    btc_score : Backward trust compatibility.

    Examples
    --------
    >>> from sklearn_bc import bec_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_ref = [0, 1, 0, 0, 0]   # h1 wrong on samples 2, 4
    >>> y_pred = [0, 0, 1, 0, 0]  # h2 wrong on samples 1, 4
    >>> bec_score(y_true, y_ref, y_pred)  # of h2's 2 errors, 1 is old
    0.5
    """
    zero_division = _check_zero_division(zero_division, "bec_score")
    sums = _cell_sums(y_true, y_ref, y_pred, sample_weight)
    both_wrong, positive, negative, both_right = sums
    return _divide(
        both_wrong,
        both_wrong + negative,
        zero_division,
        "BEC",
        "the new model is wrong on no sample (of positive weight)",
    )


def negative_flip_rate(
    y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"
):
    """Share of all samples that h1 got right and h2 gets wrong (new errors).

    ``NFR = sum w[r == y & p != y] / sum w``; it equals
    ``accuracy(h1) * (1 - BTC)``. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned for an empty input (or all-zero weights).

    Returns
    -------
    rate : float

    See Also
    --------
    positive_flip_rate : Share of samples whose error the update fixed.

    Examples
    --------
    >>> from sklearn_bc import negative_flip_rate
    >>> negative_flip_rate([0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0])
    0.25
    """
    zero_division = _check_zero_division(zero_division, "negative_flip_rate")
    sums = _cell_sums(y_true, y_ref, y_pred, sample_weight)
    both_wrong, positive, negative, both_right = sums
    return _divide(
        negative,
        sums.sum(),
        zero_division,
        "NFR",
        "the input is empty or its sample weights sum to zero",
    )


def positive_flip_rate(
    y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"
):
    """Share of all samples that h1 got wrong and h2 gets right (fixed errors).

    ``PFR = sum w[r != y & p == y] / sum w``. Higher is better, and
    ``accuracy(h2) - accuracy(h1) = PFR - NFR``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned for an empty input (or all-zero weights).

    Returns
    -------
    rate : float

    See Also
    --------
    negative_flip_rate : Share of samples that became new errors.

    Examples
    --------
    >>> from sklearn_bc import positive_flip_rate
    >>> positive_flip_rate([0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0])
    0.25
    """
    zero_division = _check_zero_division(zero_division, "positive_flip_rate")
    sums = _cell_sums(y_true, y_ref, y_pred, sample_weight)
    both_wrong, positive, negative, both_right = sums
    return _divide(
        positive,
        sums.sum(),
        zero_division,
        "PFR",
        "the input is empty or its sample weights sum to zero",
    )


def _factorize(values):
    """Sorted distinct values (order of appearance if unsortable), row codes."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # values of types that do not compare
        codes, uniques = pd.factorize(values, sort=False)
    return np.asarray(uniques, dtype=object), codes


def _check_groups(groups, n_samples):
    groups = np.asarray(groups, dtype=object)
    if groups.ndim == 2 and groups.shape[1] == 1:
        groups = groups[:, 0]
    if groups.ndim != 1:
        raise ValueError(LABELS_SHAPE.format(name="groups", shape=groups.shape))
    if groups.shape[0] != n_samples:
        raise ValueError(
            f"groups has {groups.shape[0]} entries but the labels have "
            f"{n_samples} samples."
        )
    if pd.isna(groups).any():
        raise ValueError("groups contains missing values (NaN or None).")
    return groups


def _report_rows(scope, values, index, cells, w):
    """One report row per value, from the cell sums of the rows ``index`` marks."""
    k = len(values)
    keys = index.astype(np.intp) * 4 + cells
    counts = np.bincount(keys, minlength=4 * k).reshape(k, 4)
    sums = counts if w is None else np.bincount(keys, w, 4 * k).reshape(k, 4)
    sums = sums.astype(float)
    both_wrong, positive, negative, both_right = sums.T
    total = sums.sum(axis=1)

    def ratio(num, den):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    columns = {
        "n": counts.sum(axis=1),
        "accuracy_ref": ratio(negative + both_right, total),
        "accuracy": ratio(positive + both_right, total),
        "btc": ratio(both_right, negative + both_right),
        "bec": ratio(both_wrong, both_wrong + negative),
        "nfr": ratio(negative, total),
        "pfr": ratio(positive, total),
        "new_errors": counts[:, 2],
        "fixed_errors": counts[:, 1],
    }
    return [
        {
            "scope": scope,
            "value": value,
            **{
                name: int(column[i]) if name in _COUNTS else float(column[i])
                for name, column in columns.items()
            },
        }
        for i, value in enumerate(values)
    ]


def compatibility_report(
    y_true,
    y_ref,
    y_pred,
    *,
    groups=None,
    sample_weight=None,
    confidence_level=None,
    n_resamples=1000,
    random_state=None,
):
    """Tidy table of compatibility metrics: overall, per class and per group.

    Answers questions such as "the update is more accurate overall, but is it
    still trustworthy for elderly patients?": pass the age band as ``groups``.
    With ``confidence_level``, every row also carries bootstrap confidence
    intervals, so that a difference can be told from noise.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    groups : array-like of shape (n_samples,), default=None
        A group value per sample (e.g. an age band); one row per distinct
        value is added.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights for the ratios (``n``, ``new_errors`` and
        ``fixed_errors`` stay plain counts).
    confidence_level : float in (0, 1), default=None
        Add percentile confidence intervals from a paired bootstrap over the
        rows (the same resampled rows for h1 and h2): columns
        ``accuracy_diff`` (``accuracy - accuracy_ref``) and ``{m}_low``,
        ``{m}_high`` for ``m`` in ``accuracy_ref``, ``accuracy``,
        ``accuracy_diff``, ``btc``, ``bec``, ``nfr``, ``pfr``. Each class and
        group row resamples its own rows; with ``groups`` the overall row is
        stratified by group (every resample keeps each group's size). Sample
        weights carry through. Where a metric's denominator has fewer than
        10 rows the interval is NaN, with one warning naming those rows.
        The interval assumes the rows are independent draws from the
        population the report speaks of. None: no intervals.
    n_resamples : int, default=1000
        Bootstrap resamples per row of the report.
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling, for reproducible intervals.

    Returns
    -------
    report : pandas.DataFrame
        One row for all samples (``scope == "overall"``), one per true class
        (``scope == "class"``) and one per group value (``scope ==
        "group"``). Columns: ``scope``, ``value``, ``n``, ``accuracy_ref``,
        ``accuracy``, ``btc``, ``bec``, ``nfr``, ``pfr``, ``new_errors``
        (h1 right, h2 wrong) and ``fixed_errors`` (h1 wrong, h2 right).
        Ratios that are undefined on a subset (e.g. BTC where h1 is never
        right) are NaN.

    See Also
    --------
    btc_score, bec_score, negative_flip_rate, positive_flip_rate
    mcnemar_test : Is h2 more accurate than h1?

    Examples
    --------
    >>> from sklearn_bc import compatibility_report
    >>> report = compatibility_report(
    ...     ["a", "b", "b", "a"], ["a", "b", "a", "a"], ["a", "a", "b", "a"],
    ...     groups=["old", "old", "young", "young"],
    ... )
    >>> report[["scope", "value", "n", "btc", "new_errors"]]
         scope    value  n       btc  new_errors
    0  overall      all  4  0.666667           1
    1    class        a  2  1.000000           0
    2    class        b  2  0.000000           1
    3    group      old  2  0.500000           1
    4    group    young  2  1.000000           0

    Intervals need rows: on 40 rows where h1 and h2 are always right, every
    resample is right everywhere too.

    >>> report = compatibility_report([0, 1] * 20, [0, 1] * 20, [0, 1] * 20,
    ...                               confidence_level=0.95, random_state=0)
    >>> report.loc[0, ["accuracy_low", "accuracy_high", "nfr_low", "nfr_high"]].tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    n_resamples, confidence_level = _check_interval_params(
        confidence_level, n_resamples
    )
    y_true, y_ref, y_pred = _check_label_arrays(
        y_true=y_true, y_ref=y_ref, y_pred=y_pred
    )
    w = (
        None
        if sample_weight is None
        else _check_sample_weight(sample_weight, y_true.shape[0])
    )
    ref_right, pred_right = y_ref == y_true, y_pred == y_true
    # count once: every row of the report from one bincount per scope
    cells = ref_right.view(np.uint8) * np.uint8(2) + pred_right.view(np.uint8)
    rows = _report_rows("overall", ["all"], np.zeros_like(cells), cells, w)
    classes, class_index = _factorize(y_true)
    rows += _report_rows("class", classes, class_index, cells, w)
    if groups is not None:
        groups = _check_groups(groups, y_true.shape[0])
        values, group_index = _factorize(groups)
        rows += _report_rows("group", values, group_index, cells, w)
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    report["value"] = report["value"].astype(object)
    if confidence_level is not None:
        report = _add_intervals(
            report, y_true, ref_right, pred_right,
            np.ones(y_true.shape[0]) if w is None else w, groups,
            confidence_level=confidence_level, n_resamples=n_resamples,
            random_state=random_state,
        )  # fmt: skip
    return report


def _check_interval_params(confidence_level, n_resamples):
    if confidence_level is not None and (
        isinstance(confidence_level, bool)
        or not isinstance(confidence_level, numbers.Real)
        or not 0 < confidence_level < 1
    ):
        raise ValueError(
            "confidence_level must be a float in (0, 1) or None; got "
            f"{confidence_level!r}."
        )
    if (
        isinstance(n_resamples, bool)
        or not isinstance(n_resamples, numbers.Integral)
        or n_resamples < 2
    ):
        raise ValueError(f"n_resamples must be an int >= 2; got {n_resamples!r}.")
    return int(n_resamples), confidence_level


def _add_intervals(
    report, y_true, ref_right, pred_right, w, groups, *, confidence_level,
    n_resamples, random_state,
):  # fmt: skip
    """The report with ``accuracy_diff`` and every ``{metric}_low/_high``."""
    rng = check_random_state(random_state)
    columns = {f"{m}_{end}": [] for m in INTERVAL_METRICS for end in ("low", "high")}
    too_small = []
    for row in report.itertuples(index=False):
        if row.scope == "overall":
            mask, strata = slice(None), groups
        elif row.scope == "class":
            mask, strata = y_true == row.value, None
        else:
            mask, strata = groups == row.value, None
        intervals, small = bootstrap_intervals(
            ref_right[mask], pred_right[mask], w[mask], strata=strata,
            confidence_level=confidence_level, n_resamples=n_resamples,
            random_state=rng,
        )  # fmt: skip
        for metric, (low, high) in intervals.items():
            columns[f"{metric}_low"].append(low)
            columns[f"{metric}_high"].append(high)
        if small:
            too_small.append(f"{row.scope} {str(row.value)!r} ({', '.join(small)})")
    if too_small:
        warnings.warn(
            f"Too few rows for a confidence interval (fewer than {MIN_ROWS} in "
            "the metric's denominator), set to NaN: " + "; ".join(too_small) + ".",
            UserWarning,
            stacklevel=3,
        )
    position = report.columns.get_loc("accuracy") + 1
    report.insert(
        position, "accuracy_diff", report["accuracy"] - report["accuracy_ref"]
    )
    for name, values in columns.items():
        report[name] = np.asarray(values, dtype=float)
    return report
