"""Distillation dissonances from the work that followed the predecessor.

Each loss compares h2's logits with h1's on every row of a batch (not only
where h1 is right, as new error and strict imitation do), optionally weighting
the rows h1 gets right more (focal weights). For a batch of ``n`` rows with
``c_i = 1[h1(x_i) == y_i]``:

- focal distillation (Yan et al., "Positive-Congruent Training", CVPR 2021)::

      loss = CE(h2, y) + lambda_c * mean_i w_i d(h2(x_i), h1(x_i)),
      w_i  = alpha + beta * c_i

  with ``d`` the temperature-scaled KL divergence
  ``T^2 * KL(softmax(h1/T) || softmax(h2/T))`` summed over classes
  (``distance="kl"``) or the squared logit difference averaged over classes
  (``distance="logit_mse"``); ``alpha=1, beta=0`` is plain distillation;
- logit difference inhibition (Zhao et al., ELODI, 2022)::

      d = mean_k clamp(|h2_k - h1_k| - margin, min=0) ** p

  which leaves logit differences below ``margin`` free, with the same focal
  weights;
- churn distillation (Rostamizadeh et al., "Churn Reduction via
  Distillation", ICLR 2022), a convex combination on every row::

      loss = (1 - lambda_c) * CE(h2, y) + lambda_c * CE(h2, softmax(h1))

Conventions, checked against the reference code of the first two
(amazon-science/regression-constraint-model-upgrade,
``ConstrainedUpgrade/losses.py``): the KL distance is summed over classes and
scaled by ``T^2``; the logit distances are averaged over classes (the papers
write a sum: a factor ``1 / n_classes`` that ``lambda_c`` absorbs); the batch
term is the mean over rows of ``w_i d_i``. That code multiplies an ``(n,)``
vector of KL or inhibition distances by ``(n, 1)`` weights, which broadcasts
to ``mean(w) * mean(d)``, an unweighted distance; here every row's distance
gets its own weight, as the paper defines it (for the squared logit distance
the two agree). Its inhibition clamps at ``1e-7`` instead of 0, which adds a
constant without gradient.

All three take h1's *logits*. When only h1's probabilities ``q`` are known,
``log q`` are logits of the same distribution: logits are defined up to a
constant per row, which the KL distance and churn distillation do not see.
The logit distances do see it; pass ``center_logits=True`` so both models'
logits are centred per row before they are compared (see each class).
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

from .losses import _check_choice, _check_lambda_c

__all__ = ["ChurnDistillationLoss", "FocalDistillationLoss", "LogitInhibitionLoss"]

FOCAL_DISTANCES = ("kl", "logit_mse")


def _check_positive(value, name, *, allow_zero=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = value >= 0 if allow_zero else value > 0
    if not ok:
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {bound} float; got {value!r}.")
    return value


def _check_logits_batch(h2_logits, y, h1_logits, h1_correct):
    if y.ndim != 1:
        raise ValueError(f"y must be 1-d class indices; got shape {tuple(y.shape)}.")
    n = y.shape[0]
    if h2_logits.ndim < 2 or h2_logits.shape[-2] != n:
        raise ValueError(
            f"h2_logits must have shape (n_samples, n_classes) with n_samples={n} "
            f"(the length of y); got {tuple(h2_logits.shape)}."
        )
    if tuple(h1_logits.shape) != tuple(h2_logits.shape[-2:]):
        raise ValueError(
            f"h1_logits has shape {tuple(h1_logits.shape)} but h2_logits has shape "
            f"{tuple(h2_logits.shape[-2:])}: h1 and h2 must score the same classes."
        )
    if h1_correct is not None and tuple(h1_correct.shape) != (n,):
        raise ValueError(
            f"h1_correct must have shape ({n},); got {tuple(h1_correct.shape)}."
        )


def _cross_entropy(h2_logits, y):
    """Mean cross-entropy over the rows, per stacked model: shape (...)."""
    log_proba = F.log_softmax(h2_logits, dim=-1)
    index = y.long()[:, None].expand(*log_proba.shape[:-1], 1)
    return -log_proba.gather(-1, index).squeeze(-1).mean(-1)


def _focal_weights(h1_logits, y, h1_correct, alpha, beta, dtype):
    if h1_correct is None:
        h1_correct = h1_logits.argmax(dim=-1) == y
    return alpha + beta * h1_correct.to(dtype)


def _centred(logits):
    return logits - logits.mean(dim=-1, keepdim=True)


def _weighted_loss(h2_logits, y, distance, weights, lambda_c):
    if isinstance(lambda_c, torch.Tensor):
        lambda_c = lambda_c.to(h2_logits.dtype)
    return _cross_entropy(h2_logits, y) + lambda_c * (weights * distance).mean(-1)


def _focal_distillation(
    h2_logits, y, h1_logits, h1_correct, *, lambda_c, distance, alpha, beta,
    temperature, center_logits,
):  # fmt: skip
    weights = _focal_weights(h1_logits, y, h1_correct, alpha, beta, h2_logits.dtype)
    if distance == "kl":
        t = temperature
        target = F.softmax(h1_logits / t, dim=-1)
        log_student = F.log_softmax(h2_logits / t, dim=-1)
        kl = torch.xlogy(target, target) - target * log_student
        row_distance = t * t * kl.sum(-1)
    else:
        a, b = h2_logits, h1_logits
        if center_logits:
            a, b = _centred(a), _centred(b)
        row_distance = (a - b).pow(2).mean(-1)
    return _weighted_loss(h2_logits, y, row_distance, weights, lambda_c)


def _logit_inhibition(
    h2_logits, y, h1_logits, h1_correct, *, lambda_c, margin, p, alpha, beta,
    center_logits,
):  # fmt: skip
    weights = _focal_weights(h1_logits, y, h1_correct, alpha, beta, h2_logits.dtype)
    a, b = h2_logits, h1_logits
    if center_logits:
        a, b = _centred(a), _centred(b)
    excess = ((a - b).abs() - margin).clamp_min(0.0)
    return _weighted_loss(h2_logits, y, excess.pow(p).mean(-1), weights, lambda_c)


def _churn_distillation(h2_logits, y, h1_logits, *, lambda_c):
    if isinstance(lambda_c, torch.Tensor):
        lambda_c = lambda_c.to(h2_logits.dtype)
    log_proba = F.log_softmax(h2_logits, dim=-1)
    target = F.softmax(h1_logits, dim=-1)
    soft = -(target * log_proba).sum(-1).mean(-1)
    return (1 - lambda_c) * _cross_entropy(h2_logits, y) + lambda_c * soft


def _distillation_loss(
    dissonance, h2_logits, y, h1_logits, h1_correct, *, lambda_c, alpha=1.0,
    beta=5.0, distance="kl", temperature=1.0, margin=1.0, p=2.0,
    center_logits=False,
):  # fmt: skip
    """The functional core of the three losses, for one model or a stack.

    Parameters
    ----------
    dissonance : {"focal_distillation", "logit_inhibition", "churn_distillation"}
    h2_logits : Tensor of shape (..., n, n_classes)
        Logits of one model, or of a stack of models (leading dimensions) on
        the same batch.
    y : Tensor of shape (n,)
    h1_logits : detached Tensor of shape (n, n_classes), in h2's dtype
    h1_correct : bool Tensor of shape (n,) or None
    lambda_c : float or Tensor of shape (n_models,)
        One weight, or one weight per stacked model.
    alpha, beta, distance, temperature, margin, p, center_logits
        As in the loss classes (each dissonance reads its own).

    Returns
    -------
    loss : Tensor of shape h2_logits' leading dimensions (a scalar for one model)
    """
    if dissonance == "focal_distillation":
        return _focal_distillation(
            h2_logits, y, h1_logits, h1_correct, lambda_c=lambda_c,
            distance=distance, alpha=alpha, beta=beta, temperature=temperature,
            center_logits=center_logits,
        )  # fmt: skip
    if dissonance == "logit_inhibition":
        return _logit_inhibition(
            h2_logits, y, h1_logits, h1_correct, lambda_c=lambda_c, margin=margin,
            p=p, alpha=alpha, beta=beta, center_logits=center_logits,
        )  # fmt: skip
    if dissonance == "churn_distillation":
        return _churn_distillation(h2_logits, y, h1_logits, lambda_c=lambda_c)
    raise ValueError(
        "dissonance must be one of ['focal_distillation', 'logit_inhibition', "
        f"'churn_distillation']; got {dissonance!r}."
    )


class _DistillationBase(nn.Module):
    def _prepare(self, h2_logits, y, h1_logits, h1_correct):
        h1_logits = h1_logits.detach()
        _check_logits_batch(h2_logits, y, h1_logits, h1_correct)
        return h1_logits.to(h2_logits.dtype)


class FocalDistillationLoss(_DistillationBase):
    """Focal distillation: distil h1 into h2, most where h1 is right.

    ``loss = CE(h2, y) + lambda_c * mean_i (alpha + beta * c_i) * d_i`` with
    ``c_i = 1[h1(x_i) == y_i]`` and ``d_i`` the distance between h2's and
    h1's outputs on row ``i`` (see :mod:`sklearn_bc.distillation`).

    Parameters
    ----------
    lambda_c : float, default=0.5
        Weight of the distillation term, in [0, 1]; 0 is plain training.
    distance : {"kl", "logit_mse"}, default="kl"
        ``T^2 * KL(softmax(h1/T) || softmax(h2/T))`` summed over classes, or
        the squared difference of the logits averaged over classes.
    alpha : float, default=1.0
        Weight of every row.
    beta : float, default=5.0
        Extra weight of the rows h1 gets right; ``alpha=1, beta=0`` is plain
        knowledge distillation.
    temperature : float, default=1.0
        ``T`` of the KL distance.
    center_logits : bool, default=False
        Compare logits centred per row (``logit_mse`` only; the KL distance
        does not depend on a per-row constant). Use it when h1's "logits" are
        its log-probabilities.

    See Also
    --------
    LogitInhibitionLoss : Leaves small logit differences free.
    ChurnDistillationLoss : Distillation as a convex combination.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc import FocalDistillationLoss
    >>> h2 = torch.tensor([[1.0, 0.0], [0.0, 0.0]], requires_grad=True)
    >>> h1 = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    >>> y = torch.tensor([0, 1])
    >>> loss = FocalDistillationLoss(1.0, distance="logit_mse", beta=0.0)(h2, y, h1)
    >>> # CE: (0.3133 + 0.6931) / 2; distance: (1^2 + 0^2) / 2 on row 0, 0 on row 1
    >>> round(loss.item(), 4)
    0.7532
    """

    def __init__(
        self,
        lambda_c=0.5,
        *,
        distance="kl",
        alpha=1.0,
        beta=5.0,
        temperature=1.0,
        center_logits=False,
    ):
        super().__init__()
        self.lambda_c = _check_lambda_c(lambda_c)
        self.distance = _check_choice(distance, FOCAL_DISTANCES, "distance")
        self.alpha = _check_positive(alpha, "alpha", allow_zero=True)
        self.beta = _check_positive(beta, "beta", allow_zero=True)
        self.temperature = _check_positive(temperature, "temperature")
        self.center_logits = bool(center_logits)

    def extra_repr(self):
        """Describe the loss's settings in its repr."""
        return (
            f"lambda_c={self.lambda_c}, distance={self.distance!r}, "
            f"alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}"
        )

    def forward(self, h2_logits, y, h1_logits, *, h1_correct=None):
        """Compute the loss of one batch.

        Parameters
        ----------
        h2_logits : Tensor of shape (n, n_classes)
            h2's logits.
        y : Tensor of shape (n,)
            True class indices.
        h1_logits : Tensor of shape (n, n_classes)
            h1's logits (detached: no gradient flows to h1).
        h1_correct : bool Tensor of shape (n,), default=None
            Where h1's label equals ``y``; defaults to the arg-max of
            ``h1_logits``.

        Returns
        -------
        loss : scalar Tensor
        """
        h1_logits = self._prepare(h2_logits, y, h1_logits, h1_correct)
        return _focal_distillation(
            h2_logits, y, h1_logits, h1_correct, lambda_c=self.lambda_c,
            distance=self.distance, alpha=self.alpha, beta=self.beta,
            temperature=self.temperature, center_logits=self.center_logits,
        )  # fmt: skip


class LogitInhibitionLoss(_DistillationBase):
    """Logit difference inhibition: penalise only large logit differences.

    ``loss = CE(h2, y) + lambda_c * mean_i w_i * mean_k clamp(|h2_ik - h1_ik|
    - margin, min=0) ** p`` with focal weights ``w_i = alpha + beta * c_i``.

    Parameters
    ----------
    lambda_c : float, default=0.5
        Weight of the inhibition term, in [0, 1]; 0 is plain training.
    margin : float, default=1.0
        Logit differences up to ``margin`` cost nothing.
    p : float, default=2.0
        Power of the excess difference.
    alpha : float, default=1.0
        Weight of every row.
    beta : float, default=0.0
        Extra weight of the rows h1 gets right.
    center_logits : bool, default=False
        Compare logits centred per row (when h1's "logits" are its
        log-probabilities).

    See Also
    --------
    FocalDistillationLoss : Distils h1's whole distribution.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc import LogitInhibitionLoss
    >>> h2 = torch.tensor([[3.0, 0.0]], requires_grad=True)
    >>> h1 = torch.tensor([[0.5, 0.5]])
    >>> loss = LogitInhibitionLoss(1.0, margin=1.0)(h2, torch.tensor([0]), h1)
    >>> # CE 0.0486; differences 2.5 and 0.5: (1.5^2 + 0) / 2 = 1.125
    >>> round(loss.item(), 4)
    1.1736
    """

    def __init__(
        self, lambda_c=0.5, *, margin=1.0, p=2.0, alpha=1.0, beta=0.0,
        center_logits=False,
    ):  # fmt: skip
        super().__init__()
        self.lambda_c = _check_lambda_c(lambda_c)
        self.margin = _check_positive(margin, "margin", allow_zero=True)
        self.p = _check_positive(p, "p")
        self.alpha = _check_positive(alpha, "alpha", allow_zero=True)
        self.beta = _check_positive(beta, "beta", allow_zero=True)
        self.center_logits = bool(center_logits)

    def extra_repr(self):
        """Describe the loss's settings in its repr."""
        return (
            f"lambda_c={self.lambda_c}, margin={self.margin}, p={self.p}, "
            f"alpha={self.alpha}, beta={self.beta}"
        )

    def forward(self, h2_logits, y, h1_logits, *, h1_correct=None):
        """Compute the loss of one batch (parameters as in FocalDistillationLoss).

        Parameters
        ----------
        h2_logits : Tensor of shape (n, n_classes)
        y : Tensor of shape (n,)
        h1_logits : Tensor of shape (n, n_classes)
        h1_correct : bool Tensor of shape (n,), default=None

        Returns
        -------
        loss : scalar Tensor
        """
        h1_logits = self._prepare(h2_logits, y, h1_logits, h1_correct)
        return _logit_inhibition(
            h2_logits, y, h1_logits, h1_correct, lambda_c=self.lambda_c,
            margin=self.margin, p=self.p, alpha=self.alpha, beta=self.beta,
            center_logits=self.center_logits,
        )  # fmt: skip


class ChurnDistillationLoss(_DistillationBase):
    """Churn distillation: a convex combination of the labels and h1's distribution.

    ``loss = (1 - lambda_c) * CE(h2, y) + lambda_c * CE(h2, softmax(h1))`` on
    every row: the distillation Rostamizadeh et al. show to be equivalent to
    a constraint on churn (the rate at which h2 and h1 disagree).

    Parameters
    ----------
    lambda_c : float, default=0.5
        The mixing weight ``a`` in [0, 1]; 0 is plain training, 1 imitates h1
        alone.

    See Also
    --------
    FocalDistillationLoss : Distillation weighted towards h1's right rows.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc import ChurnDistillationLoss
    >>> h2 = torch.zeros(1, 2, requires_grad=True)  # uniform: CE is log 2
    >>> h1 = torch.tensor([[5.0, -5.0]])
    >>> loss = ChurnDistillationLoss(0.25)(h2, torch.tensor([1]), h1)
    >>> round(loss.item(), 4)  # 0.75 log 2 + 0.25 log 2
    0.6931
    """

    def __init__(self, lambda_c=0.5):
        super().__init__()
        self.lambda_c = _check_lambda_c(lambda_c)

    def extra_repr(self):
        """Describe the loss's settings in its repr."""
        return f"lambda_c={self.lambda_c}"

    def forward(self, h2_logits, y, h1_logits, *, h1_correct=None):
        """Compute the loss of one batch.

        Parameters
        ----------
        h2_logits : Tensor of shape (n, n_classes)
        y : Tensor of shape (n,)
        h1_logits : Tensor of shape (n, n_classes)
            h1's logits or log-probabilities (the same distribution).
        h1_correct : None
            Not used (every row is distilled); accepted for a common call.

        Returns
        -------
        loss : scalar Tensor
        """
        h1_logits = self._prepare(h2_logits, y, h1_logits, h1_correct)
        return _churn_distillation(h2_logits, y, h1_logits, lambda_c=self.lambda_c)
