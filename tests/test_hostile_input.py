"""Hostile input to the estimators: a clear error or correct behaviour, never silence.

Each case was a silent wrong result or an error a user could not act on
(issue 13). The reference model h1 must come out of every case bit-identical.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import torch_state
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from torch import nn

from sklearn_bc import (
    BackwardCompatibleClassifier,
    BackwardCompatibleClassifierCV,
    BackwardCompatibleUpdate,
)
from sklearn_bc._reference import reference_outputs


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    return X, y


class _BNNet(nn.Module):
    """Linear, BatchNorm, Dropout: weights, statistics and modes all can change."""

    def __init__(self, n_features=4, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, 8),
            nn.BatchNorm1d(8),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(8, n_classes),
        )

    def forward(self, X):
        return self.layers(X)


def _net(module, reference, **kwargs):
    params = dict(max_epochs=2, lr=0.1, train_split=None, verbose=0, batch_size=16)
    params.update(kwargs)
    return BackwardCompatibleClassifier(module, reference=reference, **params)


def _grads(module):
    return [p.grad for p in module.parameters()]


# -- module and reference the same object (fine-tuning h1 into h2)
def test_module_is_reference_trains_a_copy_and_h1_stays_bit_identical(data):
    X, y = data
    h1 = _BNNet().eval()
    before = torch_state(h1)
    net = _net(h1, h1).fit(X, y)
    assert torch_state(h1) == before  # weights, BN statistics, modes, flags
    assert all(g is None for g in _grads(h1))
    assert net.module_ is not h1
    trained = net.module_.state_dict()
    assert any(
        not torch.equal(trained[k], v) for k, v in h1.state_dict().items()
    )  # the copy did train


def test_module_is_reference_starts_from_h1s_weights(data):
    X, y = data
    h1 = _BNNet().eval()
    net = _net(h1, h1, max_epochs=0).fit(X, y)  # initialised, not trained
    for key, value in h1.state_dict().items():
        assert torch.equal(net.module_.state_dict()[key], value)
    assert_array_equal(net.predict(X), reference_outputs(h1, X, np.arange(3)).labels)


def test_module_containing_the_reference_trains_a_copy(data):
    X, y = data
    h1 = _BNNet().eval()
    before = torch_state(h1)
    h2 = nn.Sequential(h1, nn.ReLU(), nn.Linear(3, 3))
    _net(h2, h1).fit(X, y)
    assert torch_state(h1) == before
    assert all(g is None for g in _grads(h1))


def test_module_is_reference_in_the_cv_class(data):
    X, y = data
    h1 = _BNNet().eval()
    before = torch_state(h1)
    cv = BackwardCompatibleClassifierCV(
        h1, reference=h1, lambdas=[0.0, 1.0], cv=2, max_epochs=2,
        batch_size=16, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert cv.vectorised_  # BatchNorm's running statistics stacked, per point
    assert torch_state(h1) == before
    assert all(g is None for g in _grads(h1))
    assert cv.best_estimator_.module_ is not h1


def test_an_unrelated_module_instance_is_not_copied(data):
    # skorch trains a module instance in place; only sharing with h1 copies it
    X, y = data
    h1 = _BNNet().eval()
    h2 = _BNNet()
    assert _net(h2, h1).fit(X, y).module_ is h2


# -- h1's outputs: finite, and logits rather than probabilities
class _Constant(nn.Module):
    def __init__(self, rows):
        super().__init__()
        self.rows = torch.as_tensor(rows, dtype=torch.float32)
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return self.rows[: X.shape[0]] + 0 * self.dummy


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_torch_reference_with_non_finite_outputs_is_refused(data, bad):
    X, y = data
    rows = np.zeros((len(X), 3), dtype=np.float32)
    rows[7, 1] = bad
    h1 = _Constant(rows)
    with pytest.raises(ValueError, match=r"outputs must be finite.*1 of 60 rows.*7"):
        _net(_BNNet(), h1).fit(X, y)
    with pytest.raises(ValueError, match="must be finite"):
        BackwardCompatibleUpdate(LogisticRegression(), reference=h1).fit(X, y)


class _ProbaOnly:
    """A deployed model: predict, predict_proba and classes_, no fit."""

    def __init__(self, proba):
        self.proba = np.asarray(proba)
        self.classes_ = np.arange(self.proba.shape[1])

    def predict_proba(self, X):
        return self.proba[: len(X)]

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(1)]


def test_reference_without_fit_is_accepted(data):
    X, y = data
    proba = np.full((len(X), 3), 1 / 3)
    proba[:, 0] += 0.1
    proba[:, 1:] -= 0.05
    h1 = _ProbaOnly(proba)
    net = _net(_BNNet(), h1).fit(X, y)
    assert net.predict(X).shape == (60,)
    BackwardCompatibleUpdate(LogisticRegression(), reference=h1).fit(X, y)


def test_sklearn_reference_with_nan_proba_is_refused(data):
    X, y = data
    proba = np.full((len(X), 3), 1 / 3)
    proba[3] = np.nan
    with pytest.raises(ValueError, match="predict_proba outputs must be finite"):
        _net(_BNNet(), _ProbaOnly(proba)).fit(X, y)


def test_sklearn_reference_whose_proba_are_not_distributions_is_refused(data):
    X, y = data
    proba = np.full((len(X), 3), 0.5)  # rows sum to 1.5
    with pytest.raises(ValueError, match="must sum to 1 over the classes"):
        BackwardCompatibleUpdate(LogisticRegression(), reference=_ProbaOnly(proba)).fit(
            X, y
        )


def test_torch_reference_returning_probabilities_is_refused(data):
    X, y = data
    h1 = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    before = torch_state(h1)
    with pytest.raises(ValueError, match="seems to return probabilities"):
        _net(_BNNet(), h1).fit(X, y)
    assert torch_state(h1) == before


def test_torch_reference_returning_log_probabilities_equals_its_logits(data):
    X, _ = data
    linear = nn.Linear(4, 3)
    log_softmax = nn.Sequential(linear, nn.LogSoftmax(dim=1))
    from_logits = reference_outputs(linear, X, np.arange(3))
    from_log = reference_outputs(log_softmax, X, np.arange(3))
    assert_allclose(from_log.proba, from_logits.proba, rtol=1e-5, atol=1e-7)
    assert_array_equal(from_log.labels, from_logits.labels)


_ONE_HOT = np.eye(3)[[0, 1, 2, 0]]


@pytest.mark.parametrize(
    "proba, message",
    [
        (_ONE_HOT * 2 - 0.5, r"probabilities in \[0, 1\]; got values in \[-0.5, 1.5\]"),
        (_ONE_HOT * 0.5, "must sum to 1 over the classes in every row; 4 of 4"),
        (np.full((4, 3), np.nan), "reference_proba must be finite"),
        ([["a", "b", "c"]] * 4, "reference_proba must be a numeric array"),
    ],
)
def test_reference_proba_that_are_not_probabilities_are_refused(proba, message):
    X = np.random.RandomState(0).randn(4, 4).astype(np.float32)
    y = np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match=message):
        _net(_BNNet(), None).fit(X, y, reference_proba=proba)
    with pytest.raises(ValueError, match=message):
        BackwardCompatibleUpdate(LogisticRegression()).fit(X, y, reference_proba=proba)
    with pytest.raises(ValueError, match=message):
        BackwardCompatibleClassifierCV(_BNNet(), cv=2, max_epochs=1).fit(
            X, y, reference_proba=proba
        )


def test_float32_rounded_probabilities_are_accepted():
    X = np.random.RandomState(0).randn(6, 4).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.full((6, 3), 1 / 3, dtype=np.float32)  # rows sum to 1 - 3e-8
    _net(_BNNet(), None, max_epochs=1).fit(X, y, reference_proba=proba)


# -- parameters
def test_repeated_classes_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"classes must not repeat a label.*\[0\]"):
        _net(_BNNet(4, 4), nn.Linear(4, 4), classes=[0, 0, 1, 2]).fit(X, y)


@pytest.mark.parametrize("max_epochs", [-1, 1.5, "3", True])
def test_invalid_max_epochs_is_refused(data, max_epochs):
    X, y = data
    with pytest.raises(ValueError, match="max_epochs must be a non-negative int"):
        _net(_BNNet(), nn.Linear(4, 3), max_epochs=max_epochs).fit(X, y)


def test_max_epochs_zero_initialises_without_training(data):
    X, y = data
    net = _net(_BNNet(), nn.Linear(4, 3), max_epochs=0).fit(X, y)
    assert len(net.history) == 0


@pytest.mark.parametrize("device", ["mps", "xla", "cuda:7"])
def test_unavailable_device_is_refused_naming_it(data, device):
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has that many CUDA devices")
    X, y = data
    with pytest.raises(ValueError, match=rf"device='{device}'.*(not available)"):
        _net(_BNNet(), nn.Linear(4, 3), device=device).fit(X, y)
    with pytest.raises(ValueError, match=rf"device='{device}'"):
        BackwardCompatibleClassifierCV(_BNNet(), nn.Linear(4, 3), device=device).fit(
            X, y
        )


def test_label_outside_classes_without_reference_names_classes():
    X = np.random.RandomState(0).randn(6, 4).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.full((6, 2), 0.5)
    with pytest.raises(ValueError, match=r"not among classes: \[2\]; classes=\[0, 1\]"):
        _net(_BNNet(4, 2), None, classes=[0, 1]).fit(X, y, reference_proba=proba)


# -- torch references that cannot run on the input
class _DictOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, X):
        return {"logits": self.linear(X)}


def test_torch_reference_returning_a_dict_is_explained(data):
    X, y = data
    with pytest.raises(TypeError, match="must return a tensor of logits.*got dict"):
        _net(_BNNet(), _DictOutput()).fit(X, y)


def test_torch_reference_with_the_wrong_number_of_features_is_explained(data):
    X, y = data
    h1 = nn.Linear(10, 3)
    with pytest.raises(
        ValueError, match=r"reference module Linear failed on input of shape \(60, 4\)"
    ):
        _net(_BNNet(), h1).fit(X, y)


def test_sparse_input_reaches_a_torch_reference_as_dense_rows(data):
    X, y = data
    h1 = nn.Linear(4, 3)
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0))
    dense = reference_outputs(h1, X_sparse.toarray(), np.arange(3))
    sparse = reference_outputs(h1, X_sparse, np.arange(3))
    assert_allclose(sparse.proba, dense.proba)
    update = BackwardCompatibleUpdate(LogisticRegression(), reference=h1)
    update.fit(X_sparse, y)  # LogisticRegression takes sparse input itself
    assert update.predict(X_sparse).shape == (60,)


def test_non_numeric_input_to_a_torch_reference_is_explained():
    with pytest.raises(TypeError, match="torch reference needs numeric input"):
        reference_outputs(nn.Linear(2, 2), np.array([["a", "b"]], dtype=object), [0, 1])
