"""Whole-batch data access for skorch.

skorch's default loader fetches one sample at a time and collates them; with
h1's cached outputs as extra inputs that costs 17-41% of a fit. Here a batch is
one fancy-indexing gather per array: the loader's sampler yields index lists
and the dataset answers each list with ready tensors.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler


class ReferenceBatch(NamedTuple):
    """A training batch's input: h2's features plus h1's cached outputs."""

    X: torch.Tensor
    h1_proba: torch.Tensor
    h1_correct: torch.Tensor
    # cached only for the distillation dissonances (else None, or an empty
    # (n, 0) tensor in item batches, which skorch's loader collates)
    h1_logits: torch.Tensor | None = None


class ArrayDataset(torch.utils.data.Dataset):
    """Tensors indexed by an int or by a list of ints (a whole batch).

    Parameters
    ----------
    X : ndarray
        h2's input (already validated, float32).
    y : ndarray of int64 or None
        Encoded targets.
    h1_proba, h1_correct : ndarray or None
        h1's cached probabilities and correctness; when given, the input part
        of each item is a :class:`ReferenceBatch`.
    h1_logits : ndarray or None
        h1's cached logits (for the distillation dissonances only).
    """

    def __init__(self, X, y=None, h1_proba=None, h1_correct=None, h1_logits=None):
        # torch cannot wrap a read-only array (e.g. a joblib memmap) without a copy
        self.X = torch.as_tensor(np.require(X, requirements="W"))
        self.y = None if y is None else torch.as_tensor(y)
        self.h1_proba = None if h1_proba is None else torch.as_tensor(h1_proba)
        self.h1_correct = None if h1_correct is None else torch.as_tensor(h1_correct)
        self.h1_logits = None if h1_logits is None else torch.as_tensor(h1_logits)

    def __len__(self):
        return self.X.shape[0]

    def _tensors(self):
        return ("X", "y", "h1_proba", "h1_correct", "h1_logits")

    def nbytes(self):
        """Memory held by the dataset's tensors."""
        return sum(
            t.element_size() * t.nelement()
            for t in (getattr(self, name) for name in self._tensors())
            if t is not None
        )

    def to_(self, device):
        """Move every tensor to ``device`` in place (once; then a no-op)."""
        for name in self._tensors():
            tensor = getattr(self, name)
            if tensor is not None:
                setattr(self, name, tensor.to(device))
        return self

    def __getitem__(self, index):
        batched = isinstance(index, list)
        if batched:
            index = torch.as_tensor(index, dtype=torch.long, device=self.X.device)
        X = self.X[index]
        if self.h1_proba is not None:
            if self.h1_logits is not None:
                logits = self.h1_logits[index]
            else:  # None in a whole batch; skorch's collate needs a tensor
                logits = None if batched else torch.empty(0)
            X = ReferenceBatch(X, self.h1_proba[index], self.h1_correct[index], logits)
        if self.y is not None:
            y = self.y[index]
        else:  # skorch expects a target; a placeholder when predicting
            y = (
                torch.zeros(len(index), dtype=torch.long)
                if batched
                else torch.tensor(0)
            )
        return X, y


def batch_loader(dataset, *, batch_size, shuffle=False, drop_last=False):
    """A DataLoader that hands whole index lists to ``dataset``."""
    sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(
        dataset,
        batch_size=None,
        sampler=BatchSampler(sampler, batch_size=batch_size, drop_last=drop_last),
    )


def root_dataset(dataset):
    """The dataset under any (nested) Subsets."""
    while isinstance(dataset, torch.utils.data.Subset):
        dataset = dataset.dataset
    return dataset


def is_array_dataset(dataset):
    """Whether ``dataset`` is an ArrayDataset or a (nested) Subset of one."""
    return isinstance(root_dataset(dataset), ArrayDataset)


def move_to_accelerator(dataset, device, *, max_fraction=0.5):
    """Put an ArrayDataset on a CUDA ``device`` once, if it fits comfortably.

    Batches are then gathered on the device and no host-to-device copy is
    made per batch. CPU devices, and data larger than ``max_fraction`` of the
    free device memory, are left where they are.
    """
    device = torch.device(device)
    root = root_dataset(dataset)
    if device.type != "cuda" or not isinstance(root, ArrayDataset):
        return dataset
    if root.X.device == device:
        return dataset
    free, _ = torch.cuda.mem_get_info(device)
    if root.nbytes() <= max_fraction * free:
        root.to_(device)
    return dataset
