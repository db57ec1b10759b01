"""How BackwardCompatibleClassifier feeds skorch: datasets, iterators, steps.

The rows of a fit carry h1's cached outputs: an :class:`ArrayDataset` (array
input, whole batches gathered by index) or :class:`ReferenceItems` (item
input, a user's dataset class, a validation set from ``train_split``). The
module, ``infer`` and any user override of them see only the input part of a
batch; ``get_loss`` sees the whole :class:`ReferenceBatch`.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from skorch import NeuralNet
from skorch.dataset import Dataset, unpack_data
from skorch.utils import to_tensor
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader

from ._batch_reference import batch_reference_outputs, check_reference_outputs
from ._criterion import DISTILLATIONS, check_device
from ._data import (
    ArrayDataset,
    ReferenceBatch,
    batch_loader,
    is_array_dataset,
    move_to_accelerator,
)
from ._dataset_input import (
    ReferenceItems,
    has_reference_outputs,
    is_item_input,
    item_dataset,
    reference_items,
)
from ._reference import (
    check_reference_proba,
    log_proba_logits,
    reference_logits,
    reference_outputs,
    resolve_classes,
)
from .exceptions import VALID_NEEDS_REFERENCE

_FAST_ITERATOR_KWARGS = {"batch_size", "shuffle", "drop_last"}


def _input_part(X):
    return X.X if isinstance(X, ReferenceBatch) else X


class DataHooksMixin:
    """skorch's data hooks for rows that carry h1's cached outputs."""

    def _uses_custom_dataset(self):
        """Whether the user set ``dataset`` (or ``dataset__*``): then it is built."""
        return self.dataset is not Dataset or bool(self.get_params_for("dataset"))

    def check_data(self, X, y=None):
        """Input is validated in :meth:`fit` before skorch sees it."""

    def get_dataset(self, X, y=None):
        """A dataset over ``X``: whole-batch arrays, unless ``dataset`` is set."""
        if isinstance(X, torch.utils.data.Dataset):
            return X
        if is_item_input(X) or self._uses_custom_dataset():
            return NeuralNet.get_dataset(self, X, y)
        return ArrayDataset(X, y)

    def get_iterator(self, dataset, training=False):
        """Fetch whole batches by index list (one gather per array)."""
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        if (
            iterator is DataLoader
            and is_array_dataset(dataset)
            and set(kwargs) <= _FAST_ITERATOR_KWARGS
        ):
            move_to_accelerator(dataset, self.device)
            batch_size = kwargs.get("batch_size", self.batch_size)
            if batch_size == -1:
                batch_size = len(dataset)
            return batch_loader(
                dataset,
                batch_size=batch_size,
                shuffle=kwargs.get("shuffle", False),
                drop_last=kwargs.get("drop_last", False),
            )
        return super().get_iterator(dataset, training=training)

    def infer(self, x, **fit_params):
        """Run h2 on the input part of a batch."""
        return super().infer(_input_part(x), **fit_params)

    def train_step_single(self, batch, **fit_params):
        """As skorch's, with ``infer`` given the input part of the batch.

        With ``reference_outputs="per_batch"``, h1's outputs on the batch
        replace its cached ones first (validation batches keep the cache).
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        if getattr(self, "reference_outputs", "once") == "per_batch" and isinstance(
            Xi, ReferenceBatch
        ):
            Xi = self._batch_reference(Xi, yi)
        y_pred = self.infer(_input_part(Xi), **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def _batch_reference(self, Xi, yi):
        """``Xi`` on the device, with h1's outputs on its very input."""
        Xb = to_tensor(Xi.X, device=self.device)
        with_logits = self.dissonance in DISTILLATIONS
        proba, correct, logits = batch_reference_outputs(
            self.reference,
            Xb,
            to_tensor(yi, device=self.device),
            np.asarray(self.classes_),
            with_logits=with_logits,
            logits_from_proba=getattr(self, "h1_logits_from_proba_", False),
        )
        # without logits the batch keeps its placeholder (None, or (n, 0))
        return ReferenceBatch(
            Xb, proba, correct, logits if with_logits else Xi.h1_logits
        )

    def validation_step(self, batch, **fit_params):
        """As skorch's, with ``infer`` given the input part of the batch."""
        self._set_training(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            y_pred = self.infer(_input_part(Xi), **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def get_split_datasets(self, X, y=None, **fit_params):
        """Skorch's split; a validation set without h1's outputs gets them here.

        A fixed validation set (``train_split=predefined_split(ds)``) holds
        raw rows: h1's outputs on it are computed once per fit, as for ``X``.
        """
        train, valid = super().get_split_datasets(X, y, **fit_params)
        if valid is not None and not has_reference_outputs(valid):
            valid = self._reference_items(valid, None, None, fixed_classes=True)
        return train, valid

    def _reference_items(
        self, dataset, y, reference_proba, *, fixed_classes, with_logits=None
    ):
        """Wrap item input with h1's outputs, once per fit.

        h1's logits are cached too when ``with_logits`` (None: when the
        dissonance is a distillation).
        """
        if fixed_classes and self.reference is None:
            raise ValueError(VALID_NEEDS_REFERENCE)
        if with_logits is None:
            with_logits = self.dissonance in DISTILLATIONS
        items, classes = reference_items(
            dataset,
            y,
            reference=self.reference,
            reference_proba=reference_proba,
            classes=self.classes_ if fixed_classes else self.classes,
            batch_size=self.batch_size,
            fixed_classes=fixed_classes,
            with_logits=with_logits,
        )
        return items if fixed_classes else (items, classes)

    def _prepare_items(self, X, y, reference_proba, *, reset, with_logits=False):
        """Item input (a Dataset, a dict, a SliceDataset) with h1's outputs."""
        if reset:
            for name in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(name, None)
        dataset = item_dataset(X, y)
        items, classes = self._reference_items(
            dataset, y, reference_proba, fixed_classes=False, with_logits=with_logits
        )
        self.classes_inferred_ = classes
        # skorch's own y (None stays None: a stratified split then says so)
        return items, (None if y is None else np.asarray(items.y))

    def _prepare_fit(self, X, y, reference_proba, *, reset, with_logits=None):
        """Validate the input and cache h1's outputs with the rows.

        h1's logits are cached too when ``with_logits`` (None: when the
        dissonance is a distillation); new error and strict imitation need
        only its probabilities.
        """
        self._check_loss_params()
        check_device(self.device)
        check_reference_outputs(
            getattr(self, "reference_outputs", "once"),
            reference=self.reference,
            reference_proba=reference_proba,
        )
        if with_logits is None:
            with_logits = self.dissonance in DISTILLATIONS
        if is_item_input(X):
            items, y_items = self._prepare_items(
                X, y, reference_proba, reset=reset, with_logits=with_logits
            )
            self._set_logits_kind(items.h1_logits_from_proba)
            return items, y_items
        X_raw = X
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_all_finite=True,
        )
        check_classification_targets(y)
        classes = resolve_classes(
            self.reference,
            y,
            has_proba=reference_proba is not None,
            classes=self.classes,
        )
        h1_logits, from_proba = None, False
        if reference_proba is not None:
            h1_proba, h1_labels = check_reference_proba(
                reference_proba, X.shape[0], classes
            )
            if with_logits:
                h1_logits, from_proba = log_proba_logits(h1_proba), True
        else:
            # One BLAS thread for h1: OpenBLAS's idle workers spin for about
            # 0.1 s after a parallel call, on the cores torch is about to
            # train on (measured: the first 3 epochs on digits ran 2x slower).
            with threadpool_limits(limits=1, user_api="blas"):
                if with_logits:
                    h1_proba, h1_labels, h1_logits, from_proba = reference_logits(
                        self.reference, X_raw, classes
                    )
                else:
                    h1_proba, h1_labels = reference_outputs(
                        self.reference, X_raw, classes
                    )
        self._set_logits_kind(from_proba)
        position = {label: i for i, label in enumerate(classes.tolist())}
        y_encoded = np.fromiter(
            (position[label] for label in y.tolist()), dtype=np.int64, count=len(y)
        )
        self.classes_inferred_ = classes
        h1_correct = np.asarray(h1_labels == y, dtype=bool)
        if self._uses_custom_dataset():
            # the user's dataset class serves the rows; h1's outputs by index
            inner = NeuralNet.get_dataset(self, X, y_encoded)
            dataset = ReferenceItems(inner, h1_proba, h1_correct, h1_logits=h1_logits)
        else:
            dataset = ArrayDataset(X, y_encoded, h1_proba, h1_correct, h1_logits)
        dataset.reference_labels = np.asarray(h1_labels)  # for scoring sweeps
        return dataset, y_encoded

    def _set_logits_kind(self, from_proba):
        """Record whether h1's cached logits are log-probabilities."""
        changed = getattr(self, "h1_logits_from_proba_", False) != from_proba
        self.h1_logits_from_proba_ = bool(from_proba)
        if changed and getattr(self, "initialized_", False):
            self.initialize_criterion()  # a warm start keeps its criterion
