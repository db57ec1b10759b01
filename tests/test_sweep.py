import copy
import hashlib
import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bc import (
    BackwardCompatibleClassifier,
    bec_scorer,
    btc_scorer,
    make_compatibility_scorer,
    nfr_scorer,
    select_compatible,
    sweep_progress,
    sweep_results,
)
from sklearn_bc._callbacks import TorchSeed
from sklearn_bc.modules import MLPModule
from sklearn_bc.sweep import (
    MISSING_CV_KEYS,
    NO_CV_RESULTS,
    RAGGED_CV_KEY,
    _pareto_front,
)

SCORING = {
    "accuracy": "accuracy",
    "btc": btc_scorer,
    "bec": bec_scorer,
    "nfr": nfr_scorer,
    "reference_accuracy": make_compatibility_scorer("reference_accuracy"),
}
GRID = {"dissonance": ["new_error", "strict_imitation"], "lambda_c": [0.0, 1.0]}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # joblib's and Dask's workers run torch on one thread: so does the parent
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X[:240] / 16.0).astype(np.float32)
    y = y[:240]
    h1 = LogisticRegression(C=0.05, max_iter=500).fit(X[:60], y[:60])
    return X, y, h1


def _h2(reference, device="cpu"):
    return BackwardCompatibleClassifier(
        MLPModule,
        reference=reference,
        module__n_features=64,
        module__n_classes=10,
        module__hidden=(16,),
        optimizer=torch.optim.Adam,
        lr=0.02,
        max_epochs=3,
        batch_size=32,
        iterator_train__shuffle=True,
        train_split=None,
        callbacks=[("seed", TorchSeed(0))],
        device=device,
        verbose=0,
    )


def _search(h1, **kwargs):
    kwargs.setdefault("scoring", SCORING)
    kwargs.setdefault("refit", False)
    return GridSearchCV(_h2(h1), GRID, cv=KFold(2), **kwargs)


def _hash(obj):
    return hashlib.sha256(pickle.dumps(obj)).hexdigest()


@pytest.fixture(scope="module")
def sequential(digits):
    X, y, h1 = digits
    before = _hash(h1)
    search = _search(h1, n_jobs=1, return_train_score=True).fit(X, y)
    assert _hash(h1) == before
    return search


# -- sweep_results
def test_results_schema_one_row_per_candidate(sequential):
    search = sequential
    results = sweep_results(search)
    metrics = list(SCORING)
    expected = ["dissonance", "lambda_c"]
    for m in metrics:
        expected += [f"mean_test_{m}", f"std_test_{m}"]
        expected += [f"mean_train_{m}", f"std_train_{m}"]
    expected += ["mean_fit_time", "std_fit_time", "pareto_btc", "pareto_bec"]
    assert list(results.columns) == expected
    assert len(results) == 4
    assert results["dissonance"].tolist() == [
        p["dissonance"] for p in search.cv_results_["params"]
    ]
    assert results["lambda_c"].dtype == np.float64
    assert results["pareto_btc"].dtype == bool
    for m in metrics:
        np.testing.assert_array_equal(
            results[f"mean_test_{m}"], search.cv_results_[f"mean_test_{m}"]
        )


def test_results_step_prefixed_and_other_params(digits):
    X, y, h1 = digits
    pipe = make_pipeline(StandardScaler(), _h2(h1))
    grid = {
        "backwardcompatibleclassifier__lambda_c": [0.2, 0.8],
        "backwardcompatibleclassifier__max_epochs": [1, 2],
    }
    search = RandomizedSearchCV(
        pipe,
        grid,
        n_iter=3,
        cv=KFold(2),
        scoring=SCORING,
        refit=False,
        random_state=0,
    ).fit(X, y)
    results = sweep_results(search)
    # dissonance was not searched: read from the estimator
    assert results["dissonance"].tolist() == ["new_error"] * 3
    np.testing.assert_array_equal(
        results["lambda_c"],
        [
            p["backwardcompatibleclassifier__lambda_c"]
            for p in search.cv_results_["params"]
        ],
    )
    assert results["backwardcompatibleclassifier__max_epochs"].dtype == np.int64
    assert list(results.columns[:3]) == [
        "dissonance",
        "lambda_c",
        "backwardcompatibleclassifier__max_epochs",
    ]


@pytest.mark.parametrize(
    "scoring, name",
    [("accuracy", "accuracy"), (btc_scorer, "btc"), (lambda e, X, y: 0.5, "score")],
)
def test_results_single_metric_column_name(digits, scoring, name):
    X, y, h1 = digits
    search = GridSearchCV(
        _h2(h1), {"lambda_c": [0.0]}, cv=KFold(2), scoring=scoring, refit=False
    ).fit(X[:80], y[:80])
    results = sweep_results(search)
    assert f"mean_test_{name}" in results and f"std_test_{name}" in results


def _minimal_cv_results(n=2):
    return {
        "param_dissonance": np.ma.array(["new_error"] * n, dtype=object),
        "param_lambda_c": np.ma.array(np.linspace(0, 1, n), dtype=object),
        "mean_test_btc": np.full(n, 0.9),
        "std_test_btc": np.zeros(n),
        "mean_fit_time": np.ones(n),
        "std_fit_time": np.zeros(n),
    }


def test_results_missing_lambda_is_a_clear_error():
    cv_results = _minimal_cv_results()
    del cv_results["param_lambda_c"]
    with pytest.raises(ValueError, match="'lambda_c'"):
        sweep_results(cv_results)


def test_results_of_a_minimal_mapping():
    results = sweep_results(_minimal_cv_results())
    assert results["lambda_c"].tolist() == [0.0, 1.0]
    assert results["mean_test_btc"].tolist() == [0.9, 0.9]


@pytest.mark.parametrize(
    "drop, missing",
    [
        (
            list(_minimal_cv_results()),
            ["mean_fit_time", "std_fit_time", "mean_test_<metric>"],
        ),
        (["mean_fit_time"], ["mean_fit_time"]),
        (["std_fit_time", "mean_test_btc"], ["std_fit_time", "mean_test_<metric>"]),
        (["std_test_btc"], ["std_test_btc"]),
    ],
)
def test_results_of_an_incomplete_mapping_name_the_missing_keys(drop, missing):
    cv_results = _minimal_cv_results()
    for key in drop:
        del cv_results[key]
    with pytest.raises(ValueError) as info:
        sweep_results(cv_results)
    assert str(info.value) == MISSING_CV_KEYS.format(
        source="the mapping", missing=missing
    )
    assert "GridSearchCV" in str(info.value) and "'mean_fit_time'" in str(info.value)


def test_results_of_a_ragged_mapping_name_the_key():
    cv_results = {**_minimal_cv_results(3), "std_test_btc": np.zeros(2)}
    with pytest.raises(ValueError) as info:
        sweep_results(cv_results)
    assert str(info.value) == RAGGED_CV_KEY.format(
        source="the mapping", key="std_test_btc", found=2, n=3
    )


def test_results_of_something_without_cv_results():
    with pytest.raises(ValueError) as info:
        sweep_results(object())
    assert str(info.value) == NO_CV_RESULTS.format(kind="object")
    with pytest.raises(
        NotFittedError, match="This GridSearchCV instance is not fitted"
    ):
        sweep_results(GridSearchCV(LogisticRegression(), {"C": [1.0]}))


def test_results_of_a_search_missing_a_key(sequential):
    search = copy.copy(sequential)
    search.cv_results_ = {
        k: v for k, v in sequential.cv_results_.items() if k != "std_fit_time"
    }
    with pytest.raises(ValueError) as info:
        sweep_results(search)
    assert str(info.value) == MISSING_CV_KEYS.format(
        source="GridSearchCV.cv_results_", missing=["std_fit_time"]
    )


def test_pareto_front_dominance_ties_and_nan():
    acc = [0.90, 0.90, 0.85, 0.95, 0.80, np.nan, 0.95]
    btc = [0.95, 0.95, 0.97, 0.90, 0.96, 0.99, np.nan]
    # 0 and 1 tie (both on the front); 4 is dominated by 2; NaN rows are off
    assert _pareto_front(acc, btc).tolist() == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


# -- selection rule on hand-made cv_results_
def _cv(acc, btc, lam=None):
    cv = {"mean_test_accuracy": np.array(acc), "mean_test_btc": np.array(btc)}
    if lam is not None:
        cv["param_lambda_c"] = np.ma.array(lam, dtype=object)
    return cv


def test_select_best_score_above_floor():
    rule = select_compatible(0.95)
    assert rule(_cv([0.92, 0.90, 0.88], [0.94, 0.95, 0.99])) == 1


def test_select_ties_go_to_higher_compatibility_then_lower_lambda():
    rule = select_compatible(0.9)
    assert rule(_cv([0.9, 0.9, 0.9], [0.95, 0.97, 0.97], [0.2, 0.8, 0.5])) == 2
    assert rule(_cv([0.9, 0.9], [0.95, 0.95], [0.6, 0.1])) == 1
    assert rule(_cv([0.9, 0.9], [0.95, 0.95])) == 0  # no lambda_c: first


def test_select_no_candidate_meets_floor_warns_with_best_btc():
    rule = select_compatible(0.99)
    with pytest.warns(UserWarning, match=r"best btc found is 0\.9700"):
        assert rule(_cv([0.9, 0.8, 0.85], [0.95, 0.97, 0.97])) == 2


def test_select_nan_never_chosen_over_a_number():
    rule = select_compatible(0.9)
    assert rule(_cv([np.nan, 0.7, 0.8], [0.99, 0.95, np.nan])) == 1
    with pytest.warns(UserWarning, match="best btc found is 0.9000"):
        assert select_compatible(0.95)(_cv([0.9, 0.99], [0.9, np.nan])) == 0


def test_select_bad_arguments():
    with pytest.raises(ValueError, match="floor"):
        select_compatible(np.nan)
    with pytest.raises(ValueError, match="higher-is-better"):
        select_compatible(0.1, compatibility="nfr")
    with pytest.raises(ValueError, match="'bec'.*scored"):
        select_compatible(0.9, compatibility="bec")(_cv([0.9], [0.9]))


def test_select_refits_in_grid_search_and_reference_unchanged(digits):
    X, y, h1 = digits
    before = _hash(h1)
    rule = select_compatible(0.0)
    search = GridSearchCV(
        _h2(h1), {"lambda_c": [0.0, 1.0]}, cv=KFold(2), scoring=SCORING, refit=rule
    ).fit(X, y)
    assert search.best_index_ == rule(search.cv_results_)
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert search.best_estimator_.reference is h1
    assert _hash(h1) == before


# -- backends
def _scores(search):
    return {
        k: v for k, v in search.cv_results_.items() if "_test_" in k or "_train_" in k
    }


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_n_jobs_1_and_2_identical(digits, sequential):
    X, y, h1 = digits
    before = _hash(h1)
    two = _search(h1, n_jobs=2, return_train_score=True).fit(X, y)
    _assert_same(_scores(sequential), _scores(two))
    assert _hash(h1) == before


@pytest.mark.distributed
def test_dask_cluster_identical_to_sequential(digits, sequential):
    distributed = pytest.importorskip("dask.distributed")
    X, y, h1 = digits
    before = _hash(h1)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        dask = _search(h1, return_train_score=True).fit(X, y)
    _assert_same(_scores(sequential), _scores(dask))
    assert _hash(h1) == before


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_sweep_on_cuda_matches_schema(digits):
    X, y, h1 = digits
    search = GridSearchCV(
        _h2(h1, device="cuda"), GRID, cv=KFold(2), scoring=SCORING, refit=False
    ).fit(X, y)
    results = sweep_results(search)
    assert results["mean_test_btc"].between(0, 1).all()


# -- progress
def test_sweep_progress_counts_fits_and_restores_joblib(digits):
    X, y, h1 = digits
    original = joblib.Parallel.print_progress
    out = io.StringIO()
    with sweep_progress(total=8, file=out) as bar:
        _search(h1).fit(X[:80], y[:80])
    assert bar.n == 8
    assert "8/8" in out.getvalue()
    assert joblib.Parallel.print_progress is original


# -- "BTC's lower bound >= x" (issue 16)
# Candidate 0: BTC over 3 folds 0.96, 0.98, 1.00 (mean 0.98, s^2 = 0.0004); the
# Nadeau-Bengio variance (1/3 + 1/2) * 0.0004 and t(0.95, df=2) = 2.919986 give
# the lower bound 0.98 - 2.919986 * sqrt(0.0004 * 5/6) = 0.926690.
# Candidate 1: 0.97 on every fold: its bound is 0.97. Candidate 0 is more accurate.
_FOLDS = {
    "mean_test_accuracy": np.array([0.95, 0.90]),
    "mean_test_btc": np.array([0.98, 0.97]),
    "split0_test_btc": np.array([0.96, 0.97]),
    "split1_test_btc": np.array([0.98, 0.97]),
    "split2_test_btc": np.array([1.00, 0.97]),
}


def test_lower_bound_rule_worked_by_hand():
    rule = select_compatible(0.95, bound="lower", confidence_level=0.95)
    bound = rule._lower_bound(_FOLDS, "btc", _FOLDS["mean_test_btc"])
    assert_allclose(bound, [0.98 - 2.919986 * np.sqrt(0.0004 * 5 / 6), 0.97], rtol=1e-6)
    assert rule(_FOLDS) == 1  # candidate 0 reaches 0.95 only on average
    assert select_compatible(0.95)(_FOLDS) == 0  # the mean rule takes it
    assert "bound='lower'" in repr(rule)


def test_lower_bound_rule_warns_naming_the_bound_when_nothing_reaches_it():
    rule = select_compatible(0.975, bound="lower")
    with pytest.warns(UserWarning, match="0.95 lower confidence bound of the test btc"):
        assert rule(_FOLDS) == 1


def test_lower_bound_rule_needs_the_fold_scores():
    rule = select_compatible(0.95, bound="lower")
    with pytest.raises(ValueError, match="split<k>_test_btc of at least 2 folds"):
        rule({k: v for k, v in _FOLDS.items() if not k.startswith("split")})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bound": "upper"}, "bound must be 'mean' or 'lower'"),
        ({"bound": "lower", "confidence_level": 1.0}, "confidence_level must be"),
    ],
)
def test_lower_bound_rule_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        select_compatible(0.95, **kwargs)
