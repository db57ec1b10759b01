"""Compatibility per group of samples (e.g. per age band), as a bar chart."""

from __future__ import annotations

import numpy as np

from ..metrics import compatibility_report
from ._base import (
    METRICS,
    _check_metric,
    _check_same_length,
    _estimator_predictions,
    _get_axes,
    _merge_style,
    _pyplot,
)

GROUPS_REQUIRED = "groups is required: pass one group value per sample."


class GroupCompatibilityDisplay:
    """A compatibility metric (BTC by default) per group of samples.

    Answers "the update is more accurate overall, but is it still
    trustworthy for elderly patients?": one bar per group value, labelled
    with the group's size, and the overall value as a dashed line. The
    numbers come from :func:`compatibility_report`. Build it with
    :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    group_values : ndarray of shape (n_groups,)
        The distinct group values.
    scores : ndarray of shape (n_groups,)
        The metric per group (NaN where it is undefined, e.g. BTC for a
        group where h1 is never right).
    group_sizes : ndarray of shape (n_groups,)
        Samples per group.
    overall_score : float, default=None
        The metric over all samples, drawn as a dashed line.
    metric : str, default="btc"
        The metric's name (``"btc"``, ``"bec"``, ``"accuracy"``, ``"nfr"``,
        ``"pfr"``), for the axis label.
    group_name : str, default="Group"
        Name of the grouping, for the axis label.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        One bar per group (height NaN, so invisible, where undefined).
    texts_ : list of matplotlib Text
        ``"n=<size>"`` above each bar (with ``"undefined"`` below it for NaN).
    overall_line_ : matplotlib Line2D or None
        The overall value.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    compatibility_report : The table behind this display.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn_bc import GroupCompatibilityDisplay
    >>> y_true = [1, 1, 1, 1, 0]
    >>> y_ref = [1, 1, 1, 1, 0]
    >>> y_pred = [1, 0, 1, 1, 0]
    >>> display = GroupCompatibilityDisplay.from_predictions(
    ...     y_true, y_ref, y_pred, groups=["old", "old", "young", "young", "young"]
    ... )
    >>> [float(bar.get_height()) for bar in display.bars_]
    [0.5, 1.0]
    >>> [text.get_text() for text in display.texts_]
    ['n=2', 'n=3']
    """

    def __init__(
        self,
        *,
        group_values,
        scores,
        group_sizes,
        overall_score=None,
        metric="btc",
        group_name="Group",
    ):
        self.group_values = group_values
        self.scores = scores
        self.group_sizes = group_sizes
        self.overall_score = overall_score
        self.metric = metric
        self.group_name = group_name

    def plot(self, ax=None, *, bar_kwargs=None, line_kwargs=None, text_kwargs=None):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes are created when None.
        bar_kwargs : dict, default=None
            Passed to ``ax.bar``.
        line_kwargs : dict, default=None
            Passed to ``ax.axhline`` for the overall value.
        text_kwargs : dict, default=None
            Passed to ``ax.text`` for the group sizes.

        Returns
        -------
        display : GroupCompatibilityDisplay
        """
        fig, ax = _get_axes(ax, "GroupCompatibilityDisplay.plot")
        scores = np.asarray(self.scores, dtype=float)
        sizes = np.asarray(self.group_sizes)
        positions = np.arange(scores.size)

        self.bars_ = ax.bar(
            positions,
            scores,
            **_merge_style({"color": "tab:blue", "edgecolor": "black"}, bar_kwargs),
        )
        self.texts_ = []
        for x, score, size in zip(positions, scores, sizes, strict=True):
            defined = not np.isnan(score)
            self.texts_.append(
                ax.text(
                    x,
                    score if defined else 0.0,
                    f"n={size}" if defined else f"n={size}\nundefined",
                    **_merge_style({"ha": "center", "va": "bottom"}, text_kwargs),
                )
            )
        self.overall_line_ = None
        if self.overall_score is not None and not np.isnan(self.overall_score):
            defaults = {
                "color": "black",
                "linestyle": "--",
                "linewidth": 1,
                "label": f"overall ({self.overall_score:.3f})",
            }
            self.overall_line_ = ax.axhline(
                float(self.overall_score), **_merge_style(defaults, line_kwargs)
            )
            ax.legend(loc="lower right")
        ax.set_xticks(positions, [str(value) for value in self.group_values])
        top = np.nanmax(scores, initial=0.0)
        ax.set_ylim(0, max(1.0, top) * 1.12)
        label = METRICS[self.metric][0] if self.metric in METRICS else self.metric
        ax.set(xlabel=self.group_name, ylabel=label)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, groups, reference=None, ax=None, **kwargs
    ):
        """Plot a compatibility metric per group for a fitted new model.

        Parameters
        ----------
        estimator : fitted classifier
            The new model h2.
        X : array-like of shape (n_samples, n_features)
            Input.
        y : array-like of shape (n_samples,)
            True labels.
        groups : array-like of shape (n_samples,)
            Group value of each sample.
        reference : fitted classifier or torch.nn.Module, default=None
            The reference model h1; by default ``estimator.reference`` (see
            :meth:`ErrorVennDisplay.from_estimator`).
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Other keyword arguments of :meth:`from_predictions`.

        Returns
        -------
        display : GroupCompatibilityDisplay
        """
        _pyplot("GroupCompatibilityDisplay.from_estimator")
        if groups is None:
            raise ValueError(GROUPS_REQUIRED)
        y_ref, y_pred = _estimator_predictions(estimator, X, reference)
        return cls.from_predictions(y, y_ref, y_pred, groups=groups, ax=ax, **kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_ref,
        y_pred,
        *,
        groups,
        metric="btc",
        sample_weight=None,
        group_name="Group",
        ax=None,
        **kwargs,
    ):
        """Plot a compatibility metric per group given h1's and h2's labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_ref : array-like of shape (n_samples,)
            Labels predicted by the reference model h1.
        y_pred : array-like of shape (n_samples,)
            Labels predicted by the new model h2.
        groups : array-like of shape (n_samples,)
            Group value of each sample.
        metric : {"btc", "bec", "accuracy", "nfr", "pfr"}, default="btc"
            The metric per group.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the ratios.
        group_name : str, default="Group"
            Name of the grouping, for the axis label.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : GroupCompatibilityDisplay
        """
        _pyplot("GroupCompatibilityDisplay.from_predictions")
        _check_metric(metric, "metric")
        if groups is None:
            raise ValueError(GROUPS_REQUIRED)
        _check_same_length(y_true=y_true, y_ref=y_ref, y_pred=y_pred, groups=groups)
        report = compatibility_report(
            y_true, y_ref, y_pred, groups=groups, sample_weight=sample_weight
        )
        per_group = report[report["scope"] == "group"]
        overall = report[report["scope"] == "overall"][metric].iloc[0]
        display = cls(
            group_values=per_group["value"].to_numpy(),
            scores=per_group[metric].to_numpy(dtype=float),
            group_sizes=per_group["n"].to_numpy(dtype=int),
            overall_score=float(overall),
            metric=metric,
            group_name=group_name,
        )
        return display.plot(ax, **kwargs)
