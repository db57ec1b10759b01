"""Checks of the label vectors and sample weights the metrics take.

Every public metric validates its input here, once per call: labels must be
1-d class labels of one kind (numbers or strings, no missing values), of one
length, and weights 1-d, finite and non-negative. Each error names the
argument; the messages are module constants so tests assert the exact text.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target

_LABEL_TARGET_TYPES = ("binary", "multiclass")
_ALWAYS_LABELS = "biuU"  # bool, int, unsigned int, str
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
    if y.ndim == 2:
        y = y[:, 0]  # a column vector, as scikit-learn's column_or_1d takes it
    if y.size == 0:
        return y
    if y.dtype.kind in _ALWAYS_LABELS:
        # bool, integer and string arrays always hold class labels: no need
        # for type_of_target's pass over the unique values
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
        if np.array_equal(y, np.trunc(y)):
            return y  # whole numbers: class labels, as type_of_target says
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


def _cell_sums(y_true, y_ref, y_pred, sample_weight=None):
    """Validate once, count once: the weight of each (h1 right?, h2 right?) cell.

    Returns
    -------
    sums : ndarray of shape (4,)
        Total weight (the row count, without weights) of the rows where both
        models are wrong, only h2 is right (positive flips), only h1 is right
        (negative flips) and both are right: index ``2 * h1_right + h2_right``.
    """
    y_true, y_ref, y_pred = _check_label_arrays(
        y_true=y_true, y_ref=y_ref, y_pred=y_pred
    )
    weight = (
        None
        if sample_weight is None
        else _check_sample_weight(sample_weight, y_true.shape[0])
    )
    cells = (y_ref == y_true).view(np.uint8) * np.uint8(2)
    cells += (y_pred == y_true).view(np.uint8)
    return np.bincount(cells, weights=weight, minlength=4).astype(float)


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
