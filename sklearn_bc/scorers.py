"""Compatibility scorers: ``scorer(estimator, X, y)`` for cross-validation.

A scorer evaluates a *fitted* h2 on one held-out fold. It needs h1's
predictions on the very same rows, which it gets, in this order, from:

1. the ``y_ref`` metadata, routed and split per fold by scikit-learn
   (``sklearn.set_config(enable_metadata_routing=True)`` and
   ``scorer.set_score_request(y_ref=True)``): for a reference that needs other
   features than h2, e.g. last year's ``Pipeline`` on a raw DataFrame;
2. the ``reference`` given to :func:`make_compatibility_scorer`;
3. the estimator being scored: its ``reference`` attribute, or that of the
   last step of a ``Pipeline`` (or of ``best_estimator_`` of a fitted search).

In cases 2 and 3, h1 receives the X the scorer receives: for a ``Pipeline``,
the *raw* input of the pipeline, not the output of its transformers (h1 is
usually a model with its own preprocessing). Pass ``y_ref`` when h1 needs
other input.

Why not ``make_scorer(btc_score, y_ref=y_ref_all)``? Keyword arguments given
to ``make_scorer`` are passed unchanged to every call: under cross-validation
the full-length array would be compared with a fold's predictions (a length
error at best, misaligned rows at worst). Metadata routing splits ``y_ref``
per fold like ``y``; the scorers here do that, or run h1 on the fold.
"""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.utils.metadata_routing import MetadataRequest

from ._label_checks import (
    _check_label_arrays,
    _check_sample_weight,
    _check_zero_division,
)
from ._reference import (
    _is_skorch_net,
    _is_torch_module,
    check_reference,
    check_reference_classes,
    reference_outputs,
)
from .metrics import (
    bec_score,
    btc_score,
    negative_flip_rate,
    positive_flip_rate,
)

__all__ = [
    "bec_scorer",
    "btc_scorer",
    "make_compatibility_scorer",
    "nfr_scorer",
]

_METRICS = {
    "btc": btc_score,
    "bec": bec_score,
    "nfr": negative_flip_rate,
    "pfr": positive_flip_rate,
    "reference_accuracy": None,  # h1's accuracy on the fold
}
# NFR is a rate of damage: lower is better. The scorers return the metric's
# own value (no sign flip) so that cv_results_ holds readable flip rates.
_GREATER_IS_BETTER = {name: name != "nfr" for name in _METRICS}
_ROUTABLE = ("y_ref", "sample_weight")


def _score_labels(
    metric, y_true, y_ref, y_pred, *, sample_weight=None, zero_division=np.nan
):
    """Value of ``metric`` ("accuracy" or a name of ``_METRICS``) from the labels.

    ``y_pred`` is not used for "reference_accuracy" (it may be None).
    """
    if metric in ("accuracy", "reference_accuracy"):
        # our checks first: their errors name y_ref or y_pred, not just "y"
        name, labels = ("y_pred", y_pred) if metric == "accuracy" else ("y_ref", y_ref)
        y_true, labels = _check_label_arrays(y_true=y_true, **{name: labels})
        weight = sample_weight
        if weight is not None:
            weight = _check_sample_weight(weight, y_true.shape[0])
        return float(accuracy_score(y_true, labels, sample_weight=weight))
    return _METRICS[metric](
        y_true, y_ref, y_pred, sample_weight=sample_weight, zero_division=zero_division
    )


NO_REFERENCE = (
    "The {metric!r} scorer needs h1's predictions: pass reference=... to "
    "make_compatibility_scorer, score an estimator that has a fitted "
    "`reference` (or a Pipeline whose last step has one), or route h1's "
    "predictions as the metadata y_ref (scorer.set_score_request(y_ref=True))."
)
NOT_FITTED = (
    "The {metric!r} scorer scores a fitted classifier, and the estimator has no "
    "classes_: fit it first."
)
SHARED_SCORER = (
    "{name} is shared by every user of sklearn_bc and cannot be modified; build "
    "your own with make_compatibility_scorer({metric!r}).set_score_request(...)."
)


def _find_reference(estimator):
    """h1 attached to ``estimator``, its last pipeline step or best estimator."""
    seen = set()
    while estimator is not None and id(estimator) not in seen:
        seen.add(id(estimator))
        reference = getattr(estimator, "reference", None)
        if reference is not None:
            return reference
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        else:
            estimator = getattr(estimator, "best_estimator_", None)
    return None


def _reference_labels(reference, X, classes):
    """h1's labels on ``X``; only ``predict`` for a scikit-learn model."""
    if _is_torch_module(reference) or _is_skorch_net(reference):
        return reference_outputs(reference, X, np.asarray(classes)).labels
    ref_classes = check_reference(reference)
    check_reference_classes(ref_classes, classes)
    return np.asarray(reference.predict(X))


class _CompatibilityScorer:
    """Callable ``scorer(estimator, X, y_true, *, y_ref=None, sample_weight=None)``.

    Built by :func:`make_compatibility_scorer`; routable like scikit-learn's
    scorers (``set_score_request``, ``get_metadata_routing``).
    """

    def __init__(self, metric, *, reference=None, zero_division=np.nan, name=None):
        self.metric = metric
        self.reference = reference
        self.zero_division = zero_division
        self.greater_is_better = _GREATER_IS_BETTER[metric]
        self._shared_name = name
        self._requests = {}

    def __repr__(self):
        args = [repr(self.metric)]
        if self.reference is not None:
            args.append(f"reference={type(self.reference).__name__}(...)")
        if not (isinstance(self.zero_division, float) and np.isnan(self.zero_division)):
            args.append(f"zero_division={self.zero_division!r}")
        return f"make_compatibility_scorer({', '.join(args)})"

    def __call__(self, estimator, X, y_true, *, y_ref=None, sample_weight=None):
        """Score the fitted ``estimator`` on ``X, y_true``.

        Parameters
        ----------
        estimator : fitted classifier
            h2 (or a Pipeline ending in it).
        X : array-like or DataFrame
            The fold's input, as ``estimator.predict`` takes it.
        y_true : array-like of shape (n_samples,)
            The fold's true labels.
        y_ref : array-like of shape (n_samples,), default=None
            h1's predictions on the fold; when None, h1 is run on ``X``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            The metric's value (NaN where undefined, see ``zero_division``).
        """
        if y_ref is None:
            reference = self.reference
            if reference is None:
                reference = _find_reference(estimator)
            if reference is None:
                raise ValueError(NO_REFERENCE.format(metric=self.metric))
            classes = getattr(estimator, "classes_", None)
            if classes is None:
                raise NotFittedError(NOT_FITTED.format(metric=self.metric))
            y_ref = _reference_labels(reference, X, classes)
        # h1's accuracy needs no prediction of h2
        y_pred = None if self.metric == "reference_accuracy" else estimator.predict(X)
        return _score_labels(
            self.metric,
            y_true,
            y_ref,
            y_pred,
            sample_weight=sample_weight,
            zero_division=self.zero_division,
        )

    # -- metadata routing, the same protocol as scikit-learn's scorers
    def set_score_request(self, *, y_ref=None, sample_weight=None):
        """Request metadata passed to the scorer (metadata routing).

        Parameters
        ----------
        y_ref : bool, str or None, default=None
            Whether the scorer takes h1's predictions as the metadata
            ``y_ref`` (True), under another name (a str), or not (False).
            None leaves the request unchanged.
        sample_weight : bool, str or None, default=None
            The same for ``sample_weight``.

        Returns
        -------
        self : scorer
        """
        if self._shared_name is not None:
            raise ValueError(
                SHARED_SCORER.format(name=self._shared_name, metric=self.metric)
            )
        requests = {"y_ref": y_ref, "sample_weight": sample_weight}
        requests = {
            param: alias for param, alias in requests.items() if alias is not None
        }
        # refuse an invalid alias now, not when a search first asks for routing
        check = MetadataRequest(owner=self)
        for param, alias in requests.items():
            check.score.add_request(param=param, alias=alias)
        self._requests.update(requests)
        return self

    def get_metadata_routing(self):
        """The scorer's metadata request (scikit-learn's routing protocol).

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRequest
        """
        request = MetadataRequest(owner=self)
        for param in _ROUTABLE:
            request.score.add_request(param=param, alias=self._requests.get(param))
        return request

    def _accept_sample_weight(self):
        # scikit-learn's pre-routing path asks scorers whether they weigh samples
        return True

    def __reduce__(self):
        # the shared scorers unpickle as the module's objects (n_jobs>1, Dask)
        if self._shared_name is not None:
            return _shared_scorer, (self._shared_name,)
        return object.__reduce__(self)


def _shared_scorer(name):
    return globals()[name]


def make_compatibility_scorer(metric, *, reference=None, zero_division=np.nan):
    """Make a scorer of backward compatibility for cross-validation.

    The scorer takes ``(estimator, X, y)`` like every scikit-learn scorer and
    works in ``cross_validate``, in multi-metric ``GridSearchCV(scoring={...})``
    and with ``refit=`` callables. h1's predictions on each fold come from the
    routed ``y_ref`` metadata, else ``reference``, else the estimator's own
    ``reference`` (see the module documentation; for a ``Pipeline``, h1
    receives the pipeline's raw X).

    Do not use ``make_scorer(btc_score, y_ref=fixed_array)``: keyword
    arguments of ``make_scorer`` are not split per fold, so each fold's
    predictions would be compared with the whole array.

    Parameters
    ----------
    metric : {"btc", "bec", "nfr", "pfr", "reference_accuracy"}
        The metric: :func:`~sklearn_bc.btc_score`, :func:`~sklearn_bc.bec_score`,
        :func:`~sklearn_bc.negative_flip_rate`,
        :func:`~sklearn_bc.positive_flip_rate`, or h1's accuracy on the fold
        (the reference line of a plot). The value is returned as is: NFR is
        lower-is-better, so a search's ``rank_test_nfr`` ranks the *highest*
        flip rate first; select with :func:`~sklearn_bc.sweep.select_compatible`
        rather than ``refit="nfr"``.
    reference : fitted classifier or torch.nn.Module, default=None
        h1. None takes it from the estimator being scored.
    zero_division : {0.0, 1.0, np.nan}, default=np.nan
        Value of an undefined metric (BTC on a fold where h1 is right nowhere,
        BEC where h2 is wrong nowhere). NaN, the default, is honest: it is no
        score at all, averages to NaN in ``cv_results_`` (``GridSearchCV`` warns
        about non-finite scores and ranks them last) and is never selected by
        :func:`~sklearn_bc.sweep.select_compatible`. ``"warn"`` is refused: a
        warning per fold helps nobody.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, *, y_ref=None, sample_weight=None)``
        returning a float, with ``set_score_request`` for metadata routing.

    See Also
    --------
    btc_scorer, bec_scorer, nfr_scorer : Ready-made scorers (h1 from the
        estimator).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_bc import make_compatibility_scorer
    >>> X, y = load_digits(return_X_y=True)
    >>> h1 = LogisticRegression(max_iter=1000).fit(X[:300], y[:300])
    >>> scores = cross_validate(
    ...     DecisionTreeClassifier(random_state=0), X, y, cv=3,
    ...     scoring={"accuracy": "accuracy",
    ...              "btc": make_compatibility_scorer("btc", reference=h1)},
    ... )
    >>> scores["test_btc"].shape
    (3,)
    """
    if not isinstance(metric, str) or metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}; got {metric!r}.")
    # "warn" is refused: a warning per fold helps nobody
    zero_division = _check_zero_division(
        zero_division, "make_compatibility_scorer", allow_warn=False
    )
    if reference is not None:
        check_reference(reference)
    return _CompatibilityScorer(
        metric, reference=reference, zero_division=zero_division
    )


btc_scorer = _CompatibilityScorer("btc", name="btc_scorer")
bec_scorer = _CompatibilityScorer("bec", name="bec_scorer")
nfr_scorer = _CompatibilityScorer("nfr", name="nfr_scorer")
