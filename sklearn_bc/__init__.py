"""sklearn_bc: update a classifier without breaking the trust placed in the old one.

Metrics of backward compatibility (BTC, BEC, flip rates), dissonance losses,
a scikit-learn/skorch estimator and a meta-estimator for any learner that
takes sample_weight, which train a new model h2 to stay compatible with a
fitted reference model h1.
"""

from ._explorer import CompatibilityExplorer
from ._plot.groups import GroupCompatibilityDisplay
from ._plot.histogram import IncompatibilityHistogramDisplay
from ._plot.history import UpdateHistoryDisplay
from ._plot.scatter import CompatibilityScatterDisplay
from ._plot.venn import ErrorVennDisplay
from .classifier import BackwardCompatibleClassifier
from .classifier_cv import BackwardCompatibleClassifierCV
from .distillation import (
    ChurnDistillationLoss,
    FocalDistillationLoss,
    LogitInhibitionLoss,
)
from .history import UpdateHistory
from .losses import NewErrorLoss, StrictImitationLoss
from .metrics import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)
from .scorers import bec_scorer, btc_scorer, make_compatibility_scorer, nfr_scorer
from .significance import PairedTestResult, mcnemar_test, negative_flip_test
from .sweep import (
    load_results,
    save_results,
    select_compatible,
    sweep_progress,
    sweep_results,
)
from .tracking import log_sweep_to_mlflow
from .update import BackwardCompatibleUpdate

__version__ = "0.1.0"

__all__ = [
    "BackwardCompatibleClassifier",
    "BackwardCompatibleClassifierCV",
    "BackwardCompatibleUpdate",
    "ChurnDistillationLoss",
    "CompatibilityExplorer",
    "CompatibilityScatterDisplay",
    "ErrorVennDisplay",
    "FocalDistillationLoss",
    "GroupCompatibilityDisplay",
    "IncompatibilityHistogramDisplay",
    "LogitInhibitionLoss",
    "NewErrorLoss",
    "PairedTestResult",
    "StrictImitationLoss",
    "UpdateHistory",
    "UpdateHistoryDisplay",
    "bec_score",
    "bec_scorer",
    "btc_score",
    "btc_scorer",
    "compatibility_report",
    "load_results",
    "log_sweep_to_mlflow",
    "make_compatibility_scorer",
    "mcnemar_test",
    "negative_flip_rate",
    "negative_flip_test",
    "nfr_scorer",
    "positive_flip_rate",
    "save_results",
    "select_compatible",
    "sweep_progress",
    "sweep_results",
]
