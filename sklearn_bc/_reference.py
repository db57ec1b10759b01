"""Adapt any reference model h1 to "class probabilities and labels for X".

:func:`reference_logits` adds h1's logits, for the distillation dissonances.

Supported references: a fitted scikit-learn classifier or ``Pipeline`` (with
or without ``predict_proba``), a fitted skorch classifier, or a
``torch.nn.Module`` returning logits (or a tuple whose first element is the
logits). Nothing here modifies the reference: not its weights, its
train/eval mode, its ``requires_grad`` flags nor its device.
"""

from __future__ import annotations

import copy
import warnings
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

REFERENCE_REQUIRED = (
    "reference is required: pass the fitted reference model h1 as "
    "reference=..., or h1's outputs on X as the fit parameter reference_proba."
)


# probabilities are clipped here before their log stands in for logits: the
# log-probabilities of a one-hot row stay finite (|log 1e-6| = 13.8)
LOG_PROBA_FLOOR = 1e-6


class ReferenceOutputs(NamedTuple):
    """h1's outputs on a data set, aligned to the classes of h2."""

    proba: np.ndarray  # (n_samples, n_classes), float32
    labels: np.ndarray  # (n_samples,), in the label space of h2's classes_


class ReferenceLogits(NamedTuple):
    """h1's outputs with its logits, for the distillation dissonances."""

    proba: np.ndarray  # (n_samples, n_classes), float32
    labels: np.ndarray  # (n_samples,)
    logits: np.ndarray  # (n_samples, n_classes), float32
    from_proba: bool  # the logits are log-probabilities (compare centred rows)


def log_proba_logits(proba):
    """``log(max(proba, LOG_PROBA_FLOOR))``: logits of (nearly) ``proba``'s law.

    Exact up to the floor: a softmax of ``log q`` is ``q`` (logits are
    defined up to a constant per row).
    """
    proba = np.asarray(proba, dtype=np.float32)
    return np.log(np.maximum(proba, LOG_PROBA_FLOOR)).astype(np.float32)


def _is_torch_module(reference):
    return isinstance(reference, torch.nn.Module)


def _is_skorch_net(reference):
    from skorch import NeuralNet

    return isinstance(reference, NeuralNet)


def check_reference(reference):
    """Check that ``reference`` is a usable, fitted model; raise otherwise.

    A model with ``predict`` and ``classes_`` but no ``fit`` (a wrapper
    around a deployed model, say) is taken as it is: there is nothing to fit.

    Returns
    -------
    classes : ndarray or None
        The reference's classes, or None for a bare torch module (whose
        output columns are class indices).
    """
    if reference is None:
        raise ValueError(REFERENCE_REQUIRED)
    if _is_torch_module(reference):
        return None
    if not hasattr(reference, "predict"):
        raise TypeError(
            "reference must be a fitted classifier with predict (scikit-learn, "
            "skorch) or a torch.nn.Module returning logits; got "
            f"{type(reference).__name__}."
        )
    try:
        if _is_skorch_net(reference):
            reference.check_is_fitted()
        elif hasattr(reference, "fit"):
            check_is_fitted(reference)
        classes = np.asarray(reference.classes_)
    except (NotFittedError, AttributeError) as exc:
        if not hasattr(reference, "fit"):
            raise TypeError(
                f"reference {type(reference).__name__} has predict but no classes_: "
                "a reference model that cannot be fitted must expose its class "
                "labels as classes_ (in the column order of its predict_proba)."
            ) from exc
        raise NotFittedError(
            f"The reference model {type(reference).__name__} is not fitted: "
            "fit it before using it as reference (sklearn_bc never fits it)."
        ) from exc
    return classes


def _module_device(module):
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


@contextmanager
def _preserved_modes(modules):
    """Restore each module's (and submodule's) train/eval flag on exit."""
    modes = [(m, m.training) for module in modules for m in module.modules()]
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def _torch_input(X):
    """``X`` as something row-sliceable whose chunks become dense tensors."""
    if sp.issparse(X):
        return sp.csr_matrix(X)  # densified one chunk at a time
    X = np.asarray(X)
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(
            "A torch reference needs numeric input; got X of dtype "
            f"{X.dtype}. Encode it first, or pass h1's outputs as reference_proba."
        )
    return X


def _run_reference_module(module, chunk, device):
    try:
        out = module(chunk.to(device))
    except Exception as exc:
        raise ValueError(
            f"The reference module {type(module).__name__} failed on input of shape "
            f"{tuple(chunk.shape)} ({chunk.dtype}) on {device}: {exc} -- the "
            "reference receives X as passed to fit/score; check that h1 expects "
            "this input (number of features, dtype, device)."
        ) from exc
    return module_logits(module, out)


def module_logits(module, out):
    """The logits in a torch h1's output (a tensor, or a tuple's first element)."""
    if isinstance(out, (tuple, list)) and out:
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"The reference module {type(module).__name__} must return a tensor of "
            "logits (or a tuple whose first element is one); got "
            f"{type(out).__name__}. Wrap it in a module that returns the logits."
        )
    return out


def _torch_logits(module, X, batch_size=4096):
    device = _module_device(module)
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    X = _torch_input(X)
    chunks = []
    with _preserved_modes([module]), torch.no_grad():
        module.eval()
        for start in range(0, X.shape[0], batch_size):
            chunk = X[start : start + batch_size]
            if sp.issparse(chunk):
                chunk = chunk.toarray()
            chunk = torch.as_tensor(np.asarray(chunk), dtype=dtype)
            out = _run_reference_module(module, chunk, device)
            chunks.append(out.detach().float().cpu())
    return torch.cat(chunks) if chunks else torch.empty(0)


def _looks_like_probabilities(values):
    """Rows that are all non-negative and sum to 1: a distribution, not logits."""
    values = np.asarray(values, dtype=np.float64)
    return bool(
        values.size
        and np.all(values >= 0)
        and np.allclose(values.sum(axis=1), 1.0, rtol=0, atol=1e-4)
    )


def _check_finite_outputs(values, what):
    if not np.all(np.isfinite(values)):
        finite_rows = np.isfinite(values).reshape(values.shape[0], -1).all(axis=1)
        bad = np.flatnonzero(~finite_rows)
        raise ValueError(
            f"{what} must be finite: NaN or infinity in {bad.size} of "
            f"{values.shape[0]} rows (first at row {bad[0]}); training on them "
            "would give a NaN model. Check h1 and its input."
        )


def _check_probabilities(proba, what, *, atol=1e-3):
    """Raise unless ``proba`` holds one probability distribution per row."""
    proba = np.asarray(proba, dtype=np.float64)
    _check_finite_outputs(proba, what)
    if proba.size and (proba.min() < 0 or proba.max() > 1):
        raise ValueError(
            f"{what} must be probabilities in [0, 1]; got values in "
            f"[{proba.min():.4g}, {proba.max():.4g}] (logits or scores? pass "
            "probabilities, e.g. a softmax of them)."
        )
    sums = proba.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if off.size:
        raise ValueError(
            f"{what} must sum to 1 over the classes in every row; {off.size} of "
            f"{proba.shape[0]} rows do not (row {off[0]} sums to {sums[off[0]]:.6g})."
        )


def _skorch_modules(net):
    return [
        getattr(net, name + "_")
        for name in net._modules + net._criteria
        if isinstance(getattr(net, name + "_", None), torch.nn.Module)
    ]


def reference_outputs(reference, X, classes):
    """Return h1's probabilities and labels on ``X``, aligned to ``classes``.

    Parameters
    ----------
    reference : fitted classifier or torch.nn.Module
    X : array-like
        Input as the reference expects it.
    classes : ndarray
        Classes of h2 (sorted). For a torch module, column ``k`` of its
        output is class ``classes[k]``.
    """
    proba, labels, _, _ = _outputs(reference, X, classes, with_logits=False)
    return ReferenceOutputs(proba, labels)


def reference_logits(reference, X, classes):
    """Return h1's probabilities, labels and logits on ``X``.

    The logits, in order of preference: a torch module's raw outputs; a
    skorch net's module outputs (its ``forward``) when its criterion is a
    ``CrossEntropyLoss``; a scikit-learn model's ``decision_function`` (one
    column per class; for two classes its one column ``d`` gives logits
    ``[0, d]``); its ``predict_log_proba``; else ``log(predict_proba)``
    clipped away from 0. The last two (and ``log`` of a skorch net's
    probabilities) are log-probabilities: ``from_proba`` is True and the
    logit distances compare centred rows.

    Parameters
    ----------
    reference : fitted classifier or torch.nn.Module
    X : array-like
    classes : ndarray

    Returns
    -------
    outputs : ReferenceLogits
    """
    return ReferenceLogits(*_outputs(reference, X, classes, with_logits=True))


def _skorch_logits(net, X):
    """A skorch net's module outputs when they are logits (CE criterion), else None."""
    if not isinstance(getattr(net, "criterion_", None), torch.nn.CrossEntropyLoss):
        return None
    with _preserved_modes(_skorch_modules(net)):
        out = net.forward(X, training=False, device="cpu")
    if isinstance(out, (tuple, list)):
        out = out[0]
    return out.detach().float().numpy()


def _sklearn_logits(reference, X, n_classes):
    """decision_function (as logits), else predict_log_proba, else None."""
    if hasattr(reference, "decision_function"):
        scores = np.asarray(reference.decision_function(X), dtype=np.float32)
        if n_classes == 2 and scores.ndim == 1:
            return np.stack([np.zeros_like(scores), scores], axis=1), False
        if scores.ndim == 2 and scores.shape[1] == n_classes:
            return scores, False
        # e.g. one-vs-one scores (n_classes * (n_classes - 1) / 2 columns)
    if hasattr(reference, "predict_log_proba"):
        with np.errstate(divide="ignore"):  # log 0, floored below
            log_proba = np.asarray(reference.predict_log_proba(X), dtype=np.float32)
        if log_proba.ndim == 2 and log_proba.shape[1] == n_classes:
            # -inf where a probability is 0: floored like log(predict_proba)
            return np.maximum(log_proba, np.float32(np.log(LOG_PROBA_FLOOR))), True
    return None, True


def _outputs(reference, X, classes, *, with_logits):
    ref_classes = check_reference(reference)
    if ref_classes is None:
        logits = _torch_logits(reference, X)
        if logits.ndim != 2 or logits.shape[1] != len(classes):
            raise ValueError(
                f"The reference module returns {tuple(logits.shape)[1:]} outputs per "
                f"sample but y has {len(classes)} classes {list(classes)}: its output "
                "must have one logit per class (pass classes=... if y lacks some)."
            )
        _check_finite_outputs(logits.numpy(), "The reference module's outputs")
        if _looks_like_probabilities(logits.numpy()):
            raise ValueError(
                f"The reference module {type(reference).__name__} seems to return "
                "probabilities (every row non-negative, summing to 1); sklearn_bc "
                "applies a softmax to a torch reference's outputs, which would "
                "flatten its distribution. Return logits or log-probabilities "
                "(drop the final softmax), or pass h1's probabilities as "
                "reference_proba."
            )
        proba = torch.softmax(logits, dim=1).numpy().astype(np.float32)
        labels = classes[proba.argmax(axis=1)]
        return proba, labels, logits.numpy() if with_logits else None, False

    check_reference_classes(ref_classes, classes)
    if _is_skorch_net(reference):
        # skorch switches its modules to eval mode when predicting
        with _preserved_modes(_skorch_modules(reference)):
            proba = reference.predict_proba(X)
            labels = np.asarray(reference.classes_)[np.asarray(proba).argmax(axis=1)]
    elif hasattr(reference, "predict_proba"):
        proba = reference.predict_proba(X)
        labels = reference.predict(X)
    else:
        labels = reference.predict(X)
        warnings.warn(
            f"The reference model {type(reference).__name__} has no predict_proba; "
            "its hard labels stand in for its distribution, so strict imitation "
            "equals new error.",
            UserWarning,
            stacklevel=4,
        )
        proba = (np.asarray(labels)[:, None] == ref_classes[None, :]).astype(np.float32)
    proba = np.asarray(proba, dtype=np.float32)
    name = type(reference).__name__
    if proba.shape != (np.shape(labels)[0], len(ref_classes)):
        raise ValueError(
            f"The reference model {name}'s predict_proba returned shape "
            f"{proba.shape}; expected (n_samples, {len(ref_classes)}) for its "
            f"classes {ref_classes.tolist()}."
        )
    _check_probabilities(proba, f"The reference model {name}'s predict_proba outputs")
    if not with_logits:
        return proba, np.asarray(labels), None, False
    if _is_skorch_net(reference):
        logits, from_proba = _skorch_logits(reference, X), False
    else:
        logits, from_proba = _sklearn_logits(reference, X, len(ref_classes))
    if logits is None:
        logits, from_proba = log_proba_logits(proba), True
    elif logits.shape != proba.shape:
        raise ValueError(
            f"The reference model {name}'s logits have shape {logits.shape}; "
            f"expected {proba.shape}, one column per class."
        )
    _check_finite_outputs(logits, f"The reference model {name}'s logits")
    return proba, np.asarray(labels), logits.astype(np.float32), from_proba


def check_reference_classes(ref_classes, classes):
    """Raise a ValueError naming both class sets when they differ."""
    ref_classes = np.asarray(ref_classes)
    classes = np.asarray(classes)
    same = ref_classes.shape == classes.shape and all(
        a == b for a, b in zip(ref_classes.tolist(), classes.tolist(), strict=True)
    )
    if not same:
        raise ValueError(
            "The classes of the reference model and of the new model must agree; "
            f"reference classes: {ref_classes.tolist()}, new model classes: "
            f"{classes.tolist()}."
        )


def _check_unique_classes(classes):
    labels = np.asarray(classes).tolist()
    try:
        distinct = len(set(labels))
    except TypeError as exc:
        raise TypeError(
            f"classes must be hashable labels (ints, strings); got {classes!r}."
        ) from exc
    if distinct != len(labels):
        repeated = sorted({c for c in labels if labels.count(c) > 1}, key=str)
        raise ValueError(
            f"classes must not repeat a label; got {labels} ({repeated} repeated)."
        )
    if not labels:
        raise ValueError("classes must name at least one class; got [].")


def resolve_classes(reference, y, *, has_proba, classes=None):
    """Return the class labels of h2: the reference's, else ``classes`` or ``y``'s.

    Raises the "reference is required" error when there is neither a
    reference nor precomputed h1 outputs, a ValueError naming both class sets
    when ``classes`` disagrees with the reference, and a ValueError listing
    the labels of ``y`` that the resolved classes lack.
    """
    if reference is None and not has_proba:
        check_reference(reference)  # raises the "reference is required" error
    ref_classes = None if reference is None else check_reference(reference)
    if classes is not None:
        _check_unique_classes(classes)
    if ref_classes is not None:
        if classes is not None:
            check_reference_classes(ref_classes, classes)
        resolved = ref_classes
        where = "unseen by the reference model: {}; reference classes: {}."
    elif classes is not None:
        resolved = np.asarray(classes)
        where = "not among classes: {}; classes={}."
        if reference is not None:  # a torch module: its columns are these classes
            where = (
                "not among classes (the reference module's output columns): "
                "{}; classes={}."
            )
    else:
        resolved, where = np.unique(y), ""
    unseen = sorted(set(np.unique(y).tolist()) - set(resolved.tolist()), key=str)
    if unseen:
        raise ValueError("y contains labels " + where.format(unseen, resolved.tolist()))
    return resolved


def check_reference_proba(reference_proba, n_samples, classes):
    """Validate precomputed h1 probabilities; return them with h1's labels."""
    try:
        proba = np.asarray(reference_proba, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "reference_proba must be a numeric array of shape (n_samples, "
            f"n_classes); got {type(reference_proba).__name__}."
        ) from exc
    if proba.shape != (n_samples, len(classes)):
        raise ValueError(
            f"reference_proba must have shape ({n_samples}, {len(classes)}) "
            f"(samples x classes {classes.tolist()}); got {proba.shape}."
        )
    _check_probabilities(proba, "reference_proba")
    return proba, classes[proba.argmax(axis=1)]


class ReferenceParamsMixin:
    """The reference as a hyper-parameter that is never cloned, unfitted or set.

    scikit-learn's ``clone`` would return an unfitted copy of a fitted
    reference; here the clone shares the very same fitted h1. The reference's
    own parameters are hidden from ``get_params`` and ``reference__*`` is
    refused by ``set_params``, so a search can never reach into h1.
    """

    def __sklearn_clone__(self):
        params = {
            name: value if name == "reference" else clone(value, safe=False)
            for name, value in self.get_params(deep=False).items()
        }
        new = type(self)(**params)
        for attr in ("_metadata_request", "_sklearn_output_config"):
            if attr in self.__dict__:
                setattr(new, attr, copy.deepcopy(self.__dict__[attr]))
        return new

    def get_params(self, deep=True, **kwargs):
        """Get parameters; the reference's own parameters are not exposed."""
        params = super().get_params(deep=deep, **kwargs)
        return {k: v for k, v in params.items() if not k.startswith("reference__")}

    def set_params(self, **params):
        """Set parameters; ``reference__*`` is refused (h1 is never modified)."""
        nested = sorted(k for k in params if k.startswith("reference__"))
        if nested:
            raise ValueError(
                f"Cannot set {nested}: the reference model is never modified; "
                "pass a different fitted model as reference=... instead."
            )
        return super().set_params(**params)
