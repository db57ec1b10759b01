"""A heatmap of one compatibility metric across a history of updates."""

from __future__ import annotations

import numpy as np

from ..history import MATRIX_METRICS, UpdateHistory
from ._base import METRICS, _get_axes, _merge_style, _pyplot


class UpdateHistoryDisplay:
    """Heatmap of a compatibility metric of every version against every earlier one.

    Row ``i``, column ``j`` (``i < j``) is the metric of the update from
    version ``i`` to version ``j``: the diagonal just above the main one holds
    the successive updates, the top-right cell the whole history. Rows run
    from the first version to the last but one, columns from the second to
    the last; cells below the diagonal (no update there) are left blank.
    Build it with
    :meth:`from_predictions` or :meth:`from_history`.

    Parameters
    ----------
    matrix : ndarray of shape (n_versions, n_versions)
        The metric; NaN where there is no update (or it is undefined).
    versions : list of str
        Version names, in deployment order.
    metric : {"btc", "bec", "nfr", "pfr"}
        Which metric ``matrix`` holds.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heatmap.
    text_ : ndarray of shape (n_versions, n_versions), dtype=object
        ``text_[i, j]``: the matplotlib Text of the update from version ``i``
        to version ``j``; None for a blank cell.
    colorbar_ : matplotlib Colorbar or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    UpdateHistory : The tables behind the heatmap.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn_bc import UpdateHistoryDisplay
    >>> y_true = [0, 0, 1, 1, 1]
    >>> display = UpdateHistoryDisplay.from_predictions(
    ...     y_true, {"v1": [0, 1, 1, 1, 0], "v2": [0, 0, 1, 0, 0],
    ...              "v3": [0, 0, 1, 1, 1]}, metric="btc")
    >>> display.text_[0, 1].get_text()  # v1 right on 3 rows, v2 keeps 2
    '0.667'
    >>> display.text_[1, 0] is None
    True
    """

    def __init__(self, *, matrix, versions, metric):
        self.matrix = matrix
        self.versions = versions
        self.metric = metric

    def plot(
        self,
        ax=None,
        *,
        cmap=None,
        values_format=".3f",
        colorbar=True,
        im_kwargs=None,
        text_kwargs=None,
    ):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes are created when None.
        cmap : str or matplotlib Colormap, default=None
            Colour map; by default ``"viridis"``, reversed for NFR (lower is
            better), so that better cells are always the brighter ones.
        values_format : str or None, default=".3f"
            Format of the values written in the cells; None writes none.
        colorbar : bool, default=True
            Draw a colour bar naming the metric.
        im_kwargs : dict, default=None
            Keyword arguments of ``ax.imshow`` over the defaults.
        text_kwargs : dict, default=None
            Keyword arguments of the cells' ``ax.text`` over the defaults.

        Returns
        -------
        display : UpdateHistoryDisplay
        """
        fig, ax = _get_axes(ax, "UpdateHistoryDisplay.plot")
        matrix = np.asarray(self.matrix, dtype=float)
        n = len(self.versions)
        label, higher_is_better = METRICS[self.metric]
        if cmap is None:
            cmap = "viridis" if higher_is_better else "viridis_r"
        finite = matrix[np.isfinite(matrix)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if low == high:  # one value (or all equal): a visible, centred colour
            low, high = low - 0.05, high + 0.05
        im_style = _merge_style(
            {"cmap": cmap, "vmin": low, "vmax": high, "interpolation": "nearest"},
            im_kwargs,
        )
        # the first version is never updated to, the last never updated from
        self.im_ = ax.imshow(np.ma.masked_invalid(matrix[:-1, 1:]), **im_style)
        cmap_obj = self.im_.cmap
        self.text_ = np.full((n, n), None, dtype=object)
        if values_format is not None:
            for i in range(n):
                for j in range(n):
                    value = matrix[i, j]
                    if not np.isfinite(value):
                        continue
                    shade = float(self.im_.norm(value))  # vmin/vmax may be set
                    # dark text on the bright end of the map, white on the dark
                    r, g, b, _ = cmap_obj(shade)
                    dark = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                    style = _merge_style(
                        {
                            "ha": "center",
                            "va": "center",
                            "color": "black" if dark else "white",
                        },
                        text_kwargs,
                    )
                    self.text_[i, j] = ax.text(
                        j - 1, i, format(value, values_format), **style
                    )
        ax.set_xticks(range(n - 1), labels=self.versions[1:])
        ax.set_yticks(range(n - 1), labels=self.versions[:-1])
        ax.set_xlabel("later version (updated to)")
        ax.set_ylabel("earlier version (updated from)")
        short = label.split(" (")[0]
        ax.set_title(f"{short} of every update earlier → later")
        self.colorbar_ = (
            fig.colorbar(self.im_, ax=ax, label=label) if colorbar else None
        )
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_history(cls, history, *, metric="btc", ax=None, **kwargs):
        """Plot one metric of an :class:`~sklearn_bc.UpdateHistory`.

        Parameters
        ----------
        history : UpdateHistory
            The scored history.
        metric : {"btc", "bec", "nfr", "pfr"}, default="btc"
            The metric of each update.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : UpdateHistoryDisplay
        """
        _pyplot("UpdateHistoryDisplay.from_history")
        if not isinstance(history, UpdateHistory):
            raise TypeError(
                f"history must be an UpdateHistory; got {type(history).__name__}."
            )
        if metric not in MATRIX_METRICS:
            raise ValueError(
                f"metric must be one of {list(MATRIX_METRICS)}; got {metric!r}."
            )
        display = cls(
            matrix=history.matrix(metric).to_numpy(),
            versions=list(history.versions),
            metric=metric,
        )
        return display.plot(ax, **kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        predictions,
        *,
        metric="btc",
        versions=None,
        sample_weight=None,
        ax=None,
        **kwargs,
    ):
        """Plot one metric of every update given each version's predictions.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        predictions : dict, list or DataFrame
            Labels predicted by each version, in deployment order (see
            :class:`~sklearn_bc.UpdateHistory`).
        metric : {"btc", "bec", "nfr", "pfr"}, default="btc"
            The metric of each update.
        versions : list of str, default=None
            Version names, overriding those of ``predictions``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : UpdateHistoryDisplay
        """
        history = UpdateHistory(
            y_true, predictions, versions=versions, sample_weight=sample_weight
        )
        return cls.from_history(history, metric=metric, ax=ax, **kwargs)
