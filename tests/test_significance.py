from math import comb

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_bc import mcnemar_test, negative_flip_test


def _update(positive, negative, both_right=5, both_wrong=3):
    """Labels with the given numbers of positive and negative flips."""
    y_true = np.zeros(positive + negative + both_right + both_wrong, dtype=int)
    y_ref = np.r_[
        np.ones(positive), np.zeros(negative), np.zeros(both_right), np.ones(both_wrong)
    ].astype(int)
    y_pred = np.r_[
        np.zeros(positive), np.ones(negative), np.zeros(both_right), np.ones(both_wrong)
    ].astype(int)
    return y_true, y_ref, y_pred


# Worked by hand: with b = 7 positive and c = 1 negative flips, n = 8 and
# X ~ Binomial(8, 1/2): P(X >= 7) = (C(8,7) + C(8,8)) / 2^8 = 9/256, the
# two-sided p-value doubles it, and P(X <= 7) = 1 - C(8,8) / 2^8 = 255/256.
@pytest.mark.parametrize(
    "alternative, expected",
    [
        ("two-sided", 2 * (comb(8, 7) + comb(8, 8)) / 256),
        ("greater", 9 / 256),
        ("less", 255 / 256),
    ],
)
def test_mcnemar_pvalue_is_the_binomial_tail_worked_by_hand(alternative, expected):
    result = mcnemar_test(*_update(7, 1), alternative=alternative)
    assert (result.statistic, result.n_discordant) == (7, 8)
    assert result.alternative == alternative
    assert_allclose(result.pvalue, expected, rtol=1e-12)


def test_mcnemar_ignores_concordant_rows():
    few = mcnemar_test(*_update(4, 2, both_right=1, both_wrong=0))
    many = mcnemar_test(*_update(4, 2, both_right=500, both_wrong=300))
    assert few == many


def test_mcnemar_statistic_gives_the_accuracy_difference():
    rng = np.random.RandomState(0)
    y_true = rng.randint(0, 3, 200)
    y_ref = np.where(rng.rand(200) < 0.7, y_true, rng.randint(0, 3, 200))
    y_pred = np.where(rng.rand(200) < 0.8, y_true, rng.randint(0, 3, 200))
    result = mcnemar_test(y_true, y_ref, y_pred)
    negative = result.n_discordant - result.statistic
    assert_allclose(
        np.mean(y_pred == y_true) - np.mean(y_ref == y_true),
        (result.statistic - negative) / 200,
    )


def test_no_discordant_row_is_no_evidence():
    result = mcnemar_test([0, 1, 1], [0, 1, 0], [0, 1, 0])
    assert (result.statistic, result.n_discordant, result.pvalue) == (0, 0, 1.0)


def test_swapping_the_models_mirrors_the_one_sided_tests():
    y_true, y_ref, y_pred = _update(6, 2)
    forward = mcnemar_test(y_true, y_ref, y_pred, alternative="greater")
    backward = mcnemar_test(y_true, y_pred, y_ref, alternative="less")
    assert backward.statistic == 2
    assert_allclose(forward.pvalue, backward.pvalue, rtol=1e-12)


def test_negative_flip_test_counts_only_the_rows_one_candidate_flips():
    # h1 right on rows 0-7; A flips rows 0, 1; B flips rows 1-6; row 8 is h1's error
    y_true = np.zeros(9, dtype=int)
    y_ref = np.r_[np.zeros(8), 1].astype(int)
    y_a = np.r_[1, 1, np.zeros(6), 1].astype(int)
    y_b = np.r_[0, np.ones(6), 0, 0].astype(int)
    result = negative_flip_test(y_true, y_ref, y_a, y_b, alternative="less")
    # only A: row 0; only B: rows 2-6 -> P(X <= 1), X ~ Binomial(6, 1/2) = 7/64
    assert (result.statistic, result.n_discordant) == (1, 6)
    assert_allclose(result.pvalue, 7 / 64, rtol=1e-12)
    two_sided = negative_flip_test(y_true, y_ref, y_a, y_b)
    assert_allclose(two_sided.pvalue, 14 / 64, rtol=1e-12)


def test_string_labels():
    result = mcnemar_test(["a", "b", "b"], ["b", "b", "a"], ["a", "b", "b"])
    assert (result.statistic, result.n_discordant) == (2, 2)
    assert_allclose(result.pvalue, 2 * 1 / 4)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="alternative must be one of"):
        mcnemar_test([0, 1], [0, 1], [0, 1], alternative="bigger")
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        negative_flip_test([0, 1], [0, 1], [0, 1], [0, 1, 1])
    with pytest.raises(TypeError):
        mcnemar_test([0, 1], [0, 1], [0, 1], sample_weight=[1, 2])
