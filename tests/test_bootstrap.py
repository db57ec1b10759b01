import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_bc import _bootstrap
from sklearn_bc._bootstrap import MIN_ROWS, bootstrap_intervals


def _update(rng, n, accuracy_ref, btc, pfr_given_wrong):
    ref_right = rng.rand(n) < accuracy_ref
    pred_right = np.where(ref_right, rng.rand(n) < btc, rng.rand(n) < pfr_given_wrong)
    return ref_right, pred_right


def test_nominal_95_percent_interval_covers_the_true_btc():
    # known population: BTC = P(h2 right | h1 right) = 0.95
    rng = np.random.RandomState(0)
    covered = {"btc": 0, "accuracy_diff": 0}
    # accuracy(h2) - accuracy(h1) = 0.8 * 0.95 + 0.2 * 0.5 - 0.8 = 0.06
    truth = {"btc": 0.95, "accuracy_diff": 0.06}
    for _ in range(200):
        ref_right, pred_right = _update(rng, 400, 0.8, 0.95, 0.5)
        intervals, _ = bootstrap_intervals(
            ref_right, pred_right, np.ones(400), n_resamples=500, random_state=rng
        )
        for name in covered:
            low, high = intervals[name]
            covered[name] += low <= truth[name] <= high
    for name, count in covered.items():
        assert 0.90 <= count / 200 <= 0.99, (name, count)


def test_every_resample_keeps_the_number_of_rows():
    rng = np.random.RandomState(1)
    cells = rng.randint(0, 4, 50)
    sums = _bootstrap._resampled_sums(cells, np.ones(50), 300, rng)
    assert_allclose(sums.sum(axis=1), 50)


def test_stratified_resampling_keeps_each_stratum_whole():
    # stratum a: 30 rows both right; stratum b: 20 rows both wrong
    ref_right = np.r_[np.ones(30, bool), np.zeros(20, bool)]
    strata = np.r_[["a"] * 30, ["b"] * 20]
    stratified, _ = bootstrap_intervals(
        ref_right, ref_right, np.ones(50), strata=strata, random_state=0
    )
    assert stratified["accuracy"] == (0.6, 0.6)  # every resample: 30 of 50 right
    pooled, _ = bootstrap_intervals(ref_right, ref_right, np.ones(50), random_state=0)
    assert pooled["accuracy"][0] < 0.6 < pooled["accuracy"][1]


@pytest.mark.parametrize("weighted", [False, True])
def test_index_resampling_agrees_with_the_multinomial_draws(monkeypatch, weighted):
    rng = np.random.RandomState(2)
    ref_right, pred_right = _update(rng, 300, 0.7, 0.9, 0.4)
    weight = rng.rand(300) + 0.5 if weighted else np.ones(300)
    multinomial, _ = bootstrap_intervals(
        ref_right, pred_right, weight, n_resamples=4000, random_state=0
    )
    monkeypatch.setattr(_bootstrap, "_MAX_CATEGORIES", 0)  # force the index path
    by_index, _ = bootstrap_intervals(
        ref_right, pred_right, weight, n_resamples=4000, random_state=0
    )
    for name, (low, high) in multinomial.items():
        width = high - low
        assert abs(by_index[name][0] - low) < 0.15 * width, name
        assert abs(by_index[name][1] - high) < 0.15 * width, name


def test_interval_brackets_the_weighted_point_estimate():
    rng = np.random.RandomState(3)
    ref_right, pred_right = _update(rng, 500, 0.75, 0.9, 0.5)
    weight = rng.randint(1, 4, 500).astype(float)
    intervals, too_small = bootstrap_intervals(
        ref_right, pred_right, weight, random_state=0
    )
    btc = weight[ref_right & pred_right].sum() / weight[ref_right].sum()
    assert intervals["btc"][0] < btc < intervals["btc"][1]
    assert too_small == []


def test_too_few_rows_give_nan_not_a_degenerate_interval():
    # h1 right on MIN_ROWS - 1 rows, all kept by h2: BTC 1.0 on too few rows
    n_right = MIN_ROWS - 1
    ref_right = np.r_[np.ones(n_right, bool), np.zeros(40, bool)]
    pred_right = ref_right.copy()
    intervals, too_small = bootstrap_intervals(
        ref_right, pred_right, np.ones(len(ref_right)), random_state=0
    )
    assert np.isnan(intervals["btc"]).all() and "btc" in too_small
    assert not np.isnan(intervals["accuracy"]).any()
