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

# class names and metadata that would end or break an inline <script>
HOSTILE_NAMES = ["<!--<script>", "</script><b>&amp;", "a\u2028b\u2029c"]


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


def _named(classes, names):
    classes = np.asarray(classes)
    return classes if names is None else np.asarray(names, dtype=object)[classes]


def tiny_models(names=None):
    return {
        ("new_error", 0.5): Lookup(_named(H2_A, names)).fit(),
        ("strict_imitation", 1.0): Lookup(_named(H2_B, names)).fit(),
    }


def tiny_explorer(names=None, **kwargs):
    """The tiny explorer; ``names`` renames the classes 0, 1, 2."""
    from sklearn_bc import CompatibilityExplorer

    return CompatibilityExplorer.from_models(
        tiny_models(names),
        Lookup(_named(H1, names)).fit(),
        X_TRAIN,
        _named(Y_TRAIN, names),
        X_TEST,
        _named(Y_TEST, names),
        **kwargs,
    )


def _flipped(y, rate, n_classes, rng):
    """``y`` with a share ``rate`` of its labels changed to another class."""
    flip = rng.rand(len(y)) < rate
    return np.where(flip, (y + rng.randint(1, n_classes, len(y))) % n_classes, y)


def demo_like_explorer(n_classes=10, names=None, n_rows=540, **kwargs):
    """A report shaped like the demo's: two dissonances x six lambda_c.

    Synthetic predictions (h1 wrong on about 10% of the rows, each h2 on
    5-13%), 8x8 images per row; ``names`` renames the classes.
    """
    from sklearn_bc import CompatibilityExplorer

    rng = np.random.RandomState(0)
    y = rng.randint(0, n_classes, n_rows)
    y_ref = _flipped(y, 0.1, n_classes, rng)
    predictions = {}
    for dissonance in ("new_error", "strict_imitation"):
        for lambda_c in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
            # as lambda_c grows, h2 keeps fewer of h1's errors and makes
            # fewer of its own: at 1, small "both" and "h2 only" regions side
            # by side, as in the demo
            keep = 0.6 - 0.45 * lambda_c + 0.05 * rng.rand()
            y_pred = np.where(rng.rand(n_rows) < keep, y_ref, y)
            flip = 0.08 - 0.065 * lambda_c + 0.005 * rng.rand()
            predictions[dissonance, lambda_c] = _flipped(y_pred, flip, n_classes, rng)
    images = rng.randint(0, 17, (n_rows, 8, 8)).astype(float)
    return CompatibilityExplorer.from_predictions(
        _named(y, names),
        _named(y_ref, names),
        {key: _named(p, names) for key, p in predictions.items()},
        instance_images=images,
        **kwargs,
    )
