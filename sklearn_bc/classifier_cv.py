"""BackwardCompatibleClassifierCV: a whole lambda_c sweep trained at once."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from ._criterion import (
    DISSONANCES,
    DISTILLATION_PARAMS,
    DISTILLATIONS,
    check_base_loss,
    check_device,
    check_distillation_params,
    distillation_options,
)
from ._cv_results import _check_scoring, cv_results
from ._reference import ReferenceParamsMixin
from ._stack import vectorisation_problems
from ._vectorised import Points, load_state, predict_outputs, train_points
from .classifier import BackwardCompatibleClassifier
from .losses import _check_choice, _check_lambda_c
from .scorers import _score_labels

__all__ = ["BackwardCompatibleClassifierCV"]

_PREFIXES = ("module__", "optimizer__")
# h1's distribution is kept in half precision above this many entries
_COMPACT_PROBA = 2**24


class BackwardCompatibleClassifierCV(
    ReferenceParamsMixin, ClassifierMixin, BaseEstimator
):
    """A sweep over dissonances and ``lambda_c`` values, every point trained at once.

    Each (dissonance, lambda_c) point is one :class:`BackwardCompatibleClassifier`;
    the points of a sweep share the architecture, the data, the
    initialisation and the batch order, and differ only in the weights of
    their loss. This estimator stacks their parameters and trains them in one
    loop (``torch.func.vmap``): one forward and backward pass per batch for
    all points, h1's outputs computed once, one optimizer state per point.
    Points that are the same model are trained once: ``lambda_c=0`` of every
    dissonance (the plain loss), and with ``imitation_target="hard"`` each
    strict-imitation point and the new-error point of the same ``lambda_c``.
    Results follow :class:`~sklearn.model_selection.GridSearchCV`:
    ``cv_results_``, ``best_index_``, ``best_estimator_``, ...

    Where stacking would not be exact the points are trained one after the
    other with a ``UserWarning``: modules with layers that update buffers in
    place in training mode (BatchNorm, InstanceNorm with
    ``track_running_stats=True``, any custom in-place buffer update), modules
    that cannot run under ``vmap``, and optimizers that do not update each
    parameter element independently (e.g. LBFGS). Points are trained one
    split at a time (all points of a split together); with dropout each
    stacked point draws its own masks, so results match the point trained
    alone in distribution rather than bit for bit.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The new model h2, as for :class:`BackwardCompatibleClassifier`;
        ``module__name=value`` sets its ``__init__`` arguments.
    reference : object, default=None
        The fitted reference model h1 (never modified, never cloned).
    lambdas : array-like of float in [0, 1], default=None
        The ``lambda_c`` values; None means ``np.linspace(0, 1, 11)``.
    dissonances : str or tuple of {"new_error", "strict_imitation", \
            "focal_distillation", "logit_inhibition", "churn_distillation"}, \
            default=("new_error", "strict_imitation")
        The dissonances to sweep (see :class:`BackwardCompatibleClassifier`).
        At ``lambda_c=0`` every dissonance is plain training: that model is
        trained once. The distillation dissonances need
        ``base_loss="cross_entropy"``; h1's logits are then cached once per
        fit, next to its probabilities.
    cv : int, cross-validation splitter, iterable or None, default=3
        As in ``GridSearchCV`` (an int is a ``StratifiedKFold``). ``None``
        skips cross-validation: every point is trained once on all of ``X``
        and scored on it (training scores, optimistic), and those models are
        the final ones.
    scoring : str, list of str or None, default=None
        Which of ``"accuracy"``, ``"btc"``, ``"bec"``, ``"nfr"``, ``"pfr"``
        and ``"reference_accuracy"`` to compute (None: all). Undefined
        values (e.g. BEC when h2 errs nowhere) are NaN. NFR ranks
        lower-is-better, the others higher-is-better.
    refit : bool, str or callable, default=True
        Retrain every point on all of ``X`` (at once again) and keep the best
        as ``best_estimator_``: by the first ``scoring`` metric (True), by a
        metric name, or by ``callable(cv_results_) -> index``.
    base_loss, imitation_target : str
        As in :class:`BackwardCompatibleClassifier`.
    focal_alpha, focal_beta, distill_distance, temperature, \
            inhibition_margin, inhibition_p
        The distillation dissonances' settings, as in
        :class:`BackwardCompatibleClassifier` (one set for the whole sweep:
        only ``lambda_c`` varies between the points of a dissonance).
    max_epochs : int, default=10
    batch_size : int, default=128
    lr : float, default=0.01
    optimizer : torch optimizer class, default=torch.optim.SGD
        Its keyword arguments are set with ``optimizer__name=value``.
    device : str or torch.device, default="cpu"
    random_state : int, RandomState or None, default=None
        Seeds the shared initialisation and batch order.
    verbose : int, default=0
        Print one line per trained group when positive.
    progress : bool, default=False
        Show a progress bar (``tqdm``'s auto mode: a widget in notebooks, a
        text bar in a terminal) of the trainings: one per CV split, then the
        final refit, each training every point at once.
    **kwargs
        ``module__*`` and ``optimizer__*`` parameters.

    Attributes
    ----------
    cv_results_ : dict of ndarray
        ``GridSearchCV``-style results, one entry per point: ``params``,
        ``param_dissonance``, ``param_lambda_c``, ``split{k}_test_{m}``,
        ``mean_test_{m}``, ``std_test_{m}``, ``rank_test_{m}``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``. Times are a group's time divided by its number
        of points.
    best_index_, best_params_, best_score_, best_estimator_
        As in ``GridSearchCV`` (``best_score_`` only for a metric ``refit``);
        ``best_estimator_`` is a fitted :class:`BackwardCompatibleClassifier`
        holding the chosen point's final weights.
    classes_ : ndarray
    n_features_in_ : int
    train_loss_ : ndarray of shape (n_points, max_epochs)
        Mean training loss per epoch of the final models.
    vectorised_ : bool
        Whether the points were trained together.

    See Also
    --------
    BackwardCompatibleClassifier : One point of the sweep.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_bc import BackwardCompatibleClassifierCV
    >>> from sklearn_bc.modules import MLPModule
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> h1 = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    >>> search = BackwardCompatibleClassifierCV(
    ...     MLPModule, h1, lambdas=[0.0, 0.5, 1.0], module__n_features=64,
    ...     module__n_classes=10, max_epochs=3, lr=0.1, random_state=0,
    ... ).fit(X, y)
    >>> len(search.cv_results_["params"])
    6
    >>> sorted(search.best_params_)
    ['dissonance', 'lambda_c']
    >>> search.predict(X[:2]).shape
    (2,)
    """

    def __init__(
        self,
        module,
        reference=None,
        *,
        lambdas=None,
        dissonances=("new_error", "strict_imitation"),
        cv=3,
        scoring=None,
        refit=True,
        base_loss="cross_entropy",
        imitation_target="soft",
        focal_alpha=1.0,
        focal_beta=5.0,
        distill_distance="kl",
        temperature=1.0,
        inhibition_margin=1.0,
        inhibition_p=2.0,
        max_epochs=10,
        batch_size=128,
        lr=0.01,
        optimizer=torch.optim.SGD,
        device="cpu",
        random_state=None,
        verbose=0,
        progress=False,
        **kwargs,
    ):
        self.module = module
        self.reference = reference
        self.lambdas = lambdas
        self.dissonances = dissonances
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.base_loss = base_loss
        self.imitation_target = imitation_target
        self.focal_alpha = focal_alpha
        self.focal_beta = focal_beta
        self.distill_distance = distill_distance
        self.temperature = temperature
        self.inhibition_margin = inhibition_margin
        self.inhibition_p = inhibition_p
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.progress = progress
        # stored as given (a misspelt name too) and checked in fit, as
        # scikit-learn does: clone and get_params carry them along
        for name, value in kwargs.items():
            setattr(self, name, value)

    def _extra_kwargs(self):
        """The ``**kwargs`` given to ``__init__`` (or set since), by name."""
        named = set(self._get_param_names())
        return {
            k: v
            for k, v in vars(self).items()
            if k not in named and not k.startswith("_") and not k.endswith("_")
        }

    def _check_kwargs(self):
        unknown = sorted(k for k in self._extra_kwargs() if not k.startswith(_PREFIXES))
        if unknown:
            raise TypeError(
                f"Unexpected parameters {unknown}: only module__* and optimizer__* "
                "keyword arguments are accepted."
            )

    def _prefixed(self):
        return {
            k: v for k, v in self._extra_kwargs().items() if k.startswith(_PREFIXES)
        }

    def get_params(self, deep=True):
        """Get parameters, ``module__*`` and ``optimizer__*`` included."""
        return {**super().get_params(deep=deep), **self._extra_kwargs()}

    def set_params(self, **params):
        """Set parameters, ``module__*`` and ``optimizer__*`` included."""
        prefixed = {k: v for k, v in params.items() if k.startswith(_PREFIXES)}
        for name, value in prefixed.items():
            setattr(self, name, value)
        rest = {k: v for k, v in params.items() if k not in prefixed}
        return super().set_params(**rest) if rest else self

    # -- the points
    def _points(self):
        lambdas = np.linspace(0, 1, 11) if self.lambdas is None else self.lambdas
        lambdas = [_check_lambda_c(lam) for lam in np.atleast_1d(lambdas).tolist()]
        dissonances = (
            [self.dissonances]
            if isinstance(self.dissonances, str)
            else list(self.dissonances)
        )
        for dissonance in dissonances:
            _check_choice(dissonance, DISSONANCES, "dissonance")
        pairs = [(d, lam) for d in dissonances for lam in lambdas]
        if not pairs or len(set(pairs)) != len(pairs):
            raise ValueError(
                "dissonances and lambdas must be non-empty and without repeats; got "
                f"dissonances={self.dissonances!r}, lambdas={self.lambdas!r}."
            )
        return pairs

    def _make_classifier(self, dissonance="new_error", lambda_c=0.0):
        """One point as a BackwardCompatibleClassifier (shares validation, init)."""
        return BackwardCompatibleClassifier(
            self.module,
            reference=self.reference,
            dissonance=dissonance,
            lambda_c=lambda_c,
            base_loss=self.base_loss,
            imitation_target=self.imitation_target,
            **{name: getattr(self, name) for name in DISTILLATION_PARAMS},
            train_split=None,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            optimizer=self.optimizer,
            device=self.device,
            verbose=0,
            **self._prefixed(),
        )

    def _check_params(self):
        self._check_kwargs()
        for name in ("max_epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        if not (
            isinstance(self.refit, bool)
            or callable(self.refit)
            or self.refit in _check_scoring(self.scoring)
        ):
            raise ValueError(
                "refit must be a bool, a callable or one of the scoring names "
                f"{_check_scoring(self.scoring)}; got {self.refit!r}."
            )
        check_device(self.device)
        check_base_loss(self.base_loss, [d for d, _ in self._points()])
        return check_distillation_params(self)

    # -- fitting
    def fit(self, X, y, reference_proba=None):
        """Train and score every (dissonance, lambda_c) point.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        reference_proba : array-like of shape (n_samples, n_classes), default=None
            h1's probabilities on ``X`` (then h1 is not run).

        Returns
        -------
        self : BackwardCompatibleClassifierCV
        """
        knobs = self._check_params()
        scoring = _check_scoring(self.scoring)
        points = Points(self._points(), self.device)
        # a distillation template caches h1's logits too (for every point)
        distilled = [d for d, _ in points.pairs if d in DISTILLATIONS]
        template = self._make_classifier(*distilled[:1])
        dataset, _ = template._prepare_fit(X, y, reference_proba, reset=True)
        # one set of distillation settings for every point of the sweep
        options = distillation_options(
            knobs, center_logits=template.h1_logits_from_proba_
        )
        rng = check_random_state(self.random_state)
        init_seed, batch_seed = rng.randint(np.iinfo(np.int32).max, size=2)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(init_seed))
            template.initialize()
        module = template.module_
        data = self._device_data(dataset, module)
        optimizer_kwargs = {"lr": self.lr, **template.get_params_for("optimizer")}
        problems = vectorisation_problems(module, self.optimizer, data[0][:2])
        if problems:
            warnings.warn(
                "BackwardCompatibleClassifierCV trains the points one by one "
                "(same results, no speed-up): " + "; ".join(problems) + ".",
                UserWarning,
                stacklevel=2,
            )
        self.vectorised_ = not problems
        self.classes_ = template.classes_
        self._copy_input_attributes(template)
        self._template = template
        y_all = np.asarray(self.classes_)[dataset.y.numpy()]
        h1_labels = dataset.reference_labels

        def train(rows):
            # all rows in order: no index; else batches are gathered through it
            rows = (
                None
                if np.array_equal(rows, all_rows)
                else torch.as_tensor(rows, device=data[0].device)
            )
            return train_points(
                module,
                points,
                data,
                rows=rows,
                vectorise=self.vectorised_,
                optimizer=self.optimizer,
                optimizer_kwargs=optimizer_kwargs,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                seed=batch_seed,
                base=self.base_loss,
                imitation_target=self.imitation_target,
                distillation=options,
            )

        all_rows = np.arange(len(y_all))
        splits = (
            [(all_rows, all_rows)]
            if self.cv is None
            else list(check_cv(self.cv, y_all, classifier=True).split(X, y_all))
        )
        n_points = len(points)
        scores = {name: np.zeros((len(splits), n_points)) for name in scoring}
        fit_time = np.zeros((len(splits), n_points))
        score_time = np.zeros((len(splits), n_points))
        refits = self.refit is not False and self.cv is not None
        bar = tqdm(
            total=len(splits) + refits,
            desc=f"lambda_c sweep ({n_points} points at once)",
            unit="training",
            disable=not self.progress,
        )
        for k, (train_rows, test_rows) in enumerate(splits):
            start = time.perf_counter()
            states, train_loss = train(train_rows)
            bar.update()
            fit_time[k] = (time.perf_counter() - start) / n_points
            start = time.perf_counter()
            pred = self._predict_states(states, data[0][torch.as_tensor(test_rows)])
            for name in scoring:
                scores[name][k] = [
                    _score_labels(name, y_all[test_rows], h1_labels[test_rows], p)
                    for p in pred
                ]
            score_time[k] = (time.perf_counter() - start) / n_points
            if self.verbose:
                print(
                    f"split {k}: {n_points} points in {fit_time[k, 0] * n_points:.2f}s"
                )
        self.cv_results_ = cv_results(points.pairs, scores, fit_time, score_time)
        self.n_splits_ = len(splits)
        if self.refit is not False:
            if self.cv is None:
                self.final_states_, self.train_loss_ = states, train_loss
            else:
                self.final_states_, self.train_loss_ = train(all_rows)
                bar.update()
            self._select_best(scoring)
        bar.close()
        return self

    def _device_data(self, dataset, module):
        """The training arrays on the device once, X in the module's dtype."""
        device = torch.device(self.device)
        dtype = next((p.dtype for p in module.parameters()), torch.float32)
        proba, logits = dataset.h1_proba, dataset.h1_logits
        if proba.numel() > _COMPACT_PROBA:
            proba = proba.half()  # compact cache; cast back per batch
        return (
            dataset.X.to(device=device, dtype=dtype),
            dataset.y.to(device),
            proba.to(device),
            dataset.h1_correct.to(device),
            None if logits is None else logits.to(device),
        )

    def _copy_input_attributes(self, template):
        self.n_features_in_ = template.n_features_in_
        if hasattr(template, "feature_names_in_"):
            self.feature_names_in_ = template.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _predict_states(self, states, X):
        """Predicted labels of every stacked model, shape (n_points, n_rows)."""
        if self.base_loss == "binary_cross_entropy":
            transform = lambda out: (out.reshape(out.shape[0], -1) > 0).long()  # noqa: E731
        else:
            transform = lambda out: out.argmax(-1)  # noqa: E731
        index = predict_outputs(
            self._template.module_, states, X, vectorise=self.vectorised_,
            transform=transform, chunk_rows=self.batch_size,
        )  # fmt: skip
        return np.asarray(self.classes_)[index.numpy()]

    def _select_best(self, scoring):
        if callable(self.refit):
            self.best_index_ = int(self.refit(self.cv_results_))
            if not 0 <= self.best_index_ < len(self.cv_results_["params"]):
                raise IndexError(
                    f"refit returned best index {self.best_index_}, out of range for "
                    f"{len(self.cv_results_['params'])} points."
                )
        else:
            metric = scoring[0] if self.refit is True else self.refit
            self.best_index_ = int(np.argmin(self.cv_results_[f"rank_test_{metric}"]))
            self.best_score_ = float(
                self.cv_results_[f"mean_test_{metric}"][self.best_index_]
            )
        self.best_params_ = dict(self.cv_results_["params"][self.best_index_])
        self.best_estimator_ = self.estimator_for(self.best_index_)

    def estimator_for(self, index):
        """A fitted :class:`BackwardCompatibleClassifier` holding point ``index``.

        The point's final weights (trained on all of ``X``) are loaded into a
        freshly initialised classifier; nothing is retrained.

        Parameters
        ----------
        index : int
            Position of the point in ``cv_results_["params"]``.

        Returns
        -------
        estimator : BackwardCompatibleClassifier
        """
        check_is_fitted(self, "final_states_")
        params = self.cv_results_["params"][index]
        estimator = self._make_classifier(params["dissonance"], params["lambda_c"])
        # what the fit learnt from X and y, known before the module is built;
        # an initialised net is fitted, the feature count makes it check X
        estimator.classes_inferred_ = self.classes_
        estimator.n_features_in_ = self.n_features_in_
        estimator.h1_logits_from_proba_ = self._template.h1_logits_from_proba_
        if hasattr(self, "feature_names_in_"):
            estimator.feature_names_in_ = self.feature_names_in_
        estimator.initialize()
        load_state(estimator.module_, self.final_states_, index)
        return estimator

    # -- prediction
    def predict_all(self, X):
        """Labels predicted by every point's final model.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        predictions : dict of (dissonance, lambda_c) to ndarray of shape (n_samples,)
            In the order of ``cv_results_["params"]``.
        """
        check_is_fitted(self, "final_states_")
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=np.float32,
            allow_nd=True,
            ensure_all_finite=True,
        )
        module = self._template.module_
        dtype = next((p.dtype for p in module.parameters()), torch.float32)
        X = torch.as_tensor(X).to(device=torch.device(self.device), dtype=dtype)
        pred = self._predict_states(self.final_states_, X)
        keys = [(p["dissonance"], p["lambda_c"]) for p in self.cv_results_["params"]]
        return dict(zip(keys, pred, strict=True))

    def predict(self, X):
        """Labels predicted by ``best_estimator_``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of ``best_estimator_``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cv_results_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        tags.input_tags.allow_nan = False
        return tags
