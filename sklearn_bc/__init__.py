"""sklearn_bc: update a classifier without breaking the trust placed in the old one.

Metrics of backward compatibility (BTC, BEC, flip rates), dissonance losses
and a scikit-learn/skorch estimator that trains a new model h2 to stay
compatible with a fitted reference model h1.
"""

from .classifier import BackwardCompatibleClassifier
from .losses import NewErrorLoss, StrictImitationLoss
from .metrics import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)
from .scorers import bec_scorer, btc_scorer, make_compatibility_scorer, nfr_scorer
from .sweep import (
    load_results,
    save_results,
    select_compatible,
    sweep_progress,
    sweep_results,
)

__version__ = "0.1.0"

__all__ = [
    "BackwardCompatibleClassifier",
    "NewErrorLoss",
    "StrictImitationLoss",
    "bec_score",
    "bec_scorer",
    "btc_score",
    "btc_scorer",
    "compatibility_report",
    "load_results",
    "make_compatibility_scorer",
    "negative_flip_rate",
    "nfr_scorer",
    "positive_flip_rate",
    "save_results",
    "select_compatible",
    "sweep_progress",
    "sweep_results",
]
