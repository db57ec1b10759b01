"""BackwardCompatibleClassifier: a skorch classifier with a compatibility loss."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import validate_data
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog
from skorch.dataset import ValidSplit
from skorch.utils import to_tensor

from ._criterion import (
    DISTILLATIONS,
    LOSS_PARAMS,
    NONLINEARITY,
    build_criterion,
    check_loss_params,
    check_max_epochs,
    encoded_accuracy,
)
from ._data import ReferenceBatch
from ._dataset_input import has_reference_outputs, is_item_input
from ._net_hooks import DataHooksMixin
from ._reference import (
    ReferenceParamsMixin,
    _is_skorch_net,
    _skorch_modules,
    check_reference,
)

__all__ = ["BackwardCompatibleClassifier"]


def _known_reference_classes(reference):
    """The classes of a fitted scikit-learn or skorch reference, else None."""
    if reference is None or isinstance(reference, torch.nn.Module):
        return None
    try:
        return check_reference(reference)
    except (NotFittedError, TypeError, ValueError, AttributeError):
        return None


def _reference_tensors(reference):
    """The parameters and buffers of a torch (or skorch) reference, by identity."""
    if isinstance(reference, torch.nn.Module):
        modules = [reference]
    elif _is_skorch_net(reference) and getattr(reference, "initialized_", False):
        modules = _skorch_modules(reference)
    else:
        return set()
    return {id(t) for m in modules for t in (*m.parameters(), *m.buffers())}


def _shares_tensors(module, reference):
    """Whether training ``module`` would change some tensor of ``reference``."""
    ref_tensors = _reference_tensors(reference)
    return bool(ref_tensors) and any(
        id(t) in ref_tensors for t in (*module.parameters(), *module.buffers())
    )


class BackwardCompatibleClassifier(
    ReferenceParamsMixin, DataHooksMixin, NeuralNetClassifier
):
    """A skorch neural-net classifier trained to stay compatible with a reference.

    Trains the new model h2 (``module``) with
    ``loss = L(h2(x), y) + lambda_c * D(h1, h2, x, y)``, where h1 is the
    fitted ``reference`` and ``D`` the chosen ``dissonance`` (see
    :class:`~sklearn_bc.NewErrorLoss` and :class:`~sklearn_bc.StrictImitationLoss`).
    h1's outputs are computed once per fit, on the whole training input
    (skorch's internal validation split included), unless
    ``reference_outputs="per_batch"`` (input that changes every epoch, as
    with data augmentation); h1 itself is never modified, and it survives
    ``clone``, ``set_params``, pickling and ``GridSearchCV`` still fitted.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The new model h2. It returns one logit per class (``base_loss=
        "cross_entropy"``), log-probabilities (``"nll"``, ``"kl_div"``) or one
        logit per sample (``"binary_cross_entropy"``). Its ``__init__``
        arguments are set with ``module__name=value`` as in skorch.
    reference : object, default=None
        The fitted reference model h1: a scikit-learn classifier or
        ``Pipeline`` (``predict_proba`` is used when it has one), a fitted
        skorch classifier, or a ``torch.nn.Module`` returning logits (column
        ``k`` is class ``classes_[k]``). May be None only when h1's outputs are
        passed to :meth:`fit` as ``reference_proba``.
    dissonance : {"new_error", "strict_imitation", "focal_distillation", \
            "logit_inhibition", "churn_distillation"}, default="new_error"
        Where h1 was right, penalise h2's loss (``"new_error"``) or pull h2
        towards h1's distribution (``"strict_imitation"``); on every row,
        distil h1's logits into h2, most where h1 was right
        (``"focal_distillation"``, :class:`~sklearn_bc.FocalDistillationLoss`),
        penalise only logit differences above a margin (``"logit_inhibition"``,
        :class:`~sklearn_bc.LogitInhibitionLoss`), or mix the labels with h1's
        distribution (``"churn_distillation"``, loss ``(1 - lambda_c) * CE(y) +
        lambda_c * CE(h1)``, :class:`~sklearn_bc.ChurnDistillationLoss`). The
        last three need ``base_loss="cross_entropy"`` and h1's logits, cached
        once per fit (see Notes).
    reference_outputs : {"once", "per_batch"}, default="once"
        When h1's outputs (probabilities, correctness, logits) are computed.
        ``"once"``: once per fit on the whole input, cached with the rows;
        exact and cheapest whenever the input a row gives is fixed (arrays,
        a Dataset without random transforms). ``"per_batch"``: on every
        training batch, on the very input h2 sees (h1 in eval mode, without
        gradients, on its own device; a scikit-learn reference receives the
        batch as a numpy array), replacing that batch's cached outputs; needed
        when the Dataset transforms its items randomly (data augmentation),
        at the cost of one h1 forward per batch. Validation batches keep the
        outputs cached once per fit. ``"per_batch"`` needs ``reference``
        (it cannot use ``reference_proba``). Without augmentation both modes
        train the same model.
    lambda_c : float, default=0.5
        Weight of the dissonance in [0, 1]; 0 is plain training.
    base_loss : {"cross_entropy", "nll", "kl_div", "binary_cross_entropy"}, \
            default="cross_entropy"
        Per-sample loss, matching what ``module`` returns.
    imitation_target : {"soft", "hard"}, default="soft"
        For strict imitation: imitate h1's distribution or its label (the hard
        label makes strict imitation equal to new error).
    focal_alpha, focal_beta : float >= 0, default=1.0, 5.0
        Row weights ``focal_alpha + focal_beta * 1[h1 right]`` of focal
        distillation and logit inhibition (``1, 0``: plain distillation).
    distill_distance : {"kl", "logit_mse"}, default="kl"
        Focal distillation's distance: ``T^2 KL(softmax(h1/T) || softmax(h2/T))``
        or the mean squared logit difference.
    temperature : float > 0, default=1.0
        ``T`` of the KL distance.
    inhibition_margin : float >= 0, default=1.0
        Logit inhibition leaves differences up to this margin free.
    inhibition_p : float > 0, default=2.0
        Power of logit inhibition's excess difference.
    criterion : None, default=None
        Built from the dissonance parameters; leave it None.
    train_split : callable or None, default=ValidSplit(5, stratified=True)
        skorch's internal validation split (its rows use the same cached h1
        outputs). None trains on all rows.
    classes : array-like or None, default=None
        The class labels. By default the reference's classes (a fitted
        scikit-learn or skorch reference) or the labels in ``y``.
    **kwargs
        Any other skorch ``NeuralNet`` parameter (``max_epochs``, ``lr``,
        ``optimizer``, ``batch_size``, ``device``, ``callbacks``, ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    module_ : torch.nn.Module
        The trained new model h2.
    n_features_in_ : int
        Number of features seen during fit.
    history_ : skorch.History
        Training history (``history`` in skorch).
    h1_logits_from_proba_ : bool
        Whether the cached h1 logits are log-probabilities (see Notes).

    See Also
    --------
    NewErrorLoss, StrictImitationLoss : The losses used for training.
    FocalDistillationLoss, LogitInhibitionLoss, ChurnDistillationLoss : The
        distillation dissonances' losses.
    btc_score, bec_score : Compatibility metrics.

    Notes
    -----
    skorch's idioms work (skorch's own test suite runs on this class), with
    the differences that training against h1 implies: ``criterion`` is built
    from the dissonance, the classes are the reference's, and h1 is run on
    every input. See the "Coming from skorch" page of the documentation.

    h1's logits (distillation dissonances only): a torch reference's raw
    outputs; a skorch reference's module outputs when its criterion is a
    ``CrossEntropyLoss``; a scikit-learn reference's ``decision_function``
    (two classes: ``[0, d]``), else ``predict_log_proba``, else
    ``log(predict_proba)`` floored at 1e-6 (also for ``reference_proba``).
    Log-probabilities are logits of the same distribution up to a constant
    per row: the KL distance and churn distillation do not see that
    constant, and the logit distances then compare both models' logits
    centred per row (``h1_logits_from_proba_``).

    h1's outputs are computed with one BLAS thread (``threadpoolctl``). The
    worker threads of a multi-threaded BLAS keep spinning for about 0.1 s
    after each call, on the cores torch then trains on: on a 2-core machine
    that made the first three epochs of a digits fit twice as slow.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_bc import BackwardCompatibleClassifier, btc_score
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> h1 = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    >>> _ = torch.manual_seed(0)
    >>> h2 = BackwardCompatibleClassifier(
    ...     torch.nn.Linear, reference=h1, module__in_features=64,
    ...     module__out_features=10, lambda_c=0.8, max_epochs=5, lr=0.5,
    ...     verbose=0,
    ... ).fit(X[:1000], y[:1000])
    >>> h2.predict(X[1000:1003]).shape
    (3,)
    >>> btc = btc_score(y[1000:], h1.predict(X[1000:]), h2.predict(X[1000:]))
    >>> 0.0 <= btc <= 1.0
    True
    """

    def __init__(
        self,
        module,
        reference=None,
        *,
        dissonance="new_error",
        reference_outputs="once",
        lambda_c=0.5,
        base_loss="cross_entropy",
        imitation_target="soft",
        focal_alpha=1.0,
        focal_beta=5.0,
        distill_distance="kl",
        temperature=1.0,
        inhibition_margin=1.0,
        inhibition_p=2.0,
        criterion=None,
        train_split=ValidSplit(5, stratified=True),  # noqa: B008 - skorch's default
        classes=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            train_split=train_split,
            classes=classes,
            **kwargs,
        )
        self.reference = reference
        self.dissonance = dissonance
        self.reference_outputs = reference_outputs
        self.lambda_c = lambda_c
        self.base_loss = base_loss
        self.imitation_target = imitation_target
        self.focal_alpha = focal_alpha
        self.focal_beta = focal_beta
        self.distill_distance = distill_distance
        self.temperature = temperature
        self.inhibition_margin = inhibition_margin
        self.inhibition_p = inhibition_p

    # -- the reference is a hyper-parameter that is never cloned, registered or set
    def __setattr__(self, name, value):
        if name == "reference":
            # keep skorch from registering a torch reference as a trainable part
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def _get_param_names(self):
        # skorch's bookkeeping (``_params_to_validate``) is no parameter: a
        # search or set_params must not reach it
        return [name for name in super()._get_param_names() if name[0] != "_"]

    def set_params(self, **params):
        """Set parameters; ``reference__*`` is refused (h1 is never modified).

        Before the net is initialised, ``callbacks`` is stored as given and
        checked when the net initialises (scikit-learn validates in ``fit``;
        skorch would rebuild the callbacks at once).
        """
        if "callbacks" in params and not getattr(self, "initialized_", False):
            params = dict(params)
            self.callbacks = params.pop("callbacks")
        super().set_params(**params)  # refuses reference__* (ReferenceParamsMixin)
        if getattr(self, "initialized_", False) and LOSS_PARAMS & params.keys():
            self.initialize_criterion()
        return self

    # -- skorch hooks
    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            (
                "valid_acc",
                EpochScoring(encoded_accuracy, name="valid_acc", lower_is_better=False),
            ),
            ("print_log", PrintLog()),
        ]

    def initialize_module(self):
        """Build h2; a copy of it when it shares tensors with the reference.

        ``BackwardCompatibleClassifier(h1, reference=h1)`` (fine-tuning h1
        into h2) then trains a copy that starts from h1's weights, and h1
        stays exactly as it was.
        """
        super().initialize_module()
        if _shares_tensors(self.module_, self.reference):
            self.module_ = copy.deepcopy(self.module_)
        return self

    def _check_loss_params(self):
        check_max_epochs(self.max_epochs)
        check_loss_params(self)

    def initialize_criterion(self):
        """Build the compatibility loss from the loss parameters.

        The logit distances compare centred rows when h1's cached logits are
        log-probabilities (``h1_logits_from_proba_``).
        """
        self._check_loss_params()
        self.criterion_ = build_criterion(
            self, center_logits=getattr(self, "h1_logits_from_proba_", False)
        )
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Compatibility loss of a batch, from h1's outputs in ``X``.

        They are the cached ones, or with ``reference_outputs="per_batch"``
        those on the training batch itself.
        """
        if not isinstance(X, ReferenceBatch):
            raise ValueError(
                "The compatibility loss needs h1's cached outputs; call fit or "
                "partial_fit rather than get_loss on raw input."
            )
        if isinstance(y_pred, (tuple, list)):
            y_pred = y_pred[0]
        if self.dissonance in DISTILLATIONS:
            return self.criterion_(
                y_pred,
                to_tensor(y_true, device=self.device),
                to_tensor(X.h1_logits, device=self.device),
                h1_correct=to_tensor(X.h1_correct, device=self.device),
            )
        return self.criterion_(
            y_pred,
            to_tensor(y_true, device=self.device),
            # a large cache is half precision: the loss runs in h2's dtype
            to_tensor(X.h1_proba, device=self.device).to(y_pred.dtype),
            h1_correct=to_tensor(X.h1_correct, device=self.device),
        )

    def _get_predict_nonlinearity(self):
        if (
            isinstance(self.predict_nonlinearity, str)
            and self.predict_nonlinearity == "auto"
        ):
            self.check_is_fitted()
            return NONLINEARITY[self.base_loss]
        return super()._get_predict_nonlinearity()

    # -- fitting
    def fit(self, X, y, reference_proba=None, **fit_params):
        """Train h2 with the compatibility loss.

        Parameters
        ----------
        X : array-like, DataFrame, torch Dataset, dict of arrays or SliceDataset
            Training input. Arrays take the whole-batch path: h2 receives
            them as float32, a scikit-learn reference unchanged (e.g. a
            DataFrame for a Pipeline). A ``torch.utils.data.Dataset`` (items
            ``(X, y)``), a dict of arrays (a multi-input module) or skorch's
            ``SliceDataset`` is read item by item, as in skorch; h1 then reads
            the same items once (a torch or skorch reference), or the arrays
            the dataset exposes (a scikit-learn reference), else pass
            ``reference_proba``.
        y : array-like of shape (n_samples,) or None
            Class labels (any labels scikit-learn accepts: ints, strings).
            None for a Dataset whose items hold them.
        reference_proba : array-like of shape (n_samples, n_classes), default=None
            h1's predicted probabilities on ``X``, columns in ``classes_``
            order. When given, h1 is not run (use it when h1 needs other
            features than h2); refused with ``reference_outputs="per_batch"``.
        **fit_params : dict
            Passed on to skorch (and to the module's ``forward``).

        Returns
        -------
        self : BackwardCompatibleClassifier
        """
        dataset, y_encoded = self._prepare_fit(X, y, reference_proba, reset=True)
        return super().fit(dataset, y_encoded, **fit_params)

    def partial_fit(self, X, y=None, classes=None, reference_proba=None, **fit_params):
        """Train h2 for ``max_epochs`` more epochs without re-initialising it.

        Parameters are as in :meth:`fit`.

        Returns
        -------
        self : BackwardCompatibleClassifier
        """
        if not (isinstance(X, torch.utils.data.Dataset) and has_reference_outputs(X)):
            # a restored net (load_params) learns its feature count here
            reset = not hasattr(self, "n_features_in_")
            X, y = self._prepare_fit(X, y, reference_proba, reset=reset)
            if not self.initialized_:
                self.initialize()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    # -- prediction
    def __sklearn_is_fitted__(self):
        # initialised is fitted, as in skorch: a net restored with
        # initialize() + load_params() predicts (features are checked when
        # their count is known, i.e. after a fit on arrays)
        return bool(getattr(self, "initialized_", False))

    @property
    def classes_(self):
        """Class labels: those of the fit, of ``classes``, else the reference's."""
        if "classes_inferred_" not in self.__dict__ and self.classes is None:
            known = _known_reference_classes(self.reference)
            if known is not None:
                return known
        return super().classes_

    def predict_proba(self, X):
        """Class probabilities of h2, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        self.check_is_fitted()
        if not is_item_input(X):
            X = validate_data(
                self,
                X,
                reset=False,
                dtype=np.float32,
                allow_nd=True,
                ensure_all_finite=True,
            )
        return super().predict_proba(X)

    def predict(self, X):
        """Class labels predicted by h2.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        index = self.predict_proba(X).argmax(axis=1)
        try:
            classes = self.classes_
        except AttributeError:
            # restored without a fit, a torch reference, no ``classes``: as
            # skorch, the class indices
            return index
        return np.asarray(classes)[index]

    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise skorch's ``NotInitializedError`` unless initialised.

        The error is also a scikit-learn ``NotFittedError`` (a subclass of
        both), as in skorch.
        """
        return super().check_is_fitted(attributes, *args, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        tags.input_tags.allow_nan = False
        tags.classifier_tags.multi_label = False
        return tags
