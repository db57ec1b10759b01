"""The reference adapter: probabilities and labels from any kind of h1."""

import numpy as np
import pytest
import torch
from conftest import torch_state
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_bc._reference import (
    check_reference,
    check_reference_classes,
    reference_outputs,
)


def test_sklearn_pipeline_and_frozen(digits):
    X, y, X_test, _ = digits
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    for h1 in (pipe, FrozenEstimator(pipe)):
        proba, labels = reference_outputs(h1, X_test, np.arange(10))
        np.testing.assert_allclose(proba, pipe.predict_proba(X_test), rtol=1e-6)
        np.testing.assert_array_equal(labels, pipe.predict(X_test))
        assert proba.dtype == np.float32


class _TripleOutput(nn.Module):
    """The predecessor's convention: (logits, softmax, log_softmax)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, X):
        z = self.linear(X)
        return z, z.softmax(1), z.log_softmax(1)


def test_torch_module_logits_and_tuple_output():
    torch.manual_seed(0)
    module = _TripleOutput().train()
    before = torch_state(module)
    X = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    proba, labels = reference_outputs(module, X, np.array(["no", "yes"]))
    with torch.no_grad():
        expected = module.linear(torch.as_tensor(X)).softmax(1).numpy()
    np.testing.assert_allclose(proba, expected, rtol=1e-6)
    np.testing.assert_array_equal(labels, np.array(["no", "yes"])[expected.argmax(1)])
    assert torch_state(module) == before  # still in training mode, same weights


def test_torch_module_evaluated_in_eval_mode_then_restored():
    module = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.9)).train()
    X = np.ones((200, 4), dtype=np.float32)
    proba, _ = reference_outputs(module, X, np.arange(2))
    # dropout off while predicting: identical rows give identical outputs
    np.testing.assert_allclose(proba, np.repeat(proba[:1], 200, axis=0), rtol=1e-6)
    assert module.training and module[1].training


def test_check_reference_errors():
    with pytest.raises(ValueError, match="reference is required"):
        check_reference(None)
    with pytest.raises(NotFittedError, match="not fitted"):
        check_reference(LogisticRegression())
    with pytest.raises(TypeError, match="reference must be a fitted classifier"):
        check_reference(object())


def test_class_mismatch_names_both_sets():
    with pytest.raises(ValueError, match=r"reference classes: \['a', 'b'\], new model"):
        check_reference_classes(np.array(["a", "b"]), np.array(["a", "c"]))
