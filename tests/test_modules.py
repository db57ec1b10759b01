import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from torch import nn

from sklearn_bc.modules import ConvNetModule, MLPModule, ResNetModule

IMAGE_MODULES = [
    (ConvNetModule, dict(channels=(4, 8))),
    (ResNetModule, dict(width=4, n_blocks=2)),
]


@pytest.mark.parametrize(("module", "params"), IMAGE_MODULES)
@pytest.mark.parametrize("in_channels", [1, 3])
@pytest.mark.parametrize("n_classes", [2, 10])
def test_image_modules_return_one_logit_per_class(
    module, params, in_channels, n_classes
):
    net = module(in_channels=in_channels, n_classes=n_classes, **params)
    assert net(torch.randn(5, in_channels, 28, 28)).shape == (5, n_classes)


@pytest.mark.parametrize(("module", "params"), IMAGE_MODULES)
@pytest.mark.parametrize("size", [(1, 1), (3, 5), (8, 8), (28, 28), (32, 32), (40, 17)])
def test_image_modules_take_any_image_size(module, params, size):
    net = module(**params)
    assert net(torch.randn(2, 1, *size)).shape == (2, 10)


def test_conv_net_has_one_block_per_channel_entry_and_no_batch_norm():
    net = ConvNetModule(channels=(4, 8, 16))
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 16]
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules()
    )


@pytest.mark.parametrize("n_blocks", [1, 2, 3])
def test_resnet_has_batch_norm_and_residual_blocks(n_blocks):
    net = ResNetModule(width=4, n_blocks=n_blocks)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    # stem, two per block, one per 1x1 shortcut (every block after the first)
    assert len(norms) == 1 + 2 * n_blocks + (n_blocks - 1)
    assert all(m.track_running_stats for m in norms)
    assert isinstance(net.blocks[0].shortcut, nn.Identity)
    for block in list(net.blocks)[1:]:
        assert isinstance(block.shortcut[0], nn.Conv2d)
        assert block.shortcut[0].kernel_size == (1, 1)
    assert net.head.in_features == 4 * 2 ** (n_blocks - 1)


def test_resnet_updates_running_statistics_in_training_mode_only():
    net = ResNetModule(width=4)
    before = net.stem[1].running_mean.clone()
    net.eval()(torch.randn(4, 1, 12, 12))
    assert torch.equal(net.stem[1].running_mean, before)
    net.train()(torch.randn(4, 1, 12, 12) + 3.0)
    assert not torch.equal(net.stem[1].running_mean, before)


def test_resnet_rejects_no_block():
    with pytest.raises(ValueError, match="n_blocks must be at least 1"):
        ResNetModule(n_blocks=0)


@pytest.mark.parametrize(("module", "params"), IMAGE_MODULES)
def test_gradients_reach_every_parameter(module, params):
    net = module(**params)
    loss = nn.functional.cross_entropy(
        net(torch.randn(6, 1, 28, 28)), torch.arange(6) % 10
    )
    loss.backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


@pytest.mark.parametrize(("module", "params"), IMAGE_MODULES)
def test_image_modules_learn_in_skorch(module, params):
    # two classes a linear model can tell apart: bright top vs bright bottom
    rng = np.random.RandomState(0)
    X = rng.rand(64, 1, 8, 8).astype(np.float32) * 0.1
    y = np.arange(64) % 2
    X[y == 0, :, :4] += 1.0
    X[y == 1, :, 4:] += 1.0
    net = NeuralNetClassifier(
        module, module__n_classes=2, **{f"module__{k}": v for k, v in params.items()},
        criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.01,
        max_epochs=15, batch_size=16, train_split=None, verbose=0,
    )  # fmt: skip
    net.fit(X, y)
    assert np.mean(net.predict(X) == y) >= 0.9


def test_mlp_module_unchanged():
    net = MLPModule(64, 10, hidden=(32,))
    assert net(torch.zeros(3, 8, 8)).shape == (3, 10)


@pytest.mark.parametrize(("module", "params"), IMAGE_MODULES)
def test_image_modules_stack_in_the_vectorised_sweep(module, params):
    # the ResNet's BatchNorm layers included: each stacked copy keeps its own
    # running statistics, so no fallback to one-by-one training
    from sklearn_bc._stack import vectorisation_problems

    problems = vectorisation_problems(
        module(**params), torch.optim.SGD, torch.randn(2, 1, 28, 28)
    )
    assert problems == []
