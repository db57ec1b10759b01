"""Where a sweep's training batches come from: arrays, or a dataset's items.

:class:`BackwardCompatibleClassifierCV` trains every point on the same
batches. Each batch is ``(X, y, h1_proba, h1_correct, h1_logits)`` with ``y``
the encoded labels and h1's outputs cached once per fit (``h1_logits`` None
unless a distillation dissonance needs them).

* :class:`ArrayRows`: the rows are tensors; the whole training set is put on
  the device once and each batch is one gather by index.
* :class:`ItemRows`: the rows are the items of a torch Dataset (with h1's
  outputs by index, :class:`~sklearn_bc._dataset_input.ReferenceItems`), read
  through a ``DataLoader`` (workers, pinned memory, ...) batch by batch, so the
  input never has to fit in memory at once; only h1's outputs (N x C floats)
  are held.

Both are picklable and hold CPU tensors; :meth:`to` gives the copy a training
unit uses on its device (on the CPU, no copy), so a sweep's splits can run in
other processes (joblib, Dask).
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.dataset import unpack_data
from torch.utils.data import DataLoader, Subset

from ._data import ReferenceBatch
from ._dataset_input import _as_module_input, _to_device, compact_proba

__all__ = ["ArrayRows", "ItemRows", "item_inputs"]


class ArrayRows:
    """Training rows held as tensors, batches gathered by index.

    Parameters
    ----------
    X : Tensor
        h2's input, in the module's dtype.
    y, h1_proba, h1_correct : Tensor
    h1_logits : Tensor or None
    """

    def __init__(self, X, y, h1_proba, h1_correct, h1_logits=None):
        self.X = X
        self.y = y
        self.h1_proba = compact_proba(h1_proba)
        self.h1_correct = h1_correct
        self.h1_logits = h1_logits

    def __len__(self):
        return self.y.shape[0]

    def _tensors(self):
        return (self.X, self.y, self.h1_proba, self.h1_correct, self.h1_logits)

    def to(self, device):
        """These rows on ``device`` (the same object when already there)."""
        device = torch.device(device)
        if self.X.device == device:
            return self
        return ArrayRows(
            *(None if t is None else t.to(device) for t in self._tensors())
        )

    @property
    def device(self):
        return self.X.device

    def sample(self, n):
        """The input of the first ``n`` rows (to probe a module with)."""
        return self.X[:n]

    def batches(self, batches, *, generator=None):
        """Yield each batch of row indices' tensors (``generator`` unused)."""
        for index in batches:
            index = index.to(self.X.device)
            logits = None if self.h1_logits is None else self.h1_logits[index]
            yield (
                self.X[index],
                self.y[index],
                self.h1_proba[index],
                self.h1_correct[index],
                logits,
            )

    def inputs(self, rows, chunk_rows):
        """Yield h2's input of ``rows`` (None: all), ``chunk_rows`` at a time."""
        X = self.X if rows is None else self.X[torch.as_tensor(rows).to(self.device)]
        yield from X.split(chunk_rows)


class ItemRows:
    """Training rows read from a dataset's items through a DataLoader.

    Parameters
    ----------
    items : ReferenceItems
        The user's dataset with h1's outputs (and the encoded labels) by index.
    dtype : torch.dtype
        The module's dtype; floating inputs are cast to it per batch.
    loader_kwargs : dict
        Further ``DataLoader`` arguments (``num_workers``, ``pin_memory``,
        ``collate_fn``, ...); the sweep sets the batches itself.
    device : str or torch.device, default="cpu"
        Where batches are put.
    """

    def __init__(self, items, dtype, loader_kwargs, device="cpu"):
        self.items = items
        self.dtype = dtype
        self.loader_kwargs = dict(loader_kwargs)
        self.device = torch.device(device)

    def __len__(self):
        return len(self.items)

    def to(self, device):
        """These rows, batches put on ``device``."""
        return ItemRows(self.items, self.dtype, self.loader_kwargs, device)

    def _loader(self, dataset, batch_sampler, generator):
        return DataLoader(
            dataset,
            batch_sampler=batch_sampler,
            # seeds the workers' torch RNG (their random transforms) too
            generator=generator,
            **self.loader_kwargs,
        )

    def _put(self, X):
        return _to_device(_as_module_input(X, self.dtype), self.device)

    def sample(self, n):
        """The input of the first ``n`` items."""
        batch = next(iter(self._loader(self.items, [list(range(n))], None)))
        return self._put(unpack_data(batch)[0].X)

    def batches(self, batches, *, generator=None):
        """Yield each batch of row indices' tensors, read by the DataLoader."""
        sampler = [index.tolist() for index in batches]
        for batch in self._loader(self.items, sampler, generator):
            ref, y = unpack_data(batch)
            logits = ref.h1_logits
            if logits is not None and logits.shape[-1] == 0:
                logits = None  # the empty placeholder of non-distillation fits
            yield (
                self._put(ref.X),
                y.to(self.device),
                ref.h1_proba.to(self.device),
                ref.h1_correct.to(self.device),
                None if logits is None else logits.to(self.device),
            )

    def inputs(self, rows, chunk_rows):
        """Yield h2's input of ``rows`` (None: all), ``chunk_rows`` items at a time."""
        yield from item_inputs(
            self.items, rows, chunk_rows, dtype=self.dtype, device=self.device,
            loader_kwargs=self.loader_kwargs,
        )  # fmt: skip


def item_inputs(dataset, rows, chunk_rows, *, dtype, device, loader_kwargs):
    """Yield the input part of a dataset's items, ``chunk_rows`` at a time.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Yields ``(X, y)`` items, ``X`` possibly a ReferenceBatch.
    rows : sequence of int or None
        The items to read, in order (None: all).
    """
    dataset = dataset if rows is None else Subset(dataset, np.asarray(rows).tolist())
    index = list(range(len(dataset)))
    sampler = [index[i : i + chunk_rows] for i in range(0, len(index), chunk_rows)]
    loader = DataLoader(dataset, batch_sampler=sampler, **loader_kwargs)
    for batch in loader:
        X = unpack_data(batch)[0]
        if isinstance(X, ReferenceBatch):
            X = X.X
        yield _to_device(_as_module_input(X, dtype), device)
