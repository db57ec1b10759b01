import pickle
import re

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_bc import (
    BackwardCompatibleClassifier,
    bec_score,
    bec_scorer,
    btc_score,
    btc_scorer,
    make_compatibility_scorer,
    negative_flip_rate,
    nfr_scorer,
    positive_flip_rate,
)
from sklearn_bc._callbacks import TorchSeed
from sklearn_bc._label_checks import ZERO_DIVISION_NO_WARN
from sklearn_bc.modules import MLPModule
from sklearn_bc.scorers import NO_REFERENCE, NOT_FITTED, SHARED_SCORER, _score_labels

METRICS = {
    "btc": btc_score,
    "bec": bec_score,
    "nfr": negative_flip_rate,
    "pfr": positive_flip_rate,
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X[:240] / 16.0).astype(np.float32)
    y = y[:240]
    h1 = LogisticRegression(C=0.05, max_iter=500).fit(X[:60], y[:60])
    return X, y, h1


def _h2(reference, **params):
    return BackwardCompatibleClassifier(
        MLPModule,
        reference=reference,
        module__n_features=params.pop("n_features", 64),
        module__n_classes=params.pop("n_classes", 10),
        module__hidden=(16,),
        optimizer=torch.optim.Adam,
        lr=0.02,
        max_epochs=3,
        batch_size=32,
        train_split=None,
        callbacks=[("seed", TorchSeed(0))],
        verbose=0,
        **params,
    )


def _all_scorers():
    scoring = {"accuracy": "accuracy"}
    scoring.update({m: make_compatibility_scorer(m) for m in METRICS})
    scoring["reference_accuracy"] = make_compatibility_scorer("reference_accuracy")
    return scoring


def test_scores_equal_metrics_computed_by_hand_per_fold(digits):
    X, y, h1 = digits
    cv = KFold(3, shuffle=True, random_state=0)
    estimator = _h2(h1, lambda_c=0.7)
    scores = cross_validate(estimator, X, y, cv=cv, scoring=_all_scorers())
    for k, (train, test) in enumerate(cv.split(X, y)):
        h2 = clone(estimator).fit(X[train], y[train])
        y_ref, y_pred = h1.predict(X[test]), h2.predict(X[test])
        for name, metric in METRICS.items():
            expected = metric(y[test], y_ref, y_pred, zero_division=np.nan)
            assert scores[f"test_{name}"][k] == expected
        assert scores["test_reference_accuracy"][k] == accuracy_score(y[test], y_ref)
        assert scores["test_accuracy"][k] == accuracy_score(y[test], y_pred)


@pytest.mark.parametrize(
    "scorer, metric", [(btc_scorer, "btc"), (bec_scorer, "bec"), (nfr_scorer, "nfr")]
)
def test_ready_made_scorers_take_h1_from_a_pipelines_last_step(digits, scorer, metric):
    X, y, h1 = digits
    # h1 receives the pipeline's raw X: here a scale h2's pipeline undoes
    X_raw = X * 16.0
    h1_raw = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    h1_raw.fit(X_raw[:60], y[:60])
    pipe = make_pipeline(StandardScaler(), _h2(h1_raw)).fit(X_raw[:180], y[:180])
    got = scorer(pipe, X_raw[180:], y[180:])
    expected = METRICS[metric](
        y[180:],
        h1_raw.predict(X_raw[180:]),
        pipe.predict(X_raw[180:]),
        zero_division=np.nan,
    )
    assert got == expected


def test_explicit_reference_scores_any_classifier(digits):
    X, y, h1 = digits
    cv = KFold(3)
    tree = LogisticRegression(max_iter=300)
    scorer = make_compatibility_scorer("btc", reference=h1)
    scores = cross_validate(tree, X, y, cv=cv, scoring={"btc": scorer})
    for k, (train, test) in enumerate(cv.split(X)):
        h2 = clone(tree).fit(X[train], y[train])
        expected = btc_score(y[test], h1.predict(X[test]), h2.predict(X[test]))
        assert scores["test_btc"][k] == expected


def test_torch_reference_is_supported(digits):
    X, y, _ = digits
    torch.manual_seed(0)
    h1 = torch.nn.Linear(64, 10)
    h2 = LogisticRegression(max_iter=300).fit(X, y)
    with torch.no_grad():
        y_ref = h1(torch.as_tensor(X)).argmax(1).numpy()
    scorer = make_compatibility_scorer("nfr", reference=h1)
    assert scorer(h2, X, y) == negative_flip_rate(y, y_ref, h2.predict(X))


def test_missing_reference_is_a_clear_error(digits):
    X, y, _ = digits
    h2 = LogisticRegression(max_iter=300).fit(X, y)
    with pytest.raises(ValueError, match="h1's predictions") as info:
        btc_scorer(h2, X, y)
    assert str(info.value) == NO_REFERENCE.format(metric="btc")


def test_undefined_metric_is_nan_by_default(digits):
    X, y, h1 = digits
    h2 = LogisticRegression(max_iter=300).fit(X, y)
    wrong = (h1.predict(X[:5]) + 1) % 10  # h1 right nowhere
    scorer = make_compatibility_scorer("btc", reference=h1)
    assert np.isnan(scorer(h2, X[:5], y[:5], y_ref=wrong))
    zero = make_compatibility_scorer("btc", zero_division=0.0)
    assert zero(h2, X[:5], y[:5], y_ref=wrong) == 0.0


@pytest.mark.parametrize("metric", ["accuracy", ["btc"], None])
def test_unknown_metric(metric):
    # a list used to escape as "TypeError: unhashable type"
    with pytest.raises(ValueError, match="metric must be one of"):
        make_compatibility_scorer(metric)


@pytest.mark.parametrize("zero_division", ["warn", 5.0, 0.5, None, True])
def test_zero_division_of_a_scorer_is_zero_one_or_nan(zero_division):
    with pytest.raises(InvalidParameterError) as info:
        make_compatibility_scorer("btc", zero_division=zero_division)
    assert str(info.value) == ZERO_DIVISION_NO_WARN.format(
        caller="make_compatibility_scorer", value=zero_division
    )
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_invalid_score_request_is_refused_when_set():
    scorer = make_compatibility_scorer("btc")
    with pytest.raises(ValueError, match="alias you're setting for `y_ref`"):
        scorer.set_score_request(y_ref=5)
    # nothing was recorded: the scorer still routes nothing
    assert scorer.get_metadata_routing().score.requests["y_ref"] is None


def test_unfitted_estimator_is_a_clear_error(digits):
    X, y, h1 = digits
    scorer = make_compatibility_scorer("btc", reference=h1)
    with pytest.raises(NotFittedError) as info:
        scorer(LogisticRegression(), X, y)
    assert str(info.value) == NOT_FITTED.format(metric="btc")


@pytest.mark.parametrize("metric", ["reference_accuracy", *METRICS])
def test_routed_y_ref_is_checked_naming_it(digits, metric):
    X, y, h1 = digits
    h2 = LogisticRegression(max_iter=300).fit(X[:120], y[:120])
    scorer = make_compatibility_scorer(metric)
    y_ref = h1.predict(X[120:125]).astype(object)
    y_ref[2] = None
    with pytest.raises(ValueError, match="^y_ref contains missing labels"):
        scorer(h2, X[120:125], y[120:125], y_ref=y_ref)
    lengths = (
        "[5, 4] for y_true, y_ref"
        if metric == "reference_accuracy"
        else ("[5, 4, 5] for y_true, y_ref, y_pred")
    )
    with pytest.raises(ValueError, match=re.escape(lengths)):
        scorer(h2, X[120:125], y[120:125], y_ref=h1.predict(X[120:124]))


def test_accuracy_labels_and_weights_are_checked_naming_them():
    with pytest.raises(ValueError, match="^y_pred contains missing labels"):
        _score_labels("accuracy", [0, 1], None, [0, None])
    with pytest.raises(ValueError, match="y_true holds numbers, y_ref holds strings"):
        _score_labels("reference_accuracy", [0, 1], ["0", "1"], None)
    with pytest.raises(ValueError, match="^sample_weight should be a 1d array"):
        _score_labels("accuracy", [0, 1], None, [0, 1], sample_weight=[[1, 1]])
    assert _score_labels("accuracy", [0, 1], None, [0, 0], sample_weight=[3, 1]) == 0.75


def test_shared_scorers_are_not_modified_and_unpickle_as_themselves():
    with pytest.raises(ValueError) as info:
        btc_scorer.set_score_request(y_ref=True)
    assert str(info.value) == SHARED_SCORER.format(name="btc_scorer", metric="btc")
    assert pickle.loads(pickle.dumps(btc_scorer)) is btc_scorer
    own = make_compatibility_scorer("bec").set_score_request(y_ref=True)
    assert (
        pickle.loads(pickle.dumps(own)).get_metadata_routing().score.requests["y_ref"]
    )


def test_sample_weight_is_used(digits):
    X, y, h1 = digits
    h2 = LogisticRegression(max_iter=300).fit(X[:120], y[:120])
    w = np.linspace(0.1, 2.0, 120)
    expected = btc_score(
        y[120:], h1.predict(X[120:]), h2.predict(X[120:]), sample_weight=w
    )
    scorer = make_compatibility_scorer("btc", reference=h1)
    assert scorer(h2, X[120:], y[120:], sample_weight=w) == expected


@pytest.fixture
def raw_frame():
    X, y = make_classification(
        n_samples=150,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    colors = np.array(["red", "green", "blue"])[
        (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    ]
    frame = pd.DataFrame(X * 10 + 5, columns=["a", "b", "c", "d"])
    frame["color"] = colors
    return frame, y


def test_routed_reference_outputs_in_pipeline_and_grid_search(raw_frame):
    frame, y = raw_frame
    # h1: last year's pipeline on the raw frame, string column included
    h1 = make_pipeline(
        ColumnTransformer(
            [("color", OneHotEncoder(), ["color"])], remainder="passthrough"
        ),
        LogisticRegression(max_iter=1000),
    ).fit(frame.iloc[:60], y[:60])
    proba, y_ref = h1.predict_proba(frame), h1.predict(frame)
    # h2 only sees the numeric columns, scaled
    X = frame[["a", "b", "c", "d"]].to_numpy()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scoring = {"accuracy": "accuracy"}
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler(),
            _h2(None, n_features=4, n_classes=3).set_fit_request(reference_proba=True),
        )
        for m in [*METRICS, "reference_accuracy"]:
            scoring[m] = make_compatibility_scorer(m).set_score_request(y_ref=True)
        grid = {"backwardcompatibleclassifier__lambda_c": [0.0, 1.0]}
        search = GridSearchCV(pipe, grid, cv=cv, scoring=scoring, refit=False)
        search.fit(X, y, reference_proba=proba, y_ref=y_ref)
        for i, params in enumerate(search.cv_results_["params"]):
            for k, (train, test) in enumerate(cv.split(X, y)):
                fold = clone(pipe).set_params(**params)
                fold.fit(X[train], y[train], reference_proba=proba[train])
                y_pred = fold.predict(X[test])
                for m, metric in METRICS.items():
                    expected = metric(y[test], y_ref[test], y_pred)
                    assert search.cv_results_[f"split{k}_test_{m}"][i] == expected
                assert search.cv_results_[f"split{k}_test_reference_accuracy"][
                    i
                ] == accuracy_score(y[test], y_ref[test])
