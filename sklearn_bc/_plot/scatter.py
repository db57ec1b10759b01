"""Score against compatibility over a lambda_c sweep: the trade-off scatter."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._base import (
    METRICS,
    _check_metric,
    _check_same_length,
    _get_axes,
    _import_optional,
    _merge_style,
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
        Standard deviations (over CV folds) drawn as error bars.
    pareto : ndarray of bool of shape (n_points,), default=None
        Points on the Pareto front.
    reference_score : float, default=None
        The reference model's ``y_metric``, drawn as a dashed line.
    x_metric, y_metric : str, default="btc", "accuracy"
        Metric names (``"accuracy"``, ``"btc"``, ``"bec"``, ``"nfr"``,
        ``"pfr"``), used for the axis labels.
    split : {"test", "train"}, default="test"
        Data the scores come from; ``"train"`` is noted in the axis labels.

    Attributes
    ----------
    scatter_ : dict of str to matplotlib PathCollection
        Markers of each series.
    errorbars_ : dict of str to matplotlib ErrorbarContainer, or None
        Error bars of each series; None when no standard deviation is drawn.
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
        pareto=None,
        reference_score=None,
        x_metric="btc",
        y_metric="accuracy",
        split="test",
    ):
        self.x_values = x_values
        self.y_values = y_values
        self.series = series
        self.lambda_c = lambda_c
        self.x_std = x_std
        self.y_std = y_std
        self.pareto = pareto
        self.reference_score = reference_score
        self.x_metric = x_metric
        self.y_metric = y_metric
        self.split = split

    def _label(self, metric):
        label = METRICS[metric][0] if metric in METRICS else metric
        return f"{label} (train)" if self.split == "train" else label

    def plot(
        self,
        ax=None,
        *,
        lambda_c_as="colorbar",
        show_pareto=True,
        show_errorbars=True,
        cmap="viridis",
        scatter_kwargs=None,
        reference_line_kwargs=None,
        pareto_line_kwargs=None,
        errorbar_kwargs=None,
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
            Draw the standard deviations as error bars (when known).
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

        def _std(values):
            if values is None or not show_errorbars:
                return None
            values = np.asarray(values, dtype=float)
            return None if np.all(np.isnan(values)) else values

        x_std, y_std = _std(self.x_std), _std(self.y_std)

        self.scatter_, handles = {}, []
        self.errorbars_ = {} if (x_std is not None or y_std is not None) else None
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
                    xerr=None if x_std is None else x_std[mask],
                    yerr=None if y_std is None else y_std[mask],
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

        self.legend_ = ax.legend(handles=handles, loc="best")
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
        cmap="viridis",
        scatter_kwargs=None,
        reference_line_kwargs=None,
        pareto_line_kwargs=None,
        errorbar_kwargs=None,
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
            Scores to plot.
        ax, lambda_c_as, show_pareto, show_errorbars, cmap, scatter_kwargs, \
reference_line_kwargs, pareto_line_kwargs, errorbar_kwargs
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
            x_std=column(f"std_{split}_{x}"),
            y_std=column(f"std_{split}_{y}"),
            pareto=pareto,
            reference_score=reference_score,
            x_metric=x,
            y_metric=y,
            split=split,
        )
        return display.plot(
            ax,
            lambda_c_as=lambda_c_as,
            show_pareto=show_pareto,
            show_errorbars=show_errorbars,
            cmap=cmap,
            scatter_kwargs=scatter_kwargs,
            reference_line_kwargs=reference_line_kwargs,
            pareto_line_kwargs=pareto_line_kwargs,
            errorbar_kwargs=errorbar_kwargs,
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
            ``ax`` and the keyword arguments of :meth:`plot`.

        Returns
        -------
        display : CompatibilityScatterDisplay
        """
        if not hasattr(search, "cv_results_"):
            raise ValueError(NOT_A_SEARCH.format(type(search).__name__))
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
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

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
        reference_score = (
            _score("accuracy", y_true, y_ref, y_ref, sample_weight)
            if y == "accuracy"
            else None
        )
        display = cls(
            x_values=x_values,
            y_values=y_values,
            series=np.array([str(label) for label in predictions], dtype=object),
            pareto=_pareto_mask(x_values, y_values, METRICS[x][1], METRICS[y][1]),
            reference_score=reference_score,
            x_metric=x,
            y_metric=y,
        )
        return display.plot(ax, **kwargs)
