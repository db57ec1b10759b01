import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import FixedInitMLP, torch_state
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from test_classifier_cv import OPTIMIZERS, batch_seed, sequential_fit
from torch import nn

from sklearn_bc import BackwardCompatibleClassifierCV
from sklearn_bc._stack import _Stack, vectorisation_problems

LAYER_STATS = "layers that update running statistics in place in training mode: "


@pytest.fixture(autouse=True)
def one_thread():
    # tiny tensors: threads only add contention on a busy machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FixedInitConvNet(nn.Module):
    """float64 conv net with BatchNorm2d; initial weights independent of the RNG."""

    def __init__(self, n_classes=10):
        super().__init__()
        generator = torch.Generator().manual_seed(321)
        # no conv bias: BatchNorm cancels it, so its gradient is rounding noise
        # that Adam would scale up to steps
        self.layers = nn.Sequential(
            nn.Conv2d(1, 4, 3, bias=False),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(36, n_classes),
        ).double()
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) / 2)

    def forward(self, X):
        return self.layers(X)


class CumulativeBatchNormMLP(FixedInitMLP):
    """FixedInitMLP whose BatchNorm1d keeps a cumulative average (momentum=None)."""

    def __init__(self, n_features=6, n_classes=3, batch_norm=True):
        super().__init__(n_features, n_classes, batch_norm=batch_norm)
        self.layers[1].momentum = None


class FrozenStatsBatchNorm1d(nn.BatchNorm1d):
    """Updates its statistics by reassignment, which a stack never sees.

    What a torch whose vmap does not write stacked buffers would do.
    """

    def forward(self, x):
        mean, var = self.running_mean.clone(), self.running_var.clone()
        out = F.batch_norm(x, mean, var, self.weight, self.bias, True, 0.1, self.eps)
        self.running_mean, self.running_var = mean, var
        return out


class CallCounter(nn.Module):
    def __init__(self, use_item=False):
        super().__init__()
        self.use_item = use_item
        self.linear = nn.Linear(4, 3).double()
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        if self.use_item:  # cannot run under vmap
            self.calls.fill_(self.calls.item() + 1)
        else:
            self.calls += 1
        return self.linear(x)


def _flatten(X):
    return X.reshape(len(X), -1)


@pytest.fixture(scope="module")
def images(digits):
    X, y, _, _ = digits
    X, y = X[:60].reshape(-1, 1, 8, 8), y[:60]
    h1 = make_pipeline(FunctionTransformer(_flatten), LogisticRegression(C=0.05))
    return X, y, h1.fit(X[:40], y[:40])


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, :3].argmax(1) + (X[:, 3] > 1)) % 3
    return X, y, LogisticRegression(max_iter=200).fit(X[:40], y[:40])


def assert_points_match_alone(search, make_module, X, y, h1, *, epochs, bs, opt):
    """Every point's weights, running statistics and predictions, point alone."""
    for i, params in enumerate(search.cv_results_["params"]):
        module, _ = sequential_fit(
            make_module(),
            X,
            y,
            h1,
            params["dissonance"],
            params["lambda_c"],
            seed=batch_seed(search.random_state),
            epochs=epochs,
            bs=bs,
            opt=opt,
        )
        for name, value in module.state_dict().items():
            stacked = search.final_states_[name][i]
            assert stacked.dtype == value.dtype, name
            if value.is_floating_point():
                assert_allclose(
                    stacked.numpy(), value.numpy(), atol=1e-10, err_msg=name
                )
            else:  # num_batches_tracked
                assert_array_equal(stacked.numpy(), value.numpy(), err_msg=name)
        module.eval()
        with torch.no_grad():
            expected = module(torch.as_tensor(X).double()).argmax(1).numpy()
        predicted = search.predict_all(X)[params["dissonance"], params["lambda_c"]]
        assert_array_equal(predicted, search.classes_[expected])


@pytest.mark.parametrize("opt_name", OPTIMIZERS)
def test_each_stacked_point_of_a_batchnorm_convnet_matches_the_point_alone(
    images, opt_name
):
    X, y, h1 = images
    opt_cls, opt_kw = OPTIMIZERS[opt_name]
    search = BackwardCompatibleClassifierCV(
        FixedInitConvNet,
        h1,
        vectorise=True,  # "auto" trains convolutions on the CPU one by one
        lambdas=[0.0, 0.3, 0.8],
        cv=None,
        max_epochs=3,
        batch_size=16,
        optimizer=opt_cls,
        lr=opt_kw["lr"],
        random_state=0,
        **{f"optimizer__{k}": v for k, v in opt_kw.items() if k != "lr"},
    ).fit(X, y)
    assert search.vectorised_
    # the points really differ, statistics included
    means = search.final_states_["layers.1.running_mean"]
    assert len({tuple(mean.tolist()) for mean in means}) > 2
    assert_array_equal(search.final_states_["layers.1.num_batches_tracked"], 12)
    assert_points_match_alone(
        search, FixedInitConvNet, X, y, h1, epochs=3, bs=16, opt=(opt_cls, opt_kw)
    )


def test_mlp_with_batchnorm1d_stacks_and_stays_exact(data):
    X, y, h1 = data
    search = BackwardCompatibleClassifierCV(
        FixedInitMLP,
        h1,
        lambdas=[0.2, 0.9],
        cv=None,
        max_epochs=2,
        batch_size=32,
        lr=0.05,
        random_state=1,
        module__batch_norm=True,
    ).fit(X, y)
    assert search.vectorised_
    assert_points_match_alone(
        search,
        lambda: FixedInitMLP(batch_norm=True),
        X,
        y,
        h1,
        epochs=2,
        bs=32,
        opt=(torch.optim.SGD, {"lr": 0.05}),
    )


def test_cumulative_average_batchnorm_falls_back_with_a_warning_and_stays_exact(
    data,
):
    # momentum=None divides by float(num_batches_tracked): .item() under vmap
    X, y, h1 = data
    with pytest.warns(
        UserWarning, match=r"one by one.*" + LAYER_STATS + r"layers\.1 \(BatchNorm1d\)"
    ):
        search = BackwardCompatibleClassifierCV(
            CumulativeBatchNormMLP,
            h1,
            lambdas=[0.2, 0.9],
            cv=None,
            max_epochs=2,
            batch_size=32,
            lr=0.05,
            random_state=1,
        ).fit(X, y)
    assert not search.vectorised_
    assert_points_match_alone(
        search,
        CumulativeBatchNormMLP,
        X,
        y,
        h1,
        epochs=2,
        bs=32,
        opt=(torch.optim.SGD, {"lr": 0.05}),
    )


NORMS = {
    "batchnorm1d": (lambda: nn.BatchNorm1d(3), (6, 3)),
    "batchnorm1d_sequence": (lambda: nn.BatchNorm1d(3), (6, 3, 5)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), (6, 3, 4, 4)),
    "batchnorm3d": (lambda: nn.BatchNorm3d(3), (6, 3, 3, 3, 3)),
    "batchnorm_no_affine": (lambda: nn.BatchNorm2d(3, affine=False), (6, 3, 4, 4)),
    "instancenorm1d": (
        lambda: nn.InstanceNorm1d(3, track_running_stats=True),
        (6, 3, 5),
    ),
    "instancenorm2d": (
        lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        (6, 3, 4, 4),
    ),
    "instancenorm3d": (
        lambda: nn.InstanceNorm3d(3, track_running_stats=True),
        (6, 3, 3, 3, 3),
    ),
}


def _norm_net(make_norm, ndim, seed):
    """A pointwise layer (its own weights per seed), then the norm."""
    torch.manual_seed(seed)
    mix = {2: nn.Linear(3, 3), 3: nn.Conv1d(3, 3, 1), 4: nn.Conv2d(3, 3, 1)}
    mix = mix[ndim] if ndim in mix else nn.Conv3d(3, 3, 1)
    return nn.Sequential(mix, make_norm()).double()


@pytest.mark.parametrize("norm", NORMS)
def test_each_stacked_copy_keeps_its_own_running_statistics(norm):
    make_norm, shape = NORMS[norm]
    modules = [_norm_net(make_norm, len(shape), seed) for seed in (0, 1, 2)]
    x = torch.randn(2, *shape[1:], dtype=torch.float64)
    assert vectorisation_problems(modules[0], torch.optim.SGD, x) == []
    stack = _Stack(modules)
    alone = [copy.deepcopy(m).train() for m in modules]
    for _ in range(3):
        x = torch.randn(shape, dtype=torch.float64)
        outputs = stack.forward(x).detach()
        for m, module in enumerate(alone):
            with torch.no_grad():
                assert_allclose(outputs[m].numpy(), module(x).numpy(), atol=1e-12)
    for m, module in enumerate(alone):
        for name, value in module.named_buffers():
            assert_allclose(
                stack.buffers[name][m].numpy(), value.numpy(), atol=1e-12, err_msg=name
            )
    assert_array_equal(
        stack.buffers["1.num_batches_tracked"],
        alone[0][1].num_batches_tracked.item(),
    )
    means = stack.buffers["1.running_mean"]
    assert not torch.allclose(means[0], means[1])


@pytest.mark.parametrize(
    "make_module, shape",
    [
        (FixedInitConvNet, (2, 1, 8, 8)),
        (lambda: FixedInitMLP(batch_norm=True), (2, 6)),
        (CumulativeBatchNormMLP, (2, 6)),
        (lambda: CallCounter(use_item=True), (2, 4)),
    ],
    ids=["convnet", "mlp", "cumulative", "item"],
)
def test_the_probe_leaves_the_module_and_the_rng_untouched(make_module, shape):
    module, x = make_module(), torch.randn(shape, dtype=torch.float64)
    before = torch_state(module)
    versions = [b._version for b in module.buffers()]
    rng = torch.random.get_rng_state()
    vectorisation_problems(module, torch.optim.SGD, x)
    assert torch_state(module) == before
    assert [b._version for b in module.buffers()] == versions
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert all(p.grad is None for p in module.parameters())


def test_a_stack_that_does_not_update_running_statistics_falls_back():
    # as on a torch whose vmap leaves stacked buffers alone: the probe decides
    module = nn.Sequential(nn.Linear(4, 3), FrozenStatsBatchNorm1d(3)).double()
    x = torch.randn(2, 4, dtype=torch.float64)
    assert vectorisation_problems(module, torch.optim.SGD, x) == [
        LAYER_STATS + "1 (FrozenStatsBatchNorm1d)"
    ]


def test_in_place_buffer_updates_stack_where_vmap_reproduces_them():
    x = torch.randn(2, 4, dtype=torch.float64)
    assert vectorisation_problems(CallCounter(), torch.optim.SGD, x) == []
    assert vectorisation_problems(CallCounter(use_item=True), torch.optim.SGD, x) == [
        "buffers modified in place by forward: calls"
    ]


def test_the_problems_of_a_cumulative_batchnorm_and_an_optimizer_add_up():
    x = torch.randn(2, 6, dtype=torch.float64)
    assert vectorisation_problems(CumulativeBatchNormMLP(), torch.optim.LBFGS, x) == [
        LAYER_STATS + "layers.1 (BatchNorm1d)",
        "optimizer LBFGS is not known to update each element independently",
    ]
