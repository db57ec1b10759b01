"""Compatibility metrics between a reference model h1 and an updated model h2.

Every metric takes ``(y_true, y_ref, y_pred)``: the true labels, the labels
predicted by the reference model h1 and the labels predicted by the new model
h2. Counts are pooled over the whole input (weighted by ``sample_weight``),
never averaged over batches.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target

__all__ = [
    "bec_score",
    "btc_score",
    "compatibility_report",
    "negative_flip_rate",
    "positive_flip_rate",
]

REPORT_COLUMNS = [
    "scope",
    "value",
    "n",
    "accuracy_ref",
    "accuracy",
    "btc",
    "bec",
    "nfr",
    "pfr",
    "new_errors",
    "fixed_errors",
]

_LABEL_TARGET_TYPES = ("binary", "multiclass")
_REAL_DTYPE_KINDS = "biuf"  # bool, int, unsigned int, float
# what pandas infers for an object array of weights that are all real numbers
_REAL_INFERRED_TYPES = (
    "integer",
    "floating",
    "mixed-integer-float",
    "boolean",
    "decimal",
    "empty",
)

# Error messages; tests assert their exact text.
LABELS_SHAPE = "{name} should be a 1d array, got an array of shape {shape} instead."
MISSING_LABELS = (
    "{name} contains missing labels (NaN, None or pd.NA) at {count} of {n} "
    "positions, the first at position {first}; missing labels are not allowed: "
    "drop those samples or fill the labels in."
)
INFINITE_LABELS = (
    "{name} contains infinity at {count} of {n} positions, the first at "
    "position {first}; class labels must be finite."
)
MIXED_LABEL_TYPES = (
    "Mix of label input types ({types}) in {name}: the labels of one array "
    "must all be strings or all be numbers."
)
OBJECT_LABELS = (
    "{name} is an object array of {types}, which scikit-learn cannot read as "
    "class labels: an object array must hold strings; convert numbers to a "
    "numeric dtype (e.g. np.asarray({name}, dtype=int))."
)
UNUSABLE_LABELS = (
    "{name} holds labels of type {types} that cannot be used as class labels "
    "({error}); labels must be strings or numbers."
)
MIXED_ARRAYS = (
    "Mix of label input types ({kinds}): {described}; labels of different "
    "types never equal each other."
)
INCONSISTENT_LENGTHS = (
    "Found input variables with inconsistent numbers of samples: {lengths} for {names}."
)
ZERO_DIVISION = (
    "The 'zero_division' parameter of {caller} must be a float among "
    "{{0.0, 1.0}}, numpy.nan or a str among {{'warn'}}. Got {value!r} instead."
)
ZERO_DIVISION_NO_WARN = (
    "The 'zero_division' parameter of {caller} must be a float among "
    "{{0.0, 1.0}} or numpy.nan. Got {value!r} instead."
)
SAMPLE_WEIGHT_SHAPE = (
    "sample_weight should be a 1d array of length n_samples={n_samples}, got "
    "an array of shape {shape} instead."
)
SAMPLE_WEIGHT_LENGTH = (
    "sample_weight has {length} entries but the labels have {n_samples} "
    "samples; expected a 1d array of length n_samples={n_samples}."
)
SAMPLE_WEIGHT_TYPE = "sample_weight must hold real numbers; got an array of {what}."
SAMPLE_WEIGHT_NOT_FINITE = (
    "sample_weight contains NaN or infinity at {count} of {n} positions, the "
    "first at position {first}; weights must be finite."
)
SAMPLE_WEIGHT_NEGATIVE = (
    "sample_weight must be non-negative; got {value!r} at position {first} "
    "({count} negative weights in all)."
)


def _type_names(values):
    """Sorted names of the Python types in ``values`` (error messages only)."""
    return sorted({type(v).__name__ for v in values})


def _as_label_array(y, name):
    """``y`` as a numpy array, with pandas' missing values refused.

    pandas extension arrays (nullable ``Int64``, ``string``, ``category``) are
    checked for missing values before conversion, then converted to a plain
    numpy dtype: their values, not pandas' missing-value markers.
    """
    if isinstance(y, pd.DataFrame):
        y = y.iloc[:, 0] if y.shape[1] == 1 else y.to_numpy()
    if isinstance(y, (pd.Series, pd.Index)):
        y = y.array if isinstance(y.dtype, pd.api.extensions.ExtensionDtype) else y
        if not isinstance(y, pd.api.extensions.ExtensionArray):
            return y.to_numpy()
    if isinstance(y, pd.api.extensions.ExtensionArray):
        _refuse_missing(np.asarray(y.isna(), dtype=bool), name)
        numpy_dtype = getattr(y.dtype, "numpy_dtype", None)
        if numpy_dtype is not None and numpy_dtype.kind in _REAL_DTYPE_KINDS:
            return y.to_numpy(dtype=numpy_dtype)
        return y.to_numpy()
    array = np.asarray(y)
    if isinstance(y, (list, tuple)) and array.dtype.kind in "US" and array.ndim == 1:
        # numpy turns ["a", 1] into ["a", "1"]: a label 1 would equal "1"
        types = set(map(type, y))
        if not all(issubclass(t, (str, bytes)) for t in types):
            raise ValueError(
                MIXED_LABEL_TYPES.format(
                    types=", ".join(sorted(t.__name__ for t in types)), name=name
                )
            )
    return array


def _refuse_missing(missing, name):
    """Raise naming ``name`` where the boolean mask ``missing`` has a True."""
    if missing.any():
        positions = np.flatnonzero(missing)
        raise ValueError(
            MISSING_LABELS.format(
                name=name, count=positions.size, n=missing.size, first=positions[0]
            )
        )


def _check_labels(y, name):
    """Return ``y`` as a 1-d array of class labels, or raise naming ``name``."""
    y = _as_label_array(y, name)
    if not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        raise ValueError(LABELS_SHAPE.format(name=name, shape=y.shape))
    y = column_or_1d(y, input_name=name)
    if y.size == 0:
        return y
    if y.dtype.kind == "O":
        _refuse_missing(pd.isna(y), name)
    elif y.dtype.kind == "f":
        _refuse_missing(np.isnan(y), name)
        infinite = np.isinf(y)
        if infinite.any():
            positions = np.flatnonzero(infinite)
            raise ValueError(
                INFINITE_LABELS.format(
                    name=name, count=positions.size, n=y.size, first=positions[0]
                )
            )
    try:
        target_type = type_of_target(y, input_name=name)
    except TypeError as error:
        # labels numpy cannot sort: a mix of types, or bytes
        types = _type_names(y.tolist())
        if len(types) > 1:
            raise ValueError(
                MIXED_LABEL_TYPES.format(types=", ".join(types), name=name)
            ) from error
        raise TypeError(
            UNUSABLE_LABELS.format(name=name, types=types[0], error=error)
        ) from error
    if target_type == "unknown" and y.dtype.kind == "O":
        types = _type_names(y.tolist())
        template = MIXED_LABEL_TYPES if len(types) > 1 else OBJECT_LABELS
        raise ValueError(template.format(types=", ".join(types), name=name))
    if target_type not in _LABEL_TARGET_TYPES:
        raise ValueError(
            f"{name} must hold class labels (binary or multiclass); "
            f"got a target of type {target_type!r}."
        )
    return y


def _label_kind(y):
    """``"string"`` or ``"number"``: labels of different kinds never match."""
    if y.dtype.kind in "OU":
        return "string"
    if y.dtype.kind in _REAL_DTYPE_KINDS:
        return "number"
    return y.dtype.name


def _check_zero_division(zero_division, caller, *, allow_warn=True):
    """Return ``zero_division`` as "warn" or a float, following scikit-learn.

    scikit-learn admits ``"warn"``, 0.0, 1.0 and ``np.nan``; anything else
    raises its ``InvalidParameterError`` (a ValueError and a TypeError).
    """
    if allow_warn and isinstance(zero_division, str) and zero_division == "warn":
        return zero_division
    if isinstance(zero_division, numbers.Real) and not isinstance(
        zero_division, (bool, np.bool_)
    ):
        value = float(zero_division)
        if value in (0.0, 1.0) or np.isnan(value):
            return value
    template = ZERO_DIVISION if allow_warn else ZERO_DIVISION_NO_WARN
    raise InvalidParameterError(template.format(caller=caller, value=zero_division))


def _check_sample_weight(sample_weight, n_samples):
    """Return the weights as a 1-d float array of length ``n_samples``."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=float)
    weight = np.asarray(sample_weight)
    if weight.ndim != 1:
        raise ValueError(
            SAMPLE_WEIGHT_SHAPE.format(n_samples=n_samples, shape=weight.shape)
        )
    if weight.shape[0] != n_samples:
        raise ValueError(
            SAMPLE_WEIGHT_LENGTH.format(length=weight.shape[0], n_samples=n_samples)
        )
    if weight.dtype.kind == "O":
        inferred = pd.api.types.infer_dtype(weight, skipna=True)
        if inferred not in _REAL_INFERRED_TYPES:
            raise ValueError(SAMPLE_WEIGHT_TYPE.format(what=f"{inferred} values"))
        weight = np.where(pd.isna(weight), np.nan, weight)
    elif weight.dtype.kind not in _REAL_DTYPE_KINDS:
        raise ValueError(SAMPLE_WEIGHT_TYPE.format(what=f"dtype {weight.dtype}"))
    weight = weight.astype(float)
    not_finite = ~np.isfinite(weight)
    if not_finite.any():
        positions = np.flatnonzero(not_finite)
        raise ValueError(
            SAMPLE_WEIGHT_NOT_FINITE.format(
                count=positions.size, n=n_samples, first=positions[0]
            )
        )
    negative = weight < 0
    if negative.any():
        positions = np.flatnonzero(negative)
        raise ValueError(
            SAMPLE_WEIGHT_NEGATIVE.format(
                value=float(weight[positions[0]]),
                first=positions[0],
                count=positions.size,
            )
        )
    return weight


def _check_label_arrays(**arrays):
    """Check each named label array, their lengths and their label kinds.

    Returns
    -------
    arrays : list of ndarray
        The 1-d label arrays, in the order given.
    """
    checked = {name: _check_labels(y, name) for name, y in arrays.items()}
    lengths = [y.shape[0] for y in checked.values()]
    if len(set(lengths)) > 1:
        raise ValueError(
            INCONSISTENT_LENGTHS.format(lengths=lengths, names=", ".join(checked))
        )
    if lengths[0]:
        kinds = {name: _label_kind(y) for name, y in checked.items()}
        if len(set(kinds.values())) > 1:
            # "string" first, as in scikit-learn's "(string and number)"
            names = sorted(set(kinds.values()), key=lambda kind: kind != "string")
            described = ", ".join(f"{n} holds {k}s" for n, k in kinds.items())
            raise ValueError(
                MIXED_ARRAYS.format(kinds=" and ".join(names), described=described)
            )
    return list(checked.values())


def _check_compatibility_inputs(y_true, y_ref, y_pred, sample_weight=None):
    """Validate the three label vectors and the weights.

    Returns
    -------
    ref_right, pred_right : ndarray of bool
        Where h1 (resp. h2) predicts the true label.
    weight : ndarray of float
    """
    y_true, y_ref, y_pred = _check_label_arrays(
        y_true=y_true, y_ref=y_ref, y_pred=y_pred
    )
    weight = _check_sample_weight(sample_weight, y_true.shape[0])
    return y_ref == y_true, y_pred == y_true, weight


def _divide(numerator, denominator, zero_division, metric, reason):
    """Return ``numerator / denominator`` following ``zero_division``."""
    if denominator > 0:
        return float(numerator / denominator)
    if zero_division == "warn":
        warnings.warn(
            f"{metric} is ill-defined and set to 0.0 because {reason}. Use the "
            "zero_division parameter to control this behavior.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return 0.0
    return float(zero_division)


def btc_score(y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"):
    """Backward trust compatibility: of the samples h1 gets right, the share h2 too.

    ``BTC = sum w[r == y & p == y] / sum w[r == y]``. A BTC of 1 means the
    update introduced no new error; ``1 - BTC`` is the share of the old
    model's correct answers the update broke.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights; they multiply every indicator.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when h1 is right on no sample. ``"warn"`` returns 0.0
        and emits an :class:`~sklearn.exceptions.UndefinedMetricWarning`;
        ``np.nan`` returns NaN. Other values are refused, as in scikit-learn.

    Returns
    -------
    score : float
        BTC in [0, 1].

    See Also
    --------
    bec_score : Backward error compatibility.
    negative_flip_rate : Share of all samples that became new errors.

    Examples
    --------
    >>> from sklearn_bc import btc_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_ref = [0, 1, 0, 0, 0]   # h1 right on samples 0, 1, 3
    >>> y_pred = [0, 0, 1, 0, 1]  # h2 breaks sample 1
    >>> btc_score(y_true, y_ref, y_pred)
    0.666...
    """
    zero_division = _check_zero_division(zero_division, "btc_score")
    ref_right, pred_right, w = _check_compatibility_inputs(
        y_true, y_ref, y_pred, sample_weight
    )
    return _divide(
        w[ref_right & pred_right].sum(),
        w[ref_right].sum(),
        zero_division,
        "BTC",
        "the reference model is right on no sample (of positive weight)",
    )


def bec_score(y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"):
    """Backward error compatibility: of the samples h2 gets wrong, the share h1 too.

    ``BEC = sum w[r != y & p != y] / sum w[p != y]``, that is
    P(h1 wrong | h2 wrong): the probability that a mistake of the new model is
    not new. (The predecessor library computed P(h2 wrong | h1 wrong) under
    this name; that is a different quantity.)

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights; they multiply every indicator.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when h2 is wrong on no sample (see :func:`btc_score`).

    Returns
    -------
    score : float
        BEC in [0, 1].

    See Also
    --------
    btc_score : Backward trust compatibility.

    Examples
    --------
    >>> from sklearn_bc import bec_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_ref = [0, 1, 0, 0, 0]   # h1 wrong on samples 2, 4
    >>> y_pred = [0, 0, 1, 0, 0]  # h2 wrong on samples 1, 4
    >>> bec_score(y_true, y_ref, y_pred)  # of h2's 2 errors, 1 is old
    0.5
    """
    zero_division = _check_zero_division(zero_division, "bec_score")
    ref_right, pred_right, w = _check_compatibility_inputs(
        y_true, y_ref, y_pred, sample_weight
    )
    return _divide(
        w[~ref_right & ~pred_right].sum(),
        w[~pred_right].sum(),
        zero_division,
        "BEC",
        "the new model is wrong on no sample (of positive weight)",
    )


def negative_flip_rate(
    y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"
):
    """Share of all samples that h1 got right and h2 gets wrong (new errors).

    ``NFR = sum w[r == y & p != y] / sum w``; it equals
    ``accuracy(h1) * (1 - BTC)``. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned for an empty input (or all-zero weights).

    Returns
    -------
    rate : float

    See Also
    --------
    positive_flip_rate : Share of samples whose error the update fixed.

    Examples
    --------
    >>> from sklearn_bc import negative_flip_rate
    >>> negative_flip_rate([0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0])
    0.25
    """
    zero_division = _check_zero_division(zero_division, "negative_flip_rate")
    ref_right, pred_right, w = _check_compatibility_inputs(
        y_true, y_ref, y_pred, sample_weight
    )
    return _divide(
        w[ref_right & ~pred_right].sum(),
        w.sum(),
        zero_division,
        "NFR",
        "the input is empty or its sample weights sum to zero",
    )


def positive_flip_rate(
    y_true, y_ref, y_pred, *, sample_weight=None, zero_division="warn"
):
    """Share of all samples that h1 got wrong and h2 gets right (fixed errors).

    ``PFR = sum w[r != y & p == y] / sum w``. Higher is better, and
    ``accuracy(h2) - accuracy(h1) = PFR - NFR``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned for an empty input (or all-zero weights).

    Returns
    -------
    rate : float

    See Also
    --------
    negative_flip_rate : Share of samples that became new errors.

    Examples
    --------
    >>> from sklearn_bc import positive_flip_rate
    >>> positive_flip_rate([0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0])
    0.25
    """
    zero_division = _check_zero_division(zero_division, "positive_flip_rate")
    ref_right, pred_right, w = _check_compatibility_inputs(
        y_true, y_ref, y_pred, sample_weight
    )
    return _divide(
        w[~ref_right & pred_right].sum(),
        w.sum(),
        zero_division,
        "PFR",
        "the input is empty or its sample weights sum to zero",
    )


def _report_row(scope, value, ref_right, pred_right, w):
    total = w.sum()
    ref_total = w[ref_right].sum()
    wrong_total = w[~pred_right].sum()
    nan = float("nan")

    def ratio(num, den):
        return float(num / den) if den > 0 else nan

    return {
        "scope": scope,
        "value": value,
        "n": int(ref_right.shape[0]),
        "accuracy_ref": ratio(ref_total, total),
        "accuracy": ratio(w[pred_right].sum(), total),
        "btc": ratio(w[ref_right & pred_right].sum(), ref_total),
        "bec": ratio(w[~ref_right & ~pred_right].sum(), wrong_total),
        "nfr": ratio(w[ref_right & ~pred_right].sum(), total),
        "pfr": ratio(w[~ref_right & pred_right].sum(), total),
        "new_errors": int(np.count_nonzero(ref_right & ~pred_right)),
        "fixed_errors": int(np.count_nonzero(~ref_right & pred_right)),
    }


def compatibility_report(y_true, y_ref, y_pred, *, groups=None, sample_weight=None):
    """Tidy table of compatibility metrics: overall, per class and per group.

    Answers questions such as "the update is more accurate overall, but is it
    still trustworthy for elderly patients?": pass the age band as ``groups``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference (old) model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    groups : array-like of shape (n_samples,), default=None
        A group value per sample (e.g. an age band); one row per distinct
        value is added.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights for the ratios (``n``, ``new_errors`` and
        ``fixed_errors`` stay plain counts).

    Returns
    -------
    report : pandas.DataFrame
        One row for all samples (``scope == "overall"``), one per true class
        (``scope == "class"``) and one per group value (``scope ==
        "group"``). Columns: ``scope``, ``value``, ``n``, ``accuracy_ref``,
        ``accuracy``, ``btc``, ``bec``, ``nfr``, ``pfr``, ``new_errors``
        (h1 right, h2 wrong) and ``fixed_errors`` (h1 wrong, h2 right).
        Ratios that are undefined on a subset (e.g. BTC where h1 is never
        right) are NaN.

    See Also
    --------
    btc_score, bec_score, negative_flip_rate, positive_flip_rate

    Examples
    --------
    >>> from sklearn_bc import compatibility_report
    >>> report = compatibility_report(
    ...     ["a", "b", "b", "a"], ["a", "b", "a", "a"], ["a", "a", "b", "a"],
    ...     groups=["old", "old", "young", "young"],
    ... )
    >>> report[["scope", "value", "n", "btc", "new_errors"]]
         scope    value  n       btc  new_errors
    0  overall      all  4  0.666667           1
    1    class        a  2  1.000000           0
    2    class        b  2  0.000000           1
    3    group      old  2  0.500000           1
    4    group    young  2  1.000000           0
    """
    y_true, y_ref, y_pred = _check_label_arrays(
        y_true=y_true, y_ref=y_ref, y_pred=y_pred
    )
    w = _check_sample_weight(sample_weight, y_true.shape[0])
    ref_right, pred_right = y_ref == y_true, y_pred == y_true
    rows = [_report_row("overall", "all", ref_right, pred_right, w)]
    for label in np.unique(y_true):
        mask = y_true == label
        rows.append(
            _report_row("class", label, ref_right[mask], pred_right[mask], w[mask])
        )
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        if groups.ndim == 2 and groups.shape[1] == 1:
            groups = groups[:, 0]
        if groups.ndim != 1:
            raise ValueError(LABELS_SHAPE.format(name="groups", shape=groups.shape))
        if groups.shape[0] != ref_right.shape[0]:
            raise ValueError(
                f"groups has {groups.shape[0]} entries but the labels have "
                f"{ref_right.shape[0]} samples."
            )
        if pd.isna(groups).any():
            raise ValueError("groups contains missing values (NaN or None).")
        for value in pd.unique(groups):
            mask = groups == value
            rows.append(
                _report_row("group", value, ref_right[mask], pred_right[mask], w[mask])
            )
        # order the group rows by value where the values can be sorted
        try:
            group_rows = sorted(
                (r for r in rows if r["scope"] == "group"), key=lambda r: r["value"]
            )
            rows = [r for r in rows if r["scope"] != "group"] + group_rows
        except TypeError:
            pass
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    report["value"] = report["value"].astype(object)
    return report
