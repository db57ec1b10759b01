"""Input given as items rather than arrays, and h1's outputs over it.

skorch accepts, besides arrays, a ``torch.utils.data.Dataset`` (``y`` inside
its items), a dict of arrays (a multi-input module) and skorch's
``SliceDataset`` (the ``GridSearchCV`` adaptor). Such input cannot take the
whole-batch array path of :mod:`sklearn_bc._data`: its rows are items, read
one by one. h1's outputs are computed once per fit here as well, in one pass
over the items (or from the arrays the dataset exposes), and travel with the
rows by index in :class:`ReferenceItems`.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch
from scipy.sparse import issparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch.dataset import Dataset, unpack_data
from skorch.helper import SliceDataset
from skorch.utils import data_from_dataset, to_numpy

from ._data import ArrayDataset, ReferenceBatch, root_dataset
from ._reference import (
    _is_skorch_net,
    _is_torch_module,
    _module_device,
    _preserved_modes,
    check_reference_proba,
    log_proba_logits,
    reference_logits,
    reference_outputs,
    resolve_classes,
)
from .exceptions import REFERENCE_NEEDS_ARRAYS

__all__ = [
    "ReferenceItems",
    "has_reference_outputs",
    "is_item_input",
    "item_dataset",
    "reference_items",
]


# h1's distribution is kept in half precision above this many entries (a
# dataset too large for memory: its N x C probabilities are what is held)
COMPACT_PROBA = 2**24


def compact_proba(proba):
    """h1's probabilities in half precision when large (the loss casts them back)."""
    return proba.half() if proba.numel() > COMPACT_PROBA else proba


class ReferenceItems(torch.utils.data.Dataset):
    """A dataset's items with h1's cached outputs (and encoded labels) by index.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Yields ``(X, y)`` items, as skorch requires.
    h1_proba : ndarray of shape (n_samples, n_classes)
        Kept in half precision above ``COMPACT_PROBA`` entries.
    h1_correct : ndarray of bool of shape (n_samples,)
    y : ndarray of int64 or None
        Encoded labels replacing the items' own ``y`` (which are raw labels).
    h1_logits : ndarray of shape (n_samples, n_classes) or None
        h1's logits (the distillation dissonances); None stores an empty
        ``(n_samples, 0)`` tensor, which the default loader collates.
    """

    def __init__(self, dataset, h1_proba, h1_correct, y=None, h1_logits=None):
        self.dataset = dataset
        self.h1_proba = compact_proba(torch.as_tensor(h1_proba))
        self.h1_correct = torch.as_tensor(h1_correct)
        self.y = None if y is None else torch.as_tensor(y)
        self.h1_logits = (
            torch.empty(len(self.h1_correct), 0)
            if h1_logits is None
            else torch.as_tensor(h1_logits)
        )

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        Xi, yi = unpack_data(self.dataset[i])
        if self.y is not None:
            yi = self.y[i]
        batch = ReferenceBatch(
            Xi, self.h1_proba[i], self.h1_correct[i], self.h1_logits[i]
        )
        return batch, yi


def is_item_input(X):
    """Whether ``X`` is item input (not arrays): a Dataset, a dict, a SliceDataset."""
    if isinstance(X, torch.utils.data.Dataset):
        return not isinstance(root_dataset(X), (ArrayDataset, ReferenceItems))
    if issparse(X):  # a DOK matrix is a dict
        return False
    return isinstance(X, (dict, SliceDataset))


def has_reference_outputs(dataset):
    """Whether the rows of ``dataset`` already carry h1's cached outputs."""
    root = root_dataset(dataset)
    if isinstance(root, ArrayDataset):
        return root.h1_proba is not None
    return isinstance(root, ReferenceItems)


def item_dataset(X, y=None):
    """A torch Dataset over item input: ``X`` itself, or skorch's Dataset."""
    if isinstance(X, torch.utils.data.Dataset):
        return X
    return Dataset(X, y)


def _accessible_arrays(dataset):
    """The ``(X, y)`` arrays a dataset exposes (skorch Dataset, TensorDataset)."""
    try:
        X, y = data_from_dataset(dataset)
    except AttributeError:
        return None, None
    if isinstance(X, (dict, list, tuple)) or X is None:
        X = None
    return X, y


def _batch_size(batch_size, n_rows):
    return n_rows if batch_size in (None, -1) else max(int(batch_size), 1)


def _as_module_input(Xb, dtype):
    if isinstance(Xb, torch.Tensor) and Xb.is_floating_point():
        return Xb.to(dtype)
    return Xb


def _items_pass(dataset, *, module=None, batch_size=128):
    """One pass over the items: their labels and, given a module, its logits."""
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=_batch_size(batch_size, len(dataset)),
        shuffle=False,
        # its own generator: the pass leaves torch's global one (the user's
        # seed for the initial weights) untouched
        generator=torch.Generator(),
    )
    labels, logits = [], []
    if module is not None:
        device = _module_device(module)
        dtype = next((p.dtype for p in module.parameters()), torch.float32)
        context = _preserved_modes([module])
    else:
        context = nullcontext()
    with context, torch.no_grad():
        if module is not None:
            module.eval()
        for batch in loader:
            Xb, yb = unpack_data(batch)
            labels.append(to_numpy(yb).reshape(len(to_numpy(yb)), -1))
            if module is None:
                continue
            Xb = _to_device(_as_module_input(Xb, dtype), device)
            out = module(**Xb) if isinstance(Xb, dict) else module(Xb)
            if isinstance(out, (tuple, list)):
                out = out[0]
            logits.append(out.detach().float().cpu())
    y = np.concatenate(labels) if labels else np.empty((0, 1))
    out = torch.cat(logits) if logits else None
    return y, out


def _to_device(Xb, device):
    if isinstance(Xb, dict):
        return {k: _to_device(v, device) for k, v in Xb.items()}
    if isinstance(Xb, torch.Tensor):
        return Xb.to(device)
    return Xb


def _check_labels(y, n_rows):
    y = np.asarray(to_numpy(y) if isinstance(y, torch.Tensor) else y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    y = column_or_1d(y)
    check_classification_targets(y)
    if len(y) != n_rows:
        raise ValueError(f"y has {len(y)} labels but the dataset X has {n_rows} items.")
    return y


def reference_items(
    dataset, y, *, reference, reference_proba, classes, batch_size, fixed_classes=False,
    with_logits=False,
):  # fmt: skip
    """Wrap ``dataset`` with h1's outputs on its items; resolve the classes.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Yields ``(X, y)`` items.
    y : array-like or None
        The labels; None reads them from the dataset (its ``y`` attribute,
        else its items).
    reference : object or None
        h1. A torch module (or skorch net) reads the dataset's items; a
        scikit-learn model needs the dataset to expose an array ``X``.
    reference_proba : array-like or None
        h1's probabilities on the items, in order (then h1 is not run).
    classes : array-like or None
        The ``classes`` parameter, or (``fixed_classes=True``) the classes
        resolved by the fit, for a validation set.
    batch_size : int
        Rows per batch of the pass over the items.
    with_logits : bool, default=False
        Also cache h1's logits (see :func:`~sklearn_bc._reference.reference_logits`);
        ``items.h1_logits_from_proba`` then says whether they are
        log-probabilities.

    Returns
    -------
    items : ReferenceItems
    classes : ndarray
    """
    n_rows = len(dataset)
    if n_rows == 0:
        raise ValueError(
            "Found a dataset X with 0 items, while a minimum of 1 is required."
        )
    X_arr, y_arr = _accessible_arrays(dataset)
    module = reference if _is_torch_module(reference) else None
    logits = None
    if y is None and y_arr is not None:
        y = y_arr
    if y is None or (module is not None and reference_proba is None):
        y_items, logits = _items_pass(dataset, module=module, batch_size=batch_size)
        if y is None:
            y = y_items
    y = _check_labels(y, n_rows)
    if fixed_classes:
        resolved = np.asarray(classes)
        unseen = sorted(set(np.unique(y).tolist()) - set(resolved.tolist()), key=str)
        if unseen:
            raise ValueError(
                f"The validation set contains labels unseen in fit: {unseen}; "
                f"classes: {resolved.tolist()}."
            )
    else:
        resolved = resolve_classes(
            reference, y, has_proba=reference_proba is not None, classes=classes
        )
    h1_logits, from_proba = None, False
    if reference_proba is not None:
        proba, labels = check_reference_proba(reference_proba, n_rows, resolved)
        if with_logits:
            h1_logits, from_proba = log_proba_logits(proba), True
    elif logits is not None:
        if logits.ndim != 2 or logits.shape[1] != len(resolved):
            raise ValueError(
                f"The reference module returns {tuple(logits.shape)[1:]} outputs per "
                f"sample but y has {len(resolved)} classes {resolved.tolist()}: its "
                "output must have one logit per class."
            )
        proba = torch.softmax(logits, dim=1).numpy().astype(np.float32)
        labels = resolved[proba.argmax(axis=1)]
        if with_logits:
            h1_logits = logits.numpy()
    elif reference is not None and (_is_skorch_net(reference) or X_arr is not None):
        # a skorch net reads the items itself (its modes are preserved there)
        X_ref = dataset if _is_skorch_net(reference) else to_numpy(X_arr)
        if with_logits:
            proba, labels, h1_logits, from_proba = reference_logits(
                reference, X_ref, resolved
            )
        else:
            proba, labels = reference_outputs(reference, X_ref, resolved)
    else:
        raise TypeError(REFERENCE_NEEDS_ARRAYS.format(kind=type(dataset).__name__))
    position = {label: i for i, label in enumerate(resolved.tolist())}
    y_encoded = np.fromiter(
        (position[label] for label in y.tolist()), dtype=np.int64, count=n_rows
    )
    h1_correct = np.asarray(labels == y, dtype=bool)
    items = ReferenceItems(dataset, np.asarray(proba, np.float32), h1_correct,
                           y_encoded, h1_logits)  # fmt: skip
    items.reference_labels = np.asarray(labels)
    items.h1_logits_from_proba = from_proba
    return items, resolved
