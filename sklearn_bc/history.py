"""Compatibility across a history of updates h0 -> h1 -> h2 -> ...

A deployed model is updated again and again. Each update can be compatible
with its predecessor and still, step by step, drift away from the version
users first learned to trust. :class:`UpdateHistory` scores every later
version against every earlier one on the same rows, and says how much of the
trust placed in version k has been kept by every version since.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._label_checks import _check_compatibility_inputs

__all__ = ["UpdateHistory"]

PAIRWISE_COLUMNS = [
    "earlier",
    "later",
    "steps",
    "accuracy_earlier",
    "accuracy_later",
    "btc",
    "bec",
    "nfr",
    "pfr",
    "new_errors",
]
MATRIX_METRICS = ("btc", "bec", "nfr", "pfr")
TOO_FEW_VERSIONS = (
    "predictions must hold the labels predicted by at least two versions, in the "
    "order they were deployed; got {n}."
)


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator > 0 else np.nan


def _as_versions(predictions, versions):
    """Names and label arrays of the versions, in deployment order."""
    if isinstance(predictions, pd.DataFrame):
        names = [str(c) for c in predictions.columns]
        arrays = [predictions[c].to_numpy() for c in predictions.columns]
    elif isinstance(predictions, dict):
        names = [str(k) for k in predictions]
        arrays = list(predictions.values())
    elif isinstance(predictions, (list, tuple)):
        names = [f"v{k}" for k in range(len(predictions))]
        arrays = list(predictions)
    else:
        raise TypeError(
            "predictions must be a dict of version name to predicted labels, a "
            "list of label arrays or a DataFrame with one column per version (in "
            f"deployment order); got {type(predictions).__name__}."
        )
    if versions is not None:
        versions = [str(v) for v in versions]
        if len(versions) != len(arrays):
            raise ValueError(
                f"versions names {len(versions)} versions but predictions holds "
                f"{len(arrays)}."
            )
        names = versions
    if len(arrays) < 2:
        raise ValueError(TOO_FEW_VERSIONS.format(n=len(arrays)))
    if len(set(names)) != len(names):
        raise ValueError(f"version names must be unique; got {names}.")
    return names, arrays


class UpdateHistory:
    """Pairwise compatibility of every version of a model against every earlier one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels of the rows every version predicted.
    predictions : dict, list or DataFrame
        The labels predicted by each version, in the order the versions were
        deployed: a dict of name to labels, a list of label arrays (named
        ``v0``, ``v1``, ...) or a DataFrame with one column per version.
    versions : list of str, default=None
        Names of the versions, overriding those of ``predictions``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights multiplying every indicator.

    Attributes
    ----------
    versions : list of str
        The version names, in deployment order.
    accuracy : pandas.Series
        Weighted accuracy of each version.
    pairwise : pandas.DataFrame
        One row per pair of versions (``earlier`` deployed before ``later``):
        ``steps`` between them, both accuracies, BTC, BEC, NFR, PFR of the
        update earlier -> later and its count of ``new_errors`` (weighted).
        A ratio whose denominator is 0 is NaN.
    trust_kept : pandas.DataFrame
        One row per version k: its accuracy; ``kept``, the share of rows that
        version k and every version after it got right; and
        ``kept_given_right``, that share among the rows version k got right
        (for the last-but-one version, the BTC of the last update). A user who
        learned where version k can be trusted is still right to trust it on
        exactly these rows.

    See Also
    --------
    UpdateHistoryDisplay : A heatmap of one pairwise metric.
    compatibility_report : One update, per class and per group.

    Examples
    --------
    >>> from sklearn_bc import UpdateHistory
    >>> y_true = [0, 0, 1, 1, 1]
    >>> history = UpdateHistory(y_true, {
    ...     "2024": [0, 1, 1, 1, 0],
    ...     "2025": [0, 0, 1, 0, 0],
    ...     "2026": [0, 0, 1, 1, 1],
    ... })
    >>> # 2024 is right on rows 0, 2, 3; 2025 keeps rows 0 and 2 (BTC 2/3) and
    >>> # breaks row 3 (NFR 1/5); rows 0 and 2 stay right ever since 2024
    >>> history.pairwise[["earlier", "later", "btc", "nfr"]]
      earlier later       btc  nfr
    0    2024  2025  0.666667  0.2
    1    2024  2026  1.000000  0.0
    2    2025  2026  1.000000  0.0
    >>> history.trust_kept
          accuracy  kept  kept_given_right
    2024       0.6   0.4          0.666667
    2025       0.6   0.6          1.000000
    2026       1.0   1.0          1.000000
    """

    def __init__(self, y_true, predictions, *, versions=None, sample_weight=None):
        names, arrays = _as_versions(predictions, versions)
        right = []
        for name, labels in zip(names, arrays, strict=True):
            try:
                _, is_right, weight = _check_compatibility_inputs(
                    y_true, labels, labels, sample_weight=sample_weight
                )
            except ValueError as exc:
                raise ValueError(f"version {name!r}: {exc}") from exc
            right.append(is_right)
        self.versions = names
        self._right = np.vstack(right)  # (n_versions, n_samples)
        self._weight = weight
        total = weight.sum()
        self.accuracy = pd.Series(
            [_ratio(weight[r].sum(), total) for r in self._right],
            index=names,
            name="accuracy",
        )
        self.pairwise = self._pairwise(total)
        self.trust_kept = self._trust_kept(total)

    def _pairwise(self, total):
        w = self._weight
        rows = []
        for i, earlier in enumerate(self.versions):
            for j in range(i + 1, len(self.versions)):
                r, p = self._right[i], self._right[j]
                new = w[r & ~p].sum()
                rows.append(
                    {
                        "earlier": earlier,
                        "later": self.versions[j],
                        "steps": j - i,
                        "accuracy_earlier": self.accuracy.iloc[i],
                        "accuracy_later": self.accuracy.iloc[j],
                        "btc": _ratio(w[r & p].sum(), w[r].sum()),
                        "bec": _ratio(w[~r & ~p].sum(), w[~p].sum()),
                        "nfr": _ratio(new, total),
                        "pfr": _ratio(w[~r & p].sum(), total),
                        "new_errors": float(new),
                    }
                )
        return pd.DataFrame(rows, columns=PAIRWISE_COLUMNS)

    def _trust_kept(self, total):
        w = self._weight
        # rows right in version k and every later one: a reversed running AND
        kept_since = np.logical_and.accumulate(self._right[::-1], axis=0)[::-1]
        kept = [_ratio(w[k].sum(), total) for k in kept_since]
        frame = pd.DataFrame(
            {
                "accuracy": self.accuracy.to_numpy(),
                "kept": kept,
                "kept_given_right": [
                    _ratio(w[k].sum(), w[r].sum())
                    for k, r in zip(kept_since, self._right, strict=True)
                ],
            },
            index=self.versions,
        )
        return frame

    def matrix(self, metric="btc"):
        """One pairwise metric as a square table, earlier (rows) x later (columns).

        Parameters
        ----------
        metric : {"btc", "bec", "nfr", "pfr"}, default="btc"
            The metric of the update row -> column.

        Returns
        -------
        matrix : pandas.DataFrame of shape (n_versions, n_versions)
            NaN on and below the diagonal (no update there).
        """
        if metric not in MATRIX_METRICS:
            raise ValueError(
                f"metric must be one of {list(MATRIX_METRICS)}; got {metric!r}."
            )
        table = pd.DataFrame(
            np.nan, index=self.versions, columns=self.versions, dtype=float
        )
        for row in self.pairwise.itertuples(index=False):
            table.loc[row.earlier, row.later] = getattr(row, metric)
        table.index.name, table.columns.name = "earlier", "later"
        return table
