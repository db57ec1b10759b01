"""The distillation dissonances trained by the classifier and the CV sweep."""

import numpy as np
import pytest
import torch
from conftest import FixedInitMLP, fingerprint, torch_state
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from skorch import NeuralNetClassifier
from torch import nn

from sklearn_bc import (
    BackwardCompatibleClassifier,
    BackwardCompatibleClassifierCV,
    ChurnDistillationLoss,
    FocalDistillationLoss,
    LogitInhibitionLoss,
)
from sklearn_bc._reference import reference_logits
from sklearn_bc.modules import MLPModule

DISTILLATIONS = ("focal_distillation", "logit_inhibition", "churn_distillation")
# non-default settings, so that a sweep that dropped one would be seen
KNOBS = dict(
    focal_alpha=0.5,
    focal_beta=3.0,
    distill_distance="logit_mse",
    temperature=2.0,
    inhibition_margin=0.3,
    inhibition_p=1.5,
)
LEARNED = 0.5  # "it learned" on 10 digits (chance 0.1); never pinned closer


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_net(reference, dissonance, **params):
    defaults = dict(
        module=MLPModule,
        module__n_features=64,
        module__n_classes=10,
        module__hidden=(32,),
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=3,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    defaults.update(params)
    return BackwardCompatibleClassifier(
        reference=reference, dissonance=dissonance, **defaults
    )


# -- the classifier
@pytest.mark.parametrize("dissonance", DISTILLATIONS)
def test_each_distillation_trains_and_leaves_h1_alone(digits, fitted_h1, dissonance):
    X, y, X_test, y_test = digits
    before = fingerprint(fitted_h1)
    net = make_net(fitted_h1, dissonance, lambda_c=0.5, max_epochs=5).fit(X, y)
    assert np.mean(net.predict(X_test) == y_test) > LEARNED
    assert fingerprint(fitted_h1) == before
    assert not net.h1_logits_from_proba_  # decision_function: real logits
    expected = {
        "focal_distillation": FocalDistillationLoss,
        "logit_inhibition": LogitInhibitionLoss,
        "churn_distillation": ChurnDistillationLoss,
    }[dissonance]
    assert type(net.criterion_) is expected


@pytest.mark.parametrize("dissonance", DISTILLATIONS)
def test_gradient_reaches_h2_only_and_torch_h1_is_bit_identical(digits, dissonance):
    X, y, _, _ = digits
    h1 = nn.Sequential(nn.Linear(64, 10))
    h1.train()  # its mode must survive too
    before = torch_state(h1)
    net = make_net(h1, dissonance, lambda_c=1.0, max_epochs=2, **KNOBS)
    net.fit(X[:300], y[:300])
    assert torch_state(h1) == before
    assert all(p.grad is None for p in h1.parameters())
    assert any(p.grad is not None for p in net.module_.parameters())
    with torch.no_grad():
        expected = h1(torch.as_tensor(X[:300])).numpy()
    dataset, _ = net._prepare_fit(X[:300], y[:300], None, reset=False)
    assert_array_equal(dataset.h1_logits.numpy(), expected)  # its raw outputs


@pytest.mark.parametrize("dissonance", DISTILLATIONS)
def test_lambda_c_zero_is_plain_training(digits, fitted_h1, dissonance):
    X, y, _, _ = digits
    torch.manual_seed(3)
    plain = make_net(fitted_h1, "new_error", lambda_c=0.0).fit(X, y)
    torch.manual_seed(3)
    distilled = make_net(fitted_h1, dissonance, lambda_c=0.0, **KNOBS).fit(X, y)
    for name, value in plain.module_.state_dict().items():
        # the same loss, written as a weighted sum or as a mean: float32 rounding
        assert_allclose(
            distilled.module_.state_dict()[name].numpy(), value.numpy(), atol=1e-5
        )


def test_new_error_caches_no_logits(digits, fitted_h1):
    X, y, _, _ = digits
    net = make_net(fitted_h1, "new_error")
    dataset, _ = net._prepare_fit(X, y, None, reset=True)
    assert dataset.h1_logits is None


def test_cached_logits_of_logistic_regression_are_its_decision_function(digits):
    X, y, _, _ = digits
    h1 = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    net = make_net(h1, "focal_distillation")
    dataset, _ = net._prepare_fit(X, y, None, reset=True)
    assert_allclose(dataset.h1_logits.numpy(), h1.decision_function(X), rtol=1e-5)
    assert_allclose(dataset.h1_proba.numpy(), h1.predict_proba(X), atol=1e-6)
    assert not net.h1_logits_from_proba_


def test_binary_decision_function_gives_logits_zero_and_d():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    h1 = LogisticRegression().fit(X, y)
    out = reference_logits(h1, X, np.array([0, 1]))
    d = h1.decision_function(X)
    assert_allclose(out.logits, np.stack([np.zeros_like(d), d], axis=1), rtol=1e-5)
    # softmax([0, d]) is the model's own probability
    proba = torch.softmax(torch.as_tensor(out.logits), 1).numpy()
    assert_allclose(proba, h1.predict_proba(X), atol=1e-5)
    assert not out.from_proba


def test_reference_proba_gives_log_probabilities_compared_centred(digits, fitted_h1):
    X, y, _, _ = digits
    proba = fitted_h1.predict_proba(X)
    net = make_net(None, "focal_distillation", distill_distance="logit_mse")
    net.fit(X, y, reference_proba=proba)
    assert net.h1_logits_from_proba_
    assert net.criterion_.center_logits
    dataset, _ = net._prepare_fit(X, y, proba, reset=False)
    logits = dataset.h1_logits.numpy().astype(np.float64)
    centred = logits - logits.mean(1, keepdims=True)
    log_proba = np.log(proba.astype(np.float32).astype(np.float64))
    assert_allclose(centred, log_proba - log_proba.mean(1, keepdims=True), atol=1e-5)


def test_a_model_without_logits_gives_floored_log_probabilities(digits):
    X, y, _, _ = digits
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X[:200], y[:200])
    out = reference_logits(tree, X, np.arange(10))
    assert out.from_proba
    assert np.all(np.isfinite(out.logits))  # log 0 floored, not -inf
    assert_array_equal(out.logits.argmax(1), tree.predict_proba(X).argmax(1))


@pytest.mark.parametrize(
    "criterion, from_proba",
    [(nn.CrossEntropyLoss, False), (nn.NLLLoss, True)],
)
def test_skorch_reference_logits_follow_its_criterion(digits, criterion, from_proba):
    X, y, _, _ = digits
    module = MLPModule(n_features=64, n_classes=10, hidden=(8,))
    if criterion is nn.NLLLoss:
        module = nn.Sequential(module, nn.Softmax(dim=1))  # skorch's classic output
    h1 = NeuralNetClassifier(
        module, criterion=criterion, max_epochs=1, train_split=None, verbose=0
    ).fit(X[:200], y[:200])
    before = [torch_state(m) for m in (h1.module_, h1.criterion_)]
    out = reference_logits(h1, X[:50], np.arange(10))
    assert [torch_state(m) for m in (h1.module_, h1.criterion_)] == before
    assert out.from_proba is from_proba
    if from_proba:
        expected = np.log(np.maximum(h1.predict_proba(X[:50]), 1e-6))
    else:
        expected = h1.forward(X[:50], training=False).numpy()
    assert_allclose(out.logits, expected, rtol=1e-5, atol=1e-6)


def test_item_input_with_a_torch_reference_caches_its_logits(digits):
    X, y, _, _ = digits
    h1 = nn.Linear(64, 10)
    dataset = torch.utils.data.TensorDataset(
        torch.as_tensor(X[:200]), torch.as_tensor(y[:200])
    )
    net = make_net(h1, "churn_distillation", max_epochs=1).fit(dataset, None)
    assert net.predict(X[:5]).shape == (5,)
    items, _ = net._prepare_fit(dataset, None, None, reset=False)
    with torch.no_grad():
        assert_allclose(items.h1_logits.numpy(), h1(torch.as_tensor(X[:200])).numpy())


def test_knobs_are_parameters_that_survive_clone(fitted_h1):
    for cls in (BackwardCompatibleClassifier, BackwardCompatibleClassifierCV):
        est = cls(MLPModule, fitted_h1, **KNOBS)
        params = clone(est).get_params()
        assert {k: params[k] for k in KNOBS} == KNOBS
        assert clone(est).reference is fitted_h1


def test_set_params_rebuilds_the_criterion(digits, fitted_h1):
    X, y, _, _ = digits
    net = make_net(fitted_h1, "focal_distillation", max_epochs=1).fit(X, y)
    net.set_params(temperature=3.0)
    assert net.criterion_.temperature == 3.0


BAD = [
    ({"focal_alpha": -1.0}, "focal_alpha"),
    ({"focal_beta": "5"}, "focal_beta"),
    ({"distill_distance": "l2"}, "distill_distance"),
    ({"temperature": 0.0}, "temperature"),
    ({"inhibition_margin": -0.1}, "inhibition_margin"),
    ({"inhibition_p": 0}, "inhibition_p"),
    ({"base_loss": "nll"}, "base_loss must be 'cross_entropy'"),
]


@pytest.mark.parametrize("params, match", BAD)
def test_bad_settings_are_refused_in_fit_naming_the_parameter(
    digits, fitted_h1, params, match
):
    X, y, _, _ = digits
    net = make_net(fitted_h1, "focal_distillation", **params)  # stored as given
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)
    search = BackwardCompatibleClassifierCV(
        MLPModule, fitted_h1, dissonances=("logit_inhibition",), cv=None,
        max_epochs=1, **params,
    )  # fmt: skip
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


# -- the vectorised sweep, in float64


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    h1 = LogisticRegression(max_iter=200).fit(X[:40], y[:40])
    return X.astype(np.float32), y, h1


def _loss_module(dissonance, lambda_c, knobs, center_logits):
    if dissonance == "focal_distillation":
        return FocalDistillationLoss(
            lambda_c, distance=knobs["distill_distance"], alpha=knobs["focal_alpha"],
            beta=knobs["focal_beta"], temperature=knobs["temperature"],
            center_logits=center_logits,
        )  # fmt: skip
    if dissonance == "logit_inhibition":
        return LogitInhibitionLoss(
            lambda_c, margin=knobs["inhibition_margin"], p=knobs["inhibition_p"],
            alpha=knobs["focal_alpha"], beta=knobs["focal_beta"],
            center_logits=center_logits,
        )  # fmt: skip
    return ChurnDistillationLoss(lambda_c)


def sequential_fit(X, y, logits, correct, loss_fn, *, seed, epochs, bs):
    """One point alone, with the public loss modules and a plain loop."""
    module = FixedInitMLP()
    X, y = torch.as_tensor(X).double(), torch.as_tensor(y)
    logits = torch.as_tensor(logits).double()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(y), generator=generator).split(bs):
            optimizer.zero_grad()
            loss = loss_fn(
                module(X[batch]), y[batch], logits[batch], h1_correct=correct[batch]
            )
            loss.backward()
            optimizer.step()
    return module


def batch_seed(random_state):
    return int(
        np.random.RandomState(random_state).randint(np.iinfo(np.int32).max, size=2)[1]
    )


@pytest.mark.parametrize("distance", ["kl", "logit_mse"])
@pytest.mark.parametrize("given_proba", [False, True])
def test_each_stacked_distillation_point_matches_the_point_trained_alone(
    data, distance, given_proba
):
    X, y, h1 = data
    knobs = {**KNOBS, "distill_distance": distance}
    proba = h1.predict_proba(X) if given_proba else None
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP, None if given_proba else h1, lambdas=[0.0, 0.4, 1.0],
        dissonances=("new_error", *DISTILLATIONS), cv=None, max_epochs=3,
        batch_size=32, lr=0.05, optimizer__momentum=0.9, random_state=0, **knobs,
    ).fit(X, y, reference_proba=proba)  # fmt: skip
    assert search.vectorised_
    if given_proba:
        logits = np.log(np.maximum(proba.astype(np.float32), 1e-6))
        correct = torch.as_tensor(proba.argmax(1) == y)
    else:
        logits = h1.decision_function(X).astype(np.float32)
        correct = torch.as_tensor(h1.predict(X) == y)
    for i, params in enumerate(search.cv_results_["params"]):
        if params["dissonance"] == "new_error":
            continue
        loss_fn = _loss_module(
            params["dissonance"], params["lambda_c"], knobs, given_proba
        )
        module = sequential_fit(
            X, y, logits, correct, loss_fn, seed=batch_seed(0), epochs=3, bs=32
        )
        for name, value in module.state_dict().items():
            assert_allclose(
                search.final_states_[name][i].numpy(), value.numpy(), rtol=0,
                atol=1e-10, err_msg=f"{params} {name}",
            )  # fmt: skip


def test_best_estimator_of_a_distillation_sweep_is_a_fitted_classifier(data):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule, h1, lambdas=[0.5], dissonances="focal_distillation", cv=2,
        max_epochs=2, batch_size=32, lr=0.05, random_state=0, module__n_features=6,
        module__n_classes=3, **KNOBS,
    ).fit(X, y)  # fmt: skip
    best = search.best_estimator_
    assert best.dissonance == "focal_distillation"
    assert best.criterion_.distance == KNOBS["distill_distance"]
    assert_array_equal(best.predict(X), search.predict_all(X)[best.dissonance, 0.5])


def test_predefined_split_validation_rows_get_h1_logits(digits, fitted_h1):
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    X, y, X_test, y_test = digits
    net = make_net(
        fitted_h1, "focal_distillation", lambda_c=0.5, max_epochs=1,
        train_split=predefined_split(Dataset(X_test, y_test)),
        iterator_valid__batch_size=len(X_test),  # one batch: the loss by hand
    ).fit(X, y)  # fmt: skip
    with torch.no_grad():
        h2_logits = net.forward(X_test, training=False)
    expected = FocalDistillationLoss(0.5)(
        h2_logits,
        torch.as_tensor(y_test),
        torch.as_tensor(fitted_h1.decision_function(X_test), dtype=torch.float32),
        h1_correct=torch.as_tensor(fitted_h1.predict(X_test) == y_test),
    )
    assert_allclose(net.history[-1, "valid_loss"], expected.item(), rtol=1e-5)


def test_hard_imitation_merges_strict_imitation_only():
    from sklearn_bc._vectorised import Points

    pairs = [("new_error", 0.5), ("strict_imitation", 0.5),
             ("focal_distillation", 0.5), ("churn_distillation", 0.0)]  # fmt: skip
    keep, expand = Points(pairs, "cpu").distinct("hard")
    assert keep == [0, 2, 3]  # strict imitation of h1's label is new error
    assert_array_equal(expand, [0, 0, 1, 2])
