"""Save every display as a PNG, for the demo and the README."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

from ._base import TOO_FEW_ROWS, _import_optional
from .groups import GroupCompatibilityDisplay
from .histogram import IncompatibilityHistogramDisplay
from .scatter import NO_PREDICTIONS, CompatibilityScatterDisplay
from .venn import ErrorVennDisplay


def write_display_pngs(
    output_dir,
    *,
    y_true,
    y_ref,
    predictions,
    results=None,
    groups=None,
    highlight=None,
    confidence_level=0.95,
    random_state=0,
):
    """Draw each display and save it as a PNG in ``output_dir``.

    Parameters
    ----------
    output_dir : str or Path
        Folder for the images; created when missing.
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference model h1.
    predictions : dict of str to array-like of shape (n_samples,)
        Labels predicted by the candidate new models; the first entry is the
        chosen model, drawn in the Venn, histogram and per-group displays.
    results : pandas.DataFrame, default=None
        The sweep's tidy results; the scatter is drawn from them when given,
        from ``predictions`` otherwise.
    groups : array-like of shape (n_samples,), default=None
        Group value per sample; the per-group display is drawn when given.
    highlight : int or dict, default=None
        The row of ``results`` to ring as "chosen" in the scatter (see
        :meth:`CompatibilityScatterDisplay.from_results`), e.g. the search's
        ``best_index_``. Without ``results`` the first prediction is ringed.
    confidence_level : float or None, default=0.95
        Bootstrap intervals drawn as whiskers (histogram, groups) and, without
        ``results``, as the scatter's error bars; None draws none. Intervals
        too few rows allow are left out, which the legends say, without the
        report's warning.
    random_state : int, default=0
        Seeds the bootstrap, so that the images are reproducible.

    Returns
    -------
    paths : list of Path
        The files written, in the order scatter, Venn, histogram, groups.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_bc._plot._demo import write_display_pngs
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_display_pngs(
    ...         folder, y_true=[0, 1, 1, 0], y_ref=[0, 1, 0, 0],
    ...         predictions={"h2": [0, 0, 1, 0]},
    ...     )
    ...     [path.name for path in paths]
    ['compatibility_scatter.png', 'error_venn.png', 'incompatibility_histogram.png']
    """
    # Figure objects outside pyplot: no global state, no backend needed
    figure_module = _import_optional("matplotlib.figure", "write_display_pngs")
    if not isinstance(predictions, Mapping) or not predictions:
        raise ValueError(NO_PREDICTIONS.format(predictions))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    y_pred = next(iter(predictions.values()))
    paths = []

    def save(fig, name):
        path = output_dir / name
        fig.savefig(path, dpi=100)
        paths.append(path)

    intervals = {
        "confidence_level": confidence_level,
        "random_state": random_state,
    }
    fig = figure_module.Figure(figsize=(7, 5.5), layout="constrained")
    ax = fig.add_subplot()
    with warnings.catch_warnings():
        # the legends name the rows without an interval
        warnings.filterwarnings("ignore", TOO_FEW_ROWS, UserWarning)
        if results is not None:
            CompatibilityScatterDisplay.from_results(
                results, highlight=highlight, ax=ax
            )
        else:
            CompatibilityScatterDisplay.from_predictions(
                y_true, y_ref, predictions, highlight=0, ax=ax, **intervals
            )
        save(fig, "compatibility_scatter.png")
        _write_others(figure_module, save, y_true, y_ref, y_pred, groups, intervals)
    return paths


def _write_others(figure_module, save, y_true, y_ref, y_pred, groups, intervals):
    """The Venn, histogram and per-group PNGs of the chosen model."""
    fig = figure_module.Figure(figsize=(6, 5), layout="constrained")
    ErrorVennDisplay.from_predictions(y_true, y_ref, y_pred, ax=fig.add_subplot())
    save(fig, "error_venn.png")

    fig = figure_module.Figure(figsize=(11, 4), layout="constrained")
    ax, accuracy_ax = fig.subplots(1, 2)
    IncompatibilityHistogramDisplay.from_predictions(
        y_true,
        y_ref,
        y_pred,
        max_classes=20,
        show_accuracy=True,
        ax=ax,
        accuracy_ax=accuracy_ax,
        **intervals,
    )
    save(fig, "incompatibility_histogram.png")

    if groups is not None:
        fig = figure_module.Figure(figsize=(7, 5), layout="constrained")
        GroupCompatibilityDisplay.from_predictions(
            y_true, y_ref, y_pred, groups=groups, ax=fig.add_subplot(), **intervals
        )
        save(fig, "group_compatibility.png")
