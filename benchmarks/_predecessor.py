"""The predecessor's 22-model sweep on the benchmark's data, for timing.

``backwardcompatibilityml`` (1.4.2) pins torch 1.5 and TensorFlow 2.4, which
do not install on Python 3.11, so it is installed without its dependencies:

    pip install -e ".[benchmark]"                 # mlflow-skinny, flask, pillow
    pip install backwardcompatibilityml --no-deps

Its sweep wants torch modules that return ``(logits, softmax, log_softmax)``
and data as a list of ``(batch_ids, X, y)`` batches. h1, a multinomial
LogisticRegression, becomes the linear layer with the same weights, so both
libraries see the same h1 predictions.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
import torch
from torch import nn

from sklearn_bc.modules import MLPModule


def available():
    try:
        import backwardcompatibilityml.helpers.training  # noqa: F401
    except ImportError:
        return False
    return True


class _Triple(nn.Module):
    """The predecessor's module contract: logits, softmax and log-softmax."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        logits = self.module(x)
        return logits, logits.softmax(1), logits.log_softmax(1)


def _linear_reference(h1):
    coef = np.asarray(h1.coef_, dtype=np.float32)
    layer = nn.Linear(coef.shape[1], coef.shape[0])
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(coef))
        layer.bias.copy_(torch.from_numpy(np.asarray(h1.intercept_, np.float32)))
    return _Triple(layer).eval()


def _batches(X, y, index, batch_size, rng):
    index = rng.permutation(index)
    return [
        (
            part.tolist(),
            torch.from_numpy(X[part]),
            torch.from_numpy(np.asarray(y[part], dtype=np.int64)),
        )
        for part in np.array_split(index, int(np.ceil(len(index) / batch_size)))
    ]


def predecessor_sweep(
    X, y, h1, train, test, *, epochs, batch_size=128, lr=0.01, device="cpu"
):
    """Run ``compatibility_sweep`` for 2 x 11 points; return timings in seconds.

    Returns
    -------
    timings : dict
        ``total`` (the call as a user makes it, with its per-point
        evaluation and files), ``training`` (the 22 training calls alone)
        and ``models`` (how many models it trained).
    """
    from backwardcompatibilityml.helpers import training
    from backwardcompatibilityml.loss import (
        BCCrossEntropyLoss,
        StrictImitationCrossEntropyLoss,
    )

    rng = np.random.RandomState(0)
    classes = len(np.unique(y))
    torch.manual_seed(0)
    h2 = _Triple(MLPModule(X.shape[1], classes, hidden=(256, 256))).to(device)
    spent = {"training": 0.0, "models": 0}
    originals = training.train_new_error, training.train_strict_imitation

    def timed(fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent["training"] += time.perf_counter() - start
                spent["models"] += 1

        return wrapper

    training.train_new_error = timed(originals[0])
    training.train_strict_imitation = timed(originals[1])
    try:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            training.compatibility_sweep(
                folder,
                epochs,
                _linear_reference(h1).to(device),
                h2,
                _batches(X, y, train, batch_size, rng),
                _batches(X, y, test, batch_size, rng),
                batch_size,
                batch_size,
                torch.optim.SGD,
                {"lr": lr},
                BCCrossEntropyLoss,
                StrictImitationCrossEntropyLoss,
                lambda_c_stepsize=0.1,  # np.arange(0, 1.05, 0.1): 11 values
                device=device,  # it moves each batch there itself
            )
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            total = time.perf_counter() - start
    finally:
        training.train_new_error, training.train_strict_imitation = originals
    return {"total": total, **spent}
