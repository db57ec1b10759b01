"""BackwardCompatibleUpdate: compatible updates for any learner with ``sample_weight``.

For a log-loss learner the new-error compatibility loss of SPEC §1 is a
weighted log loss. With ``c_i = 1[h1(x_i) == y_i]``, user weights ``s_i``,
``S = sum_i s_i`` and ``S_c = sum_i c_i s_i``::

    L + lambda_c * D = sum_i s_i l_i / S + lambda_c * sum_i c_i s_i l_i / S_c
                     = sum_i w_i l_i,   w_i = s_i / S + lambda_c * c_i s_i / S_c

(``D = 0`` when ``S_c == 0``; without user weights ``s_i = 1``, ``S = N``,
``S_c = N_c``). Strict imitation replaces ``l_i`` by the cross-entropy to h1's
distribution ``q_i`` on the h1-correct rows, ``-sum_k q_ik log p_ik``: a
weighted log loss over one copy of the row per class ``k``, labelled ``k``,
weighted ``lambda_c * s_i * q_ik / S_c``.

Focal distillation (``KL(q_i || h2(x_i))`` on every row, focal weights
``f_i = alpha + beta * c_i``, temperature 1) differs from the cross-entropy to
``q_i`` by h1's entropy, a constant: it is the same row expansion on every
row, the copies weighted ``lambda_c * f_i * s_i * q_ik / S``. Churn
distillation, ``(1 - lambda_c) * L + lambda_c * CE(q, h2)`` on every row,
weights the rows ``(1 - lambda_c) * s_i / S`` and the copies ``lambda_c * s_i
* q_ik / S``. A temperature on h2's logits, a squared logit distance or logit
inhibition are not log losses of h2's probabilities: a weighted learner
cannot express them, and they are refused.

The weights handed to the learner are ``S * w_i``: with ``lambda_c == 0`` they
are exactly the user's weights (all ones by default), so ``lambda_c == 0`` is
the plain fit, and the learner's weighted objective is ``S * (L + lambda_c *
D)``, whose minimiser is the same. Learners that regularise (``C``, ``alpha``,
``l2_regularization``, ``min_samples_leaf``...) see a data term at most
``1 + lambda_c`` times heavier than in the plain fit, as if trained on that
many more samples.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
    is_classifier,
)
from sklearn.utils import _safe_indexing
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._reference import (
    ReferenceParamsMixin,
    check_reference_classes,
    check_reference_proba,
    reference_outputs,
    resolve_classes,
)
from .losses import _check_choice, _check_lambda_c

__all__ = ["BackwardCompatibleUpdate"]

DISSONANCES = (
    "new_error",
    "strict_imitation",
    "focal_distillation",
    "churn_distillation",
)
# the torch-only dissonances, and why a weighted learner cannot express them
_NOT_EXPRESSIBLE = {
    "logit_inhibition": (
        "it penalises differences of logits beyond a margin, which is no "
        "weighted log loss of h2's probabilities"
    ),
}


def _check_non_negative(value, name):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a non-negative float; got {value!r}.")
    return float(value)


def _check_estimator(estimator):
    if not is_classifier(estimator):
        raise ValueError(
            "estimator must be a scikit-learn classifier; got "
            f"{type(estimator).__name__}."
        )
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"estimator {type(estimator).__name__} does not accept sample_weight in "
            "fit; BackwardCompatibleUpdate trains the estimator with per-sample "
            "weights, so it needs a learner whose fit takes sample_weight (to use a "
            "Pipeline, make BackwardCompatibleUpdate its final step)."
        )
    return estimator


def _training_rows(
    y_index,
    h1_proba,
    h1_correct,
    *,
    dissonance,
    lambda_c,
    sample_weight,
    focal_alpha=1.0,
    focal_beta=5.0,
):
    """Return the rows, targets and weights the learner is fitted on.

    Parameters
    ----------
    y_index : ndarray of int, shape (n_samples,)
        Position of each true label in ``classes``.
    h1_proba : ndarray of shape (n_samples, n_classes)
        h1's distribution (used by strict imitation only).
    h1_correct : ndarray of bool, shape (n_samples,)
    dissonance : {"new_error", "strict_imitation", "focal_distillation", \
            "churn_distillation"}
    lambda_c : float
    sample_weight : ndarray of shape (n_samples,)
        Non-negative user weights ``s`` with a positive sum.
    focal_alpha, focal_beta : float
        Focal weights ``alpha + beta * c_i`` of focal distillation.

    Returns
    -------
    rows : ndarray of int
        Index of the input row behind each training row.
    targets : ndarray of int
        Position in ``classes`` of each training row's label.
    weights : ndarray of float
        ``S * w`` for each training row (see the module docstring).
    """
    n_samples = y_index.shape[0]
    s = np.asarray(sample_weight, dtype=np.float64)
    total = s.sum()
    correct_total = s[h1_correct].sum()
    rows = np.arange(n_samples)
    if dissonance == "new_error":
        # D = 0 when h1 is right nowhere (or only on zero-weight rows)
        scale = lambda_c * total / correct_total if correct_total > 0 else 0.0
        return rows, y_index, s + scale * h1_correct * s
    if dissonance == "strict_imitation":
        scale = lambda_c * total / correct_total if correct_total > 0 else 0.0
        copy_weight = scale * s * h1_correct
        row_weight = s
    elif dissonance == "focal_distillation":
        copy_weight = lambda_c * s * (focal_alpha + focal_beta * h1_correct)
        row_weight = s
    else:  # churn_distillation
        copy_weight = lambda_c * s
        row_weight = (1.0 - lambda_c) * s
    n_classes = h1_proba.shape[1]
    copied = np.flatnonzero(copy_weight > 0)
    imitation = copy_weight[copied, None] * np.asarray(h1_proba, np.float64)[copied]
    extra_rows = np.repeat(copied, n_classes)
    extra_targets = np.tile(np.arange(n_classes), copied.shape[0])
    extra_weights = imitation.ravel()
    keep = extra_weights > 0
    return (
        np.concatenate([rows, extra_rows[keep]]),
        np.concatenate([y_index, extra_targets[keep]]),
        np.concatenate([row_weight, extra_weights[keep]]),
    )


def _estimator_has(attr):
    """Whether the fitted (else the unfitted) estimator has ``attr``."""

    def check(self):
        estimator = getattr(self, "estimator_", self.estimator)
        getattr(estimator, attr)  # AttributeError hides the method
        return True

    return check


class BackwardCompatibleUpdate(
    ReferenceParamsMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Fit any classifier that takes ``sample_weight`` compatibly with a reference.

    Trains a clone of ``estimator`` (the new model h2) so that its weighted
    objective is, up to a constant factor, SPEC's compatibility loss
    ``L(h2, y) + lambda_c * D(h1, h2)`` for a log-loss learner: with
    ``c_i = 1[h1(x_i) == y_i]``, user weights ``s_i`` (default 1),
    ``S = sum_i s_i`` and ``S_c = sum_i c_i s_i``, the per-sample weights are
    ``w_i = s_i / S + lambda_c * c_i * s_i / S_c`` (the second term is 0 when
    ``S_c == 0``). For ``dissonance="strict_imitation"`` each h1-correct row
    contributes instead one copy per class ``k``, labelled ``k`` and weighted
    ``lambda_c * s_i * q_ik / S_c`` with ``q_i`` h1's predicted distribution
    (copies with weight 0 are dropped), next to the row itself with weight
    ``s_i / S``.

    The weights handed to the learner are ``S * w_i``, so that with
    ``lambda_c=0`` they are exactly the user's weights (all ones by default)
    and the fit is the plain one. This constant factor does not change the
    minimiser of an unregularised loss; a regularised learner sees its data
    term at most ``1 + lambda_c`` times heavier than in the plain fit.

    h1 is never fitted, modified or unfitted: it survives ``clone``,
    ``set_params``, pickling and ``GridSearchCV`` as the same fitted model.

    Parameters
    ----------
    estimator : classifier
        The learner for h2; its ``fit`` must accept ``sample_weight``. It is
        cloned at fit time. Log-loss learners (``LogisticRegression``,
        ``HistGradientBoostingClassifier``, ``SGDClassifier(loss="log_loss")``)
        minimise exactly the loss above; others minimise their own loss with
        the same weights.
    reference : fitted classifier or torch.nn.Module, default=None
        The fitted reference model h1 (see
        :class:`~sklearn_bc.BackwardCompatibleClassifier`). It receives ``X``
        as passed to :meth:`fit`. May be None only when h1's outputs are
        passed to :meth:`fit` as ``reference_proba``.
    dissonance : {"new_error", "strict_imitation", "focal_distillation", \
            "churn_distillation"}, default="new_error"
        Up-weight h2's loss where h1 was right, or pull h2 towards h1's
        distribution there; or distil h1's distribution on every row, with
        focal weights ``focal_alpha + focal_beta * c_i`` (focal distillation
        at temperature 1, see :class:`~sklearn_bc.FocalDistillationLoss`), or
        as the convex combination ``(1 - lambda_c) * L + lambda_c * CE(q, h2)``
        (:class:`~sklearn_bc.ChurnDistillationLoss`). ``"logit_inhibition"``
        is refused: no sample weights express it.
    lambda_c : float, default=0.5
        Weight of the dissonance in [0, 1]; 0 is plain training.
    focal_alpha : float, default=1.0
        Focal distillation: the weight of every row's distillation term.
    focal_beta : float, default=5.0
        Focal distillation: the extra weight where h1 is right
        (``focal_alpha=1, focal_beta=0`` is plain distillation).

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``: the new model h2.
    classes_ : ndarray of shape (n_classes,)
        Class labels: the reference's classes, or those of ``y`` when only
        ``reference_proba`` is given.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when ``X`` has string column names.

    See Also
    --------
    BackwardCompatibleClassifier : The same losses for a skorch neural net.
    btc_score, bec_score : Compatibility metrics.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_bc import BackwardCompatibleUpdate, btc_score
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> h1 = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:50], y[:50])
    >>> h2 = BackwardCompatibleUpdate(
    ...     HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ...     reference=h1, lambda_c=0.8,
    ... ).fit(X[:400], y[:400])
    >>> h2.predict(X[400:403]).shape
    (3,)
    >>> btc = btc_score(y[400:], h1.predict(X[400:]), h2.predict(X[400:]))
    >>> 0.0 <= btc <= 1.0
    True
    """

    _required_parameters = ["estimator"]

    def __init__(
        self,
        estimator,
        reference=None,
        *,
        dissonance="new_error",
        lambda_c=0.5,
        focal_alpha=1.0,
        focal_beta=5.0,
    ):
        self.estimator = estimator
        self.reference = reference
        self.dissonance = dissonance
        self.lambda_c = lambda_c
        self.focal_alpha = focal_alpha
        self.focal_beta = focal_beta

    def _accept_sparse(self):
        # the learner decides; coo becomes csr so strict imitation can index rows
        return ["csr", "csc"] if get_tags(self.estimator).input_tags.sparse else False

    def _validate_X(self, X, *, reset):
        # arrays must be numeric; a DataFrame passes through to the learner
        # (e.g. a Pipeline that encodes string columns), which checks its types
        dtype = None if hasattr(X, "iloc") else "numeric"
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=self._accept_sparse(),
            dtype=dtype,
            ensure_all_finite=True,
        )

    def fit(self, X, y, sample_weight=None, reference_proba=None):
        """Fit a clone of ``estimator`` with the compatibility weights.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training input; the learner and h1 receive it unchanged.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative user weights ``s_i``; they multiply every term of
            the loss (see the class docstring for the exact weights).
        reference_proba : array-like of shape (n_samples, n_classes), default=None
            h1's predicted probabilities on ``X``, columns in ``classes_``
            order. When given, h1 is not run; h1's label is the arg-max.

        Returns
        -------
        self : BackwardCompatibleUpdate
            The fitted meta-estimator.
        """
        if isinstance(self.dissonance, str) and self.dissonance in _NOT_EXPRESSIBLE:
            raise ValueError(
                f"dissonance={self.dissonance!r} cannot be trained through sample "
                f"weights: {_NOT_EXPRESSIBLE[self.dissonance]}. Use it with "
                "BackwardCompatibleClassifier, or choose one of "
                f"{list(DISSONANCES)}."
            )
        dissonance = _check_choice(self.dissonance, DISSONANCES, "dissonance")
        lambda_c = _check_lambda_c(self.lambda_c)
        focal_alpha = _check_non_negative(self.focal_alpha, "focal_alpha")
        focal_beta = _check_non_negative(self.focal_beta, "focal_beta")
        _check_estimator(self.estimator)
        X_checked, y = validate_data(
            self,
            X,
            y,
            accept_sparse=self._accept_sparse(),
            dtype=None if hasattr(X, "iloc") else "numeric",
            ensure_all_finite=True,
        )
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight,
            X_checked,
            dtype=np.float64,
            ensure_non_negative=True,
            allow_all_zero_weights=True,  # rejected below, naming the argument
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum; got all zeros.")

        classes = resolve_classes(
            self.reference, y, has_proba=reference_proba is not None
        )
        if reference_proba is not None:
            h1_proba, h1_labels = check_reference_proba(
                reference_proba, X_checked.shape[0], classes
            )
        else:
            h1_proba, h1_labels = reference_outputs(self.reference, X, classes)
        h1_correct = np.asarray(np.asarray(h1_labels) == y, dtype=bool)
        position = {label: i for i, label in enumerate(classes.tolist())}
        y_index = np.fromiter(
            (position[label] for label in y.tolist()), dtype=np.intp, count=len(y)
        )

        rows, targets, weights = _training_rows(
            y_index,
            h1_proba,
            h1_correct,
            dissonance=dissonance,
            lambda_c=lambda_c,
            sample_weight=sample_weight,
            focal_alpha=focal_alpha,
            focal_beta=focal_beta,
        )
        missing = np.setdiff1d(np.arange(len(classes)), targets)
        if missing.size:
            raise ValueError(
                "y has no sample of the reference classes "
                f"{classes[missing].tolist()}: "
                "the new model would not learn them and its classes would differ "
                f"from the reference's {classes.tolist()}."
            )
        # a DataFrame reaches the learner as is; anything else as validated
        X_fit = X if hasattr(X, "iloc") else X_checked
        if dissonance == "new_error":
            y_fit = y
        else:
            X_fit, y_fit = _safe_indexing(X_fit, rows), classes[targets]
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit, sample_weight=weights)
        if hasattr(self.estimator_, "classes_"):
            check_reference_classes(classes, self.estimator_.classes_)
        self.classes_ = classes
        return self

    def predict(self, X):
        """Class labels predicted by h2.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Input, as passed to :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        self._validate_X(X, reset=False)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of h2, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Input, as passed to :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Predicted probabilities.
        """
        check_is_fitted(self)
        self._validate_X(X, reset=False)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of h2.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Input, as passed to :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The estimator's decision function.
        """
        check_is_fitted(self)
        self._validate_X(X, reset=False)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        tags.input_tags.sparse = estimator_tags.input_tags.sparse
        # h1 runs on X too, and SPEC rejects NaN/inf input at the door
        tags.input_tags.allow_nan = False
        tags.non_deterministic = estimator_tags.non_deterministic
        if estimator_tags.classifier_tags is not None:
            tags.classifier_tags.poor_score = estimator_tags.classifier_tags.poor_score
        tags.classifier_tags.multi_label = False
        return tags
