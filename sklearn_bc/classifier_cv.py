"""BackwardCompatibleClassifierCV: a whole lambda_c sweep trained at once."""

from __future__ import annotations

import numbers
import warnings
from functools import partial

import numpy as np
import torch
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn
from tqdm.auto import tqdm

from ._batch_reference import batch_reference_outputs, check_reference_outputs
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
from ._dataset_input import ReferenceItems, is_item_input, item_dataset
from ._prefixed_params import PrefixedParamsMixin
from ._reference import ReferenceParamsMixin
from ._stack import vectorisation_problems
from ._sweep_data import ArrayRows, ItemRows, item_inputs
from ._sweep_units import label_transform, point_groups, run_units
from ._vectorised import Points, load_state, predict_outputs
from .classifier import BackwardCompatibleClassifier
from .losses import _check_choice, _check_lambda_c
from .scorers import _score_labels

__all__ = ["BackwardCompatibleClassifierCV"]


class BackwardCompatibleClassifierCV(
    PrefixedParamsMixin, ReferenceParamsMixin, ClassifierMixin, BaseEstimator
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

    Each stacked point keeps and updates its own buffers, so BatchNorm and
    InstanceNorm (``track_running_stats=True``) train as they would alone.
    Where stacking would not be exact, as a probe of the module before the
    fit finds, the points are trained one after the other with a
    ``UserWarning``: layers whose in-place buffer update a stack does not
    reproduce (BatchNorm with ``momentum=None``, whose cumulative average
    reads ``num_batches_tracked`` as a number), modules that cannot run under
    ``vmap``, and optimizers that do not update each parameter element
    independently (e.g. LBFGS). With dropout each stacked point draws its own
    masks, so results match the point trained alone in distribution rather
    than bit for bit.

    Each CV split, and the final refit, is an independent training unit (all
    points of the split together): ``n_jobs`` runs them in parallel through
    joblib, with any joblib backend (a Dask cluster runs one unit per
    worker). A unit seeds torch's global generator from ``random_state``
    (dropout, random transforms) and restores it after, so the results do
    not depend on ``n_jobs`` or on where a unit runs. That generator is one
    per process: units on threads of one process (the threading backend, a
    Dask cluster of threads) take turns; processes (loky, the default, or
    Dask worker processes) run in parallel.

    ``X`` may be a torch ``Dataset`` yielding ``(x, y)`` items (as skorch
    accepts; ``y=None`` reads the labels from the items): the items are read
    batch by batch through a ``DataLoader`` (``iterator_train__num_workers``
    etc.), h1's outputs are kept by index (N x C values), and the input is
    never held in memory whole. Arrays are put on the device once and
    batches are gathered from them.

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
    reference_outputs : {"once", "per_batch"}, default="once"
        When h1's outputs are computed: once per fit on ``X`` (exact and
        cheapest when an item's input is fixed), or on every training batch,
        on the very input the points see (needed when a Dataset transforms
        its items randomly, i.e. augmentation; one h1 forward pass per
        batch). Scores always use h1's once-per-fit outputs on the test rows.
    vectorise : {"auto", True, False}, default="auto"
        Train the points of a unit stacked (one ``vmap``-ed forward and
        backward pass per batch for all of them) or one after the other on
        the same batches. "auto" stacks, except modules with convolutions on
        the CPU: ``vmap`` makes a stack of convolutions one grouped
        convolution, which ran 2.5x slower there than the convolutions one
        by one (on a GPU it stacks). Either way each point's model is the
        same, up to rounding (and in distribution with dropout).
    points_per_unit : int or None, default=None
        At most this many distinct points trained together in one unit
        (None: all). Smaller units bound the memory of a stack (a stack
        holds every point's activations at once) and give ``n_jobs`` more
        units to spread.
    n_jobs : int or None, default=None
        Training units (each CV split and the refit, times the groups of
        ``points_per_unit``) run in parallel, as in scikit-learn: None is 1
        unless in a ``joblib.parallel_backend`` context, -1 uses every
        worker of the backend.
    random_state : int, RandomState or None, default=None
        Seeds the shared initialisation and batch order.
    verbose : int, default=0
        Print one line per trained group when positive.
    progress : bool, default=False
        Show a progress bar (``tqdm``'s auto mode: a widget in notebooks, a
        text bar in a terminal) of the trainings: one per CV split, then the
        final refit, each training every point at once.
    **kwargs
        ``module__*`` and ``optimizer__*`` parameters, and
        ``iterator_train__*`` arguments of the ``DataLoader`` that reads a
        Dataset ``X`` (``num_workers``, ``pin_memory``, ``collate_fn``, ...;
        not those that set the batches, which are the sweep's).

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
        Whether the points were trained stacked (see ``vectorise``).

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
        reference_outputs="once",
        vectorise="auto",
        points_per_unit=None,
        n_jobs=None,
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
        self.reference_outputs = reference_outputs
        self.vectorise = vectorise
        self.points_per_unit = points_per_unit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.progress = progress
        # stored as given (a misspelt name too) and checked in fit, as
        # scikit-learn does: clone and get_params carry them along
        for name, value in kwargs.items():
            setattr(self, name, value)

    # -- the points
    def _dissonance_list(self):
        if isinstance(self.dissonances, str):
            return [self.dissonances]
        return list(self.dissonances)

    def _points(self):
        lambdas = np.linspace(0, 1, 11) if self.lambdas is None else self.lambdas
        lambdas = [_check_lambda_c(lam) for lam in np.atleast_1d(lambdas).tolist()]
        dissonances = self._dissonance_list()
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
            reference_outputs=self.reference_outputs,
            verbose=0,
            **self._prefixed(),
        )

    def _check_params(self):
        self._check_kwargs()
        for name in ("max_epochs", "batch_size", "points_per_unit"):
            value = getattr(self, name)
            if name == "points_per_unit" and value is None:
                continue
            if (
                not isinstance(value, numbers.Integral)
                or isinstance(value, bool)
                or value < 1
            ):
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        if not (self.vectorise == "auto" or isinstance(self.vectorise, bool)):
            raise ValueError(
                f'vectorise must be "auto", True or False; got {self.vectorise!r}.'
            )
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
    def fit(self, X, y=None, reference_proba=None):
        """Train and score every (dissonance, lambda_c) point.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), torch Dataset or dict
            The input; a Dataset's items ``(x, y)`` are read batch by batch.
        y : array-like of shape (n_samples,) or None
            The labels; None with a Dataset reads them from its items.
        reference_proba : array-like of shape (n_samples, n_classes), default=None
            h1's probabilities on ``X`` (then h1 is not run).

        Returns
        -------
        self : BackwardCompatibleClassifierCV
        """
        knobs = self._check_params()
        if isinstance(X, dict) and not issparse(X):  # a DOK matrix is a dict
            raise TypeError(
                "BackwardCompatibleClassifierCV takes X as an array or a torch "
                "Dataset; a dict of inputs (a multi-input module) cannot be "
                "stacked: sweep BackwardCompatibleClassifier with GridSearchCV."
            )
        if y is None and not is_item_input(X):
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: only a Dataset X may carry the labels in its items."
            )
        check_reference_outputs(
            self.reference_outputs,
            reference=self.reference,
            reference_proba=reference_proba,
        )
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
        # torch's global generator in each training unit (dropout, transforms)
        torch_seed = rng.randint(np.iinfo(np.int32).max)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(init_seed))
            template.initialize()
        module = template.module_
        data = self._rows(dataset, module)
        optimizer_kwargs = {"lr": self.lr, **template.get_params_for("optimizer")}
        self.vectorised_ = self._stacks(module, data)
        self.classes_ = template.classes_
        self._copy_input_attributes(template)
        self._template = template
        y_all = np.asarray(self.classes_)[np.asarray(dataset.y)]
        h1_labels = dataset.reference_labels

        all_rows = np.arange(len(y_all))
        splits = (
            [(all_rows, all_rows)]
            if self.cv is None
            else list(
                check_cv(self.cv, y_all, classifier=True).split(
                    np.zeros((len(y_all), 1)), y_all
                )
            )
        )
        refits = self.refit is not False and self.cv is not None
        # independent units: each split (its scores), then the refit (its models)
        units = [(train, test, self.cv is None) for train, test in splits]
        if refits:
            units.append((all_rows, None, True))
        n_points = len(points)
        n_tasks = len(units) * len(
            point_groups(points, self.imitation_target, self.points_per_unit)[0]
        )
        bar = tqdm(
            total=n_tasks,
            desc=f"lambda_c sweep ({n_points} points at once)",
            unit="training",
            disable=not self.progress,
        )
        results = run_units(
            module,
            points,
            data,
            # all rows in order: no index; else batches are read through it
            [
                (None if np.array_equal(tr, all_rows) else tr, te, k)
                for tr, te, k in units
            ],
            n_jobs=self.n_jobs,
            points_per_unit=self.points_per_unit,
            on_done=bar.update,
            device=self.device,
            torch_seed=torch_seed,
            chunk_rows=self.batch_size,
            vectorise=self.vectorised_,
            optimizer=self.optimizer,
            optimizer_kwargs=optimizer_kwargs,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            seed=batch_seed,
            base=self.base_loss,
            imitation_target=self.imitation_target,
            distillation=options,
            refresh=self._refresh(template),
        )
        scores = {name: np.zeros((len(splits), n_points)) for name in scoring}
        fit_time = np.zeros((len(splits), n_points))
        score_time = np.zeros((len(splits), n_points))
        final = None
        for k, result in enumerate(results):
            if k == len(splits):  # the refit
                final = result
                continue
            test_rows = splits[k][1]
            pred = np.asarray(self.classes_)[result.predictions.numpy()]
            for name in scoring:
                scores[name][k] = [
                    _score_labels(name, y_all[test_rows], h1_labels[test_rows], p)
                    for p in pred
                ]
            fit_time[k] = result.fit_time / n_points
            score_time[k] = result.score_time / n_points
            if self.cv is None:
                final = result
            if self.verbose:
                print(f"split {k}: {n_points} points in {result.fit_time:.2f}s")
        bar.close()
        self.cv_results_ = cv_results(points.pairs, scores, fit_time, score_time)
        self.n_splits_ = len(splits)
        if self.refit is not False:
            self.final_states_, self.train_loss_ = final.states, final.train_loss
            self._select_best(scoring)
        return self

    def _stacks(self, module, data):
        """Whether to train the points stacked (warn where that is not exact)."""
        if self.vectorise is False:
            return False
        if self.vectorise == "auto" and self._slow_to_stack(module):
            return False
        problems = vectorisation_problems(
            module, self.optimizer, data.sample(2).to(self.device)
        )
        if problems:
            warnings.warn(
                "BackwardCompatibleClassifierCV trains the points one by one "
                "(same results, no speed-up): " + "; ".join(problems) + ".",
                UserWarning,
                stacklevel=2,
            )
        return not problems

    def _slow_to_stack(self, module):
        """Convolutions on the CPU: stacked, they run slower than one by one.

        vmap turns a stack of convolutions into one grouped convolution;
        on the CPU that ran 2.5x slower than the same convolutions one after
        the other (a 21-point ResNet step, ``benchmarks/bench_sweep_convnet.py``).
        """
        return torch.device(self.device).type == "cpu" and any(
            isinstance(layer, nn.modules.conv._ConvNd) for layer in module.modules()
        )

    def _refresh(self, template):
        """h1's outputs per training batch, or None (cached once per fit)."""
        if self.reference_outputs != "per_batch":
            return None
        return partial(
            batch_reference_outputs,
            self.reference,
            classes=np.asarray(self.classes_),
            with_logits=any(d in DISTILLATIONS for d in self._dissonance_list()),
            logits_from_proba=template.h1_logits_from_proba_,
        )

    def _rows(self, dataset, module):
        """The training rows, on the CPU, X in the module's dtype."""
        dtype = next((p.dtype for p in module.parameters()), torch.float32)
        if isinstance(dataset, ReferenceItems):
            return ItemRows(dataset, dtype, self._iterator_kwargs())
        return ArrayRows(
            dataset.X.to(dtype),
            dataset.y,
            dataset.h1_proba,
            dataset.h1_correct,
            dataset.h1_logits,
        )

    def _copy_input_attributes(self, template):
        # arrays only: Dataset input has no feature count to check
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(template, name):
                setattr(self, name, getattr(template, name))
            elif hasattr(self, name):
                delattr(self, name)

    def _predict_states(self, states, X):
        """Predicted labels of every stacked model, shape (n_points, n_rows).

        ``X``: a tensor, or ``(chunks, n_rows)`` (see :func:`predict_outputs`).
        """
        index = predict_outputs(
            self._template.module_, states, X, vectorise=self.vectorised_,
            transform=label_transform(self.base_loss), chunk_rows=self.batch_size,
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
        estimator.h1_logits_from_proba_ = self._template.h1_logits_from_proba_
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, name):
                setattr(estimator, name, getattr(self, name))
        estimator.initialize()
        load_state(estimator.module_, self.final_states_, index)
        return estimator

    # -- prediction
    def predict_all(self, X):
        """Labels predicted by every point's final model.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or torch Dataset
            A Dataset's items are read ``batch_size`` at a time (their ``y``
            is ignored), through a DataLoader with the
            ``iterator_train__*`` arguments.

        Returns
        -------
        predictions : dict of (dissonance, lambda_c) to ndarray of shape (n_samples,)
            In the order of ``cv_results_["params"]``.
        """
        check_is_fitted(self, "final_states_")
        module = self._template.module_
        dtype = next((p.dtype for p in module.parameters()), torch.float32)
        device = torch.device(self.device)
        if is_item_input(X):
            dataset = item_dataset(X)
            X = (
                item_inputs(
                    dataset, None, self.batch_size, dtype=dtype, device=device,
                    loader_kwargs=self._iterator_kwargs(),
                ),
                len(dataset),
            )  # fmt: skip
        else:
            X = validate_data(
                self,
                X,
                reset=False,
                dtype=np.float32,
                allow_nd=True,
                ensure_all_finite=True,
            )
            X = torch.as_tensor(X).to(device=device, dtype=dtype)
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
