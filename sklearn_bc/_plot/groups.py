"""Compatibility per group of samples (e.g. per age band), as a bar chart."""

from __future__ import annotations

import numpy as np

from ._base import (
    LEGEND_ABOVE,
    METRICS,
    _check_metric,
    _check_same_length,
    _draw_whiskers,
    _estimator_predictions,
    _get_axes,
    _import_optional,
    _merge_style,
    _pyplot,
    _report,
)

GROUPS_REQUIRED = "groups is required: pass one group value per sample."


def _zoomed_limits(values, margin=0.15):
    """The y limits around ``values``, margin of ``margin`` times their span.

    The ratios shown lie in [0, 1] and differ between groups by a few points,
    invisible on an axis from 0; the axis keeps 0 only when the data come
    down to within 0.1 of it.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    span = max(high - low, 0.02)
    bottom = low - margin * span
    return (0.0 if bottom <= 0.1 else bottom), high + margin * span


class GroupCompatibilityDisplay:
    r"""A compatibility metric (BTC by default) per group of samples.

    Answers "the update is more accurate overall, but is it still
    trustworthy for elderly patients?": one bar per group value, its size
    under its name, the overall value as a dashed line and, with
    ``confidence_level``, each group's bootstrap interval as a whisker. The
    y axis is zoomed to the values (with a margin), so that differences of
    a few points show; the legend says when it does not start at 0. The
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
    score_intervals : ndarray of shape (n_groups, 2), default=None
        Confidence interval ``(low, high)`` of each group's metric, drawn as
        a whisker; a NaN interval (too few rows) draws none and the legend
        names the group.
    confidence_level : float, default=None
        The level of ``score_intervals``, for the legend.
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
        The x tick labels: the group value, ``"n=<size>"`` under it and
        ``"undefined"`` under that for a NaN value (below the axes, so that
        no line crosses them).
    overall_line_ : matplotlib Line2D or None
        The overall value.
    errorbars_ : matplotlib ErrorbarContainer or None
        The whiskers; None without ``score_intervals``.
    legend_ : matplotlib Legend
        Above the axes: what the bars, the line and the whiskers are, which
        groups lack an interval, and whether the y axis is zoomed.
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
    ['old\nn=2', 'young\nn=3']
    """

    def __init__(
        self,
        *,
        group_values,
        scores,
        group_sizes,
        overall_score=None,
        score_intervals=None,
        confidence_level=None,
        metric="btc",
        group_name="Group",
    ):
        self.group_values = group_values
        self.scores = scores
        self.group_sizes = group_sizes
        self.overall_score = overall_score
        self.score_intervals = score_intervals
        self.confidence_level = confidence_level
        self.metric = metric
        self.group_name = group_name

    def plot(
        self,
        ax=None,
        *,
        bar_kwargs=None,
        line_kwargs=None,
        errorbar_kwargs=None,
        legend_kwargs=None,
    ):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes are created when None.
        bar_kwargs : dict, default=None
            Passed to ``ax.bar``.
        line_kwargs : dict, default=None
            Passed to ``ax.axhline`` for the overall value.
        errorbar_kwargs : dict, default=None
            Passed to ``ax.errorbar`` for the whiskers.
        legend_kwargs : dict, default=None
            Passed to ``ax.legend``, over the defaults that put it above the
            axes.

        Returns
        -------
        display : GroupCompatibilityDisplay
        """
        fig, ax = _get_axes(ax, "GroupCompatibilityDisplay.plot")
        mlines = _import_optional("matplotlib.lines", "GroupCompatibilityDisplay")
        scores = np.asarray(self.scores, dtype=float)
        sizes = np.asarray(self.group_sizes)
        positions = np.arange(scores.size)
        handles = []

        self.bars_ = ax.bar(
            positions,
            scores,
            **_merge_style(
                {"color": "tab:blue", "edgecolor": "black", "label": "per group"},
                bar_kwargs,
            ),
        )
        handles.append(self.bars_)

        self.errorbars_ = None
        shown = [scores]
        if self.score_intervals is not None:
            interval = np.asarray(self.score_intervals, dtype=float).reshape(-1, 2)
            self.errorbars_ = _draw_whiskers(
                ax, positions, scores, interval, level=self.confidence_level,
                of="", capsize=4, style=errorbar_kwargs,
            )  # fmt: skip
            handles.append(self.errorbars_)
            shown.append(interval.ravel())
            missing = np.isnan(interval).any(axis=1) & ~np.isnan(scores)
            if missing.any():
                names = ", ".join(
                    str(v) for v in np.asarray(self.group_values)[missing]
                )
                handles.append(
                    mlines.Line2D(
                        [],
                        [],
                        linestyle="",
                        label=f"no interval (too few rows): {names}",
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
            handles.append(self.overall_line_)
            shown.append([self.overall_score])

        # the sizes sit under the names, below the axes: no line strikes them
        labels = [
            f"{value}\nn={size}" + ("" if defined else "\nundefined")
            for value, size, defined in zip(
                self.group_values, sizes, ~np.isnan(scores), strict=True
            )
        ]
        ax.set_xticks(positions, labels)
        self.texts_ = ax.get_xticklabels()

        low, high = _zoomed_limits(np.concatenate([np.ravel(v) for v in shown]))
        ax.set_ylim(low, high)
        if low > 0:
            handles.append(
                mlines.Line2D(
                    [], [], linestyle="",
                    label=f"y axis zoomed: starts at {low:.3g}, not 0",
                )
            )  # fmt: skip
        label = METRICS[self.metric][0] if self.metric in METRICS else self.metric
        ax.set(xlabel=self.group_name, ylabel=label)
        defaults = LEGEND_ABOVE
        self.legend_ = ax.legend(
            handles=handles, **_merge_style(defaults, legend_kwargs)
        )
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
        confidence_level=None,
        n_resamples=1000,
        random_state=None,
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
        confidence_level : float in (0, 1), default=None
            Draw each group's paired bootstrap interval of ``metric`` as a
            whisker: the group row's ``{metric}_low``/``{metric}_high`` of
            :func:`compatibility_report`. None: no whiskers.
        n_resamples : int, default=1000
            Bootstrap resamples per group.
        random_state : int, RandomState instance or None, default=None
            Seeds the resampling; with an int the whiskers are those of
            ``compatibility_report(..., random_state=random_state)``.
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
        report = _report(
            y_true, y_ref, y_pred, groups=groups, sample_weight=sample_weight,
            confidence_level=confidence_level, n_resamples=n_resamples,
            random_state=random_state,
        )  # fmt: skip
        per_group = report[report["scope"] == "group"]
        intervals = None
        if confidence_level is not None:
            intervals = per_group[[f"{metric}_low", f"{metric}_high"]].to_numpy(
                dtype=float
            )
        overall = report[report["scope"] == "overall"][metric].iloc[0]
        display = cls(
            group_values=per_group["value"].to_numpy(),
            scores=per_group[metric].to_numpy(dtype=float),
            group_sizes=per_group["n"].to_numpy(dtype=int),
            overall_score=float(overall),
            score_intervals=intervals,
            confidence_level=confidence_level,
            metric=metric,
            group_name=group_name,
        )
        return display.plot(ax, **kwargs)
