"""A tiny, hand-checkable explorer shared by the Python and browser tests.

Rows 0-5 are the testing split, rows 6-9 the training split; X holds the row
number and each model looks its prediction up in a table.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

Y_TEST = np.array([0, 0, 1, 1, 2, 2])
Y_TRAIN = np.array([0, 1, 2, 2])
X_TEST = np.arange(6).reshape(-1, 1)
X_TRAIN = np.arange(6, 10).reshape(-1, 1)

# testing split: h1 wrong on 1, 5; h2 (new error, 0.5) wrong on 2, 5
H1 = [0, 1, 1, 1, 2, 0] + [0, 1, 2, 0]
H2_A = [0, 0, 0, 1, 2, 1] + [0, 1, 2, 2]
H2_B = [0, 1, 1, 1, 2, 2] + [1, 1, 2, 0]


class Lookup(ClassifierMixin, BaseEstimator):
    """A 'fitted' model whose prediction for row x is ``labels[x]``."""

    def __init__(self, labels=None):
        self.labels = labels

    def fit(self, X=None, y=None):
        self.labels_ = np.asarray(self.labels)
        self.classes_ = np.unique(self.labels_)
        return self

    def predict(self, X):
        return self.labels_[np.asarray(X)[:, 0].astype(int)]


def tiny_models():
    return {
        ("new_error", 0.5): Lookup(H2_A).fit(),
        ("strict_imitation", 1.0): Lookup(H2_B).fit(),
    }


def tiny_explorer(**kwargs):
    from sklearn_bc import CompatibilityExplorer

    return CompatibilityExplorer.from_models(
        tiny_models(), Lookup(H1).fit(), X_TRAIN, Y_TRAIN, X_TEST, Y_TEST, **kwargs
    )
