"""h1's outputs on one training batch, for input that changes every epoch.

By default h1's outputs are computed once per fit and travel with the rows
(:mod:`sklearn_bc._data`). A Dataset that transforms its items randomly
(data augmentation) gives h2 a different input every epoch, so those cached
outputs would belong to another input than the one h2 is trained on; with
``reference_outputs="per_batch"`` h1 is run on every training batch instead,
by :func:`batch_reference_outputs`. It follows the once-per-fit conventions of
:mod:`sklearn_bc._reference` exactly (float32 probabilities, the same kind of
logits), so both modes agree when the input does not change.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

from ._reference import (
    _check_finite_outputs,
    _is_torch_module,
    _looks_like_probabilities,
    _module_device,
    _preserved_modes,
    _run_reference_module,
    log_proba_logits,
    module_logits,
    reference_logits,
    reference_outputs,
)

__all__ = ["REFERENCE_OUTPUTS", "batch_reference_outputs", "check_reference_outputs"]

#: The values of BackwardCompatibleClassifier's ``reference_outputs``
REFERENCE_OUTPUTS = ("once", "per_batch")

PER_BATCH_NEEDS_REFERENCE = (
    'reference_outputs="per_batch" runs h1 on every training batch, but '
    "reference is None: pass the fitted reference model as reference=..., or "
    'use reference_outputs="once".'
)
PER_BATCH_WITH_PROBA = (
    'reference_outputs="per_batch" runs h1 on every training batch, so it '
    "cannot use h1's precomputed outputs: do not pass reference_proba to fit "
    '(h1 is run instead), or use reference_outputs="once".'
)
_PER_BATCH_PROBABILITIES = (
    "The reference module {name} seems to return probabilities on a training "
    "batch (every row non-negative, summing to 1); sklearn_bc applies a softmax "
    "to a torch reference's outputs, which would flatten its distribution. "
    "Return logits or log-probabilities (drop the final softmax)."
)
_PER_BATCH_LOGITS_KIND = (
    "The loss compares h1's raw logits (logits_from_proba=False), but the "
    "reference model {name} gives only log-probabilities on a batch."
)


def check_reference_outputs(reference_outputs, *, reference, reference_proba=None):
    """Check the ``reference_outputs`` parameter against the fit's h1.

    Raises a ValueError naming the argument for a value other than "once" and
    "per_batch", and for "per_batch" without a reference model or with
    precomputed ``reference_proba`` (there is then nothing to run per batch).
    """
    if not isinstance(reference_outputs, str) or (
        reference_outputs not in REFERENCE_OUTPUTS
    ):
        raise ValueError(
            'reference_outputs must be "once" or "per_batch"; got '
            f"{reference_outputs!r}."
        )
    if reference_outputs == "per_batch":
        if reference is None:
            raise ValueError(PER_BATCH_NEEDS_REFERENCE)
        if reference_proba is not None:
            raise ValueError(PER_BATCH_WITH_PROBA)
    return reference_outputs


@cache
def _blas_controller():
    # built once: inspecting the loaded BLAS libraries costs milliseconds,
    # too much to repeat on every batch
    return ThreadpoolController()


def _module_input(Xb, dtype, device):
    """A batch as h1's module takes it: floating tensors in its dtype, on its device."""
    if isinstance(Xb, dict):
        return {k: _module_input(v, dtype, device) for k, v in Xb.items()}
    if isinstance(Xb, torch.Tensor):
        return Xb.to(device=device, dtype=dtype if Xb.is_floating_point() else None)
    return Xb


def _module_logits(module, Xb):
    """A torch h1's logits on a batch: eval mode, no gradients, its device."""
    device = _module_device(module)
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    Xb = _module_input(Xb, dtype, device)
    with _preserved_modes([module]), torch.no_grad():
        module.eval()
        if isinstance(Xb, dict):
            out = module_logits(module, module(**Xb))
        else:
            out = _run_reference_module(module, Xb, device)
    return out.detach().float()


def _torch_outputs(module, Xb, yb, n_classes, device, *, with_logits):
    logits = _module_logits(module, Xb)
    if logits.ndim != 2 or logits.shape[1] != n_classes:
        raise ValueError(
            f"The reference module returns {tuple(logits.shape)[1:]} outputs per "
            f"sample on a training batch, but there are {n_classes} classes: its "
            "output must have one logit per class."
        )
    values = logits.cpu().numpy()
    _check_finite_outputs(values, "The reference module's outputs")
    if _looks_like_probabilities(values):
        raise ValueError(_PER_BATCH_PROBABILITIES.format(name=type(module).__name__))
    logits = logits.to(device)
    proba = torch.softmax(logits, dim=1)
    correct = proba.argmax(dim=1) == yb.to(device)
    return proba, correct, logits if with_logits else None, False


def _as_numpy(Xb):
    if isinstance(Xb, dict):
        return {k: _as_numpy(v) for k, v in Xb.items()}
    if isinstance(Xb, torch.Tensor):
        return Xb.detach().cpu().numpy()
    return np.asarray(Xb)


def _model_outputs(reference, Xb, yb, classes, device, *, with_logits):
    """A scikit-learn or skorch h1's outputs on a batch, given as numpy."""
    X_np = _as_numpy(Xb)
    logits, from_proba = None, False
    # one BLAS thread, as for the once-per-fit outputs (see classifier.py)
    with _blas_controller().limit(limits=1, user_api="blas"):
        if with_logits:
            proba, labels, logits, from_proba = reference_logits(
                reference, X_np, classes
            )
        else:
            proba, labels = reference_outputs(reference, X_np, classes)
    y = np.asarray(classes)[yb.detach().cpu().numpy()]
    correct = np.asarray(labels == y, dtype=bool)
    return (
        torch.as_tensor(np.asarray(proba, dtype=np.float32), device=device),
        torch.as_tensor(correct, device=device),
        None if logits is None else torch.as_tensor(logits, device=device),
        from_proba,
    )


def _batch_device(Xb, yb):
    """The device of the batch input (of its first tensor for a dict)."""
    if isinstance(Xb, torch.Tensor):
        return Xb.device
    if isinstance(Xb, dict):
        for value in Xb.values():
            if isinstance(value, torch.Tensor):
                return value.device
    return yb.device


def batch_reference_outputs(
    reference, Xb, yb, classes, *, with_logits, logits_from_proba=False
):
    """h1's outputs on one batch (the very input h2 sees).

    h1 runs in eval mode, without gradients, on its own device: a torch
    module on the batch as tensors (floating ones in its dtype), a skorch net
    or a scikit-learn model on the batch as numpy (``predict_proba``, and
    ``decision_function`` or ``predict_log_proba`` for logits). h1 is left
    exactly as it was, train/eval modes included. The conventions are those
    of the once-per-fit outputs
    (:func:`~sklearn_bc._reference.reference_logits`).

    Parameters
    ----------
    reference : torch.nn.Module, skorch net or scikit-learn classifier
        The h1 object.
    Xb : torch.Tensor or dict of torch.Tensor
        The batch input, on h2's device.
    yb : torch.Tensor of int64 of shape (n,)
        The batch's encoded labels (indices into ``classes``), same device.
    classes : ndarray of shape (n_classes,)
        The class labels (h2's ``classes_``); for a torch h1, output ``k`` is
        ``classes[k]``.
    with_logits : bool
        Also return h1's logits (the distillation dissonances).
    logits_from_proba : bool, default=False
        The kind of logits the loss was built for (the fit's
        ``h1_logits_from_proba_``): True returns log-probabilities
        (``log(max(proba, 1e-6))``) unless h1's own logits are already of that
        kind; False requires h1's raw logits.

    Returns
    -------
    proba : torch.Tensor of float32 of shape (n, n_classes)
    correct : torch.Tensor of bool of shape (n,)
        Whether h1's label is ``classes[yb]``.
    logits : torch.Tensor of float32 of shape (n, n_classes) or None
        None unless ``with_logits``.

    All three are on ``Xb``'s device (that of its first tensor for a dict).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_bc._batch_reference import batch_reference_outputs
    >>> _ = torch.manual_seed(0)
    >>> h1 = torch.nn.Linear(4, 3)
    >>> Xb, yb = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    >>> proba, correct, logits = batch_reference_outputs(
    ...     h1, Xb, yb, np.array(["a", "b", "c"]), with_logits=True
    ... )
    >>> proba.shape, correct.dtype, logits.dtype
    (torch.Size([5, 3]), torch.bool, torch.float32)
    >>> bool(torch.equal(logits, h1(Xb).detach()))
    True
    """
    yb = torch.as_tensor(yb)
    device = _batch_device(Xb, yb)
    if _is_torch_module(reference):
        proba, correct, logits, from_proba = _torch_outputs(
            reference, Xb, yb, len(classes), device, with_logits=with_logits
        )
    else:
        proba, correct, logits, from_proba = _model_outputs(
            reference, Xb, yb, classes, device, with_logits=with_logits
        )
    if logits is not None and from_proba != logits_from_proba:
        if not logits_from_proba:
            raise ValueError(
                _PER_BATCH_LOGITS_KIND.format(name=type(reference).__name__)
            )
        logits = torch.as_tensor(
            log_proba_logits(proba.cpu().numpy()), device=proba.device
        )
    return proba, correct, logits
