"""The loss of BackwardCompatibleClassifier(CV), built from its parameters.

The dissonance and its knobs are ordinary hyper-parameters of the estimators;
here they are checked (errors name the parameter) and turned into a loss
module (the classifier's ``criterion_``) or the options of the functional
form that the vectorised sweep calls with one ``lambda_c`` per stacked model.
"""

from __future__ import annotations

import numbers
from functools import partial

import numpy as np
import torch
from skorch.utils import to_numpy

from .distillation import (
    FOCAL_DISTANCES,
    ChurnDistillationLoss,
    FocalDistillationLoss,
    LogitInhibitionLoss,
    _check_positive,
)
from .losses import (
    BASE_LOSSES,
    IMITATION_TARGETS,
    NewErrorLoss,
    StrictImitationLoss,
    _check_choice,
    _check_lambda_c,
)

DISSONANCES = (
    "new_error",
    "strict_imitation",
    "focal_distillation",
    "logit_inhibition",
    "churn_distillation",
)
# the dissonances that compare h2's logits with h1's on every row
DISTILLATIONS = ("focal_distillation", "logit_inhibition", "churn_distillation")
# the knobs of the distillation dissonances, as estimator parameters
DISTILLATION_PARAMS = (
    "focal_alpha",
    "focal_beta",
    "distill_distance",
    "temperature",
    "inhibition_margin",
    "inhibition_p",
)
LOSS_PARAMS = {
    "dissonance",
    "lambda_c",
    "base_loss",
    "imitation_target",
    *DISTILLATION_PARAMS,
}


def check_distillation_params(estimator):
    """Check the distillation knobs of ``estimator``; return them by name."""
    return {
        "focal_alpha": _check_positive(
            estimator.focal_alpha, "focal_alpha", allow_zero=True
        ),
        "focal_beta": _check_positive(
            estimator.focal_beta, "focal_beta", allow_zero=True
        ),
        "distill_distance": _check_choice(
            estimator.distill_distance, FOCAL_DISTANCES, "distill_distance"
        ),
        "temperature": _check_positive(estimator.temperature, "temperature"),
        "inhibition_margin": _check_positive(
            estimator.inhibition_margin, "inhibition_margin", allow_zero=True
        ),
        "inhibition_p": _check_positive(estimator.inhibition_p, "inhibition_p"),
    }


def check_base_loss(base_loss, dissonances):
    """The distillation dissonances compare logits: they need cross-entropy."""
    _check_choice(base_loss, BASE_LOSSES, "base_loss")
    distillations = [d for d in dissonances if d in DISTILLATIONS]
    if distillations and base_loss != "cross_entropy":
        raise ValueError(
            f"base_loss must be 'cross_entropy' for {distillations} (they compare "
            f"h2's logits, one per class, with h1's); got base_loss={base_loss!r}."
        )


def check_loss_params(estimator):
    """Check every loss parameter of a BackwardCompatibleClassifier."""
    _check_choice(estimator.dissonance, DISSONANCES, "dissonance")
    _check_lambda_c(estimator.lambda_c)
    check_base_loss(estimator.base_loss, [estimator.dissonance])
    _check_choice(estimator.imitation_target, IMITATION_TARGETS, "imitation_target")
    check_distillation_params(estimator)
    if estimator.criterion is not None:
        raise ValueError(
            "criterion must be None: the loss is built from dissonance, base_loss "
            f"and lambda_c; got criterion={estimator.criterion!r}."
        )


def distillation_options(params, *, center_logits):
    """Keyword arguments of ``distillation._distillation_loss`` from the knobs."""
    return {
        "alpha": params["focal_alpha"],
        "beta": params["focal_beta"],
        "distance": params["distill_distance"],
        "temperature": params["temperature"],
        "margin": params["inhibition_margin"],
        "p": params["inhibition_p"],
        "center_logits": center_logits,
    }


def build_criterion(estimator, *, center_logits=False):
    """The loss module of ``estimator``'s parameters.

    ``center_logits`` is True when h1's cached logits are log-probabilities:
    the logit distances then compare both models' logits centred per row.
    """
    dissonance, lambda_c = estimator.dissonance, estimator.lambda_c
    if dissonance == "new_error":
        return NewErrorLoss(lambda_c, base=estimator.base_loss)
    if dissonance == "strict_imitation":
        return StrictImitationLoss(
            lambda_c, base=estimator.base_loss, target=estimator.imitation_target
        )
    if dissonance == "churn_distillation":
        return ChurnDistillationLoss(lambda_c)
    knobs = check_distillation_params(estimator)
    if dissonance == "focal_distillation":
        return FocalDistillationLoss(
            lambda_c,
            distance=knobs["distill_distance"],
            alpha=knobs["focal_alpha"],
            beta=knobs["focal_beta"],
            temperature=knobs["temperature"],
            center_logits=center_logits,
        )
    return LogitInhibitionLoss(
        lambda_c,
        margin=knobs["inhibition_margin"],
        p=knobs["inhibition_p"],
        alpha=knobs["focal_alpha"],
        beta=knobs["focal_beta"],
        center_logits=center_logits,
    )


def _sigmoid_two_columns(logit):
    proba = torch.sigmoid(logit.reshape(-1))
    return torch.stack([1 - proba, proba], dim=1)


NONLINEARITY = {
    "cross_entropy": partial(torch.softmax, dim=-1),
    "nll": torch.exp,
    "kl_div": torch.exp,
    "binary_cross_entropy": _sigmoid_two_columns,
}


def encoded_accuracy(net, X, y):
    """Validation accuracy in skorch's encoded label space (y = class indices)."""
    output = to_numpy(net.forward(X, training=False))
    if net.base_loss == "binary_cross_entropy":
        pred = (output.reshape(-1) > 0).astype(np.int64)
    else:
        pred = output.argmax(axis=1)
    return float(np.mean(pred == np.asarray(y)))


def check_device(device):
    """Raise a ValueError unless ``device`` is usable by this torch build."""
    try:
        device = torch.device(device if device is not None else "cpu")
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must name a torch device; got {device!r}.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was requested but CUDA is not available on "
            "this machine; use device='cpu'."
        )
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError, NotImplementedError) as exc:
        if device.type == "cuda":
            detail = f"this machine has {torch.cuda.device_count()} CUDA device(s)"
        else:
            detail = (
                f"this torch build ({torch.__version__}) has no {device.type!r} backend"
            )
        raise ValueError(
            f"device={str(device)!r} is not available: {detail}; use device='cpu'"
            + (" or an available 'cuda:N'" if torch.cuda.is_available() else "")
            + "."
        ) from exc


def check_max_epochs(max_epochs):
    if (
        isinstance(max_epochs, bool)
        or not isinstance(max_epochs, numbers.Integral)
        or max_epochs < 0
    ):
        raise ValueError(f"max_epochs must be a non-negative int; got {max_epochs!r}.")
