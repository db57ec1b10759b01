"""The distillation dissonances against values worked out by hand."""

import math

import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from sklearn_bc import (
    ChurnDistillationLoss,
    FocalDistillationLoss,
    LogitInhibitionLoss,
)

LOG2 = math.log(2.0)


def _value(loss):
    return loss.detach().double().item()


def test_focal_kl_worked_by_hand():
    # h2 uniform, h1 = (3/4, 1/4): KL = 3/4 log(3/2) + 1/4 log(1/2)
    h2 = torch.zeros(1, 2, dtype=torch.float64)
    h1 = torch.tensor([[math.log(3.0), 0.0]], dtype=torch.float64)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    loss = FocalDistillationLoss(1.0, alpha=1.0, beta=0.0)(h2, torch.tensor([0]), h1)
    assert_allclose(_value(loss), LOG2 + kl, rtol=1e-12)


def test_focal_kl_temperature_scales_both_and_multiplies_by_t_squared():
    h2 = torch.zeros(1, 2, dtype=torch.float64)
    h1 = torch.tensor([[math.log(3.0), 0.0]], dtype=torch.float64)
    # softmax(h1 / 2) = (sqrt 3, 1) / (1 + sqrt 3); h2 / 2 stays uniform
    q = torch.tensor([math.sqrt(3.0), 1.0], dtype=torch.float64) / (1 + math.sqrt(3))
    kl = float((q * torch.log(q / 0.5)).sum())
    loss = FocalDistillationLoss(0.5, beta=0.0, temperature=2.0)(
        h2, torch.tensor([1]), h1
    )
    assert_allclose(_value(loss), LOG2 + 0.5 * 4.0 * kl, rtol=1e-12)


def test_focal_weights_multiply_each_row_distance():
    # h1 right on row 0 only (arg-max 0, y = 0), wrong on row 1 (y = 0, arg-max 1)
    h1 = torch.tensor([[2.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    h2 = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([0, 0])
    d0 = ((1 - 2) ** 2 + 0) / 2  # squared logit difference averaged over classes
    d1 = (0 + (0 - 2) ** 2) / 2
    ce = (math.log(1 + math.exp(-1)) + LOG2) / 2
    loss = FocalDistillationLoss(0.6, distance="logit_mse", alpha=1.0, beta=5.0)
    assert_allclose(
        _value(loss(h2, y, h1)), ce + 0.6 * ((1 + 5) * d0 + 1 * d1) / 2, rtol=1e-12
    )


def test_alpha_one_beta_zero_is_plain_distillation():
    torch.manual_seed(0)
    h2, h1 = torch.randn(16, 4, dtype=torch.float64), torch.randn(16, 4).double()
    y = torch.randint(0, 4, (16,))
    t = 3.0
    plain_kd = F.cross_entropy(h2, y) + 0.7 * t * t * F.kl_div(
        F.log_softmax(h2 / t, 1), F.softmax(h1 / t, 1), reduction="batchmean"
    )
    ours = FocalDistillationLoss(0.7, alpha=1.0, beta=0.0, temperature=t)
    assert_allclose(_value(ours(h2, y, h1)), plain_kd.item(), rtol=1e-12)
    # the reference code's squared logit distance: a mean over rows and classes
    mse = FocalDistillationLoss(0.7, distance="logit_mse", alpha=1.0, beta=0.0)
    expected = F.cross_entropy(h2, y) + 0.7 * F.mse_loss(h2, h1)
    assert_allclose(_value(mse(h2, y, h1)), expected.item(), rtol=1e-12)


def test_logit_inhibition_worked_by_hand():
    h2 = torch.tensor([[3.0, 0.0], [0.2, 0.0]], dtype=torch.float64)
    h1 = torch.tensor([[0.5, 0.5], [0.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    # row 0: excess (1.5, 0) -> (2.25 + 0) / 2; row 1: |0.2| < margin -> 0
    # p = 3: 1.5 ** 3 / 2; beta = 1 doubles row 0 (h1 right: arg-max 0 == y)
    ce = (math.log(1 + math.exp(-3)) + math.log(1 + math.exp(0.2))) / 2
    loss = LogitInhibitionLoss(1.0, margin=1.0, p=3.0, beta=1.0)(h2, y, h1)
    assert_allclose(_value(loss), ce + (2 * 1.5**3 / 2 + 0) / 2, rtol=1e-12)
    free = LogitInhibitionLoss(1.0, margin=5.0)(h2, y, h1)
    assert_allclose(_value(free), ce, rtol=1e-12)


def test_churn_distillation_worked_by_hand():
    h2 = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    h1 = torch.tensor([[0.0, math.log(3.0)]], dtype=torch.float64)  # q = (1/4, 3/4)
    y = torch.tensor([0])
    log_p = (-math.log(1 + math.exp(-1)), -math.log(1 + math.exp(1)))
    soft = -(0.25 * log_p[0] + 0.75 * log_p[1])
    for a in (0.0, 0.3, 1.0):
        loss = ChurnDistillationLoss(a)(h2, y, h1)
        assert_allclose(_value(loss), (1 - a) * -log_p[0] + a * soft, rtol=1e-12)


@pytest.mark.parametrize(
    "loss",
    [
        FocalDistillationLoss(0.5),
        FocalDistillationLoss(0.5, distance="logit_mse", center_logits=True),
        LogitInhibitionLoss(0.5, margin=0.1, center_logits=True),
        ChurnDistillationLoss(0.5),
    ],
)
def test_log_probabilities_stand_in_for_logits_where_exact(loss):
    # logits are defined up to a constant per row: these losses do not see it
    torch.manual_seed(1)
    h2, logits = torch.randn(8, 3).double(), torch.randn(8, 3).double()
    y = torch.randint(0, 3, (8,))
    log_proba = F.log_softmax(logits, dim=1)
    assert_allclose(
        _value(loss(h2, y, log_proba)), _value(loss(h2, y, logits)), rtol=1e-10
    )


def test_uncentred_logit_distances_see_the_row_constant():
    h2, h1 = torch.zeros(2, 3).double(), torch.zeros(2, 3).double()
    y = torch.tensor([0, 1])
    loss = FocalDistillationLoss(1.0, distance="logit_mse")
    assert _value(loss(h2, y, h1 + 1.0)) > _value(loss(h2, y, h1))


@pytest.mark.parametrize(
    "loss",
    [
        FocalDistillationLoss(0.9),
        FocalDistillationLoss(0.9, distance="logit_mse"),
        LogitInhibitionLoss(0.9, margin=0.0),
        ChurnDistillationLoss(0.9),
    ],
)
def test_gradient_reaches_h2_only(loss):
    torch.manual_seed(2)
    h2 = torch.randn(6, 3, requires_grad=True)
    h1 = torch.randn(6, 3, requires_grad=True)
    loss(h2, torch.randint(0, 3, (6,)), h1).backward()
    assert h2.grad is not None and h2.grad.abs().sum() > 0
    assert h1.grad is None


def test_stacked_models_give_one_loss_each():
    # leading dimensions: several models on one batch (the vectorised sweep)
    torch.manual_seed(3)
    h2 = torch.randn(4, 10, 3).double()
    h1, y = torch.randn(10, 3).double(), torch.randint(0, 3, (10,))
    loss = FocalDistillationLoss(0.4, beta=2.0)
    stacked = loss(h2, y, h1)
    assert stacked.shape == (4,)
    for m in range(4):
        assert_allclose(stacked[m].item(), loss(h2[m], y, h1).item(), rtol=1e-12)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: FocalDistillationLoss(1.5), "lambda_c must be a float in"),
        (lambda: FocalDistillationLoss(distance="l2"), "distance must be one of"),
        (lambda: FocalDistillationLoss(temperature=0), "temperature must be a posi"),
        (lambda: FocalDistillationLoss(beta=-1), "beta must be a non-negative"),
        (lambda: LogitInhibitionLoss(p=0), "p must be a positive"),
        (lambda: ChurnDistillationLoss(-0.1), "lambda_c must be a float in"),
    ],
)
def test_bad_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_shapes():
    loss = FocalDistillationLoss()
    with pytest.raises(ValueError, match="h1 and h2 must score the same classes"):
        loss(torch.zeros(2, 3), torch.tensor([0, 1]), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="n_samples=3"):
        loss(torch.zeros(2, 3), torch.tensor([0, 1, 2]), torch.zeros(2, 3))
