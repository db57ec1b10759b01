"""Losses against SPEC section 1 worked out by hand on a 4-sample batch."""

import math

import pytest
import torch
import torch.nn.functional as F

from sklearn_bc import NewErrorLoss, StrictImitationLoss

LN2, LN3, LN4, LN43 = math.log(2), math.log(3), math.log(4), math.log(4 / 3)

# Two classes. Logits [ln 3, 0] give p = (3/4, 1/4); [0, 0] give (1/2, 1/2);
# [-ln 3, 0] give (1/4, 3/4).
LOGITS = torch.tensor(
    [[LN3, 0.0], [0.0, 0.0], [-LN3, 0.0], [LN3, 0.0]], dtype=torch.float64
)
Y = torch.tensor([0, 1, 0, 1])
# per-row cross-entropy: -ln(3/4), -ln(1/2), -ln(1/4), -ln(1/4)
CE = [LN43, LN2, LN4, LN4]
# h1 is right on rows 0, 1, 2 (arg-max 0, 1, 0) and wrong on row 3 (arg-max 0 != 1)
H1 = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]], dtype=torch.float64)

L_PLAIN = sum(CE) / 4
D_NEW = (LN43 + LN2 + LN4) / 3
# soft cross-entropy of h2 against h1 on rows 0, 1, 2
D_SOFT = ((0.9 * LN43 + 0.1 * LN4) + LN2 + (0.6 * LN4 + 0.4 * LN43)) / 3


def _entropy(q):
    return -sum(v * math.log(v) for v in q)


D_KL = D_SOFT - (_entropy([0.9, 0.1]) + _entropy([0.2, 0.8]) + _entropy([0.6, 0.4])) / 3


@pytest.mark.parametrize("lambda_c", [0.0, 0.3, 1.0])
@pytest.mark.parametrize(
    "loss_cls, kwargs, dissonance",
    [
        (NewErrorLoss, {}, D_NEW),
        (StrictImitationLoss, {}, D_SOFT),
        (StrictImitationLoss, {"target": "hard"}, D_NEW),
    ],
)
def test_cross_entropy_hand_values(loss_cls, kwargs, dissonance, lambda_c):
    loss = loss_cls(lambda_c, **kwargs)(LOGITS, Y, H1)
    assert loss.item() == pytest.approx(L_PLAIN + lambda_c * dissonance, abs=1e-12)


@pytest.mark.parametrize(
    "loss_cls, kwargs, dissonance",
    [
        (NewErrorLoss, {}, D_NEW),
        (StrictImitationLoss, {}, D_SOFT),
    ],
)
def test_nll_base_takes_log_probabilities(loss_cls, kwargs, dissonance):
    log_proba = F.log_softmax(LOGITS, dim=1)
    loss = loss_cls(0.5, base="nll", **kwargs)(log_proba, Y, H1)
    assert loss.item() == pytest.approx(L_PLAIN + 0.5 * dissonance, abs=1e-12)


def test_kl_base():
    log_proba = F.log_softmax(LOGITS, dim=1)
    # new error: KL(onehot(y) || p) = -ln p_y, the NLL
    assert NewErrorLoss(1.0, base="kl_div")(log_proba, Y, H1).item() == pytest.approx(
        L_PLAIN + D_NEW, abs=1e-12
    )
    loss = StrictImitationLoss(1.0, base="kl_div")(log_proba, Y, H1)
    assert loss.item() == pytest.approx(L_PLAIN + D_KL, abs=1e-12)
    assert math.isfinite(loss.item())  # the predecessor's strict-imitation KL gave NaN


def test_binary_cross_entropy_hand_values():
    # sigmoid(ln 3) = 3/4, sigmoid(0) = 1/2, sigmoid(-ln 3) = 1/4
    logit = torch.tensor([LN3, 0.0, -LN3, LN3], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 0])
    bce = [LN43, LN2, LN43, LN4]
    # h1's positive-class probabilities: predictions 1, 0, 1, 0 -> right on 0, 1, 3
    h1 = torch.tensor([0.8, 0.3, 0.6, 0.1], dtype=torch.float64)
    plain = sum(bce) / 4
    new = (LN43 + LN2 + LN4) / 3
    soft = ((0.8 * LN43 + 0.2 * LN4) + LN2 + (0.1 * LN43 + 0.9 * LN4)) / 3
    base = "binary_cross_entropy"
    got_new = NewErrorLoss(0.5, base=base)(logit, y, h1).item()
    got_soft = StrictImitationLoss(0.5, base=base)(logit[:, None], y, h1).item()
    two_col = torch.stack([1 - h1, h1], dim=1)
    got_two_col = StrictImitationLoss(0.5, base=base)(logit, y, two_col).item()
    assert got_new == pytest.approx(plain + 0.5 * new, abs=1e-12)
    assert got_soft == pytest.approx(plain + 0.5 * soft, abs=1e-12)
    assert got_two_col == pytest.approx(got_soft, abs=1e-12)


@pytest.mark.parametrize("loss_cls", [NewErrorLoss, StrictImitationLoss])
def test_h1_right_nowhere_gives_plain_loss(loss_cls):
    wrong = torch.tensor(
        [[0.1, 0.9], [0.9, 0.1], [0.2, 0.8], [0.7, 0.3]], dtype=torch.float64
    )
    assert loss_cls(1.0)(LOGITS, Y, wrong).item() == pytest.approx(L_PLAIN, abs=1e-12)


def test_h1_correct_overrides_argmax():
    # h1 right on row 3 only (e.g. its predict is not the arg-max of its proba)
    mask = torch.tensor([False, False, False, True])
    loss = NewErrorLoss(1.0)(LOGITS, Y, H1, h1_correct=mask)
    assert loss.item() == pytest.approx(L_PLAIN + LN4, abs=1e-12)


def test_matches_predecessor_formula_on_random_batch():
    # BackwardCompatibilityML 1.4.2's new-error cross-entropy:
    # CE(h2(x), y) + lambda_c * CE(h2(x)[h1 right], y[h1 right])
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(32, 5, generator=gen)
    y = torch.randint(0, 5, (32,), generator=gen)
    h1 = torch.softmax(torch.randn(32, 5, generator=gen) * 3, dim=1)
    right = h1.argmax(1) == y
    assert 0 < right.sum() < 32
    expected = F.cross_entropy(logits, y) + 0.7 * F.cross_entropy(
        logits[right], y[right]
    )
    got = NewErrorLoss(0.7)(logits, y, h1)
    assert got.item() == pytest.approx(expected.item(), abs=1e-6)
    # NLL variant on log-probabilities
    log_proba = F.log_softmax(logits, dim=1)
    expected = F.nll_loss(log_proba, y) + 0.7 * F.nll_loss(log_proba[right], y[right])
    assert NewErrorLoss(0.7, base="nll")(log_proba, y, h1).item() == pytest.approx(
        expected.item(), abs=1e-6
    )


def test_gradient_matches_two_term_autograd_and_spares_h1():
    logits = LOGITS.clone().requires_grad_(True)
    h1 = H1.clone().requires_grad_(True)
    StrictImitationLoss(0.6)(logits, Y, h1).backward()
    assert h1.grad is None  # h1 receives no gradient
    ref_logits = LOGITS.clone().requires_grad_(True)
    right = torch.tensor([True, True, True, False])
    plain = F.cross_entropy(ref_logits, Y)
    soft = -(H1[right] * F.log_softmax(ref_logits[right], dim=1)).sum(1).mean()
    (plain + 0.6 * soft).backward()
    torch.testing.assert_close(logits.grad, ref_logits.grad)


@pytest.mark.parametrize("lambda_c", [-0.1, 1.5, "0.5", None, True, float("nan")])
def test_lambda_c_out_of_range(lambda_c):
    with pytest.raises(ValueError, match="lambda_c must be a float in \\[0, 1\\]"):
        NewErrorLoss(lambda_c)


def test_lambda_c_checked_again_at_call_time():
    loss = NewErrorLoss(0.5)
    loss.lambda_c = 2.0
    with pytest.raises(ValueError, match="lambda_c"):
        loss(LOGITS, Y, H1)


def test_unknown_base_and_target():
    with pytest.raises(ValueError, match="base must be one of"):
        NewErrorLoss(0.5, base="hinge")
    with pytest.raises(ValueError, match="target must be one of"):
        StrictImitationLoss(0.5, target="medium")


@pytest.mark.parametrize(
    "args, match",
    [
        ((LOGITS[:3], Y, H1), "h2_output has 3 rows"),
        ((LOGITS, Y, H1[:3]), "h1_proba has 3 rows"),
        ((LOGITS, Y, torch.ones(4, 3) / 3), "h1 and h2 must score the same classes"),
        ((LOGITS[:, 0], Y, H1), "h2_output must have shape"),
        ((LOGITS, Y[:, None], H1), "y must be 1-d"),
    ],
)
def test_shape_errors(args, match):
    with pytest.raises(ValueError, match=match):
        NewErrorLoss(0.5)(*args)


def test_repr_names_settings():
    assert "lambda_c=0.25" in repr(StrictImitationLoss(0.25, target="hard"))
    assert "target='hard'" in repr(StrictImitationLoss(0.25, target="hard"))
