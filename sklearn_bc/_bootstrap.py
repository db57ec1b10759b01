"""Paired bootstrap intervals of the compatibility metrics, vectorised.

Every metric of an update h1 -> h2 is a function of four weighted sums over
the rows: the weight of the rows in each cell of (h1 right?, h2 right?).
Resampling the rows with replacement (the same rows for h1 and h2: a paired
bootstrap) therefore only needs each resample's four cell sums:

- rows that differ only in their cell and weight are exchangeable, so when
  the rows fall into few (cell, weight) categories (always, without sample
  weights: four), the numbers of draws per category of one resample are
  exactly multinomial, and ``n_resamples`` resamples cost one multinomial
  draw of shape (n_resamples, n_categories), whatever the number of rows;
- with many distinct weights, rows are resampled by index, a block of
  resamples at a time, each block one ``bincount``.

Strata (the groups of a report) are resampled separately, each keeping its
size, and their sums added: a stratified bootstrap. The interval is the
percentile interval of the resampled metric.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

#: metric -> what it measures; the report's columns ``{metric}_low``/``_high``
INTERVAL_METRICS = (
    "accuracy_ref",
    "accuracy",
    "accuracy_diff",
    "btc",
    "bec",
    "nfr",
    "pfr",
)

#: an interval of a metric whose denominator has fewer rows is NaN, not a
#: misleadingly narrow range (with 5 rows a share of 1.0 resamples to [1, 1])
MIN_ROWS = 10

# cells: 2 * h1_right + h2_right
_BOTH_WRONG, _POSITIVE_FLIP, _NEGATIVE_FLIP, _BOTH_RIGHT = range(4)
_MAX_CATEGORIES = 4096  # multinomial over categories up to this many
_BLOCK_ELEMENTS = 2_000_000  # resampled row indices held at once


def _metrics_from_sums(sums):
    """Every metric from cell sums of shape (..., 4); NaN where undefined."""
    s0, s1, s2, s3 = np.moveaxis(np.asarray(sums, dtype=float), -1, 0)
    total = s0 + s1 + s2 + s3
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy_ref = (s2 + s3) / total
        accuracy = (s1 + s3) / total
        return {
            "accuracy_ref": accuracy_ref,
            "accuracy": accuracy,
            "accuracy_diff": accuracy - accuracy_ref,
            "btc": s3 / (s2 + s3),
            "bec": s0 / (s0 + s2),
            "nfr": s2 / total,
            "pfr": s1 / total,
        }


def _denominator_rows(cells):
    """Rows in each metric's denominator (unweighted), for the MIN_ROWS rule."""
    n = np.bincount(cells, minlength=4)
    total = int(n.sum())
    return {
        "accuracy_ref": total,
        "accuracy": total,
        "accuracy_diff": total,
        "btc": int(n[_NEGATIVE_FLIP] + n[_BOTH_RIGHT]),
        "bec": int(n[_BOTH_WRONG] + n[_NEGATIVE_FLIP]),
        "nfr": total,
        "pfr": total,
    }


def _resampled_sums(cells, weight, n_resamples, rng):
    """Cell sums of ``n_resamples`` resamples of one stratum, (n_resamples, 4)."""
    n = cells.shape[0]
    if n == 0:
        return np.zeros((n_resamples, 4))
    # categories: (weight value, cell); one sort of the weights at most
    if np.all(weight == weight[0]):
        weight_values, weight_index = weight[:1], np.zeros(n, dtype=np.intp)
    else:
        weight_values, weight_index = np.unique(weight, return_inverse=True)
    if weight_values.shape[0] * 4 <= _MAX_CATEGORIES:
        counts = np.bincount(weight_index * 4 + cells, minlength=weight_values.size * 4)
        draws = rng.multinomial(n, counts / n, size=n_resamples)
        # draws of category (v, c) add weight_values[v] to cell c
        by_cell = draws.reshape(n_resamples, weight_values.size, 4)
        return np.einsum("rvc,v->rc", by_cell, weight_values)
    sums = np.empty((n_resamples, 4))
    block = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        index = rng.randint(0, n, size=(stop - start, n))
        keys = (np.arange(stop - start)[:, None] * 4 + cells[index]).ravel()
        sums[start:stop] = np.bincount(
            keys, weights=weight[index].ravel(), minlength=(stop - start) * 4
        ).reshape(-1, 4)
    return sums


def bootstrap_intervals(
    ref_right,
    pred_right,
    weight,
    *,
    strata=None,
    confidence_level=0.95,
    n_resamples=1000,
    random_state=None,
):
    """Percentile intervals of every metric from a paired, stratified bootstrap.

    Parameters
    ----------
    ref_right, pred_right : ndarray of bool, shape (n_samples,)
        Where h1 (resp. h2) is right.
    weight : ndarray of float, shape (n_samples,)
        Sample weights (all ones without).
    strata : ndarray of shape (n_samples,), default=None
        Resample within each stratum, keeping its size.
    confidence_level : float
        In (0, 1).
    n_resamples : int
        Number of resamples.
    random_state : int, RandomState instance or None

    Returns
    -------
    intervals : dict of str to (float, float)
        ``(low, high)`` per metric of :data:`INTERVAL_METRICS`; ``(nan, nan)``
        where the metric's denominator has fewer than :data:`MIN_ROWS` rows.
    too_small : list of str
        The metrics given NaN for that reason (not those whose denominator
        is empty: they are undefined, and so is their interval).
    """
    rng = check_random_state(random_state)
    cells = 2 * np.asarray(ref_right, dtype=np.intp) + np.asarray(pred_right, np.intp)
    weight = np.asarray(weight, dtype=float)
    sums = np.zeros((n_resamples, 4))
    if strata is None:
        sums += _resampled_sums(cells, weight, n_resamples, rng)
    else:
        _, stratum = np.unique(np.asarray(strata), return_inverse=True)
        for s in range(stratum.max() + 1 if stratum.size else 0):
            rows = stratum == s
            sums += _resampled_sums(cells[rows], weight[rows], n_resamples, rng)
    resampled = _metrics_from_sums(sums)
    rows = _denominator_rows(cells)
    alpha = 1.0 - confidence_level
    intervals, too_small = {}, []
    for name in INTERVAL_METRICS:
        values = resampled[name]
        if rows[name] < MIN_ROWS or np.isnan(values).all():
            intervals[name] = (np.nan, np.nan)
            if rows[name] > 0:  # with none the metric itself is undefined
                too_small.append(name)
            continue
        low, high = np.nanquantile(values, [alpha / 2, 1 - alpha / 2])
        intervals[name] = (float(low), float(high))
    return intervals, too_small
