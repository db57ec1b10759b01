"""sklearn_bc: update a classifier without breaking the trust placed in the old one.

Metrics of backward compatibility (BTC, BEC, flip rates), dissonance losses
and a scikit-learn/skorch estimator that trains a new model h2 to stay
compatible with a fitted reference model h1.
"""

from ._explorer import CompatibilityExplorer
from ._plot.groups import GroupCompatibilityDisplay
from ._plot.histogram import IncompatibilityHistogramDisplay
from ._plot.scatter import CompatibilityScatterDisplay
from ._plot.venn import ErrorVennDisplay
from .classifier import BackwardCompatibleClassifier
from .losses import NewErrorLoss, StrictImitationLoss
from .metrics import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)

__version__ = "0.1.0"

__all__ = [
    "BackwardCompatibleClassifier",
    "CompatibilityExplorer",
    "CompatibilityScatterDisplay",
    "ErrorVennDisplay",
    "GroupCompatibilityDisplay",
    "IncompatibilityHistogramDisplay",
    "NewErrorLoss",
    "StrictImitationLoss",
    "bec_score",
    "btc_score",
    "compatibility_report",
    "negative_flip_rate",
    "positive_flip_rate",
]
