"""Adapt any reference model h1 to "class probabilities and labels for X".

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
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

REFERENCE_REQUIRED = (
    "reference is required: pass the fitted reference model h1 as "
    "reference=..., or h1's outputs on X as the fit parameter reference_proba."
)


class ReferenceOutputs(NamedTuple):
    """h1's outputs on a data set, aligned to the classes of h2."""

    proba: np.ndarray  # (n_samples, n_classes), float32
    labels: np.ndarray  # (n_samples,), in the label space of h2's classes_


def _is_torch_module(reference):
    return isinstance(reference, torch.nn.Module)


def _is_skorch_net(reference):
    from skorch import NeuralNet

    return isinstance(reference, NeuralNet)


def check_reference(reference):
    """Check that ``reference`` is a usable, fitted model; raise otherwise.

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
        else:
            check_is_fitted(reference)
        classes = np.asarray(reference.classes_)
    except (NotFittedError, AttributeError) as exc:
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


def _torch_logits(module, X, batch_size=4096):
    device = _module_device(module)
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    X = torch.as_tensor(np.asarray(X), dtype=dtype)
    chunks = []
    with _preserved_modes([module]), torch.no_grad():
        module.eval()
        for start in range(0, X.shape[0], batch_size):
            out = module(X[start : start + batch_size].to(device))
            if isinstance(out, (tuple, list)):
                out = out[0]
            chunks.append(out.detach().float().cpu())
    return torch.cat(chunks) if chunks else torch.empty(0)


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
    ref_classes = check_reference(reference)
    if ref_classes is None:
        logits = _torch_logits(reference, X)
        if logits.ndim != 2 or logits.shape[1] != len(classes):
            raise ValueError(
                f"The reference module returns {tuple(logits.shape)[1:]} outputs per "
                f"sample but y has {len(classes)} classes {list(classes)}: its output "
                "must have one logit per class (pass classes=... if y lacks some)."
            )
        proba = torch.softmax(logits, dim=1).numpy()
        return ReferenceOutputs(proba.astype(np.float32), classes[proba.argmax(axis=1)])

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
            stacklevel=3,
        )
        proba = (np.asarray(labels)[:, None] == ref_classes[None, :]).astype(np.float32)
    proba = np.asarray(proba, dtype=np.float32)
    return ReferenceOutputs(proba, np.asarray(labels))


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


class ReferenceParamsMixin:
    """The reference h1 as a hyper-parameter that is shared, never cloned or set.

    scikit-learn's ``clone`` would return an unfitted copy of a fitted
    reference and ``get_params(deep=True)`` would expose its parameters for
    ``set_params``; estimators holding h1 as ``reference`` mix this in first.
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
