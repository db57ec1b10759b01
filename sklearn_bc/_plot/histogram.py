"""New errors (h1 right, h2 wrong) per true class, as a bar chart."""

from __future__ import annotations

import numbers

import numpy as np

from .._label_checks import _check_labels
from ._base import (
    LEGEND_ABOVE,
    _check_same_length,
    _draw_whiskers,
    _estimator_predictions,
    _import_optional,
    _merge_style,
    _pyplot,
    _report,
)

NO_ACCURACY = (
    "show_accuracy=True needs the per-class accuracies accuracy_ref and accuracy."
)
ACCURACY_AX_REQUIRED = (
    "show_accuracy=True with a given ax needs accuracy_ax, the axes for the "
    "per-class accuracies."
)


class IncompatibilityHistogramDisplay:
    """Incompatible points (h1 right, h2 wrong) per true class.

    One bar per class, sorted by count (descending), labelled with the count;
    a secondary y axis reads the share of all incompatible points. With
    ``count_intervals`` (``confidence_level`` in :meth:`from_predictions`),
    a whisker shows each count's bootstrap interval. Optionally, a second
    axes shows h1's and h2's accuracy per class as grouped bars, in the same
    class order. Legends sit above the axes, clear of the bars. Build it
    with :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    incompatible_counts : ndarray of shape (n_classes,)
        Incompatible points per class.
    display_labels : ndarray of shape (n_classes,)
        Class names, in the order of ``incompatible_counts``.
    accuracy_ref : ndarray of shape (n_classes,), default=None
        h1's accuracy per class.
    accuracy : ndarray of shape (n_classes,), default=None
        h2's accuracy per class.
    count_intervals : ndarray of shape (n_classes, 2), default=None
        Confidence interval ``(low, high)`` of each class's count, drawn as a
        whisker; a NaN interval draws none and the legend names the class.
    confidence_level : float, default=None
        The level of ``count_intervals``, for the legend.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The count bars (only the classes kept by ``max_classes``).
    texts_ : list of matplotlib Text
        The count above each bar (above its whisker, when drawn). The share
        is read on the secondary axis: one line per bar keeps neighbouring
        labels apart.
    errorbars_ : matplotlib ErrorbarContainer or None
        The whiskers; None without ``count_intervals``.
    legend_ : matplotlib Legend or None
        Above the count axes, when there are whiskers to explain.
    secondary_yaxis_ : matplotlib SecondaryAxis or None
        The share axis; None when there is no incompatible point.
    accuracy_bars_ : dict of str to BarContainer, or None
        ``{"h1": ..., "h2": ...}`` when ``show_accuracy=True``.
    ax_accuracy_ : matplotlib Axes or None
        The axes of the per-class accuracies.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    ErrorVennDisplay : The overlap of h1's and h2's errors.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn_bc import IncompatibilityHistogramDisplay
    >>> y_true = ["a", "b", "b", "c", "c"]
    >>> y_ref = ["a", "b", "b", "c", "c"]
    >>> y_pred = ["b", "a", "a", "c", "c"]
    >>> display = IncompatibilityHistogramDisplay.from_predictions(
    ...     y_true, y_ref, y_pred
    ... )
    >>> [int(bar.get_height()) for bar in display.bars_]  # b, a, c
    [2, 1, 0]
    """

    def __init__(
        self,
        *,
        incompatible_counts,
        display_labels,
        accuracy_ref=None,
        accuracy=None,
        count_intervals=None,
        confidence_level=None,
    ):
        self.incompatible_counts = incompatible_counts
        self.display_labels = display_labels
        self.accuracy_ref = accuracy_ref
        self.accuracy = accuracy
        self.count_intervals = count_intervals
        self.confidence_level = confidence_level

    def plot(
        self,
        ax=None,
        *,
        max_classes=None,
        show_accuracy=False,
        accuracy_ax=None,
        bar_kwargs=None,
        accuracy_bar_kwargs=None,
        text_kwargs=None,
        errorbar_kwargs=None,
    ):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes of the counts; a new figure is created when None (with a
            second axes side by side when ``show_accuracy=True``).
        max_classes : int, default=None
            Keep only this many classes, those with the most incompatible
            points; shares stay relative to all incompatible points.
        show_accuracy : bool, default=False
            Also draw h1's and h2's accuracy per class as grouped bars.
        accuracy_ax : matplotlib Axes, default=None
            Axes of the accuracies; required when ``ax`` is given and
            ``show_accuracy=True``.
        bar_kwargs : dict, default=None
            Passed to ``ax.bar`` for the counts.
        accuracy_bar_kwargs : dict, default=None
            Passed to ``ax.bar`` for both accuracy series.
        text_kwargs : dict, default=None
            Passed to ``ax.annotate`` for the bar labels.
        errorbar_kwargs : dict, default=None
            Passed to ``ax.errorbar`` for the whiskers.

        Returns
        -------
        display : IncompatibilityHistogramDisplay
        """
        plt = _pyplot("IncompatibilityHistogramDisplay.plot")
        mlines = _import_optional("matplotlib.lines", "IncompatibilityHistogramDisplay")
        if max_classes is not None and (
            not isinstance(max_classes, numbers.Integral) or max_classes < 1
        ):
            raise ValueError(
                f"max_classes must be a positive integer or None; got {max_classes!r}."
            )
        if show_accuracy and (self.accuracy_ref is None or self.accuracy is None):
            raise ValueError(NO_ACCURACY)
        if show_accuracy and ax is not None and accuracy_ax is None:
            raise ValueError(ACCURACY_AX_REQUIRED)
        if ax is None and show_accuracy:
            fig, (ax, accuracy_ax) = plt.subplots(
                1, 2, figsize=(11, 4), layout="constrained"
            )
        elif ax is None:
            fig, ax = plt.subplots()
        else:
            fig = ax.figure

        counts = np.asarray(self.incompatible_counts)
        labels = np.asarray(self.display_labels, dtype=object)
        order = np.argsort(-counts, kind="stable")[:max_classes]
        total = counts.sum()
        positions = np.arange(order.size)
        names = [str(label) for label in labels[order]]

        self.bars_ = ax.bar(
            positions,
            counts[order],
            **_merge_style({"color": "tab:red", "edgecolor": "black"}, bar_kwargs),
        )
        heights = counts[order].astype(float)
        self.errorbars_ = None
        handles = []
        if self.count_intervals is not None:
            interval = np.asarray(self.count_intervals, dtype=float).reshape(-1, 2)
            interval = interval[order]
            self.errorbars_ = _draw_whiskers(
                ax, positions, heights, interval, level=self.confidence_level,
                of=" of the count", capsize=3, style=errorbar_kwargs,
            )  # fmt: skip
            handles.append(self.errorbars_)
            missing = np.isnan(interval).any(axis=1)
            if missing.any():
                handles.append(
                    mlines.Line2D(
                        [], [], linestyle="",
                        label="no interval (too few rows): "
                        + ", ".join(np.asarray(names, dtype=object)[missing]),
                    )
                )  # fmt: skip
            # labels go above the whiskers
            tops = np.fmax(heights, interval[:, 1])
        else:
            tops = heights
        self.texts_ = []
        for x, count, top in zip(positions, counts[order], tops, strict=True):
            self.texts_.append(
                # 3 points up: clear of the whisker's cap
                ax.annotate(
                    f"{count}",
                    (x, top),
                    xytext=(0, 3),
                    textcoords="offset points",
                    **_merge_style(
                        {"ha": "center", "va": "bottom", "fontsize": "small"},
                        text_kwargs,
                    ),
                )
            )
        self.legend_ = None
        if handles:
            self.legend_ = ax.legend(handles=handles, **LEGEND_ABOVE)
        ax.set_xticks(positions, names)
        # room above the highest bar (or whisker) for its label
        ax.set_ylim(0, max(np.nanmax(tops, initial=0), 1) * 1.15)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set(xlabel="True class", ylabel="Incompatible points (h1 right, h2 wrong)")
        self.secondary_yaxis_ = None
        if total:
            self.secondary_yaxis_ = ax.secondary_yaxis(
                "right",
                functions=(
                    lambda c: 100.0 * c / total,
                    lambda s: s * total / 100.0,
                ),
            )
            self.secondary_yaxis_.set_ylabel("Share of incompatible points (%)")

        self.accuracy_bars_ = None
        self.ax_accuracy_ = None
        if show_accuracy:
            width = 0.4
            style = _merge_style({"edgecolor": "black"}, accuracy_bar_kwargs)
            self.accuracy_bars_ = {
                "h1": accuracy_ax.bar(
                    positions - width / 2,
                    np.asarray(self.accuracy_ref, dtype=float)[order],
                    width,
                    label="h1 (reference)",
                    **_merge_style({"color": "tab:gray"}, style),
                ),
                "h2": accuracy_ax.bar(
                    positions + width / 2,
                    np.asarray(self.accuracy, dtype=float)[order],
                    width,
                    label="h2 (new)",
                    **_merge_style({"color": "tab:blue"}, style),
                ),
            }
            accuracy_ax.set_xticks(positions, names)
            accuracy_ax.set(xlabel="True class", ylabel="Accuracy", ylim=(0, 1.05))
            # above the axes: inside, any corner covers some class's bars
            accuracy_ax.legend(**LEGEND_ABOVE)
            self.ax_accuracy_ = accuracy_ax

        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        reference=None,
        labels=None,
        display_labels=None,
        ax=None,
        **kwargs,
    ):
        """Plot the incompatible points of a fitted new model per class.

        Parameters
        ----------
        estimator : fitted classifier
            The new model h2.
        X : array-like of shape (n_samples, n_features)
            Input.
        y : array-like of shape (n_samples,)
            True labels.
        reference : fitted classifier or torch.nn.Module, default=None
            The reference model h1; by default ``estimator.reference`` (see
            :meth:`ErrorVennDisplay.from_estimator`).
        labels, display_labels, ax, **kwargs
            See :meth:`from_predictions`.

        Returns
        -------
        display : IncompatibilityHistogramDisplay
        """
        _pyplot("IncompatibilityHistogramDisplay.from_estimator")
        y_ref, y_pred = _estimator_predictions(estimator, X, reference)
        return cls.from_predictions(
            y,
            y_ref,
            y_pred,
            labels=labels,
            display_labels=display_labels,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_ref,
        y_pred,
        *,
        labels=None,
        display_labels=None,
        confidence_level=None,
        n_resamples=1000,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Plot the incompatible points per class given h1's and h2's labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_ref : array-like of shape (n_samples,)
            Labels predicted by the reference model h1.
        y_pred : array-like of shape (n_samples,)
            Labels predicted by the new model h2.
        labels : array-like of shape (n_classes,), default=None
            Classes to show; by default the sorted classes of ``y_true``.
        display_labels : array-like of shape (n_classes,), default=None
            Names of ``labels`` on the axis; by default the labels themselves.
        confidence_level : float in (0, 1), default=None
            Draw a whisker per class: the paired bootstrap interval of its
            count of incompatible points, that is the class row's
            ``nfr_low``/``nfr_high`` of :func:`compatibility_report` times
            the class size (NFR within a class is its count over its size).
            A class of fewer than 10 rows gets none, and the legend names
            it. None: no whiskers.
        n_resamples : int, default=1000
            Bootstrap resamples per class.
        random_state : int, RandomState instance or None, default=None
            Seeds the resampling; with an int the whiskers are those of
            ``compatibility_report(..., random_state=random_state)``.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot` (``max_classes``,
            ``show_accuracy``, ...).

        Returns
        -------
        display : IncompatibilityHistogramDisplay
        """
        _pyplot("IncompatibilityHistogramDisplay.from_predictions")
        _check_same_length(y_true=y_true, y_ref=y_ref, y_pred=y_pred)
        report = _report(
            y_true, y_ref, y_pred, confidence_level=confidence_level,
            n_resamples=n_resamples, random_state=random_state,
        )  # fmt: skip
        per_class = report[report["scope"] == "class"].set_index("value")
        if labels is None:
            labels = np.unique(_check_labels(y_true, "y_true"))
        labels = np.asarray(labels)
        if display_labels is None:
            display_labels = labels
        elif len(display_labels) != len(labels):
            raise ValueError(
                f"display_labels has {len(display_labels)} entries but there are "
                f"{len(labels)} classes {labels.tolist()}."
            )
        per_class = per_class.reindex(list(labels))
        intervals = None
        if confidence_level is not None:
            sizes = per_class["n"].to_numpy(dtype=float)[:, None]
            nfr = per_class[["nfr_low", "nfr_high"]].to_numpy(dtype=float)
            intervals = nfr * sizes
        display = cls(
            incompatible_counts=per_class["new_errors"].fillna(0).to_numpy(dtype=int),
            display_labels=np.asarray(display_labels, dtype=object),
            accuracy_ref=per_class["accuracy_ref"].to_numpy(dtype=float),
            accuracy=per_class["accuracy"].to_numpy(dtype=float),
            count_intervals=intervals,
            confidence_level=confidence_level,
        )
        return display.plot(ax, **kwargs)
