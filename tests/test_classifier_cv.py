import hashlib
import pickle

import numpy as np
import pytest
import torch
from conftest import FixedInitMLP
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from sklearn_bc import (
    BackwardCompatibleClassifier,
    BackwardCompatibleClassifierCV,
    NewErrorLoss,
    StrictImitationLoss,
    btc_score,
)
from sklearn_bc._reference import reference_outputs
from sklearn_bc._stack import _Stack
from sklearn_bc._vectorised import Points, predict_outputs
from sklearn_bc.losses import _compatibility_loss
from sklearn_bc.modules import MLPModule

METRICS = ("accuracy", "btc", "bec", "nfr", "pfr", "reference_accuracy")


@pytest.fixture(autouse=True)
def one_thread():
    # tiny matrices: threads only add contention on a busy machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    h1 = LogisticRegression(max_iter=200).fit(X[:40], y[:40])
    return X.astype(np.float32), y, h1


def sequential_fit(
    module, X, y, h1, dissonance, lambda_c, *, seed, epochs, bs, opt, target="soft"
):
    """The reference loop: one point alone, with the public loss modules."""
    proba, labels = reference_outputs(h1, X, np.unique(y))
    proba = torch.as_tensor(proba).double()
    correct = torch.as_tensor(labels == y)
    X, y = torch.as_tensor(X).double(), torch.as_tensor(y)
    if dissonance == "new_error":
        loss_fn = NewErrorLoss(lambda_c)
    else:
        loss_fn = StrictImitationLoss(lambda_c, target=target)
    optimizer = opt[0](module.parameters(), **opt[1])
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(y), generator=generator).split(bs):
            optimizer.zero_grad()
            loss = loss_fn(
                module(X[batch]), y[batch], proba[batch], h1_correct=correct[batch]
            )
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(y))
    return module, np.array(losses)


def batch_seed(random_state):
    return int(
        np.random.RandomState(random_state).randint(np.iinfo(np.int32).max, size=2)[1]
    )


OPTIMIZERS = {
    "sgd_momentum": (
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3},
    ),
    "adam": (torch.optim.Adam, {"lr": 0.01}),
}


@pytest.mark.parametrize("opt_name", OPTIMIZERS)
def test_each_stacked_point_matches_the_point_trained_alone(data, opt_name):
    X, y, h1 = data
    opt_cls, opt_kw = OPTIMIZERS[opt_name]
    lambdas = [0.0, 0.3, 1.0]
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP,
        h1,
        lambdas=lambdas,
        cv=None,
        max_epochs=3,
        batch_size=32,
        optimizer=opt_cls,
        lr=opt_kw["lr"],
        random_state=0,
        **{f"optimizer__{k}": v for k, v in opt_kw.items() if k != "lr"},
    ).fit(X, y)
    assert search.vectorised_
    for i, params in enumerate(search.cv_results_["params"]):
        module, losses = sequential_fit(
            FixedInitMLP(),
            X,
            y,
            h1,
            params["dissonance"],
            params["lambda_c"],
            seed=batch_seed(0),
            epochs=3,
            bs=32,
            opt=(opt_cls, opt_kw),
        )
        for name, value in module.state_dict().items():
            assert_allclose(
                search.final_states_[name][i].numpy(), value.numpy(), rtol=0, atol=1e-10
            )
        assert_allclose(search.train_loss_[i], losses, rtol=1e-10)


@pytest.mark.parametrize("vectorise", [True, False])
def test_predictions_in_chunks_equal_each_models_outputs(vectorise):
    torch.manual_seed(0)
    modules = [MLPModule(n_features=5, n_classes=3, hidden=(7,)) for _ in range(3)]
    states = _Stack(modules).state_dicts()
    X = torch.randn(20, 5)  # 20 rows in chunks of 7: 7, 7 and 6
    out = predict_outputs(
        modules[0], states, X, vectorise=vectorise, transform=lambda o: o * 2,
        chunk_rows=7,
    )  # fmt: skip
    assert out.shape == (3, 20, 3)
    with torch.no_grad():
        for m, module in enumerate(modules):
            assert_allclose(out[m].numpy(), 2 * module(X).numpy(), rtol=1e-6)


def test_split_scores_are_those_of_the_points_trained_on_the_split_alone(data):
    # the split's batches are gathered from all rows through its row index
    X, y, h1 = data
    rng = np.random.RandomState(3)
    test = np.sort(rng.choice(len(y), size=40, replace=False))
    train = np.setdiff1d(np.arange(len(y)), test)
    opt = OPTIMIZERS["adam"]
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP, h1, lambdas=[0.0, 0.8], cv=[(train, test)], refit=False,
        max_epochs=2, batch_size=16, optimizer=opt[0], lr=opt[1]["lr"],
        scoring=("accuracy", "btc"), random_state=5,
    ).fit(X, y)  # fmt: skip
    h1_test = h1.predict(X[test])
    for i, params in enumerate(search.cv_results_["params"]):
        module, _ = sequential_fit(
            FixedInitMLP(), X[train], y[train], h1, params["dissonance"],
            params["lambda_c"], seed=batch_seed(5), epochs=2, bs=16, opt=opt,
        )  # fmt: skip
        with torch.no_grad():
            pred = module(torch.as_tensor(X[test]).double()).argmax(1).numpy()
        results = search.cv_results_
        assert results["split0_test_accuracy"][i] == np.mean(pred == y[test])
        assert results["split0_test_btc"][i] == btc_score(y[test], h1_test, pred)


def test_points_that_train_the_same_model_are_found():
    pairs = [("new_error", 0.0), ("new_error", 0.5), ("strict_imitation", 0.0),
             ("strict_imitation", 0.5), ("strict_imitation", 1.0)]  # fmt: skip
    points = Points(pairs, "cpu")
    keep, expand = points.distinct("soft")
    assert keep == [0, 1, 3, 4]
    assert_array_equal(expand, [0, 1, 0, 2, 3])
    keep, expand = points.distinct("hard")  # hard imitation is new error
    assert keep == [0, 1, 4]
    assert_array_equal(expand, [0, 1, 0, 1, 2])


def test_hard_imitation_points_match_the_points_trained_alone(data):
    X, y, h1 = data
    opt = OPTIMIZERS["sgd_momentum"]
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP, h1, lambdas=[0.0, 0.6], imitation_target="hard", cv=None,
        max_epochs=2, batch_size=32, optimizer=opt[0], lr=opt[1]["lr"],
        optimizer__momentum=0.9, optimizer__weight_decay=1e-3, random_state=0,
    ).fit(X, y)  # fmt: skip
    for i, params in enumerate(search.cv_results_["params"]):
        module, losses = sequential_fit(
            FixedInitMLP(), X, y, h1, params["dissonance"], params["lambda_c"],
            seed=batch_seed(0), epochs=2, bs=32, opt=opt, target="hard",
        )  # fmt: skip
        for name, value in module.state_dict().items():
            assert_allclose(
                search.final_states_[name][i].numpy(), value.numpy(), rtol=0, atol=1e-10
            )
        assert_allclose(search.train_loss_[i], losses, rtol=1e-10)


def test_non_elementwise_optimizer_falls_back(data):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP,
        h1,
        lambdas=[0.5],
        cv=None,
        max_epochs=1,
        optimizer=torch.optim.LBFGS,
    )
    with pytest.warns(UserWarning, match="optimizer LBFGS"):
        with pytest.raises(
            TypeError
        ):  # LBFGS needs a closure: the point alone fails too
            search.fit(X, y)


def test_stacked_loss_equals_each_models_loss():
    torch.manual_seed(0)
    out = torch.randn(4, 10, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (10,))
    proba = torch.randn(10, 3).softmax(1)
    lambdas = torch.tensor([0.0, 0.2, 0.7, 1.0], dtype=torch.float64)
    for target, loss_cls in ((None, NewErrorLoss), ("soft", StrictImitationLoss)):
        stacked = _compatibility_loss(
            out, y, proba, None, lambda_c=lambdas, base="cross_entropy", target=target
        )
        for m, lam in enumerate(lambdas.tolist()):
            assert_allclose(
                stacked[m].item(), loss_cls(lam)(out[m], y, proba).item(), rtol=1e-12
            )


def test_stacked_parameters_take_their_gradients_without_a_copy():
    torch.manual_seed(0)
    module = MLPModule(n_features=5, n_classes=3, hidden=(7,))
    module.layers[1].bias.requires_grad_(False)  # a frozen parameter is left as it is
    stack = _Stack([module, module, module])
    before = {k: v.detach().clone() for k, v in stack.params.items()}
    x = torch.randn(4, 5)
    stack.match_gradient_layout(x)
    for name, param in stack.params.items():
        assert_array_equal(param.detach().numpy(), before[name].numpy())
        assert param.requires_grad == (name != "layers.1.bias")
    stack.forward(x).sum().backward()
    for name, param in stack.params.items():
        if param.requires_grad:
            # autograd stores the incoming gradient itself only when the
            # layouts agree; otherwise it copies it on every step
            assert param.grad.stride() == param.stride(), name
    weight = "layers.1.weight"
    assert stack.params[weight].stride() != before[weight].stride()


@pytest.fixture(scope="module")
def search(data):
    X, y, h1 = data
    return BackwardCompatibleClassifierCV(
        MLPModule,
        h1,
        lambdas=[0.0, 0.5, 1.0],
        cv=2,
        max_epochs=2,
        lr=0.1,
        random_state=0,
        module__n_features=6,
        module__n_classes=3,
    ).fit(X, y)


def test_cv_results_are_gridsearch_shaped(search):
    results = search.cv_results_
    n = 6
    assert [p["dissonance"] for p in results["params"]] == ["new_error"] * 3 + [
        "strict_imitation"
    ] * 3
    assert list(results["param_lambda_c"]) == [0.0, 0.5, 1.0] * 2
    for m in METRICS:
        for key in (
            "split0_test_",
            "split1_test_",
            "mean_test_",
            "std_test_",
            "rank_test_",
        ):
            assert results[key + m].shape == (n,)
        assert "split2_test_" + m not in results
    for key in ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"):
        assert results[key].shape == (n,)
    assert np.all(
        results["rank_test_reference_accuracy"] == 1
    )  # h1 is the same everywhere
    assert results["rank_test_nfr"][np.argmin(results["mean_test_nfr"])] == 1


def test_best_estimator_is_the_chosen_stacked_model(search, data):
    X, y, _ = data
    best = search.best_estimator_
    assert isinstance(best, BackwardCompatibleClassifier)
    assert search.best_index_ == int(
        np.argmin(search.cv_results_["rank_test_accuracy"])
    )
    assert (
        search.best_score_
        == search.cv_results_["mean_test_accuracy"][search.best_index_]
    )
    assert best.lambda_c == search.best_params_["lambda_c"]
    key = (search.best_params_["dissonance"], search.best_params_["lambda_c"])
    assert_array_equal(search.predict(X), search.predict_all(X)[key])
    assert_array_equal(best.predict(X), search.predict(X))
    assert search.predict_proba(X).shape == (len(X), 3)


@pytest.mark.parametrize("refit", ["btc", "nfr", lambda results: 4])
def test_refit_selects_per_refit(data, refit):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule,
        h1,
        lambdas=[0.0, 1.0],
        cv=2,
        max_epochs=1,
        refit=refit,
        random_state=0,
        module__n_features=6,
        module__n_classes=3,
    )
    search.set_params(lambdas=[0.0, 0.5, 1.0])
    search.fit(X, y)
    if callable(refit):
        assert search.best_index_ == 4 and not hasattr(search, "best_score_")
    else:
        means = search.cv_results_[f"mean_test_{refit}"]
        best = np.nanmin(means) if refit == "nfr" else np.nanmax(means)
        assert search.best_score_ == best


def test_no_refit_has_no_best_estimator(data):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule,
        h1,
        lambdas=[0.5],
        cv=2,
        refit=False,
        max_epochs=1,
        module__n_features=6,
        module__n_classes=3,
    ).fit(X, y)
    with pytest.raises(NotFittedError):
        search.predict(X)


def test_reference_is_shared_and_unchanged(data):
    X, y, h1 = data
    digest = hashlib.sha256(pickle.dumps(h1)).hexdigest()
    search = BackwardCompatibleClassifierCV(
        MLPModule,
        h1,
        lambdas=[0.5],
        cv=None,
        max_epochs=1,
        module__n_features=6,
        module__n_classes=3,
    )
    copy = clone(search)
    assert copy.reference is h1
    assert copy.get_params()["module__n_features"] == 6
    copy.set_params(module__hidden=(4,), optimizer__momentum=0.5)
    assert copy.module__hidden == (4,)
    with pytest.raises(NotFittedError):
        copy.predict(X)
    copy.fit(X, y)
    assert copy.best_estimator_.module_.layers[1].out_features == 4
    with pytest.raises(ValueError, match="reference model is never modified"):
        copy.set_params(reference__C=3.0)
    assert hashlib.sha256(pickle.dumps(h1)).hexdigest() == digest
    pickle.loads(pickle.dumps(copy)).predict(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"lambdas": [0.5, 1.5]}, "lambda_c must be a float in"),
        ({"dissonances": ("new_error", "bogus")}, "dissonance must be one of"),
        ({"lambdas": [0.5, 0.5]}, "without repeats"),
        ({"refit": "roc_auc"}, "refit must be"),
        ({"scoring": ["f1"]}, "scoring must be"),
        ({"max_epochs": 0}, "max_epochs must be"),
    ],
)
def test_bad_parameters_raise(data, params, match):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule, h1, module__n_features=6, module__n_classes=3, **params
    )
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


def test_bad_input_raises_like_the_classifier(data):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule, h1, lambdas=[0.5], module__n_features=6, module__n_classes=3
    )
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        search.fit(X_nan, y)
    with pytest.raises(ValueError, match="unseen by the reference"):
        search.fit(X, np.where(y == 0, 7, y))
    with pytest.raises(TypeError, match="Unexpected parameters"):
        BackwardCompatibleClassifierCV(
            MLPModule, h1, iterator_valid__shuffle=False
        ).fit(X, y)


def test_misspelt_keyword_is_refused_in_fit_not_init(data):
    # scikit-learn validates in fit; clone carries the misspelt name along
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        MLPModule, h1, lambdas=[0.5], max_epoch=3, module__n_features=6,
        module__n_classes=3,
    )  # fmt: skip
    assert search.get_params()["max_epoch"] == 3
    with pytest.raises(TypeError, match=r"Unexpected parameters \['max_epoch'\]"):
        clone(search).fit(X, y)


@pytest.mark.parametrize("cv, refit, trainings", [(2, True, 3), (None, True, 1)])
def test_progress_bar_counts_the_trainings(data, capsys, cv, refit, trainings):
    X, y, h1 = data
    common = dict(lambdas=[0.0, 1.0], cv=cv, refit=refit, max_epochs=1, random_state=0)
    BackwardCompatibleClassifierCV(FixedInitMLP, h1, **common).fit(X, y)
    assert capsys.readouterr().err == ""  # silent by default
    BackwardCompatibleClassifierCV(FixedInitMLP, h1, progress=True, **common).fit(X, y)
    err = capsys.readouterr().err
    assert "lambda_c sweep (4 points at once)" in err
    assert f"{trainings}/{trainings}" in err
