"""Errors of the reference and of the new model as an area-proportional Venn."""

from __future__ import annotations

import numpy as np

from .._label_checks import _check_compatibility_inputs
from ._base import (
    _check_same_length,
    _estimator_predictions,
    _get_axes,
    _import_optional,
    _merge_style,
)

EMPTY_INPUT = "y_true is empty: there are no samples whose errors could be drawn."

#: region -> (matplotlib-venn subset id, default colour, legend text)
REGIONS = {
    "old_only": ("10", "tab:green", "h1 only (fixed by h2)"),
    "both": ("11", "gold", "both"),
    "new_only": ("01", "tab:red", "h2 only (new errors)"),
}


class ErrorVennDisplay:
    """Venn diagram of the errors of the reference model h1 and the new model h2.

    Three regions, with areas proportional to their sizes: errors of h1 only
    (green, fixed by the update), errors of both (yellow) and errors of h2
    only (red: the new errors that break users' trust). Each region is
    labelled with its count and its percent of all samples. Build it with
    :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    old_only : int
        Samples h1 gets wrong and h2 right.
    both : int
        Samples both get wrong.
    new_only : int
        Samples h1 gets right and h2 wrong.
    n_samples : int
        All samples (the base of the percents).

    Attributes
    ----------
    venn_ : matplotlib_venn VennDiagram or None
        The diagram; None when neither model makes an error.
    patches_ : dict of str to matplotlib Patch or None
        Region (``"old_only"``, ``"both"``, ``"new_only"``) to its patch; None
        for a region matplotlib-venn does not draw (an empty one).
    texts_ : dict of str to matplotlib Text or None
        Region to its label.
    message_ : matplotlib Text or None
        The note drawn instead of a diagram when there is no error at all.
    legend_ : matplotlib Legend or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    IncompatibilityHistogramDisplay : The new errors per true class.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn_bc import ErrorVennDisplay
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_ref = [1, 0, 1, 0, 1]   # wrong on samples 0, 1
    >>> y_pred = [1, 1, 0, 0, 1]  # wrong on samples 0, 2
    >>> display = ErrorVennDisplay.from_predictions(y_true, y_ref, y_pred)
    >>> print(display.texts_["new_only"].get_text())
    1
    (20.0%)
    """

    def __init__(self, *, old_only, both, new_only, n_samples):
        self.old_only = old_only
        self.both = both
        self.new_only = new_only
        self.n_samples = n_samples

    def _text(self, count):
        if self.n_samples:
            return f"{count}\n({100.0 * count / self.n_samples:.1f}%)"
        return f"{count}"

    def plot(
        self,
        ax=None,
        *,
        set_labels=("h1 errors", "h2 errors"),
        colors=None,
        patch_kwargs=None,
        text_kwargs=None,
        legend=True,
    ):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes are created when None.
        set_labels : tuple of str, default=("h1 errors", "h2 errors")
            Names of the two circles.
        colors : dict, default=None
            Colours by region (``"old_only"``, ``"both"``, ``"new_only"``),
            over the defaults green, yellow (gold) and red.
        patch_kwargs : dict, default=None
            Properties set on every region's patch (e.g. ``alpha``).
        text_kwargs : dict, default=None
            Properties set on every region's label (e.g. ``fontsize``).
        legend : bool, default=True
            Add a legend naming the regions.

        Returns
        -------
        display : ErrorVennDisplay
        """
        fig, ax = _get_axes(ax, "ErrorVennDisplay.plot")
        venn = _import_optional("matplotlib_venn", "ErrorVennDisplay.plot")
        mpatches = _import_optional("matplotlib.patches", "ErrorVennDisplay.plot")
        colors = {**{k: v[1] for k, v in REGIONS.items()}, **(colors or {})}
        patch_kwargs = _merge_style(
            {"alpha": 0.6, "edgecolor": "black", "linewidth": 1}, patch_kwargs
        )
        counts = {
            "old_only": self.old_only,
            "both": self.both,
            "new_only": self.new_only,
        }

        self.venn_ = None
        self.message_ = None
        self.patches_ = dict.fromkeys(REGIONS)
        self.texts_ = dict.fromkeys(REGIONS)
        if sum(counts.values()) == 0:
            # matplotlib-venn cannot draw two empty circles
            self.message_ = ax.text(
                0.5, 0.5, "Neither model makes an error.", ha="center", va="center"
            )
            ax.set_axis_off()
        else:
            self.venn_ = venn.venn2(
                subsets=(self.old_only, self.new_only, self.both),
                set_labels=tuple(set_labels),
                ax=ax,
            )
            for region, (subset_id, _, _) in REGIONS.items():
                patch = self.venn_.get_patch_by_id(subset_id)
                if patch is not None:
                    patch.set(**patch_kwargs)
                    patch.set_facecolor(colors[region])
                    self.patches_[region] = patch
                label = self.venn_.get_label_by_id(subset_id)
                if label is not None:
                    label.set_text(self._text(counts[region]))
                    label.set(**(text_kwargs or {}))
                    self.texts_[region] = label

        self.legend_ = None
        if legend and self.venn_ is not None:
            handles = [
                mpatches.Patch(
                    facecolor=colors[region],
                    alpha=patch_kwargs.get("alpha"),
                    label=f"{text}: {counts[region]}",
                )
                for region, (_, _, text) in REGIONS.items()
            ]
            self.legend_ = ax.legend(
                handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3
            )
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, reference=None, ax=None, **kwargs):
        """Plot the error overlap of a fitted new model and its reference.

        Parameters
        ----------
        estimator : fitted classifier
            The new model h2 (e.g. a :class:`BackwardCompatibleClassifier`
            or a Pipeline ending in one).
        X : array-like of shape (n_samples, n_features)
            Input.
        y : array-like of shape (n_samples,)
            True labels.
        reference : fitted classifier or torch.nn.Module, default=None
            The reference model h1; by default ``estimator.reference`` (or
            the reference of a Pipeline's last step, which then receives X
            transformed by the earlier steps).
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : ErrorVennDisplay
        """
        _import_optional("matplotlib_venn", "ErrorVennDisplay.from_estimator")
        y_ref, y_pred = _estimator_predictions(estimator, X, reference)
        return cls.from_predictions(y, y_ref, y_pred, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_ref, y_pred, *, ax=None, **kwargs):
        """Plot the error overlap given the labels predicted by h1 and h2.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_ref : array-like of shape (n_samples,)
            Labels predicted by the reference model h1.
        y_pred : array-like of shape (n_samples,)
            Labels predicted by the new model h2.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : ErrorVennDisplay
        """
        _import_optional("matplotlib_venn", "ErrorVennDisplay.from_predictions")
        _check_same_length(y_true=y_true, y_ref=y_ref, y_pred=y_pred)
        ref_right, pred_right, _ = _check_compatibility_inputs(y_true, y_ref, y_pred)
        if ref_right.size == 0:
            raise ValueError(EMPTY_INPUT)
        display = cls(
            old_only=int(np.count_nonzero(~ref_right & pred_right)),
            both=int(np.count_nonzero(~ref_right & ~pred_right)),
            new_only=int(np.count_nonzero(ref_right & ~pred_right)),
            n_samples=int(ref_right.size),
        )
        return display.plot(ax, **kwargs)
