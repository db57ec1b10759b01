"""BackwardCompatibleClassifierCV on Dataset input, in parallel, per-batch h1."""

import numbers

import joblib
import numpy as np
import pytest
import torch
from conftest import FixedInitMLP, torch_state
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from torch import nn

from sklearn_bc import BackwardCompatibleClassifierCV


class ItemsOnly(torch.utils.data.Dataset):
    """Rows served one item at a time: no array for anyone to take whole."""

    def __init__(self, X, y):
        self._X, self._y = torch.as_tensor(X), torch.as_tensor(y)
        self.reads = 0

    def __len__(self):
        return len(self._y)

    def __getitem__(self, i):
        if not isinstance(i, numbers.Integral):  # skorch's SliceDataset: np.int64
            raise TypeError(f"one item at a time, got {type(i).__name__}")
        self.reads += 1
        return self._X[i], self._y[i]


class DropoutMLP(FixedInitMLP):
    """FixedInitMLP with dropout: its result depends on torch's global RNG."""

    def __init__(self):
        super().__init__()
        self.layers.insert(2, nn.Dropout(0.3))


class LinearH1(nn.Module):
    """A fixed float64 linear h1 (a torch module reads the items itself)."""

    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        generator = torch.Generator().manual_seed(7)
        self.linear = nn.Linear(n_features, n_classes).double()
        with torch.no_grad():
            for p in self.linear.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype))

    def forward(self, X):
        return self.linear(X)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    h1 = LogisticRegression(max_iter=200).fit(X[:30], y[:30])
    # float32 values: the array path validates X to float32 before the
    # float64 module casts it back, the Dataset path hands items as they are
    return X.astype(np.float32).astype(np.float64), y, h1


def sweep(module=FixedInitMLP, reference=None, **params):
    defaults = dict(
        lambdas=[0.0, 0.5, 1.0], cv=3, max_epochs=2, batch_size=16, lr=0.05,
        random_state=0, scoring=("accuracy", "btc", "nfr"),
    )  # fmt: skip
    return BackwardCompatibleClassifierCV(module, reference, **{**defaults, **params})


def assert_same_sweep(a, b):
    for key, value in a.cv_results_.items():
        if key.startswith(("split", "mean_test", "rank_test", "param")):
            assert_array_equal(np.asarray(b.cv_results_[key]), np.asarray(value), key)
    assert a.final_states_.keys() == b.final_states_.keys()
    for name, tensor in a.final_states_.items():
        assert torch.equal(tensor, b.final_states_[name]), name
    assert_array_equal(a.train_loss_, b.train_loss_)


def test_dataset_input_trains_the_same_sweep_as_arrays(data):
    X, y, _ = data
    h1 = LinearH1()
    arrays = sweep(reference=h1).fit(X, y)
    dataset = ItemsOnly(X, y)
    items = sweep(reference=h1).fit(dataset, None)
    assert items.vectorised_
    assert_same_sweep(arrays, items)
    # every read is one item: one pass for h1, 2 items to probe the module,
    # one batch per training unit to lay out the stacked parameters, 2 epochs
    # of each unit's training rows (3 splits of 60, the refit on 90) and the
    # 3 test folds of 30
    assert dataset.reads == len(y) + 2 + 4 * 16 + 2 * (3 * 60 + 90) + 3 * 30
    pred_items = items.predict_all(ItemsOnly(X[:10], y[:10]))
    for key, pred in arrays.predict_all(X[:10]).items():
        assert_array_equal(pred_items[key], pred)


def test_dataset_read_by_workers_trains_the_same_sweep(data):
    X, y, h1_sklearn = data
    h1 = LinearH1()
    alone = sweep(reference=h1, cv=2).fit(ItemsOnly(X, y), None)
    workers = sweep(reference=h1, cv=2, iterator_train__num_workers=2).fit(
        ItemsOnly(X, y), None
    )
    assert workers.get_params()["iterator_train__num_workers"] == 2
    assert_same_sweep(alone, workers)


@pytest.mark.parametrize("name", ["shuffle", "batch_size", "sampler", "drop_last"])
def test_loader_arguments_that_change_the_batches_are_refused(data, name):
    X, y, h1 = data
    with pytest.raises(ValueError, match=f"iterator_train__{name}.*same batches"):
        sweep(reference=h1, **{f"iterator_train__{name}": 1}).fit(X, y)


@pytest.mark.parametrize("module", [FixedInitMLP, DropoutMLP])
def test_parallel_splits_train_the_same_sweep(data, module):
    X, y, h1 = data
    serial = sweep(module, h1).fit(X, y)
    parallel = sweep(module, h1, n_jobs=2).fit(X, y)
    assert_same_sweep(serial, parallel)
    assert serial.best_params_ == parallel.best_params_


def test_a_dask_cluster_trains_the_same_sweep(data):
    distributed = pytest.importorskip("distributed")
    X, y, h1 = data
    serial = sweep(DropoutMLP, h1).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        on_dask = sweep(DropoutMLP, h1, n_jobs=-1).fit(X, y)
    assert_same_sweep(serial, on_dask)


def test_dropout_sweep_is_reproducible_and_leaves_the_global_rng(data):
    X, y, h1 = data
    torch.manual_seed(1)
    first = sweep(DropoutMLP, h1).fit(X, y)
    after_first = torch.rand(3)
    torch.manual_seed(1)
    second = sweep(DropoutMLP, h1).fit(X, y)
    assert torch.equal(torch.rand(3), after_first)
    assert_same_sweep(first, second)


def test_reference_module_is_unchanged_by_a_dataset_sweep(data):
    X, y, _ = data
    h1 = LinearH1().train()
    before = torch_state(h1)
    sweep(reference=h1, n_jobs=2).fit(ItemsOnly(X, y), None)
    assert torch_state(h1) == before


def test_array_input_needs_y_and_dict_input_is_refused(data):
    X, y, h1 = data
    with pytest.raises(ValueError, match="requires y to be passed"):
        sweep(reference=h1).fit(X)
    with pytest.raises(TypeError, match="a dict of inputs"):
        sweep(reference=h1).fit({"a": X}, y)


class Jittered(ItemsOnly):
    """Augmentation: fresh noise on every read, each item recorded as served."""

    def __init__(self, X, y):
        super().__init__(X, y)
        self.served = []

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        x = x + 0.1 * torch.randn(x.shape, dtype=x.dtype)
        self.served.append(x)
        return x, y


class RecordingH1(LinearH1):
    """LinearH1 that records every input it is run on."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, X):
        self.seen.append(X.detach().clone())
        return super().forward(X)


def test_per_batch_reference_outputs_are_computed_on_the_augmented_batches(data):
    X, y, _ = data
    h1 = RecordingH1().train()
    before = torch_state(h1)
    dataset = Jittered(X, y)
    search = sweep(
        reference=h1, cv=None, reference_outputs="per_batch", max_epochs=2
    ).fit(dataset, None)
    assert torch_state(h1) == before
    assert all(p.grad is None for p in h1.parameters())
    # the first pass (h1's outputs once per fit, for the scores) and the
    # module probe read items too; the training batches come after them
    n_train = 2 * len(y)
    trained_on = torch.stack(dataset.served[-(n_train + len(y)) : -len(y)])
    seen = torch.cat(h1.seen)  # the once-per-fit pass, then the batches
    assert len(seen) == len(y) + n_train
    per_batch = seen[len(y) :]
    assert per_batch.shape == trained_on.shape
    assert torch.equal(per_batch, trained_on)
    assert search.get_params()["reference_outputs"] == "per_batch"
    assert search.best_estimator_.reference_outputs == "per_batch"


def test_per_batch_reference_outputs_without_augmentation_equal_once(data):
    X, y, _ = data
    h1 = LinearH1()
    once = sweep(reference=h1).fit(ItemsOnly(X, y), None)
    per_batch = sweep(reference=h1, reference_outputs="per_batch").fit(
        ItemsOnly(X, y), None
    )
    for name, tensor in once.final_states_.items():
        torch.testing.assert_close(per_batch.final_states_[name], tensor)
    assert_array_equal(
        once.cv_results_["mean_test_btc"], per_batch.cv_results_["mean_test_btc"]
    )


def test_per_batch_reference_outputs_need_a_reference_to_run(data):
    X, y, h1 = data
    with pytest.raises(ValueError, match="reference_outputs"):
        sweep(reference=h1, reference_outputs="sometimes").fit(X, y)
    with pytest.raises(ValueError, match="reference_proba"):
        sweep(reference=h1, reference_outputs="per_batch").fit(
            X, y, reference_proba=h1.predict_proba(X)
        )


def test_a_slice_dataset_trains_the_same_sweep_as_its_dataset(data):
    from skorch.helper import SliceDataset

    X, y, _ = data
    h1 = LinearH1()
    dataset = sweep(reference=h1).fit(ItemsOnly(X, y), None)
    sliced = sweep(reference=h1).fit(SliceDataset(ItemsOnly(X, y)), y)
    assert_same_sweep(dataset, sliced)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_dataset_sweep_on_cuda_matches_the_cpu(data, n_jobs):
    X, y, _ = data
    h1 = LinearH1()
    cpu = sweep(reference=h1).fit(ItemsOnly(X, y), None)
    gpu = sweep(
        reference=h1, device="cuda", n_jobs=n_jobs, reference_outputs="per_batch"
    ).fit(ItemsOnly(X, y), None)
    for name, tensor in cpu.final_states_.items():
        torch.testing.assert_close(gpu.final_states_[name], tensor)
    assert next(h1.parameters()).device.type == "cpu"


class TinyConvNet(nn.Module):
    """float64 conv net with BatchNorm and a fixed initialisation."""

    def __init__(self):
        super().__init__()
        generator = torch.Generator().manual_seed(5)
        self.layers = nn.Sequential(
            nn.Unflatten(1, (1, 6)),
            nn.Conv1d(1, 3, 3, bias=False),
            nn.BatchNorm1d(3),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(12, 3),
        ).double()
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) / 2)

    def forward(self, X):
        return self.layers(X)


def assert_close_sweep(a, b):
    for name, tensor in a.final_states_.items():
        torch.testing.assert_close(b.final_states_[name], tensor, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.train_loss_, a.train_loss_, rtol=1e-9)
    for key in ("mean_test_accuracy", "mean_test_btc"):
        assert_array_equal(b.cv_results_[key], a.cv_results_[key])


@pytest.mark.parametrize(
    ("module", "expected"), [(FixedInitMLP, True), (TinyConvNet, False)]
)
def test_auto_stacks_except_convolutions_on_the_cpu(data, module, expected):
    X, y, h1 = data
    auto = sweep(module, h1).fit(X, y)  # no warning: a rule, not a fallback
    assert auto.vectorised_ is expected
    stacked = sweep(module, h1, vectorise=True).fit(X, y)
    alone = sweep(module, h1, vectorise=False).fit(X, y)
    assert stacked.vectorised_ and not alone.vectorised_
    assert_close_sweep(stacked, alone)


@pytest.mark.parametrize("vectorise", [True, False])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_points_per_unit_trains_the_same_points(data, vectorise, n_jobs):
    X, y, h1 = data
    whole = sweep(reference=h1, vectorise=vectorise).fit(X, y)
    # 2 dissonances x 3 lambdas: 5 distinct models (lambda_c=0 once), in 3 units
    split = sweep(
        reference=h1, vectorise=vectorise, points_per_unit=2, n_jobs=n_jobs
    ).fit(X, y)
    assert_close_sweep(whole, split)
    assert whole.best_params_ == split.best_params_


def test_the_progress_bar_counts_each_group_of_points(data, capsys):
    X, y, h1 = data
    sweep(reference=h1, points_per_unit=2, progress=True).fit(X, y)
    # (3 splits + the refit) x 3 groups of at most 2 of the 5 distinct models
    assert "12/12" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"vectorise": "yes"}, "vectorise must be"),
        ({"points_per_unit": 0}, "points_per_unit must be a positive int"),
        ({"points_per_unit": True}, "points_per_unit must be a positive int"),
    ],
)
def test_bad_stacking_parameters_are_refused(data, params, match):
    X, y, h1 = data
    with pytest.raises(ValueError, match=match):
        sweep(reference=h1, **params).fit(X, y)


def test_a_large_cache_of_h1_probabilities_is_half_precision(data, monkeypatch):
    from sklearn_bc import BackwardCompatibleClassifier, _dataset_input

    X, y, _ = data
    h1 = LinearH1()
    exact = sweep(reference=h1, cv=None).fit(ItemsOnly(X, y), None)
    monkeypatch.setattr(_dataset_input, "COMPACT_PROBA", 10)  # 90 x 3 is "large"
    compact = sweep(reference=h1, cv=None).fit(ItemsOnly(X, y), None)
    # half precision moves h1's probabilities by < 1e-3: the training barely
    for name, tensor in exact.final_states_.items():
        torch.testing.assert_close(
            compact.final_states_[name], tensor, atol=1e-2, rtol=0
        )
    net = BackwardCompatibleClassifier(
        FixedInitMLP, reference=h1, lambda_c=0.5, max_epochs=2, batch_size=16,
        train_split=None, verbose=0,
    )  # fmt: skip
    items, _ = net._prepare_fit(ItemsOnly(X, y), None, None, reset=True)
    assert items.h1_proba.dtype == torch.float16
    net.fit(ItemsOnly(X, y), None)
    assert np.isfinite(net.history[:, "train_loss"]).all()


def test_threads_of_one_process_train_the_same_sweep(data):
    # torch's global generator is shared by the threads of a process: units
    # on threads must take turns, or dropout draws from the other's seed
    X, y, h1 = data
    serial = sweep(DropoutMLP, h1, max_epochs=4).fit(X, y)
    with joblib.parallel_backend("threading", n_jobs=2):
        for _ in range(3):
            threaded = sweep(DropoutMLP, h1, max_epochs=4, n_jobs=2).fit(X, y)
            assert_same_sweep(serial, threaded)
