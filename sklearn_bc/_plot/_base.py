"""Private helpers shared by the displays.

matplotlib and its companions are optional: they are imported here, lazily,
when a display is drawn, so importing :mod:`sklearn_bc` never needs them.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

from .._reference import (
    _is_skorch_net,
    _is_torch_module,
    check_reference,
    reference_outputs,
)

PLOT_EXTRA_HINT = "install the plotting extra with: pip install 'sklearn_bc[plot]'"

#: metric name -> (axis label, higher is better)
METRICS = {
    "accuracy": ("Accuracy", True),
    "btc": ("BTC (backward trust compatibility)", True),
    "bec": ("BEC (backward error compatibility)", True),
    "nfr": ("NFR (negative flip rate)", False),
    "pfr": ("PFR (positive flip rate)", True),
}

#: a legend in a band above the axes, where it covers no mark
LEGEND_ABOVE = {
    "loc": "lower left",
    "bbox_to_anchor": (0.0, 1.01, 1.0, 0.1),
    "mode": "expand",
    "ncols": 2,
    "borderaxespad": 0.0,
    "fontsize": "small",
}

# matplotlib's short aliases; a user's alias must replace our default's long name
_ALIASES = {
    "c": "color",
    "ls": "linestyle",
    "lw": "linewidth",
    "ms": "markersize",
    "ec": "edgecolor",
    "fc": "facecolor",
    "mec": "markeredgecolor",
    "mfc": "markerfacecolor",
}


def _import_optional(module, caller):
    """Import ``module`` or raise an ImportError naming the ``plot`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ImportError(
            f"{caller} requires {top}, which is not installed; {PLOT_EXTRA_HINT}"
        ) from exc


def _pyplot(caller):
    return _import_optional("matplotlib.pyplot", caller)


def _merge_style(defaults, user):
    """Return ``defaults`` updated with ``user``, aliases resolved to one name."""
    user = dict(user or {})
    merged = dict(defaults)
    for key in user:
        long_name = _ALIASES.get(key, key)
        merged.pop(long_name, None)
        for short, full in _ALIASES.items():
            if full == long_name:
                merged.pop(short, None)
    merged.update(user)
    return merged


def _get_axes(ax, caller):
    """Return ``(figure, ax)``, creating both when ``ax`` is None."""
    plt = _pyplot(caller)
    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    return fig, ax


def _check_metric(name, argument):
    if name not in METRICS:
        raise ValueError(
            f"{argument}={name!r} is not a known metric; choose one of "
            f"{sorted(METRICS)}."
        )
    return name


def _check_same_length(**arrays):
    """Raise a ValueError naming the arrays when their lengths differ."""
    lengths = {}
    for name, values in arrays.items():
        try:
            lengths[name] = len(values)
        except TypeError:
            continue  # no length at all: the label checks name its shape
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Inconsistent numbers of samples: {described}.")


def _find_reference(estimator, X, reference):
    """Return ``(reference, X_ref)``: h1 and the input it expects.

    Without an explicit ``reference``, h1 is ``estimator.reference`` or, for a
    Pipeline, the last step's ``reference``; that one was fitted on the last
    step's input, so it receives ``X`` transformed by the earlier steps.
    """
    if reference is not None:
        return reference, X
    if getattr(estimator, "reference", None) is not None:
        return estimator.reference, X
    steps = getattr(estimator, "steps", None)
    if steps:
        last = steps[-1][1]
        if getattr(last, "reference", None) is not None:
            X_last = estimator[:-1].transform(X) if len(steps) > 1 else X
            return last.reference, X_last
    raise ValueError(
        "reference is required: pass the fitted reference model h1 as "
        "reference=..., or an estimator (or a Pipeline whose last step) has a "
        "`reference` attribute."
    )


def _estimator_predictions(estimator, X, reference):
    """Return ``(y_ref, y_pred)``: the labels predicted by h1 and by h2 on X."""
    reference, X_ref = _find_reference(estimator, X, reference)
    y_pred = np.asarray(estimator.predict(X))
    if _is_torch_module(reference) or _is_skorch_net(reference):
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            classes = np.unique(y_pred)
        y_ref = reference_outputs(reference, X_ref, np.asarray(classes)).labels
    else:
        check_reference(reference)  # a clear error for an unfitted h1
        y_ref = reference.predict(X_ref)
    return np.asarray(y_ref), y_pred


def _score(metric, y_true, y_ref, y_pred, sample_weight=None):
    """One metric of h2 (``accuracy``) or of the update (``btc``, ...)."""
    from sklearn.metrics import accuracy_score

    from ..metrics import bec_score, btc_score, negative_flip_rate, positive_flip_rate

    if metric == "accuracy":
        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))
    function = {
        "btc": btc_score,
        "bec": bec_score,
        "nfr": negative_flip_rate,
        "pfr": positive_flip_rate,
    }[metric]
    # an undefined ratio is no point at all, not a zero with a warning
    return function(
        y_true, y_ref, y_pred, sample_weight=sample_weight, zero_division=np.nan
    )


# the start of compatibility_report's warning about intervals left NaN
TOO_FEW_ROWS = "Too few rows for a confidence interval"


def _report(*args, **kwargs):
    """``compatibility_report``, without its warning about NaN intervals.

    A display says in its legend which of its rows have no interval; the
    report's warning would also name metrics the display does not draw.
    """
    from ..metrics import compatibility_report

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", TOO_FEW_ROWS, UserWarning)
        return compatibility_report(*args, **kwargs)


def _draw_whiskers(ax, positions, values, interval, *, level, of, capsize, style):
    """Error bars from ``interval`` (rows of low, high) around ``values``.

    The legend label names the interval: "95% bootstrap interval" followed
    by ``of`` (e.g. " of the count"). NaN rows draw nothing.
    """
    what = (
        f"{100 * level:g}% bootstrap interval{of}"
        if level is not None
        else f"confidence interval{of}"
    )
    defaults = {"fmt": "none", "ecolor": "black", "capsize": capsize, "label": what}
    return ax.errorbar(
        positions,
        values,
        yerr=np.vstack([values - interval[:, 0], interval[:, 1] - values]),
        **_merge_style(defaults, style),
    )
