import hashlib
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.sparse import issparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_array
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from sklearn_bc import BackwardCompatibleUpdate, btc_score
from sklearn_bc.update import _training_rows


def _digest(model):
    return hashlib.sha256(pickle.dumps(model)).hexdigest()


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=3,
        random_state=0,
    )
    reference = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    return X, y, reference


# -- the weights, against a 5-row example worked out by hand
#
# classes 0, 1, 2; y = [0, 1, 1, 0, 2]; h1's distributions q and labels:
#   row 0: [0.6, 0.3, 0.1]    -> 0, right
#   row 1: [0.2, 0.8, 0.0]    -> 1, right
#   row 2: [0.5, 0.4, 0.1]    -> 0, wrong
#   row 3: [0.1, 0.7, 0.2]    -> 1, wrong
#   row 4: [0.25, 0.25, 0.5]  -> 2, right
# c = [1, 1, 0, 0, 1].
# No user weights, lambda_c = 0.6: S = N = 5, S_c = N_c = 3,
#   w_i = 1/5 + 0.6 * c_i / 3; handed over as 5 * w_i = 1 + c_i -> [2, 2, 1, 1, 2].
#   Strict imitation: rows weighted 1, plus per h1-right row one row per class
#   with weight 5 * 0.6 / 3 * q_ik = q_ik (the 0.0 of row 1 dropped).
# User weights s = [2, 1, 1, 0, 4], lambda_c = 0.7: S = 8, S_c = 2 + 1 + 4 = 7,
#   8 * w_i = s_i + 0.7 * 8 / 7 * c_i * s_i = s_i + 0.8 * c_i * s_i
#   -> [3.6, 1.8, 1, 0, 7.2].
#   Strict imitation: rows weighted s_i, plus 0.8 * s_i * q_ik:
#   row 0: 1.6 * q -> 0.96, 0.48, 0.16; row 1: 0.8 * q -> 0.16, 0.64;
#   row 4: 3.2 * q -> 0.8, 0.8, 1.6.
Y_INDEX = np.array([0, 1, 1, 0, 2])
Q = np.array(
    [
        [0.6, 0.3, 0.1],
        [0.2, 0.8, 0.0],
        [0.5, 0.4, 0.1],
        [0.1, 0.7, 0.2],
        [0.25, 0.25, 0.5],
    ]
)
CORRECT = np.array([True, True, False, False, True])
USER_WEIGHT = np.array([2.0, 1.0, 1.0, 0.0, 4.0])


@pytest.mark.parametrize(
    "dissonance, lambda_c, sample_weight, rows, targets, weights",
    [
        ("new_error", 0.6, np.ones(5), range(5), Y_INDEX, [2, 2, 1, 1, 2]),
        (
            "strict_imitation",
            0.6,
            np.ones(5),
            [0, 1, 2, 3, 4, 0, 0, 0, 1, 1, 4, 4, 4],
            [0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 0, 1, 2],
            [1, 1, 1, 1, 1, 0.6, 0.3, 0.1, 0.2, 0.8, 0.25, 0.25, 0.5],
        ),
        ("new_error", 0.7, USER_WEIGHT, range(5), Y_INDEX, [3.6, 1.8, 1, 0, 7.2]),
        (
            "strict_imitation",
            0.7,
            USER_WEIGHT,
            [0, 1, 2, 3, 4, 0, 0, 0, 1, 1, 4, 4, 4],
            [0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 0, 1, 2],
            [2, 1, 1, 0, 4, 0.96, 0.48, 0.16, 0.16, 0.64, 0.8, 0.8, 1.6],
        ),
    ],
)
def test_training_rows_match_hand_worked_weights(
    dissonance, lambda_c, sample_weight, rows, targets, weights
):
    got_rows, got_targets, got_weights = _training_rows(
        Y_INDEX,
        Q,
        CORRECT,
        dissonance=dissonance,
        lambda_c=lambda_c,
        sample_weight=sample_weight,
    )
    assert_array_equal(got_rows, list(rows))
    assert_array_equal(got_targets, targets)
    assert_allclose(got_weights, weights)


@pytest.mark.parametrize("dissonance", ["new_error", "strict_imitation"])
def test_no_dissonance_when_reference_is_never_right(dissonance):
    rows, targets, weights = _training_rows(
        Y_INDEX,
        Q,
        np.zeros(5, dtype=bool),
        dissonance=dissonance,
        lambda_c=1.0,
        sample_weight=USER_WEIGHT,
    )
    assert_array_equal(rows, range(5))
    assert_array_equal(targets, Y_INDEX)
    assert_allclose(weights, USER_WEIGHT)


# -- the learner's objective IS SPEC's L + lambda_c * D
def _spec_loss(params, X, y, q, correct, lambda_c, dissonance, n_classes):
    """SPEC §1 written directly in numpy for a multinomial linear model."""
    W = params[: X.shape[1] * n_classes].reshape(n_classes, X.shape[1])
    b = params[X.shape[1] * n_classes :]
    logits = X @ W.T + b
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    nll = -log_p[np.arange(len(y)), y]
    loss = nll.mean()
    if dissonance == "new_error":
        per_row = nll
    else:
        per_row = -(q * log_p).sum(axis=1)
    return loss + lambda_c * per_row[correct].sum() / correct.sum()


@pytest.mark.parametrize("dissonance", ["new_error", "strict_imitation"])
def test_fitted_logistic_regression_minimises_spec_loss(data, dissonance):
    X, y, reference = data
    X, y = X[:150], y[:150]
    lambda_c = 0.8
    model = BackwardCompatibleUpdate(
        LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000),
        reference=reference,
        dissonance=dissonance,
        lambda_c=lambda_c,
    ).fit(X, y)
    est = model.estimator_
    params = np.concatenate([est.coef_.ravel(), est.intercept_])
    q = reference.predict_proba(X)
    correct = reference.predict(X) == y
    assert 0 < correct.sum() < len(y)
    args = (X, y, q, correct, lambda_c, dissonance, 3)

    def gradient(p):
        eps = 1e-6
        steps = np.eye(len(p)) * eps
        return np.array(
            [
                (_spec_loss(p + e, *args) - _spec_loss(p - e, *args)) / (2 * eps)
                for e in steps
            ]
        )

    assert np.abs(gradient(params)).max() < 1e-4
    rng = np.random.RandomState(0)
    base = _spec_loss(params, *args)
    for _ in range(20):
        assert _spec_loss(params + 1e-2 * rng.randn(len(params)), *args) > base
    # the plain fit is not the minimiser, so the check above discriminates
    plain = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    plain_params = np.concatenate([plain.coef_.ravel(), plain.intercept_])
    assert np.abs(gradient(plain_params)).max() > 1e-2


def test_lambda_zero_is_the_plain_weighted_fit(data):
    X, y, reference = data
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    model = BackwardCompatibleUpdate(
        LogisticRegression(max_iter=1000), reference=reference, lambda_c=0.0
    ).fit(X, y, sample_weight=weight)
    plain = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=weight)
    assert_allclose(model.estimator_.coef_, plain.coef_)


def test_strict_imitation_of_one_hot_outputs_equals_new_error(data):
    X, y, reference = data
    one_hot = np.eye(3)[reference.predict(X)]
    models = [
        BackwardCompatibleUpdate(
            LogisticRegression(tol=1e-10, max_iter=5000), dissonance=d, lambda_c=0.9
        ).fit(X, y, reference_proba=one_hot)
        for d in ("new_error", "strict_imitation")
    ]
    assert_allclose(models[0].estimator_.coef_, models[1].estimator_.coef_, atol=1e-5)


# -- compatibility improves, the reference is untouched
@pytest.mark.parametrize(
    "learner",
    [
        LogisticRegression(max_iter=2000),
        HistGradientBoostingClassifier(max_iter=50, random_state=0),
    ],
)
def test_btc_rises_with_lambda_c_on_breast_cancer(learner):
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    reference = LogisticRegression().fit(X_tr[:40], y_tr[:40])
    rng = np.random.RandomState(0)
    y_noisy = np.where(rng.rand(len(y_tr)) < 0.2, 1 - y_tr, y_tr)
    before = _digest(reference)
    btc = {}
    # one OpenMP thread: boosting's threads spin for long on a busy machine
    with threadpool_limits(1):
        for lambda_c in (0.0, 1.0):
            model = BackwardCompatibleUpdate(
                learner, reference=reference, lambda_c=lambda_c
            )
            y_pred = model.fit(X_tr, y_noisy).predict(X_te)
            btc[lambda_c] = btc_score(y_te, reference.predict(X_te), y_pred)
    assert btc[1.0] > btc[0.0]
    assert _digest(reference) == before


# -- scikit-learn's estimator checks
def _stand_in_proba(X, y):
    """Outputs of a stand-in h1 on a check's own data (test-only).

    Each estimator check brings its own data and labels, which no fixed,
    fitted reference can match. This stand-in is "right" where the first
    feature's tenth digit is even and otherwise predicts the next class, with
    a soft distribution (0.7 on its label). It depends on each row alone, so
    weighting a row equals repeating it, as the sample-weight checks require.
    """
    X = check_array(X, accept_sparse="csr", dtype="numeric", ensure_all_finite=False)
    classes, y_index = np.unique(np.ravel(np.asarray(y)), return_inverse=True)
    first = X[:, [0]].toarray().ravel() if issparse(X) else X[:, 0]
    with np.errstate(invalid="ignore"):
        right = np.floor(first * 10) % 2 == 0
    n_classes = len(classes)
    if n_classes == 1:
        return np.ones((len(y_index), 1))
    label = np.where(right, y_index, (y_index + 1) % n_classes)
    proba = np.full((len(y_index), n_classes), 0.3 / (n_classes - 1))
    proba[np.arange(len(label)), label] = 0.7
    return proba


class _UpdateWithStandInReference(BackwardCompatibleUpdate):
    """BackwardCompatibleUpdate fed the stand-in h1's outputs (test-only).

    Only where h1's outputs come from differs: they reach the real ``fit`` as
    ``reference_proba``. Data the stand-in cannot read goes to the real
    ``fit`` without them, which must then reject the data itself.
    """

    def fit(self, X, y, sample_weight=None):
        try:
            proba = _stand_in_proba(X, y)
        except Exception:
            proba = None
        return super().fit(X, y, sample_weight=sample_weight, reference_proba=proba)


@parametrize_with_checks(
    [
        _UpdateWithStandInReference(LogisticRegression(max_iter=1000)),
        _UpdateWithStandInReference(
            LogisticRegression(max_iter=1000), dissonance="strict_imitation"
        ),
        _UpdateWithStandInReference(
            DecisionTreeClassifier(random_state=0), dissonance="strict_imitation"
        ),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- scikit-learn citizenship
def test_clone_keeps_the_fitted_reference_and_hides_its_params(data):
    X, y, reference = data
    model = BackwardCompatibleUpdate(LogisticRegression(), reference=reference)
    assert clone(model).reference is reference
    assert not any(k.startswith("reference__") for k in model.get_params())
    assert "estimator__C" in model.get_params()
    model.set_params(estimator__C=0.5, lambda_c=0.2)
    assert model.estimator.C == 0.5
    with pytest.raises(ValueError, match=r"Cannot set \['reference__C'\]"):
        model.set_params(reference__C=2.0)
    assert reference.C == 1.0


def test_fitted_attributes_and_delegation(data):
    X, y, reference = data
    model = BackwardCompatibleUpdate(LogisticRegression(max_iter=1000), reference)
    with pytest.raises(NotFittedError):
        model.predict(X)
    model.fit(X, y)
    check_is_fitted(model)
    assert_array_equal(model.classes_, reference.classes_)
    assert model.n_features_in_ == X.shape[1]
    assert model.predict_proba(X).shape == (len(y), 3)
    assert model.decision_function(X).shape == (len(y), 3)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    tree = BackwardCompatibleUpdate(DecisionTreeClassifier(), reference)
    assert not hasattr(tree, "decision_function")
    svc = BackwardCompatibleUpdate(LinearSVC(), reference).fit(X, y)
    assert not hasattr(svc, "predict_proba")
    assert model.__sklearn_tags__().input_tags.sparse
    boosting = BackwardCompatibleUpdate(HistGradientBoostingClassifier(), reference)
    assert not boosting.__sklearn_tags__().input_tags.sparse


def test_string_labels_and_dataframe_input(data):
    X, y, _ = data
    labels = np.array(["cat", "dog", "eel"])[y]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    reference = LogisticRegression(max_iter=1000).fit(frame[:40], labels[:40])
    model = BackwardCompatibleUpdate(
        LogisticRegression(max_iter=1000),
        reference=reference,
        dissonance="strict_imitation",
    ).fit(frame, labels)
    assert_array_equal(model.feature_names_in_, frame.columns)
    assert set(model.predict(frame)) <= {"cat", "dog", "eel"}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_lambda_c_keeps_the_reference(data, n_jobs):
    X, y, reference = data
    before = _digest(reference)
    search = GridSearchCV(
        BackwardCompatibleUpdate(LogisticRegression(max_iter=1000), reference),
        {"lambda_c": [0.0, 1.0], "dissonance": ["new_error", "strict_imitation"]},
        cv=2,
        n_jobs=n_jobs,
    ).fit(X, y)
    assert search.best_estimator_.reference is reference
    check_is_fitted(reference)
    assert _digest(reference) == before


def test_in_a_pipeline(data):
    X, y, _ = data
    scaler = StandardScaler().fit(X)
    reference = LogisticRegression().fit(scaler.transform(X[:40]), y[:40])
    pipe = make_pipeline(
        StandardScaler(), BackwardCompatibleUpdate(LogisticRegression(), reference)
    )
    search = GridSearchCV(
        pipe, {"backwardcompatibleupdate__lambda_c": [0.0, 1.0]}, cv=3
    ).fit(X, y)
    assert search.best_estimator_[-1].reference is reference


# -- bad input: a clear error naming the argument; the reference untouched
@pytest.mark.parametrize(
    "params, match",
    [
        ({"lambda_c": 1.5}, r"lambda_c must be a float in \[0, 1\]; got 1.5"),
        ({"lambda_c": -0.1}, r"lambda_c must be a float in \[0, 1\]"),
        ({"lambda_c": "high"}, r"lambda_c must be a float in \[0, 1\]"),
        ({"dissonance": "kl"}, r"dissonance must be one of \['new_error'"),
        (
            {"estimator": KNeighborsClassifier()},
            "estimator KNeighborsClassifier does not accept sample_weight",
        ),
        (
            {"estimator": LinearRegression()},
            "estimator must be a scikit-learn classifier; got LinearRegression",
        ),
    ],
)
def test_bad_parameters_are_rejected_at_fit(data, params, match):
    X, y, reference = data
    before = _digest(reference)
    model = BackwardCompatibleUpdate(LogisticRegression(), reference).set_params(
        **params
    )
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert _digest(reference) == before


def test_reference_errors(data):
    X, y, reference = data
    with pytest.raises(
        NotFittedError, match="reference model LogisticRegression is not"
    ):
        BackwardCompatibleUpdate(LogisticRegression(), LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="reference is required"):
        BackwardCompatibleUpdate(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"y contains labels unseen by the reference"):
        BackwardCompatibleUpdate(LogisticRegression(), reference).fit(
            X, np.where(y == 2, 7, y)
        )
    with pytest.raises(ValueError, match=r"no sample of the reference classes \[2\]"):
        keep = y != 2
        BackwardCompatibleUpdate(LogisticRegression(), reference).fit(X[keep], y[keep])
    with pytest.raises(ValueError, match=r"reference_proba must have shape \(300, 3\)"):
        BackwardCompatibleUpdate(LogisticRegression()).fit(
            X, y, reference_proba=np.ones((300, 2))
        )


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.nan, "Input X contains NaN"),
        (np.inf, "Input X contains infinity"),
    ],
)
def test_non_finite_input_is_rejected(data, bad, match):
    X, y, reference = data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        BackwardCompatibleUpdate(LogisticRegression(), reference).fit(X, y)


def test_bad_shapes_and_weights(data):
    X, y, reference = data
    model = BackwardCompatibleUpdate(LogisticRegression(max_iter=1000), reference)
    with pytest.raises(ValueError, match="0 sample"):
        model.fit(X[:0], y[:0])
    with pytest.raises(
        ValueError, match="Negative values in data passed to `sample_weight`"
    ):
        model.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight must have a positive sum"):
        model.fit(X, y, sample_weight=np.zeros(len(y)))
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features"):
        model.predict(X[:, :5])


# -- the distillation dissonances (issue 15), on the 5-row example above
#
# Focal distillation, lambda_c = 0.6, focal weights f = 1 + 5 c = [6, 6, 1, 1, 6],
# no user weights: rows weighted 1, plus per row one copy per class weighted
# 0.6 * f_i * q_ik (KL(q || h2) differs from CE(q, h2) by h1's entropy only):
#   row 0: 3.6 q -> 2.16, 1.08, 0.36;  row 1: 3.6 q -> 0.72, 2.88 (0 dropped)
#   row 2: 0.6 q -> 0.3, 0.24, 0.06;   row 3: 0.6 q -> 0.06, 0.42, 0.12
#   row 4: 3.6 q -> 0.9, 0.9, 1.8
# Churn distillation, lambda_c = 0.25, user weights s = [2, 1, 1, 0, 4]: rows
# weighted 0.75 s, copies 0.25 s_i q_ik (row 3 has weight 0: no copies):
#   row 0: 0.5 q -> 0.3, 0.15, 0.05;  row 1: 0.25 q -> 0.05, 0.2
#   row 2: 0.25 q -> 0.125, 0.1, 0.025;  row 4: q -> 0.25, 0.25, 0.5
@pytest.mark.parametrize(
    "dissonance, lambda_c, sample_weight, rows, targets, weights",
    [
        (
            "focal_distillation",
            0.6,
            np.ones(5),
            [0, 1, 2, 3, 4, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
            [0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2],
            [1, 1, 1, 1, 1, 2.16, 1.08, 0.36, 0.72, 2.88, 0.3, 0.24, 0.06,
             0.06, 0.42, 0.12, 0.9, 0.9, 1.8],
        ),
        (
            "churn_distillation",
            0.25,
            USER_WEIGHT,
            [0, 1, 2, 3, 4, 0, 0, 0, 1, 1, 2, 2, 2, 4, 4, 4],
            [0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 0, 1, 2, 0, 1, 2],
            [1.5, 0.75, 0.75, 0, 3, 0.3, 0.15, 0.05, 0.05, 0.2, 0.125, 0.1,
             0.025, 0.25, 0.25, 0.5],
        ),
    ],
)  # fmt: skip
def test_distillation_rows_match_hand_worked_weights(
    dissonance, lambda_c, sample_weight, rows, targets, weights
):
    got_rows, got_targets, got_weights = _training_rows(
        Y_INDEX, Q, CORRECT, dissonance=dissonance, lambda_c=lambda_c,
        sample_weight=sample_weight, focal_alpha=1.0, focal_beta=5.0,
    )  # fmt: skip
    assert_array_equal(got_rows, rows)
    assert_array_equal(got_targets, targets)
    assert_allclose(got_weights, weights)


def _distillation_loss(params, X, y, q, correct, lambda_c, dissonance, n_classes):
    """Focal (temperature 1) and churn distillation written directly in numpy."""
    W = params[: X.shape[1] * n_classes].reshape(n_classes, X.shape[1])
    logits = X @ W.T + params[X.shape[1] * n_classes :]
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    nll = -log_p[np.arange(len(y)), y]
    kl = (q * (np.log(np.clip(q, 1e-300, None)) - log_p)).sum(axis=1)
    if dissonance == "focal_distillation":
        focal = 1.0 + 2.0 * correct
        return nll.mean() + lambda_c * (focal * kl).mean()
    soft = -(q * log_p).sum(axis=1)
    return (1 - lambda_c) * nll.mean() + lambda_c * soft.mean()


@pytest.mark.parametrize("dissonance", ["focal_distillation", "churn_distillation"])
def test_fitted_logistic_regression_minimises_the_distillation_loss(data, dissonance):
    X, y, reference = data
    X, y = X[:150], y[:150]
    model = BackwardCompatibleUpdate(
        LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000),
        reference=reference, dissonance=dissonance, lambda_c=0.7,
        focal_alpha=1.0, focal_beta=2.0,
    ).fit(X, y)  # fmt: skip
    est = model.estimator_
    params = np.concatenate([est.coef_.ravel(), est.intercept_])
    args = (X, y, reference.predict_proba(X), reference.predict(X) == y, 0.7,
            dissonance, 3)  # fmt: skip
    eps = 1e-6
    gradient = np.array([
        (_distillation_loss(params + e, *args) - _distillation_loss(params - e, *args))
        / (2 * eps)
        for e in np.eye(len(params)) * eps
    ])  # fmt: skip
    assert np.abs(gradient).max() < 1e-4
    plain = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    plain_params = np.concatenate([plain.coef_.ravel(), plain.intercept_])
    assert _distillation_loss(plain_params, *args) > _distillation_loss(params, *args)


@pytest.mark.parametrize("dissonance", ["focal_distillation", "churn_distillation"])
def test_distillation_at_lambda_zero_is_the_plain_fit(data, dissonance):
    X, y, reference = data
    ours = BackwardCompatibleUpdate(
        LogisticRegression(max_iter=1000), reference=reference,
        dissonance=dissonance, lambda_c=0.0,
    ).fit(X, y)  # fmt: skip
    plain = LogisticRegression(max_iter=1000).fit(X, y)
    assert_allclose(ours.estimator_.coef_, plain.coef_)


def test_logit_inhibition_is_refused_with_the_reason(data):
    X, y, reference = data
    model = BackwardCompatibleUpdate(
        LogisticRegression(), reference=reference, dissonance="logit_inhibition"
    )
    with pytest.raises(ValueError, match="cannot be trained through sample weights"):
        model.fit(X, y)


@pytest.mark.parametrize("param", ["focal_alpha", "focal_beta"])
@pytest.mark.parametrize("value", [-1.0, np.nan, "1"])
def test_bad_focal_weights_are_refused(data, param, value):
    X, y, reference = data
    model = BackwardCompatibleUpdate(
        LogisticRegression(), reference=reference, dissonance="focal_distillation",
        **{param: value},
    )  # fmt: skip
    with pytest.raises(ValueError, match=f"{param} must be a non-negative float"):
        model.fit(X, y)
