"""Compatibility losses: ``L(h2, B) + lambda_c * D(h1, h2, B)`` as torch modules.

The losses take *outputs*, not models: h1's predicted distribution on the batch
is an input tensor (computed once, e.g. cached by
:class:`~sklearn_bc.BackwardCompatibleClassifier`), so h1 never receives a
gradient and never runs inside the training loop.

For a batch of ``n`` samples with ``c_i = 1[h1(x_i) == y_i]`` and
``n_c = sum_i c_i``::

    loss = mean_i l(h2(x_i), y_i) + lambda_c * D
    new error:         D = (1 / n_c) * sum_i c_i * l(h2(x_i), y_i)
    strict imitation:  D = (1 / n_c) * sum_i c_i * l(h2(x_i), t_i)

with ``D = 0`` when ``n_c == 0`` and ``t_i`` h1's distribution (soft) or label
(hard). Both are computed in one pass as a weighted loss.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["NewErrorLoss", "StrictImitationLoss"]

BASE_LOSSES = ("cross_entropy", "nll", "kl_div", "binary_cross_entropy")
IMITATION_TARGETS = ("soft", "hard")


def _check_lambda_c(lambda_c):
    if (
        isinstance(lambda_c, bool)
        or not isinstance(lambda_c, numbers.Real)
        or not 0.0 <= float(lambda_c) <= 1.0
    ):
        raise ValueError(f"lambda_c must be a float in [0, 1]; got {lambda_c!r}.")
    return float(lambda_c)


def _check_choice(value, options, name):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}; got {value!r}.")
    return value


def _check_batch(h2_output, y, h1_proba, h1_correct, base):
    n = y.shape[0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-d class indices; got shape {tuple(y.shape)}.")
    if base == "binary_cross_entropy":
        if not (
            h2_output.ndim == 1 or (h2_output.ndim == 2 and h2_output.shape[1] == 1)
        ):
            raise ValueError(
                "h2_output must hold one logit per sample, shape (n,) or (n, 1), for "
                f"base='binary_cross_entropy'; got shape {tuple(h2_output.shape)}."
            )
    elif h2_output.ndim != 2:
        raise ValueError(
            "h2_output must have shape (n_samples, n_classes); "
            f"got {tuple(h2_output.shape)}."
        )
    if h2_output.shape[0] != n:
        raise ValueError(
            f"h2_output has {h2_output.shape[0]} rows but y has {n} entries."
        )
    if h1_proba.shape[0] != n:
        raise ValueError(
            f"h1_proba has {h1_proba.shape[0]} rows but y has {n} entries."
        )
    if base != "binary_cross_entropy" and h1_proba.shape != h2_output.shape:
        raise ValueError(
            f"h1_proba has shape {tuple(h1_proba.shape)} but h2_output has shape "
            f"{tuple(h2_output.shape)}: h1 and h2 must score the same classes."
        )
    if h1_correct is not None and tuple(h1_correct.shape) != (n,):
        raise ValueError(
            f"h1_correct must have shape ({n},); got {tuple(h1_correct.shape)}."
        )


def _h1_labels(h1_proba, base):
    """h1's positive-class probability (binary) or distribution, and its labels."""
    if base == "binary_cross_entropy":
        if h1_proba.ndim == 2:
            h1_proba = h1_proba[:, -1]
        return h1_proba, (h1_proba > 0.5).long()
    return h1_proba, h1_proba.argmax(dim=1)


def _dissonance_target(target, h1_proba, h1_labels, base):
    """h1-derived targets of the dissonance rows; None means "use y" (new error)."""
    if target is None:
        return None
    if base == "binary_cross_entropy":
        return h1_proba if target == "soft" else h1_labels.to(h1_proba.dtype)
    if target == "soft":
        return h1_proba
    return F.one_hot(h1_labels, h1_proba.shape[1]).to(h1_proba.dtype)


def _compatibility_loss(h2_output, y, h1_proba, h1_correct, *, lambda_c, base, target):
    """The functional core of both dissonances, for one model or a stack of models.

    Parameters
    ----------
    h2_output : Tensor of shape (..., n, n_classes), or (..., n) for binary
        Outputs of one model, or of a stack of models (leading dimensions)
        on the same batch.
    y : Tensor of shape (n,)
    h1_proba : detached Tensor of shape (n, n_classes), or (n,) / (n, 2) for binary
    h1_correct : bool Tensor of shape (n,) or None
    lambda_c : float or Tensor of shape (n_models,)
        One weight, or one weight per stacked model.
    base : str
    target : {None, "soft", "hard"}
        None for new error (the dissonance rows use ``y``), else strict
        imitation of h1's distribution or label.

    Returns
    -------
    loss : Tensor of shape h2_output's leading dimensions (a scalar for one model)
    """
    h1_proba, h1_labels = _h1_labels(h1_proba, base)
    if h1_correct is None:
        h1_correct = h1_labels == y.long()
    if isinstance(lambda_c, torch.Tensor):
        lambda_c = lambda_c.to(h2_output.dtype)[:, None]
    correct = h1_correct.to(h2_output.dtype)
    # weight of each row in D; 0 everywhere when h1 is right nowhere
    dissonance_weight = lambda_c * correct / correct.sum().clamp_min(1.0)
    dissonance_target = _dissonance_target(target, h1_proba, h1_labels, base)
    if base == "binary_cross_entropy":
        return _binary_loss(h2_output, y, dissonance_target, dissonance_weight)
    return _categorical_loss(h2_output, y, dissonance_target, dissonance_weight, base)


def _categorical_loss(h2_output, y, target, dissonance_weight, base):
    n = y.shape[0]
    log_proba = (
        F.log_softmax(h2_output, dim=-1) if base == "cross_entropy" else h2_output
    )
    y = y.long()
    if target is None:
        # l(h2, y) on every row: one gather with per-row weights
        weight = 1.0 / n + dissonance_weight
        index = y[:, None].expand(*log_proba.shape[:-1], 1)
        return -(weight * log_proba.gather(-1, index).squeeze(-1)).sum(-1)
    # one soft-target cross-entropy: onehot(y)/n + dissonance_weight * t
    soft = dissonance_weight[..., None] * target
    soft = soft + F.one_hot(y, log_proba.shape[-1]).to(soft.dtype) * (1.0 / n)
    loss = -(soft * log_proba).sum((-2, -1))
    if base == "kl_div":
        # KL(t || h2) = CE(t, h2) - H(t); the entropy term only matters for D
        entropy = torch.xlogy(target, target).sum(-1)
        loss = loss + (dissonance_weight * entropy).sum(-1)
    return loss


def _binary_loss(h2_logit, y, target, dissonance_weight):
    n = y.shape[0]
    y = y.to(h2_logit.dtype)
    weight = (1.0 / n + dissonance_weight).expand(h2_logit.shape)
    if target is None:
        merged = y.expand(h2_logit.shape)
    else:
        # BCE is linear in its target, so the two terms merge into one call
        merged = (y / n + dissonance_weight * target) / weight
    return F.binary_cross_entropy_with_logits(
        h2_logit, merged, weight=weight, reduction="none"
    ).sum(-1)


class _CompatibilityLoss(nn.Module):
    """Shared machinery of the two dissonances."""

    def __init__(self, lambda_c=0.5, *, base="cross_entropy"):
        super().__init__()
        self.lambda_c = _check_lambda_c(lambda_c)
        self.base = _check_choice(base, BASE_LOSSES, "base")

    def extra_repr(self):
        """Describe the loss's settings in its repr."""
        return f"lambda_c={self.lambda_c}, base={self.base!r}"

    def _target(self):
        """What the dissonance rows imitate: None (y), "soft" or "hard" (h1)."""
        raise NotImplementedError

    def forward(self, h2_output, y, h1_proba, *, h1_correct=None):
        """Compute the compatibility loss of one batch.

        Parameters
        ----------
        h2_output : Tensor of shape (n, n_classes), or (n,) for binary
            h2's output: logits for ``base="cross_entropy"`` and
            ``"binary_cross_entropy"`` (one logit per sample),
            log-probabilities for ``"nll"`` and ``"kl_div"``.
        y : Tensor of shape (n,)
            True class indices (0/1 for the binary base).
        h1_proba : Tensor of shape (n, n_classes), or (n,) for binary
            h1's predicted class probabilities; for the binary base either
            ``(n, 2)`` or the positive-class probability ``(n,)``. Detached:
            no gradient flows to h1.
        h1_correct : bool Tensor of shape (n,), default=None
            Where h1's predicted label equals ``y``. Defaults to
            ``argmax(h1_proba) == y``; pass it when h1's ``predict`` is not
            the arg-max of its probabilities.

        Returns
        -------
        loss : scalar Tensor
        """
        lambda_c = _check_lambda_c(self.lambda_c)
        base = _check_choice(self.base, BASE_LOSSES, "base")
        h1_proba = h1_proba.detach()
        _check_batch(h2_output, y, h1_proba, h1_correct, base)
        if base == "binary_cross_entropy":
            h2_output = h2_output.reshape(y.shape[0])
        return _compatibility_loss(
            h2_output,
            y,
            h1_proba,
            h1_correct,
            lambda_c=lambda_c,
            base=base,
            target=self._target(),
        )


class NewErrorLoss(_CompatibilityLoss):
    """New-error compatibility loss: penalise h2's loss where h1 was right.

    ``loss = mean_i l(h2(x_i), y_i) + lambda_c / n_c * sum_i c_i l(h2(x_i), y_i)``
    with ``c_i = 1[h1(x_i) == y_i]``, ``n_c = sum_i c_i`` and the dissonance
    set to 0 when ``n_c == 0``. Computed as one weighted loss with per-row
    weights ``1/n + lambda_c * c_i / n_c``.

    Parameters
    ----------
    lambda_c : float, default=0.5
        Weight of the dissonance, in [0, 1]. ``0`` is plain training.
    base : {"cross_entropy", "nll", "kl_div", "binary_cross_entropy"}, \
            default="cross_entropy"
        The per-sample loss ``l``: cross-entropy on logits, negative
        log-likelihood on log-probabilities, KL divergence from the one-hot
        target on log-probabilities (numerically equal to NLL for new error),
        or binary cross-entropy on one logit per sample.

    See Also
    --------
    StrictImitationLoss : Pull h2 towards h1's distribution where h1 was right.

    Examples
    --------
    In a plain PyTorch training loop, with h1's probabilities computed once:

    >>> import torch
    >>> from sklearn_bc import NewErrorLoss
    >>> _ = torch.manual_seed(0)
    >>> X, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    >>> h1 = torch.nn.Linear(5, 3)
    >>> with torch.no_grad():
    ...     h1_proba = h1(X).softmax(dim=1)  # once, before training
    >>> h2 = torch.nn.Linear(5, 3)
    >>> loss_fn = NewErrorLoss(lambda_c=0.7)
    >>> optimizer = torch.optim.SGD(h2.parameters(), lr=0.1)
    >>> for start in range(0, 64, 16):
    ...     batch = slice(start, start + 16)
    ...     optimizer.zero_grad()
    ...     loss = loss_fn(h2(X[batch]), y[batch], h1_proba[batch])
    ...     loss.backward()
    ...     optimizer.step()
    >>> loss.ndim
    0
    """

    def _target(self):
        return None


class StrictImitationLoss(_CompatibilityLoss):
    """Strict-imitation compatibility loss: pull h2 towards h1 where h1 was right.

    ``loss = mean_i l(h2(x_i), y_i) + lambda_c / n_c * sum_i c_i l(h2(x_i), t_i)``
    where ``t_i`` is h1's predicted distribution (``target="soft"``, the
    default) or h1's predicted label (``target="hard"``). On the rows where h1
    is right its label *is* ``y_i``, so with ``target="hard"`` this loss is
    exactly :class:`NewErrorLoss`; the soft target is what makes strict
    imitation a different dissonance (h2 also learns h1's confidence and its
    ranking of the wrong classes).

    Parameters
    ----------
    lambda_c : float, default=0.5
        Weight of the dissonance, in [0, 1]. ``0`` is plain training.
    base : {"cross_entropy", "nll", "kl_div", "binary_cross_entropy"}, \
            default="cross_entropy"
        The per-sample loss ``l`` (see :class:`NewErrorLoss`). With
        ``"kl_div"`` the dissonance is ``KL(t_i || h2(x_i))``, which differs
        from the cross-entropy by h1's entropy.
    target : {"soft", "hard"}, default="soft"
        Imitate h1's distribution or h1's label.

    See Also
    --------
    NewErrorLoss : Penalise h2's own loss where h1 was right.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc import StrictImitationLoss
    >>> h2_logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]], requires_grad=True)
    >>> y = torch.tensor([0, 1])
    >>> h1_proba = torch.tensor([[0.9, 0.1], [0.8, 0.2]])  # right on row 0 only
    >>> loss = StrictImitationLoss(lambda_c=1.0)(h2_logits, y, h1_proba)
    >>> loss.backward()
    >>> # mean CE (0.1269 + 0.3133) / 2 plus h2's soft CE against h1 on row 0
    >>> round(loss.item(), 4)
    0.547
    """

    def __init__(self, lambda_c=0.5, *, base="cross_entropy", target="soft"):
        super().__init__(lambda_c, base=base)
        self.target = _check_choice(target, IMITATION_TARGETS, "target")

    def extra_repr(self):
        """Describe the loss's settings in its repr."""
        return super().extra_repr() + f", target={self.target!r}"

    def _target(self):
        return _check_choice(self.target, IMITATION_TARGETS, "target")
