"""Score against compatibility over a lambda_c sweep: the trade-off scatter."""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._base import (
    LEGEND_ABOVE,
    METRICS,
    _check_metric,
    _check_same_length,
    _get_axes,
    _import_optional,
    _merge_style,
    _report,
    _score,
)

RESULTS_NOT_A_FRAME = (
    "results must be a pandas DataFrame (the sweep's results); got {}."
)
RESULTS_EMPTY = "results is empty: the sweep produced no candidate to plot."
RESULTS_MISSING_COLUMNS = (
    "results lacks the column(s) {missing} needed to plot x={x!r}, y={y!r} "
    "on the {split!r} split."
)
NOT_A_SEARCH = (
    "search must be a fitted GridSearchCV (or another search with cv_results_); got {}."
)
NO_PREDICTIONS = "predictions must be a non-empty dict {{label: y_pred}}; got {!r}."

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _pareto_mask(x, y, x_higher=True, y_higher=True):
    """Points no other point beats on both coordinates (NaN points excluded)."""
    x = np.asarray(x, dtype=float) * (1 if x_higher else -1)
    y = np.asarray(y, dtype=float) * (1 if y_higher else -1)
    valid = ~(np.isnan(x) | np.isnan(y))
    mask = np.zeros(x.shape[0], dtype=bool)
    for i in np.flatnonzero(valid):
        at_least = valid & (x >= x[i]) & (y >= y[i])
        strictly = (x > x[i]) | (y > y[i])
        mask[i] = not np.any(at_least & strictly)
    return mask


def _param_column(cv, name, estimator):
    """Values of hyper-parameter ``name`` per candidate (a step prefix is fine)."""
    for column in cv.columns:
        if column == f"param_{name}" or (
            column.startswith("param_") and column.endswith(f"__{name}")
        ):
            return cv[column].to_numpy()
    # a parameter the grid does not vary is the estimator's own setting
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    for key, value in params.items():
        if key == name or key.endswith(f"__{name}"):
            return np.full(len(cv), value, dtype=object)
    raise ValueError(
        f"search.cv_results_ has no param_{name} column (nor one ending in "
        f"__{name}) and the estimator has no {name} parameter."
    )


def _cv_results_frame(search):
    """Build the sweep's tidy results (the columns used here) from ``cv_results_``."""
    cv = pd.DataFrame(search.cv_results_)
    estimator = getattr(search, "estimator", None)
    frame = pd.DataFrame(
        {
            "dissonance": _param_column(cv, "dissonance", estimator).astype(str),
            "lambda_c": _param_column(cv, "lambda_c", estimator).astype(float),
        }
    )
    scores = [c for c in cv.columns if re.fullmatch(r"(mean|std)_(test|train)_.+", c)]
    for column in scores + ["mean_fit_time", "std_fit_time"]:
        if column in cv.columns:
            frame[column] = cv[column].to_numpy()
    return frame


class CompatibilityScatterDisplay:
    """A score against a compatibility metric, one marker per model.

    The natural source is a lambda_c sweep: one marker per candidate, one
    series (marker and colour) per dissonance, lambda_c shown by a colormap
    or by annotations, the reference model's score as a dashed horizontal line
    and the Pareto front as a dotted line. Build it with
    :meth:`from_results`, :meth:`from_cv_results` or :meth:`from_predictions`.

    Parameters
    ----------
    x_values, y_values : ndarray of shape (n_points,)
        Coordinates of the markers.
    series : ndarray of shape (n_points,)
        Series of each point (the dissonance, or a model's label).
    lambda_c : ndarray of shape (n_points,), default=None
        The lambda_c of each point, or None.
    x_std, y_std : ndarray of shape (n_points,), default=None
        Standard deviations (over CV folds) drawn as symmetric error bars.
    x_interval, y_interval : ndarray of shape (n_points, 2), default=None
        Confidence intervals ``(low, high)`` drawn as error bars instead of
        the standard deviations; a NaN interval draws no bar (and the legend
        says which points lack one).
    confidence_level : float, default=None
        The level of ``x_interval`` and ``y_interval``, for the legend.
    pareto : ndarray of bool of shape (n_points,), default=None
        Points on the Pareto front.
    reference_score : float, default=None
        The reference model's ``y_metric``, drawn as a dashed line.
    x_metric, y_metric : str, default="btc", "accuracy"
        Metric names (``"accuracy"``, ``"btc"``, ``"bec"``, ``"nfr"``,
        ``"pfr"``), used for the axis labels.
    split : {"test", "train"}, default="test"
        Data the scores come from; ``"train"`` is noted in the axis labels.
    score_source : {"cv", "test"}, default=None
        Where the scores come from, for the axis labels: ``"cv"`` for means
        over cross-validation folds ("Cross-validated accuracy"), ``"test"``
        for one evaluation on held-out data ("Test accuracy"); None says
        nothing.

    Attributes
    ----------
    scatter_ : dict of str to matplotlib PathCollection
        Markers of each series.
    errorbars_ : dict of str to matplotlib ErrorbarContainer, or None
        Error bars of each series; None when none is drawn.
    errorbar_description_ : str or None
        What the error bars are (``"±1 std over CV folds"`` or ``"95%
        bootstrap interval"``), also the legend's entry for them.
    highlight_ : matplotlib PathCollection or None
        The ring around the highlighted point (legend entry "chosen").
    annotations_ : list of matplotlib Text or None
        The lambda_c annotations (``lambda_c_as="annotate"``).
    colorbar_ : matplotlib Colorbar or None
        The lambda_c colorbar (``lambda_c_as="colorbar"``).
    reference_line_ : matplotlib Line2D or None
        The reference model's score.
    pareto_line_ : matplotlib Line2D or None
        The Pareto front; None when it is not drawn or has a single point.
    legend_ : matplotlib Legend
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    ErrorVennDisplay : Errors of the two models as a Venn diagram.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_bc import CompatibilityScatterDisplay
    >>> results = pd.DataFrame({
    ...     "dissonance": ["new_error"] * 3,
    ...     "lambda_c": [0.0, 0.5, 1.0],
    ...     "mean_test_btc": [0.90, 0.95, 0.99],
    ...     "mean_test_accuracy": [0.93, 0.92, 0.88],
    ...     "mean_test_reference_accuracy": [0.85] * 3,
    ... })
    >>> display = CompatibilityScatterDisplay.from_results(results)
    >>> display.reference_line_.get_ydata()[0]
    0.85
    """

    def __init__(
        self,
        *,
        x_values,
        y_values,
        series,
        lambda_c=None,
        x_std=None,
        y_std=None,
        x_interval=None,
        y_interval=None,
        confidence_level=None,
        pareto=None,
        reference_score=None,
        x_metric="btc",
        y_metric="accuracy",
        split="test",
        score_source=None,
    ):
        self.x_values = x_values
        self.y_values = y_values
        self.series = series
        self.lambda_c = lambda_c
        self.x_std = x_std
        self.y_std = y_std
        self.x_interval = x_interval
        self.y_interval = y_interval
        self.confidence_level = confidence_level
        self.pareto = pareto
        self.reference_score = reference_score
        self.x_metric = x_metric
        self.y_metric = y_metric
        self.split = split
        self.score_source = score_source

    def _label(self, metric):
        label = METRICS[metric][0] if metric in METRICS else metric
        prefix = {
            ("cv", "test"): "Cross-validated",
            ("cv", "train"): "Training-fold",
            ("test", "test"): "Test",
            ("test", "train"): "Training",
        }.get((self.score_source, self.split))
        if prefix is None:
            return f"{label} (train)" if self.split == "train" else label
        # "Accuracy" reads "Cross-validated accuracy"; acronyms keep their case
        if label[:1].isupper() and label[1:2].islower():
            label = label[0].lower() + label[1:]
        return f"{prefix} {label}"

    def _errors(self, show_errorbars):
        """``(xerr, yerr, description)`` for ``ax.errorbar``; None where absent."""
        if not show_errorbars:
            return None, None, None
        x = np.asarray(self.x_values, dtype=float)
        y = np.asarray(self.y_values, dtype=float)
        if self.x_interval is not None or self.y_interval is not None:

            def asymmetric(values, interval):
                if interval is None:
                    return None
                interval = np.asarray(interval, dtype=float).reshape(-1, 2)
                # below and above the point, as matplotlib wants them
                return np.vstack([values - interval[:, 0], interval[:, 1] - values])

            level = self.confidence_level
            description = (
                f"{100 * level:g}% bootstrap interval" if level is not None
                else "confidence interval"
            )  # fmt: skip
            return (
                asymmetric(x, self.x_interval),
                asymmetric(y, self.y_interval),
                description,
            )

        def std(values):
            if values is None:
                return None
            values = np.asarray(values, dtype=float)
            return None if np.all(np.isnan(values)) else values

        x_std, y_std = std(self.x_std), std(self.y_std)
        if x_std is None and y_std is None:
            return None, None, None
        return x_std, y_std, "±1 std over CV folds"

    def _missing_intervals(self, series):
        """Labels of the points whose interval is NaN on either axis."""
        missing = np.zeros(len(series), dtype=bool)
        for interval in (self.x_interval, self.y_interval):
            if interval is not None:
                interval = np.asarray(interval, dtype=float).reshape(-1, 2)
                missing |= np.isnan(interval).any(axis=1)
        return [str(name) for name in np.asarray(series, dtype=object)[missing]]

    def _highlight_position(self, highlight, series):
        """The index of the point ``highlight`` names (a position or a label)."""
        n_points = len(series)
        if isinstance(highlight, numbers.Integral) and not isinstance(highlight, bool):
            if not -n_points <= highlight < n_points:
                raise ValueError(
                    f"highlight={highlight} is out of range for {n_points} points."
                )
            return int(highlight) % n_points
        matches = np.flatnonzero(np.asarray(series, dtype=object) == highlight)
        if matches.size != 1:
            raise ValueError(
                f"highlight={highlight!r} must be a point's position or the label "
                f"of a series of one point; series {sorted(map(str, set(series)))} "
                f"hold {matches.size} point(s) labelled so."
            )
        return int(matches[0])

    def plot(
        self,
        ax=None,
        *,
        lambda_c_as="colorbar",
        show_pareto=True,
        show_errorbars=True,
        highlight=None,
        cmap="viridis",
        scatter_kwargs=None,
        reference_line_kwargs=None,
        pareto_line_kwargs=None,
        errorbar_kwargs=None,
        legend_kwargs=None,
    ):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes are created when None.
        lambda_c_as : {"colorbar", "annotate"}, default="colorbar"
            Show lambda_c as the markers' fill colour with a colorbar (the
            series then differ by marker and edge colour), or as a text next
            to each marker (the series then differ by marker and fill colour).
        show_pareto : bool, default=True
            Draw the Pareto front (when known and of two points or more).
        show_errorbars : bool, default=True
            Draw the confidence intervals or, without them, the standard
            deviations as error bars (when known); the legend says which.
        highlight : int or str, default=None
            A point to ring, with the legend entry "chosen": its position
            among the points, or the label of a series of one point.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of lambda_c.
        scatter_kwargs : dict, default=None
            Passed to ``ax.scatter``, over the defaults.
        reference_line_kwargs : dict, default=None
            Passed to ``ax.axhline`` for the reference score.
        pareto_line_kwargs : dict, default=None
            Passed to ``ax.plot`` for the Pareto front.
        errorbar_kwargs : dict, default=None
            Passed to ``ax.errorbar``.
        legend_kwargs : dict, default=None
            Passed to ``ax.legend``, over the defaults that put the legend
            above the axes, where it covers no marker and no error bar.

        Returns
        -------
        display : CompatibilityScatterDisplay
        """
        if lambda_c_as not in ("colorbar", "annotate"):
            raise ValueError(
                f"lambda_c_as must be 'colorbar' or 'annotate'; got {lambda_c_as!r}."
            )
        fig, ax = _get_axes(ax, "CompatibilityScatterDisplay.plot")
        caller = "CompatibilityScatterDisplay.plot"
        mlines = _import_optional("matplotlib.lines", caller)
        colors_mod = _import_optional("matplotlib.colors", caller)

        x = np.asarray(self.x_values, dtype=float)
        y = np.asarray(self.y_values, dtype=float)
        series = np.asarray(self.series, dtype=object)
        lam = None if self.lambda_c is None else np.asarray(self.lambda_c, dtype=float)
        has_lambda = lam is not None and not np.all(np.isnan(lam))
        by_colormap = has_lambda and lambda_c_as == "colorbar"
        norm = None
        if by_colormap:
            low, high = np.nanmin(lam), np.nanmax(lam)
            norm = colors_mod.Normalize(low, high if high > low else low + 1.0)

        x_err, y_err, self.errorbar_description_ = self._errors(show_errorbars)
        highlighted = (
            None if highlight is None else self._highlight_position(highlight, series)
        )

        self.scatter_, handles = {}, []
        self.errorbars_ = {} if self.errorbar_description_ is not None else None
        self.annotations_ = [] if has_lambda and lambda_c_as == "annotate" else None
        for k, name in enumerate(pd.unique(series)):
            mask = series == name
            color, marker = f"C{k % 10}", _MARKERS[k % len(_MARKERS)]
            if self.errorbars_ is not None:
                defaults = {"fmt": "none", "ecolor": color, "elinewidth": 1}
                defaults["capsize"] = 2
                self.errorbars_[name] = ax.errorbar(
                    x[mask],
                    y[mask],
                    xerr=None if x_err is None else x_err[..., mask],
                    yerr=None if y_err is None else y_err[..., mask],
                    zorder=1,
                    **_merge_style(defaults, errorbar_kwargs),
                )
            defaults = {"marker": marker, "s": 50, "zorder": 2, "label": str(name)}
            if by_colormap:
                defaults.update(
                    c=lam[mask], cmap=cmap, norm=norm, edgecolors=color, linewidths=1.5
                )
            else:
                defaults.update(color=color, edgecolors="black", linewidths=0.5)
            self.scatter_[name] = ax.scatter(
                x[mask], y[mask], **_merge_style(defaults, scatter_kwargs)
            )
            # a proxy, so the legend shows the series' colour, not a lambda_c's
            handles.append(
                mlines.Line2D(
                    [], [], linestyle="", marker=marker, color=color, label=str(name)
                )
            )
            if self.annotations_ is not None:
                for xi, yi, li in zip(x[mask], y[mask], lam[mask], strict=True):
                    self.annotations_.append(
                        ax.annotate(
                            f"λ={li:g}",
                            (xi, yi),
                            xytext=(4, 4),
                            textcoords="offset points",
                            fontsize=8,
                        )
                    )

        self.colorbar_ = None
        if by_colormap:
            first = next(iter(self.scatter_.values()))
            self.colorbar_ = fig.colorbar(first, ax=ax, label="lambda_c")

        self.reference_line_ = None
        if self.reference_score is not None and not np.isnan(self.reference_score):
            defaults = {
                "color": "black",
                "linestyle": "--",
                "linewidth": 1,
                "label": "reference model (h1)",
            }
            self.reference_line_ = ax.axhline(
                float(self.reference_score),
                **_merge_style(defaults, reference_line_kwargs),
            )
            handles.append(self.reference_line_)

        self.pareto_line_ = None
        # a front of one point is no line; the legend would list an invisible one
        if show_pareto and self.pareto is not None and np.sum(self.pareto) > 1:
            front = np.asarray(self.pareto, dtype=bool)
            order = np.argsort(x[front], kind="stable")
            defaults = {
                "color": "gray",
                "linestyle": ":",
                "linewidth": 1.5,
                "zorder": 0,
                "label": "Pareto front",
            }
            (self.pareto_line_,) = ax.plot(
                x[front][order],
                y[front][order],
                **_merge_style(defaults, pareto_line_kwargs),
            )
            handles.append(self.pareto_line_)

        if self.errorbars_:
            handles.append(
                mlines.Line2D(
                    [], [], color="gray", marker="|", markersize=10, linewidth=1,
                    label=f"error bars: {self.errorbar_description_}",
                )
            )  # fmt: skip
            missing = self._missing_intervals(series)
            if missing:
                handles.append(
                    mlines.Line2D(
                        [], [], linestyle="",
                        label="no interval (too few rows): " + ", ".join(missing),
                    )
                )  # fmt: skip

        self.highlight_ = None
        if highlighted is not None:
            self.highlight_ = ax.scatter(
                [x[highlighted]], [y[highlighted]], s=260, facecolors="none",
                edgecolors="crimson", linewidths=2, zorder=3, label="chosen",
            )  # fmt: skip
            handles.append(self.highlight_)

        # above the axes: inside, "best" ignores error bars and covers them
        defaults = LEGEND_ABOVE
        self.legend_ = ax.legend(
            handles=handles, **_merge_style(defaults, legend_kwargs)
        )
        # room at the edges for a whole marker and the ring around it
        ax.margins(0.08)
        ax.set(xlabel=self._label(self.x_metric), ylabel=self._label(self.y_metric))
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_results(
        cls,
        results,
        *,
        x="btc",
        y="accuracy",
        split="test",
        ax=None,
        lambda_c_as="colorbar",
        show_pareto=True,
        show_errorbars=True,
        highlight=None,
        cmap="viridis",
        scatter_kwargs=None,
        reference_line_kwargs=None,
        pareto_line_kwargs=None,
        errorbar_kwargs=None,
        legend_kwargs=None,
    ):
        """Plot a sweep's tidy results table.

        Parameters
        ----------
        results : pandas.DataFrame
            One row per candidate with columns ``dissonance``, ``lambda_c``
            and ``mean_{split}_{x}``, ``mean_{split}_{y}``; optional
            ``std_{split}_{metric}`` (error bars),
            ``mean_{split}_reference_accuracy`` (the reference line, when
            ``y="accuracy"``) and ``pareto_{x}`` (the front, on the test split
            against accuracy; computed from the points otherwise).
        x : str, default="btc"
            Metric on the x axis: ``"accuracy"``, ``"btc"``, ``"bec"``,
            ``"nfr"`` or ``"pfr"``.
        y : str, default="accuracy"
            Metric on the y axis (same choices).
        split : {"test", "train"}, default="test"
            Scores to plot. They are means over cross-validation folds, and
            the axis labels say "cross-validated".
        highlight : int or dict, default=None
            The row to ring as "chosen": its position in ``results`` (e.g.
            the search's ``best_index_``), or a dict of column values that
            match exactly one row, such as ``{"dissonance": "new_error",
            "lambda_c": 0.5}``.
        ax, lambda_c_as, show_pareto, show_errorbars, cmap, scatter_kwargs, \
reference_line_kwargs, pareto_line_kwargs, errorbar_kwargs, legend_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : CompatibilityScatterDisplay
        """
        _import_optional("matplotlib.pyplot", "CompatibilityScatterDisplay")
        _check_metric(x, "x")
        _check_metric(y, "y")
        if split not in ("test", "train"):
            raise ValueError(f"split must be 'test' or 'train'; got {split!r}.")
        if not isinstance(results, pd.DataFrame):
            raise TypeError(RESULTS_NOT_A_FRAME.format(type(results).__name__))
        if results.empty:
            raise ValueError(RESULTS_EMPTY)
        needed = ["dissonance", "lambda_c", f"mean_{split}_{x}", f"mean_{split}_{y}"]
        missing = [c for c in dict.fromkeys(needed) if c not in results.columns]
        if missing:
            raise ValueError(
                RESULTS_MISSING_COLUMNS.format(missing=missing, x=x, y=y, split=split)
            )

        def column(name):
            return results[name].to_numpy(dtype=float) if name in results else None

        def spread(metric):
            # one split (a PredefinedSplit, cv=None) has no spread to draw: its
            # std column is all zeros, and the legend must not promise bars
            std = column(f"std_{split}_{metric}")
            return None if std is not None and np.all(std == 0) else std

        x_values, y_values = column(f"mean_{split}_{x}"), column(f"mean_{split}_{y}")
        pareto_column = f"pareto_{x}"
        if y == "accuracy" and split == "test" and pareto_column in results:
            pareto = results[pareto_column].to_numpy(dtype=bool)
        else:
            pareto = _pareto_mask(x_values, y_values, METRICS[x][1], METRICS[y][1])
        reference = column(f"mean_{split}_reference_accuracy")
        reference_score = None
        if y == "accuracy" and reference is not None and np.any(~np.isnan(reference)):
            reference_score = float(np.nanmean(reference))
        display = cls(
            x_values=x_values,
            y_values=y_values,
            series=results["dissonance"].astype(str).to_numpy(),
            lambda_c=column("lambda_c"),
            x_std=spread(x),
            y_std=spread(y),
            pareto=pareto,
            reference_score=reference_score,
            x_metric=x,
            y_metric=y,
            split=split,
            score_source="cv",
        )
        if isinstance(highlight, Mapping):
            highlight = _matching_row(results, highlight)
        return display.plot(
            ax,
            lambda_c_as=lambda_c_as,
            show_pareto=show_pareto,
            show_errorbars=show_errorbars,
            highlight=highlight,
            cmap=cmap,
            scatter_kwargs=scatter_kwargs,
            reference_line_kwargs=reference_line_kwargs,
            pareto_line_kwargs=pareto_line_kwargs,
            errorbar_kwargs=errorbar_kwargs,
            legend_kwargs=legend_kwargs,
        )

    @classmethod
    def from_cv_results(cls, search, *, x="btc", y="accuracy", split="test", **kwargs):
        """Plot the candidates of a fitted ``GridSearchCV`` over lambda_c.

        The search must score with a ``scoring`` dict whose keys name the
        plotted metrics (``"accuracy"``, ``"btc"``, ...; add
        ``"reference_accuracy"`` for the reference line). ``dissonance`` and
        ``lambda_c`` are read from ``param_dissonance``/``param_lambda_c`` or
        from a step-prefixed column such as ``param_clf__lambda_c``; a
        parameter the grid does not vary is taken from ``search.estimator``.

        Parameters
        ----------
        search : fitted GridSearchCV
            A search whose ``cv_results_`` holds the sweep.
        x, y, split : str
            See :meth:`from_results`.
        **kwargs : dict
            ``ax``, ``highlight`` and the keyword arguments of :meth:`plot`;
            ``highlight="best"`` rings the search's ``best_index_``.

        Returns
        -------
        display : CompatibilityScatterDisplay
        """
        if not hasattr(search, "cv_results_"):
            raise ValueError(NOT_A_SEARCH.format(type(search).__name__))
        if isinstance(kwargs.get("highlight"), str) and kwargs["highlight"] == "best":
            if not hasattr(search, "best_index_"):
                raise ValueError(
                    "highlight='best' needs a search refitted on one candidate "
                    "(best_index_); this one has none."
                )
            kwargs["highlight"] = int(search.best_index_)
        return cls.from_results(
            _cv_results_frame(search), x=x, y=y, split=split, **kwargs
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_ref,
        predictions,
        *,
        x="btc",
        y="accuracy",
        sample_weight=None,
        confidence_level=None,
        n_resamples=1000,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Plot one marker per new model, given their predictions.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_ref : array-like of shape (n_samples,)
            Labels predicted by the reference model h1.
        predictions : dict of str to array-like of shape (n_samples,)
            Labels predicted by each candidate h2; each entry is one marker
            and one legend entry.
        x, y : str, default="btc", "accuracy"
            See :meth:`from_results`. With ``y="accuracy"`` the reference
            line is h1's accuracy.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        confidence_level : float in (0, 1), default=None
            Draw each marker's paired bootstrap interval on both axes as
            error bars: the overall row's ``{metric}_low``/``{metric}_high``
            of :func:`compatibility_report` for that candidate. A NaN
            interval (too few rows) draws no bar and the legend names the
            candidate. None: no error bars.
        n_resamples : int, default=1000
            Bootstrap resamples per candidate.
        random_state : int, RandomState instance or None, default=None
            Seeds the resampling. With an int, each candidate's interval is
            the one ``compatibility_report(..., random_state=random_state)``
            gives for it.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`; ``highlight`` may be a
            candidate's label.

        Returns
        -------
        display : CompatibilityScatterDisplay

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from sklearn_bc import CompatibilityScatterDisplay
        >>> y_true = [0, 1, 1, 0]
        >>> display = CompatibilityScatterDisplay.from_predictions(
        ...     y_true, [0, 1, 0, 0], {"h2": [0, 1, 1, 1], "h2'": [0, 0, 1, 0]}
        ... )
        >>> display.x_values.tolist(), display.reference_score
        ([0.666..., 0.666...], 0.75)

        With ``confidence_level``, the error bars are bootstrap intervals:

        >>> y_true = [0, 1] * 20
        >>> display = CompatibilityScatterDisplay.from_predictions(
        ...     y_true, y_true, {"h2": y_true}, confidence_level=0.95,
        ...     random_state=0, highlight="h2",
        ... )
        >>> display.x_interval.tolist(), display.errorbar_description_
        ([[1.0, 1.0]], '95% bootstrap interval')
        """
        _import_optional("matplotlib.pyplot", "CompatibilityScatterDisplay")
        _check_metric(x, "x")
        _check_metric(y, "y")
        if not isinstance(predictions, Mapping) or not predictions:
            raise ValueError(NO_PREDICTIONS.format(predictions))
        preds = list(predictions.values())
        _check_same_length(
            y_true=y_true,
            y_ref=y_ref,
            **{f"predictions[{label!r}]": p for label, p in predictions.items()},
        )
        x_values, y_values = (
            np.array([_score(m, y_true, y_ref, p, sample_weight) for p in preds])
            for m in (x, y)
        )
        x_interval = y_interval = None
        if confidence_level is not None:
            x_interval, y_interval = _bootstrap_intervals(
                y_true, y_ref, preds, (x, y), sample_weight=sample_weight,
                confidence_level=confidence_level, n_resamples=n_resamples,
                random_state=random_state,
            )  # fmt: skip
        reference_score = (
            _score("accuracy", y_true, y_ref, y_ref, sample_weight)
            if y == "accuracy"
            else None
        )
        display = cls(
            x_values=x_values,
            y_values=y_values,
            series=np.array([str(label) for label in predictions], dtype=object),
            x_interval=x_interval,
            y_interval=y_interval,
            confidence_level=confidence_level,
            pareto=_pareto_mask(x_values, y_values, METRICS[x][1], METRICS[y][1]),
            reference_score=reference_score,
            x_metric=x,
            y_metric=y,
            score_source="test",
        )
        return display.plot(ax, **kwargs)


def _bootstrap_intervals(y_true, y_ref, preds, metrics, **report_kwargs):
    """Per metric, the ``(n_candidates, 2)`` overall intervals of the report.

    An int ``random_state`` seeds each candidate's report alike, so that each
    interval is the one ``compatibility_report`` gives for that candidate.
    """
    random_state = report_kwargs.pop("random_state")
    rng = (
        random_state
        if random_state is None or isinstance(random_state, numbers.Integral)
        else check_random_state(random_state)
    )
    intervals = {m: [] for m in metrics}
    for y_pred in preds:
        report = _report(y_true, y_ref, y_pred, random_state=rng, **report_kwargs)
        overall = report.iloc[0]
        for m in metrics:
            intervals[m].append([overall[f"{m}_low"], overall[f"{m}_high"]])
    return tuple(np.asarray(intervals[m], dtype=float) for m in metrics)


def _matching_row(results, selection):
    """The position of the one row of ``results`` matching ``selection``."""
    mask = np.ones(len(results), dtype=bool)
    for column, value in selection.items():
        if column not in results.columns:
            raise ValueError(f"highlight names column {column!r}, not in results.")
        values = results[column].to_numpy()
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            mask &= np.isclose(values.astype(float), float(value))
        else:
            mask &= values.astype(object) == value
    matches = np.flatnonzero(mask)
    if matches.size != 1:
        raise ValueError(
            f"highlight={dict(selection)!r} matches {matches.size} rows of results; "
            "it must match exactly one."
        )
    return int(matches[0])
