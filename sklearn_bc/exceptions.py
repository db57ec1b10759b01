"""The errors sklearn_bc raises, and the texts of their messages.

An estimator that is used before it is initialised raises skorch's
:class:`skorch.exceptions.NotInitializedError`, which is also a subclass of
scikit-learn's :class:`~sklearn.exceptions.NotFittedError`: code catching
either keeps working. It is re-exported here.
"""

from __future__ import annotations

from skorch.exceptions import NotInitializedError

__all__ = ["NotInitializedError"]

#: Item input (a Dataset, a dict, a SliceDataset) with a scikit-learn reference
REFERENCE_NEEDS_ARRAYS = (
    "A scikit-learn reference model needs X as an array or DataFrame, but X is a "
    "{kind} that exposes no array X: pass X as an array, pass h1's outputs on X "
    "as the fit parameter reference_proba, or use a torch.nn.Module or skorch "
    "net as reference (it reads the dataset's items)."
)

#: A validation set from train_split when h1 is only known through reference_proba
VALID_NEEDS_REFERENCE = (
    "The validation set returned by train_split needs h1's outputs, but "
    "reference is None (h1's outputs came as reference_proba for X only): pass "
    "the fitted reference model as reference=..., or let train_split split X "
    "(e.g. skorch's ValidSplit), whose rows carry reference_proba."
)
