"""Offline data sets for examples, tests and the demo (nothing is downloaded)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_digits_update"]


def load_digits_update(
    *, n_reference=300, test_size=0.3, label_noise=0.0, random_state=0
):
    """The digits data set split for a model update h1 -> h2.

    scikit-learn's 8x8 digits (1,797 images, shipped with scikit-learn) are
    split into a test set and a training set; the reference model h1 is meant
    to be trained on the first ``n_reference`` training rows only (the "early
    sample"), the new model h2 on all training rows, optionally with a share of
    their labels replaced by random wrong labels (the "larger but noisier
    data" update).

    Parameters
    ----------
    n_reference : int, default=300
        Number of training rows for the reference model.
    test_size : float, default=0.3
        Share of the rows held out for testing.
    label_noise : float, default=0.0
        Share of h2's training labels replaced by a different, random class.
        The reference rows keep their clean labels.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the label noise.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X_reference, y_reference`` (h1's training rows), ``X_train,
        y_train`` (h2's training rows, noisy labels), ``X_test, y_test``,
        ``images_test`` (8x8 arrays of the test rows), ``target_names``.
        Features are scaled to [0, 1] as float32.

    Examples
    --------
    >>> from sklearn_bc.datasets import load_digits_update
    >>> data = load_digits_update(n_reference=200, label_noise=0.1)
    >>> data.X_reference.shape, data.X_train.shape, data.X_test.shape
    ((200, 64), (1257, 64), (540, 64))
    """
    if not 0.0 <= label_noise < 1.0:
        raise ValueError(f"label_noise must be in [0, 1); got {label_noise!r}.")
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    idx_train, idx_test = train_test_split(
        np.arange(len(X)),
        test_size=test_size,
        random_state=random_state,
        stratify=digits.target,
    )
    if not 0 < n_reference <= len(idx_train):
        raise ValueError(
            f"n_reference must be in [1, {len(idx_train)}]; got {n_reference!r}."
        )
    rng = check_random_state(random_state)
    y_train = digits.target[idx_train].copy()
    n_noisy = int(round(label_noise * len(y_train)))
    noisy = rng.choice(len(y_train), size=n_noisy, replace=False)
    # a random *different* class for each noisy row
    y_train[noisy] = (y_train[noisy] + rng.randint(1, 10, size=n_noisy)) % 10
    return Bunch(
        X_reference=X[idx_train[:n_reference]],
        y_reference=digits.target[idx_train[:n_reference]],
        X_train=X[idx_train],
        y_train=y_train,
        X_test=X[idx_test],
        y_test=digits.target[idx_test],
        images_test=digits.images[idx_test],
        target_names=digits.target_names,
    )
