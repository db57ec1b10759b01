"""BackwardCompatibleClassifier: training, sklearn citizenship, reference safety."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import fingerprint, torch_state
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch import NeuralNetClassifier
from skorch.dataset import ValidSplit
from threadpoolctl import threadpool_info, threadpool_limits
from torch import nn

from sklearn_bc import BackwardCompatibleClassifier, btc_score
from sklearn_bc.modules import MLPModule


def make_net(reference, **params):
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
    return BackwardCompatibleClassifier(reference=reference, **defaults)


# "it learned": far above chance on 10 digits (0.1), far below any run seen
# (0.84 and up); a trained model's accuracy is never pinned closer than that
LEARNED = 0.5

def test_fit_predict_and_proba(digits, fitted_h1):
    X, y, X_test, y_test = digits
    net = make_net(fitted_h1).fit(X, y)
    proba = net.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(net.predict(X_test), net.classes_[proba.argmax(1)])
    assert np.mean(net.predict(X_test) == y_test) > LEARNED
    assert net.n_features_in_ == 64


def test_lambda_c_raises_btc(digits):
    X, y, X_test, y_test = digits
    # a weak h1 and a noisy update: the setting where new errors appear
    h1 = LogisticRegression(C=0.05, max_iter=2000).fit(X[:100], y[:100])
    rng = np.random.RandomState(0)
    noisy = y.copy()
    flip = rng.rand(len(y)) < 0.25
    noisy[flip] = (noisy[flip] + rng.randint(1, 10, flip.sum())) % 10
    y_ref = h1.predict(X_test)
    btc = {0.0: [], 1.0: []}
    for seed in (0, 1):  # the gap is a few test rows: average two seeds
        for lambda_c in btc:
            torch.manual_seed(seed)
            net = make_net(h1, lambda_c=lambda_c, max_epochs=15).fit(X, noisy)
            btc[lambda_c].append(btc_score(y_test, y_ref, net.predict(X_test)))
    assert np.mean(btc[1.0]) > np.mean(btc[0.0])


def test_lambda_c_zero_is_plain_skorch_training(digits, fitted_h1):
    X, y, X_test, _ = digits
    common = dict(
        module=MLPModule,
        module__n_features=64,
        module__n_classes=10,
        module__hidden=(16,),
        max_epochs=2,
        batch_size=64,
        train_split=None,
        verbose=0,
        lr=0.1,
    )
    torch.manual_seed(1)
    plain = NeuralNetClassifier(criterion=nn.CrossEntropyLoss, **common).fit(X, y)
    torch.manual_seed(1)
    ours = BackwardCompatibleClassifier(reference=fitted_h1, lambda_c=0.0, **common)
    ours.fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X_test), plain.predict_proba(X_test), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("dissonance", ["new_error", "strict_imitation"])
def test_reference_runs_once_per_fit(digits, fitted_h1, dissonance):
    X, y, _, _ = digits

    class CountingReference(LogisticRegression):
        calls = 0

        def predict_proba(self, X):
            type(self).calls += 1
            return super().predict_proba(X)

    h1 = CountingReference(C=0.05, max_iter=2000).fit(X[:150], y[:150])
    # internal validation split on: validation rows use the same cache
    net = make_net(
        h1,
        dissonance=dissonance,
        max_epochs=4,
        train_split=ValidSplit(5, stratified=True),
    )
    net.fit(X, y)
    assert CountingReference.calls == 1
    assert len(net.history) == 4 and "valid_acc" in net.history[-1]


def test_reference_predicts_with_one_blas_thread(digits):
    # a multi-threaded BLAS would leave spinning workers on torch's cores
    X, y, _, _ = digits
    seen = []

    class BlasReference(LogisticRegression):
        def predict_proba(self, X):
            seen.append([i["num_threads"] for i in threadpool_info()
                         if i["user_api"] == "blas"])  # fmt: skip
            return super().predict_proba(X)

    h1 = BlasReference(max_iter=500).fit(X[:150], y[:150])
    with threadpool_limits(limits=2, user_api="blas"):
        make_net(h1, max_epochs=1).fit(X[:300], y[:300])
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert seen and seen[0] and set(seen[0]) == {1}
    assert after and max(after) == min(2, os.cpu_count())  # restored


def test_string_labels_and_dataframe(digits):
    X, y, X_test, _ = digits
    names = np.array([f"digit-{d}" for d in range(10)])
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    h1 = LogisticRegression(max_iter=2000).fit(frame.iloc[:200], names[y[:200]])
    net = make_net(h1).fit(frame, names[y])
    assert set(net.classes_) == set(names)
    pred = net.predict(pd.DataFrame(X_test, columns=frame.columns))
    assert pred.dtype.kind in "OU" and set(pred) <= set(names)
    np.testing.assert_array_equal(net.feature_names_in_, frame.columns)


def test_labels_subset_of_reference_classes(digits, fitted_h1):
    # h2's training data lacks class 9: classes_ still follow the reference
    X, y, _, _ = digits
    keep = y != 9
    net = make_net(fitted_h1).fit(X[keep], y[keep])
    np.testing.assert_array_equal(net.classes_, np.arange(10))


def test_validation_accuracy_uses_encoded_labels(digits):
    X, y, _, _ = digits
    names = np.array(list("abcdefghij"))
    h1 = LogisticRegression(max_iter=2000).fit(X[:300], names[y[:300]])
    net = make_net(h1, train_split=ValidSplit(5, stratified=True), max_epochs=5).fit(
        X, names[y]
    )
    assert net.history[-1, "valid_acc"] > LEARNED


def test_in_pipeline(digits, fitted_h1):
    X, y, X_test, y_test = digits
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z * 1.0), make_net(fitted_h1))
    pipe.fit(X, y)
    assert np.mean(pipe.predict(X_test) == y_test) > LEARNED


def test_clone_keeps_fitted_reference(fitted_h1):
    net = make_net(fitted_h1, lambda_c=0.3)
    twin = clone(net)
    assert twin.reference is fitted_h1  # shared, not unfitted by clone
    assert twin.get_params()["lambda_c"] == 0.3
    assert set(twin.get_params(deep=False)) == set(net.get_params(deep=False))


def test_get_params_hides_and_set_params_refuses_reference_internals(fitted_h1):
    net = make_net(fitted_h1)
    assert not [k for k in net.get_params() if k.startswith("reference__")]
    with pytest.raises(ValueError, match="reference model is never modified"):
        net.set_params(reference__C=10.0)
    assert fitted_h1.C == 0.05
    net.set_params(lambda_c=0.9, dissonance="strict_imitation")
    assert net.get_params()["lambda_c"] == 0.9


def test_set_params_after_fit_rebuilds_loss(digits, fitted_h1):
    X, y, _, _ = digits
    net = make_net(fitted_h1, max_epochs=1).fit(X, y)
    net.set_params(dissonance="strict_imitation", lambda_c=0.25)
    assert type(net.criterion_).__name__ == "StrictImitationLoss"
    assert net.criterion_.lambda_c == 0.25


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_lambda_c(digits, fitted_h1, n_jobs):
    X, y, _, _ = digits
    before = fingerprint(fitted_h1)
    search = GridSearchCV(
        make_net(fitted_h1, max_epochs=2),
        {"lambda_c": [0.0, 1.0], "dissonance": ["new_error", "strict_imitation"]},
        cv=2,
        n_jobs=n_jobs,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.reference is fitted_h1
    assert fingerprint(fitted_h1) == before


def test_pickle_round_trip(digits, fitted_h1):
    X, y, X_test, _ = digits
    net = make_net(fitted_h1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(loaded.predict(X_test), net.predict(X_test))
    np.testing.assert_array_equal(
        loaded.reference.predict(X_test), fitted_h1.predict(X_test)
    )


def test_sklearn_reference_never_modified(digits, fitted_h1):
    X, y, _, _ = digits
    before = fingerprint(fitted_h1)
    net = make_net(fitted_h1, dissonance="strict_imitation").fit(X, y)
    clone(net).fit(X, y)
    pickle.loads(pickle.dumps(net)).partial_fit(X, y)
    assert fingerprint(fitted_h1) == before


def _torch_reference(X, y):
    torch.manual_seed(3)
    module = nn.Sequential(
        nn.Linear(64, 32), nn.Dropout(0.1), nn.ReLU(), nn.Linear(32, 10)
    )
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(30):
        optimizer.zero_grad()
        nn.functional.cross_entropy(module(Xt), yt).backward()
        optimizer.step()
    return module


@pytest.mark.parametrize("training_mode", [True, False])
def test_torch_module_reference_never_modified(digits, training_mode):
    X, y, X_test, y_test = digits
    h1 = _torch_reference(X[:200], y[:200]).train(training_mode)
    h1[0].weight.requires_grad_(False)  # an unusual flag that must survive too
    before = torch_state(h1)
    net = make_net(h1, dissonance="strict_imitation").fit(X, y)
    assert torch_state(h1) == before
    assert all(p is not q for p in h1.parameters() for q in net.module_.parameters())
    # the optimizer holds only h2's parameters
    optimized = {
        id(p) for group in net.optimizer_.param_groups for p in group["params"]
    }
    assert not optimized & {id(p) for p in h1.parameters()}
    clone(net).fit(X, y)
    net.set_params(lambda_c=0.1)
    assert torch_state(h1) == before
    assert np.mean(net.predict(X_test) == y_test) > LEARNED


def test_torch_reference_output_width_must_match_classes(digits):
    X, y, _, _ = digits
    h1 = nn.Linear(64, 3)
    with pytest.raises(ValueError, match="one logit per class"):
        make_net(h1).fit(X, y)


def test_torch_reference_survives_set_params_after_fit(digits):
    X, y, _, _ = digits
    h1 = _torch_reference(X[:200], y[:200])
    net = make_net(h1, max_epochs=1).fit(X, y)
    other = _torch_reference(X[:100], y[:100])
    before = torch_state(other)
    net.set_params(reference=other)
    # not registered as a trainable skorch component
    assert "reference" not in net.prefixes_
    net.fit(X, y)
    assert torch_state(other) == before


def test_skorch_reference_never_modified(digits):
    X, y, X_test, y_test = digits
    h1 = NeuralNetClassifier(
        MLPModule,
        module__n_features=64,
        module__n_classes=10,
        criterion=nn.CrossEntropyLoss,
        max_epochs=5,
        lr=0.2,
        train_split=None,
        verbose=0,
    ).fit(X[:300], y[:300])
    h1.module_.train()  # left in training mode by its owner
    before = torch_state(h1.module_)
    net = make_net(h1).fit(X, y)
    assert torch_state(h1.module_) == before
    assert np.mean(net.predict(X_test) == y_test) > LEARNED


def test_reference_proba_instead_of_reference(digits, fitted_h1):
    X, y, X_test, _ = digits
    proba = fitted_h1.predict_proba(X)
    torch.manual_seed(0)
    with_model = make_net(fitted_h1).fit(X, y)
    torch.manual_seed(0)
    with_proba = make_net(None).fit(X, y, reference_proba=proba)
    np.testing.assert_allclose(
        with_model.predict_proba(X_test), with_proba.predict_proba(X_test), atol=1e-6
    )


def test_reference_without_predict_proba_warns(digits):
    from sklearn.linear_model import RidgeClassifier

    X, y, _, _ = digits
    h1 = RidgeClassifier().fit(X[:200], y[:200])
    with pytest.warns(UserWarning, match="no predict_proba"):
        make_net(h1, dissonance="strict_imitation", max_epochs=1).fit(X, y)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, match",
    [
        ({"lambda_c": 1.5}, "lambda_c must be a float in \\[0, 1\\]"),
        ({"lambda_c": -0.1}, "lambda_c must be a float in \\[0, 1\\]"),
        ({"dissonance": "old_error"}, "dissonance must be one of"),
        ({"base_loss": "hinge"}, "base_loss must be one of"),
        ({"imitation_target": "warm"}, "imitation_target must be one of"),
        ({"criterion": nn.NLLLoss}, "criterion must be None"),
        ({"device": "quantum"}, "device must name a torch device"),
    ],
)
def test_bad_parameters(digits, fitted_h1, params, match):
    X, y, _, _ = digits
    before = fingerprint(fitted_h1)
    with pytest.raises(ValueError, match=match):
        make_net(fitted_h1, **params).fit(X, y)
    assert fingerprint(fitted_h1) == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_requested_without_cuda(digits, fitted_h1):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match="CUDA is not available"):
        make_net(fitted_h1, device="cuda").fit(X, y)


def test_missing_and_unfitted_reference(digits):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match="reference is required"):
        make_net(None).fit(X, y)
    with pytest.raises(
        NotFittedError, match="reference model LogisticRegression is not"
    ):
        make_net(LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError, match="reference must be a fitted classifier"):
        make_net("h1").fit(X, y)


def test_unseen_labels_and_class_mismatch(digits, fitted_h1):
    X, y, _, _ = digits
    y_bad = y.copy()
    y_bad[0] = 11
    with pytest.raises(
        ValueError, match="labels unseen by the reference model: \\[11\\]"
    ):
        make_net(fitted_h1).fit(X, y_bad)
    with pytest.raises(
        ValueError, match="reference classes: \\[0, 1, 2.*new model classes"
    ):
        make_net(fitted_h1, classes=[0, 1, 2]).fit(X, y)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_input(digits, fitted_h1, value):
    X, y, _, _ = digits
    X = X.copy()
    X[3, 5] = value
    with pytest.raises(ValueError, match="Input X contains"):
        make_net(fitted_h1).fit(X, y)


def test_shapes_and_empty_input(digits, fitted_h1):
    X, y, X_test, _ = digits
    with pytest.raises(ValueError, match="0 sample"):
        make_net(fitted_h1).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_net(fitted_h1).fit(X, y[:-1])
    net = make_net(fitted_h1, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 10 features"):
        net.predict(X_test[:, :10])
    with pytest.raises(ValueError, match="reference_proba must have shape"):
        make_net(None).fit(X, y, reference_proba=np.ones((len(X), 3)))


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        make_net(None).predict(np.zeros((2, 64), dtype=np.float32))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_with_cpu_reference(digits):
    X, y, X_test, y_test = digits
    h1 = _torch_reference(X[:200], y[:200])  # stays on the CPU
    before = torch_state(h1)
    net = make_net(h1, device="cuda", max_epochs=5).fit(X, y)
    assert next(net.module_.parameters()).is_cuda
    assert torch_state(h1) == before
    assert np.mean(net.predict(X_test) == y_test) > LEARNED


def test_batches_are_fetched_whole_and_fallback_loader_agrees(digits, fitted_h1):
    from torch.utils.data import BatchSampler

    X, y, X_test, _ = digits
    net = make_net(fitted_h1, max_epochs=2).fit(X, y)
    loader = net.get_iterator(net.get_dataset(X_test), training=False)
    assert isinstance(loader.sampler, BatchSampler)
    # an iterator option we do not handle falls back to skorch's own loader
    torch.manual_seed(0)
    fast = make_net(fitted_h1, max_epochs=2).fit(X, y)
    torch.manual_seed(0)
    slow = make_net(fitted_h1, max_epochs=2, iterator_train__num_workers=0).fit(X, y)
    np.testing.assert_allclose(
        fast.predict_proba(X_test), slow.predict_proba(X_test), rtol=1e-5, atol=1e-6
    )


# ------------------------------------------------------- skorch idioms (issue 14)
def test_restored_net_predicts_and_checks_features_once_known(digits, tmp_path):
    X, y, X_test, _ = digits
    names = np.array([f"d{k}" for k in range(10)])
    h1 = LogisticRegression(max_iter=500).fit(X[:200], names[y[:200]])
    net = make_net(h1).fit(X, names[y])
    net.save_params(f_params=tmp_path / "params.pt")

    restored = make_net(h1).initialize()
    restored.load_params(f_params=tmp_path / "params.pt")
    # classes_ come from the reference: no fit needed to name the labels
    np.testing.assert_array_equal(restored.classes_, h1.classes_)
    np.testing.assert_array_equal(restored.predict(X_test), net.predict(X_test))
    assert not hasattr(restored, "n_features_in_")
    restored.partial_fit(X, names[y])  # the feature count is known from here on
    with pytest.raises(ValueError, match="X has 10 features"):
        restored.predict(X_test[:, :10])


def test_restore_through_checkpoint_callback(digits, fitted_h1, tmp_path):
    from skorch.callbacks import Checkpoint, LoadInitState

    X, y, X_test, _ = digits
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    net = make_net(fitted_h1, callbacks=[checkpoint]).fit(X, y)
    restored = make_net(fitted_h1).initialize()
    restored.load_params(checkpoint=checkpoint)
    np.testing.assert_array_equal(restored.predict(X_test), net.predict(X_test))
    # LoadInitState restores at the start of a fit: max_epochs=0 trains nothing
    resumed = make_net(
        fitted_h1, callbacks=[LoadInitState(checkpoint)], max_epochs=0
    ).fit(X, y)
    np.testing.assert_array_equal(resumed.predict(X_test), net.predict(X_test))


def test_uninitialised_net_raises_skorchs_error_which_is_also_sklearns():
    from sklearn.utils.validation import check_is_fitted
    from skorch.exceptions import NotInitializedError

    from sklearn_bc.exceptions import NotInitializedError as Reexported

    assert Reexported is NotInitializedError
    assert issubclass(NotInitializedError, NotFittedError)
    net = make_net(None)
    X = np.zeros((2, 64), dtype=np.float32)
    for method in (net.predict, net.predict_proba, net.forward):
        with pytest.raises(NotInitializedError, match="is not initialized yet"):
            method(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(net)
    net.initialize()
    check_is_fitted(net)  # initialised is fitted, as in skorch


def test_infer_overrides_receive_the_input_batch(digits, fitted_h1):
    X, y, _, _ = digits
    seen = []

    class RecordingNet(BackwardCompatibleClassifier):
        def infer(self, x, **fit_params):
            seen.append(type(x))
            return super().infer(x, **fit_params)

    net = RecordingNet(
        MLPModule, reference=fitted_h1, module__n_features=64, module__n_classes=10,
        max_epochs=1, train_split=ValidSplit(5, stratified=True), verbose=0,
    )  # fmt: skip
    net.fit(X, y)
    assert seen and set(seen) == {torch.Tensor}


def test_custom_dataset_class_is_built_with_its_arguments(digits, fitted_h1):
    from skorch.dataset import Dataset

    X, y, X_test, _ = digits
    built = []

    class TaggedDataset(Dataset):
        def __init__(self, X, y=None, *, tag):
            super().__init__(X, y)
            built.append((tag, len(X)))

    torch.manual_seed(0)
    net = make_net(fitted_h1, dataset=TaggedDataset, dataset__tag="mine").fit(X, y)
    assert built[0] == ("mine", len(X))
    net.predict(X_test)
    assert built[-1] == ("mine", len(X_test))
    # the same rows, batches and h1 outputs as the whole-batch array path
    torch.manual_seed(0)
    fast = make_net(fitted_h1).fit(X, y)
    np.testing.assert_allclose(
        net.predict_proba(X_test), fast.predict_proba(X_test), rtol=1e-5, atol=1e-6
    )


def _new_error_loss_by_hand(net, X, y, h1_labels, lambda_c):
    proba = net.predict_proba(X)
    nll = -np.log(proba[np.arange(len(y)), np.searchsorted(net.classes_, y)])
    correct = h1_labels == y
    return nll.mean() + lambda_c * nll[correct].sum() / correct.sum()


def test_predefined_split_validation_rows_get_h1_outputs(digits, fitted_h1):
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    X, y, X_test, y_test = digits

    class CountingLR(LogisticRegression):
        calls = 0

        def predict_proba(self, X):
            type(self).calls += 1
            return super().predict_proba(X)

    h1 = CountingLR(C=0.05, max_iter=2000).fit(X[:150], y[:150])
    net = make_net(
        h1, lambda_c=0.5, max_epochs=2,
        train_split=predefined_split(Dataset(X_test, y_test)),
        iterator_valid__batch_size=len(X_test),  # one batch: the loss by hand
    ).fit(X, y)  # fmt: skip
    assert CountingLR.calls == 2  # once on X, once on the validation set
    expected = _new_error_loss_by_hand(net, X_test, y_test, h1.predict(X_test), 0.5)
    np.testing.assert_allclose(net.history[-1, "valid_loss"], expected, rtol=1e-5)


def test_predefined_split_without_reference_says_what_to_pass(digits, fitted_h1):
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    X, y, X_test, y_test = digits
    net = make_net(None, train_split=predefined_split(Dataset(X_test, y_test)))
    with pytest.raises(ValueError, match="needs h1's outputs, but reference is None"):
        net.fit(X, y, reference_proba=fitted_h1.predict_proba(X))


class _CountingModule(nn.Module):
    """A torch reference that counts its calls (rows seen)."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.rows = 0

    def forward(self, X):
        self.rows += len(X)
        return self.module(X)


def test_dataset_input_with_torch_reference_equals_array_input(digits):
    X, y, X_test, _ = digits
    h1 = _CountingModule(_torch_reference(X[:200], y[:200]))
    before = torch_state(h1.module)
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    torch.manual_seed(0)
    from_items = make_net(h1, lambda_c=0.5).fit(dataset, None)
    assert h1.rows == len(X)  # one pass over the items, then cached by index
    assert torch_state(h1.module) == before
    np.testing.assert_array_equal(from_items.classes_, np.arange(10))
    torch.manual_seed(0)
    from_arrays = make_net(h1, lambda_c=0.5).fit(X, y)
    np.testing.assert_allclose(
        from_items.predict_proba(X_test), from_arrays.predict_proba(X_test),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    test_set = torch.utils.data.TensorDataset(
        torch.as_tensor(X_test), torch.zeros(len(X_test), dtype=torch.long)
    )
    np.testing.assert_array_equal(
        from_items.predict(test_set), from_arrays.predict(X_test)
    )


def test_dataset_input_with_sklearn_reference(digits, fitted_h1):
    from skorch.dataset import Dataset

    X, y, _, _ = digits
    # a dataset that exposes its arrays: h1 is scored on them
    net = make_net(fitted_h1, max_epochs=1).fit(Dataset(X, y), None)
    assert net.predict(X[:5]).shape == (5,)

    class Hidden(torch.utils.data.Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], y[i]

    with pytest.raises(TypeError, match="reference_proba"):
        make_net(fitted_h1).fit(Hidden(), None)
    # h1's outputs given: the items are enough
    make_net(None, max_epochs=1).fit(
        Hidden(), None, reference_proba=fitted_h1.predict_proba(X)
    )


class _TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Linear(32, 10)
        self.right = nn.Linear(32, 10)

    def forward(self, left, right):
        return self.left(left) + self.right(right)


def test_dict_input_for_a_multi_input_module(digits):
    X, y, X_test, _ = digits
    torch.manual_seed(0)
    h1 = _TwoInputs()
    before = torch_state(h1)
    split = lambda Z: {"left": Z[:, :32], "right": Z[:, 32:]}  # noqa: E731
    net = BackwardCompatibleClassifier(
        _TwoInputs, reference=h1, max_epochs=2, lr=0.1, train_split=None, verbose=0
    ).fit(split(X), y)
    assert net.predict(split(X_test)).shape == (len(X_test),)
    assert torch_state(h1) == before


def test_slice_dataset_in_grid_search(digits):
    from skorch.helper import SliceDataset

    X, y, _, _ = digits
    h1 = _torch_reference(X[:200], y[:200])
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    search = GridSearchCV(
        make_net(h1, max_epochs=1), {"lambda_c": [0.0, 1.0]}, cv=2
    ).fit(SliceDataset(dataset), y)
    assert len(search.cv_results_["params"]) == 2
    assert 0.0 <= search.best_score_ <= 1.0


def test_get_params_hides_skorchs_bookkeeping_and_callbacks_wait_for_fit(fitted_h1):
    net = make_net(fitted_h1)
    assert not [name for name in net.get_params() if name.startswith("_")]
    # like scikit-learn, an unusable value is refused when the net initialises
    net.set_params(callbacks=1.5)
    net.set_params(callbacks=None)
    assert net.get_params()["callbacks"] is None
    net.set_params(callbacks=1.5)
    with pytest.raises(TypeError):
        net.initialize()
