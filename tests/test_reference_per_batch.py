"""reference_outputs="per_batch": h1 run on every training batch (augmentation)."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import FixedInitMLP, torch_state
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNetClassifier
from skorch.dataset import ValidSplit
from torch import nn

from sklearn_bc import BackwardCompatibleClassifier
from sklearn_bc._batch_reference import batch_reference_outputs
from sklearn_bc._reference import reference_logits, reference_outputs


class NoisyDataset(torch.utils.data.Dataset):
    """Items ``(x + scale * noise, y)``: a new random input every epoch."""

    def __init__(self, X, y, scale=0.0):
        self.X = torch.as_tensor(X)
        self.y = torch.as_tensor(y)
        self.scale = scale

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i]
        if self.scale:
            x = x + self.scale * torch.randn(x.shape, dtype=x.dtype)
        return x, self.y[i]


class RecordingMLP(FixedInitMLP):
    """A torch h1 that keeps every input it is called on and its outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inputs, self.outputs = [], []

    def forward(self, X):
        out = super().forward(X)
        self.inputs.append(X.detach().clone())
        self.outputs.append(out.detach().clone())
        return out


class RecordingLogisticRegression(LogisticRegression):
    """A scikit-learn h1 that keeps every input of its predict_proba."""

    def predict_proba(self, X):
        self.recorded.append(np.array(X, copy=True))
        return super().predict_proba(X)


class TwoInputs(nn.Module):
    """A module with a dict input: ``forward(a, b)``."""

    def __init__(self, n_classes=3):
        super().__init__()
        generator = torch.Generator().manual_seed(7)
        self.a = nn.Linear(4, n_classes)
        self.b = nn.Linear(2, n_classes)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) / 2)

    def forward(self, a, b):
        return self.a(a) + self.b(b)


def _data(n=48, n_features=6, n_classes=3, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, n_features).astype(dtype)
    y = rng.randint(0, n_classes, n)
    return X, y


def _record_training_inputs(module):
    """h2's inputs and outputs in training mode, in call order."""
    records = []

    def hook(m, args, out):
        if m.training:
            records.append((args[0].detach().clone(), out.detach().clone()))

    module.register_forward_hook(hook)
    return records


def _fit(module, reference, X, y=None, **params):
    torch.manual_seed(0)
    params = {
        "max_epochs": 3,
        "batch_size": 16,
        "lr": 0.1,
        "train_split": None,
        "verbose": 0,
        **params,
    }
    net = BackwardCompatibleClassifier(module, reference=reference, **params)
    return net.fit(X, y)


def _weights(net):
    return [p.detach().double().numpy() for p in net.module_.parameters()]


@pytest.mark.parametrize(
    "dissonance", ["new_error", "strict_imitation", "focal_distillation"]
)
def test_per_batch_trains_as_once_on_arrays(dissonance):
    X, y = _data(dtype=np.float32)
    h1 = FixedInitMLP()
    nets = [
        _fit(
            nn.Linear,
            h1,
            X,
            y,
            module__in_features=6,
            module__out_features=3,
            dissonance=dissonance,
            lambda_c=0.7,
            reference_outputs=mode,
        )
        for mode in ("once", "per_batch")
    ]
    assert_allclose(
        nets[0].history[:, "train_loss"], nets[1].history[:, "train_loss"], rtol=1e-6
    )
    for once, per_batch in zip(*map(_weights, nets), strict=True):
        assert_allclose(once, per_batch, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dissonance", ["strict_imitation", "logit_inhibition"])
def test_per_batch_trains_as_once_on_a_fixed_dataset(dissonance):
    # float64 h2 with fixed initial weights; a Dataset without random transforms
    X, y = _data()
    h1 = FixedInitMLP()
    nets = [
        _fit(
            FixedInitMLP(),
            h1,
            NoisyDataset(X, y),
            dissonance=dissonance,
            lambda_c=0.6,
            reference_outputs=mode,
        )
        for mode in ("once", "per_batch")
    ]
    for once, per_batch in zip(*map(_weights, nets), strict=True):
        assert_allclose(once, per_batch, rtol=1e-6, atol=1e-10)


def test_h1_gets_the_augmented_batches_and_its_outputs_enter_the_loss():
    X, y = _data()
    h1, h2 = RecordingMLP(), FixedInitMLP()
    h2_records = _record_training_inputs(h2)
    lambda_c, batch_size = 0.7, 16
    net = _fit(
        h2,
        h1,
        NoisyDataset(X, y, scale=0.5),
        dissonance="strict_imitation",
        lambda_c=lambda_c,
        max_epochs=2,
        batch_size=batch_size,
        iterator_train__shuffle=False,  # batch k holds rows k*16 to k*16 + 15
        reference_outputs="per_batch",
    )
    n_batches = len(X) // batch_size
    # one pass over the items for the cache, then one call per training batch
    assert len(h1.inputs) == n_batches + 2 * n_batches == n_batches + len(h2_records)
    for seen_by_h1, (seen_by_h2, _) in zip(
        h1.inputs[n_batches:], h2_records, strict=True
    ):
        assert torch.equal(seen_by_h1, seen_by_h2)
    # the augmentation made the cached pass see another input than training
    assert not torch.allclose(h1.inputs[0], h1.inputs[n_batches])

    batches = [b["train_loss"] for epoch in net.history for b in epoch["batches"]]
    for k in (0, n_batches + 1):  # first batch of epoch 1, second of epoch 2
        rows = slice((k % n_batches) * batch_size, (k % n_batches + 1) * batch_size)
        y_b = torch.as_tensor(y[rows])
        h2_logits = h2_records[k][1]
        h1_proba = torch.softmax(h1.outputs[n_batches + k].float(), dim=1).double()
        correct = (h1_proba.argmax(dim=1) == y_b).double()
        ce = F.cross_entropy(h2_logits, y_b, reduction="none")
        imitation = -(h1_proba * torch.log_softmax(h2_logits, dim=1)).sum(dim=1)
        expected = ce.mean() + lambda_c * (correct * imitation).sum() / correct.sum()
        assert batches[k] == pytest.approx(expected.item(), rel=1e-6)
        # the cached outputs (first pass, other noise) give another loss
        cached = torch.softmax(h1.outputs[k % n_batches].float(), dim=1).double()
        cached_correct = (cached.argmax(dim=1) == y_b).double()
        cached_imitation = -(cached * torch.log_softmax(h2_logits, dim=1)).sum(dim=1)
        stale = ce.mean() + lambda_c * (
            cached_correct * cached_imitation
        ).sum() / cached_correct.sum().clamp(min=1)
        assert batches[k] != pytest.approx(stale.item(), rel=1e-3)


def test_validation_batches_keep_the_cache():
    X, y = _data(n=60)
    h1 = RecordingMLP()
    net = _fit(
        FixedInitMLP(),
        h1,
        NoisyDataset(X, y, scale=0.3),
        max_epochs=2,
        batch_size=16,
        train_split=ValidSplit(5),
        reference_outputs="per_batch",
    )
    n_cache_pass = 4  # ceil(60 / 16) calls over all items
    n_train_batches = 3  # ceil(48 / 16)
    assert len(h1.inputs) == n_cache_pass + 2 * n_train_batches
    assert np.all(np.isfinite(net.history[:, "valid_loss"]))


@pytest.mark.parametrize("training", [True, False])
def test_h1_stays_bit_identical(training):
    X, y = _data()
    h1 = FixedInitMLP(batch_norm=True)
    h1.train(training)
    before = torch_state(h1)
    buffers = {k: v.clone() for k, v in h1.named_buffers()}
    _fit(
        FixedInitMLP(),
        h1,
        NoisyDataset(X, y, scale=0.5),
        dissonance="focal_distillation",
        reference_outputs="per_batch",
    )
    assert torch_state(h1) == before
    assert [m.training for m in h1.modules()] == [training] * len(list(h1.modules()))
    for name, value in h1.named_buffers():
        assert torch.equal(value, buffers[name]), name
    assert all(p.grad is None for p in h1.parameters())


@pytest.mark.parametrize("dissonance", ["new_error", "focal_distillation"])
def test_sklearn_reference_per_batch(digits, dissonance):
    X, y, _, _ = digits
    X, y = X[:200], y[:200]
    h1 = RecordingLogisticRegression(C=0.05, max_iter=2000).fit(X[:100], y[:100])
    h1.recorded = []
    h2_init = nn.Linear(64, 10)
    h2 = copy.deepcopy(h2_init)
    h2_records = _record_training_inputs(h2)
    net = _fit(
        h2,
        h1,
        X,
        y,
        max_epochs=2,
        batch_size=64,
        dissonance=dissonance,
        reference_outputs="per_batch",
    )
    assert len(h1.recorded) == 1 + len(h2_records) == 1 + 2 * 4
    assert h1.recorded[0].shape == X.shape  # the once-per-fit cache
    for seen_by_h1, (seen_by_h2, _) in zip(h1.recorded[1:], h2_records, strict=True):
        assert isinstance(seen_by_h1, np.ndarray)
        np.testing.assert_array_equal(seen_by_h1, seen_by_h2.numpy())
    h1.recorded = []
    once = _fit(
        copy.deepcopy(h2_init),
        h1,
        X,
        y,
        max_epochs=2,
        batch_size=64,
        dissonance=dissonance,
    )
    assert_allclose(
        net.history[:, "train_loss"], once.history[:, "train_loss"], rtol=1e-5
    )


def test_skorch_reference_per_batch():
    X, y = _data(dtype=np.float32)
    torch.manual_seed(1)
    h1 = NeuralNetClassifier(
        nn.Linear,
        module__in_features=6,
        module__out_features=3,
        criterion=nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
    ).fit(X, y)
    before = torch_state(h1.module_)
    nets = [
        _fit(
            nn.Linear,
            h1,
            X,
            y,
            module__in_features=6,
            module__out_features=3,
            dissonance="focal_distillation",
            reference_outputs=mode,
        )
        for mode in ("once", "per_batch")
    ]
    assert torch_state(h1.module_) == before
    assert not nets[1].h1_logits_from_proba_
    for once, per_batch in zip(*map(_weights, nets), strict=True):
        assert_allclose(once, per_batch, rtol=1e-5, atol=1e-7)


def test_dict_input_per_batch():
    rng = np.random.RandomState(0)
    X = {
        "a": rng.randn(40, 4).astype(np.float32),
        "b": rng.randn(40, 2).astype(np.float32),
    }
    y = rng.randint(0, 3, 40)
    h1 = TwoInputs()
    before = torch_state(h1)
    nets = [
        _fit(
            TwoInputs,
            h1,
            X,
            y,
            dissonance="churn_distillation",
            reference_outputs=mode,
        )
        for mode in ("once", "per_batch")
    ]
    assert torch_state(h1) == before
    for once, per_batch in zip(*map(_weights, nets), strict=True):
        assert_allclose(once, per_batch, rtol=1e-6, atol=1e-8)


# -- the function the training loops call


@pytest.mark.parametrize("with_logits", [False, True])
def test_batch_reference_outputs_match_the_once_per_fit_outputs(digits, with_logits):
    X, y, _, _ = digits
    classes = np.arange(10)
    h1_torch = FixedInitMLP(n_features=64, n_classes=10)
    h1_sklearn = LogisticRegression(C=0.05, max_iter=2000).fit(X[:150], y[:150])
    Xb, yb = torch.as_tensor(X[:32]), torch.as_tensor(y[:32], dtype=torch.int64)
    for h1 in (h1_torch, h1_sklearn):
        proba, correct, logits = batch_reference_outputs(
            h1, Xb, yb, classes, with_logits=with_logits
        )
        assert proba.dtype == torch.float32 and proba.shape == (32, 10)
        assert correct.dtype == torch.bool and correct.shape == (32,)
        once = reference_logits(h1, X[:32], classes)
        assert_allclose(proba.numpy(), once.proba, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(correct.numpy(), once.labels == y[:32])
        if with_logits:
            assert logits.dtype == torch.float32
            assert_allclose(logits.numpy(), once.logits, rtol=1e-6, atol=1e-6)
        else:
            assert logits is None
            np.testing.assert_array_equal(
                reference_outputs(h1, X[:32], classes).labels, once.labels
            )


def test_batch_reference_outputs_logits_kind():
    X, y = _data(n=8, dtype=np.float32)
    Xb, yb = torch.as_tensor(X), torch.as_tensor(y)
    classes = np.arange(3)
    proba, _, logits = batch_reference_outputs(
        FixedInitMLP(), Xb, yb, classes, with_logits=True, logits_from_proba=True
    )
    assert_allclose(logits.numpy(), np.log(np.maximum(proba.numpy(), 1e-6)))

    class NoScores:  # predict_proba only: its logits are log-probabilities
        classes_ = classes

        def predict(self, X):
            return classes[self.predict_proba(X).argmax(axis=1)]

        def predict_proba(self, X):
            return np.full((len(X), 3), 1 / 3)

    with pytest.raises(ValueError, match="logits_from_proba=False"):
        batch_reference_outputs(NoScores(), Xb, yb, classes, with_logits=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batch_reference_outputs_devices():
    X, y = _data(n=8)
    h1 = FixedInitMLP()  # on the CPU, h2's batch on the GPU
    Xb = torch.as_tensor(X, device="cuda")
    yb = torch.as_tensor(y, device="cuda")
    outputs = batch_reference_outputs(h1, Xb, yb, np.arange(3), with_logits=True)
    assert all(t.device.type == "cuda" for t in outputs)
    assert all(p.device.type == "cpu" for p in h1.parameters())


# -- the parameter


@pytest.mark.parametrize("value", ["always", None, 1, "PER_BATCH"])
def test_bad_value_is_refused(value):
    X, y = _data(dtype=np.float32)
    with pytest.raises(ValueError, match='reference_outputs must be "once" or'):
        _fit(
            nn.Linear,
            FixedInitMLP(),
            X,
            y,
            module__in_features=6,
            module__out_features=3,
            reference_outputs=value,
        )


def test_per_batch_needs_a_reference_to_run():
    X, y = _data(dtype=np.float32)
    proba = np.full((len(X), 3), 1 / 3)
    kwargs = dict(
        module__in_features=6, module__out_features=3, reference_outputs="per_batch"
    )
    with pytest.raises(ValueError, match='reference_outputs="per_batch".*reference '):
        _fit(nn.Linear, None, X, y, **kwargs)
    net = BackwardCompatibleClassifier(nn.Linear, None, train_split=None, **kwargs)
    with pytest.raises(ValueError, match="reference is None"):
        net.fit(X, y, reference_proba=proba)
    net = BackwardCompatibleClassifier(
        nn.Linear, FixedInitMLP(), train_split=None, **kwargs
    )
    with pytest.raises(ValueError, match='reference_outputs="per_batch".*proba'):
        net.fit(X, y, reference_proba=proba)
    with pytest.raises(ValueError, match="do not pass reference_proba"):
        net.partial_fit(X, y, reference_proba=proba)


def test_parameter_round_trip():
    h1 = FixedInitMLP()
    net = BackwardCompatibleClassifier(nn.Linear, reference=h1)
    assert net.get_params()["reference_outputs"] == "once"
    net.set_params(reference_outputs="per_batch")
    assert net.reference_outputs == "per_batch"
    copy = clone(net)
    assert copy.get_params()["reference_outputs"] == "per_batch"
    assert copy.reference is h1
    # stored verbatim, checked in fit
    assert (
        BackwardCompatibleClassifier(nn.Linear, reference_outputs="x").get_params()[
            "reference_outputs"
        ]
        == "x"
    )
