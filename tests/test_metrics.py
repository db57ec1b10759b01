"""Metrics against values worked out by hand on tiny inputs."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_bc import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)

# Ten samples. r = h1's labels, p = h2's labels.
#   idx:     0  1  2  3  4  5  6  7  8  9
Y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 0])
R = np.array([0, 0, 1, 0, 2, 1, 0, 1, 0, 2])  # right on 0,1,2,4,6,7 (6 rows)
P = np.array([0, 1, 1, 1, 2, 2, 2, 1, 1, 2])  # right on 0,2,3,4,5,7 (6 rows)
# h1 right & h2 right: 0,2,4,7 (4)   -> BTC = 4/6
# h1 right & h2 wrong: 1,6 (2)       -> NFR = 2/10, new errors
# h1 wrong & h2 right: 3,5 (2)       -> PFR = 2/10
# h1 wrong & h2 wrong: 8,9 (2)       -> BEC = 2 / (h2 wrong: 1,6,8,9 = 4) = 1/2
# P(h2 wrong | h1 wrong) = 2 / (h1 wrong: 3,5,8,9 = 4) = 1/2 too, so see below


@pytest.mark.parametrize(
    "metric, expected",
    [
        (btc_score, 4 / 6),
        (bec_score, 2 / 4),
        (negative_flip_rate, 2 / 10),
        (positive_flip_rate, 2 / 10),
    ],
)
def test_metric_hand_values(metric, expected):
    assert metric(Y, R, P) == pytest.approx(expected)


def test_bec_is_p_h1_wrong_given_h2_wrong_not_the_reverse():
    # h1 wrong on 4 rows (1, 2, 3, 4); h2 wrong on 2 rows (3, 4), both old errors.
    y = np.array([0, 0, 0, 0, 0, 1])
    r = np.array([0, 1, 1, 1, 1, 1])
    p = np.array([0, 0, 0, 1, 1, 1])
    # ours: P(h1 wrong | h2 wrong) = 2/2 = 1.0
    assert bec_score(y, r, p) == 1.0
    # the predecessor's quantity, P(h2 wrong | h1 wrong) = 2/4, is not what we return
    assert bec_score(y, r, p) != pytest.approx(0.5)


def test_sample_weight_multiplies_every_indicator():
    w = np.array([1, 2, 1, 1, 1, 1, 3, 1, 1, 1], dtype=float)
    # h1 right rows 0,1,2,4,6,7 weigh 1+2+1+1+3+1 = 9; of them h2 right 0,2,4,7 = 4
    assert btc_score(Y, R, P, sample_weight=w) == pytest.approx(4 / 9)
    # h2 wrong rows 1,6,8,9 weigh 2+3+1+1 = 7; h1 also wrong on 8,9 = 2
    assert bec_score(Y, R, P, sample_weight=w) == pytest.approx(2 / 7)
    # total weight 13; new errors 1,6 weigh 5; fixed 3,5 weigh 2
    assert negative_flip_rate(Y, R, P, sample_weight=w) == pytest.approx(5 / 13)
    assert positive_flip_rate(Y, R, P, sample_weight=w) == pytest.approx(2 / 13)


def test_zero_weight_rows_do_not_count():
    w = np.ones(10)
    w[[1, 6]] = 0  # drop both new errors
    assert btc_score(Y, R, P, sample_weight=w) == 1.0


def test_string_labels():
    names = np.array(["cat", "dog", "emu"])
    assert btc_score(names[Y], names[R], names[P]) == pytest.approx(4 / 6)
    assert bec_score(list(names[Y]), list(names[R]), list(names[P])) == 0.5


def test_pooled_over_whole_input_not_batch_average():
    # batch 1: h1 right on 1 row, h2 keeps it (BTC 1/1); batch 2: h1 right on 3
    # rows, h2 keeps 1 (BTC 1/3). Pooled: 2/4 = 0.5; batch average would be 2/3.
    y = np.zeros(6, dtype=int)
    r = np.array([0, 1, 0, 0, 0, 1])
    p = np.array([0, 1, 0, 1, 1, 1])
    assert btc_score(y, r, p) == 0.5


@pytest.mark.parametrize(
    "metric, y, r, p",
    [
        (btc_score, [0, 1], [1, 0], [0, 1]),  # h1 right nowhere
        (bec_score, [0, 1], [1, 0], [0, 1]),  # h2 wrong nowhere
        (negative_flip_rate, [], [], []),
        (positive_flip_rate, [], [], []),
    ],
)
def test_zero_division(metric, y, r, p):
    with pytest.warns(UndefinedMetricWarning, match="ill-defined"):
        assert metric(y, r, p) == 0.0
    assert metric(y, r, p, zero_division=1.0) == 1.0
    assert np.isnan(metric(y, r, p, zero_division=np.nan))


@pytest.mark.parametrize("bad", ["nope", None, True, [0.0]])
def test_zero_division_rejects_non_numbers(bad):
    with pytest.raises(ValueError, match="zero_division"):
        btc_score(Y, R, P, zero_division=bad)


@pytest.mark.parametrize(
    "name, args",
    [
        ("y_ref", (Y, R[:-1], P)),
        ("y_pred", (Y, R, P[:-1])),
    ],
)
def test_inconsistent_lengths(name, args):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        btc_score(*args)


def test_nan_labels_rejected():
    with pytest.raises(ValueError, match="NaN"):
        btc_score([0.0, np.nan], [0.0, 1.0], [0.0, 1.0])


def test_continuous_labels_rejected():
    with pytest.raises(ValueError, match="y_pred must hold class labels"):
        btc_score([0, 1], [0, 1], [0.5, 1.5])


def test_mixed_label_types_rejected():
    with pytest.raises(ValueError, match="Mix of label input types"):
        btc_score(["a", "b"], [0, 1], ["a", "b"])


@pytest.mark.parametrize(
    "weight, match",
    [
        ([1.0, 1.0], "sample_weight has 2 entries"),
        ([1.0, -1.0, 1.0], "non-negative"),
        ([1.0, np.inf, 1.0], "NaN or infinity"),
    ],
)
def test_bad_sample_weight(weight, match):
    with pytest.raises(ValueError, match=match):
        btc_score([0, 1, 1], [0, 1, 0], [0, 1, 1], sample_weight=weight)


def test_identities_nfr_and_accuracy_gain():
    acc_ref = np.mean(R == Y)
    acc_new = np.mean(P == Y)
    assert_allclose(negative_flip_rate(Y, R, P), acc_ref * (1 - btc_score(Y, R, P)))
    assert_allclose(
        acc_new - acc_ref, positive_flip_rate(Y, R, P) - negative_flip_rate(Y, R, P)
    )


def test_report_rows_and_hand_values():
    groups = np.array(["old"] * 5 + ["young"] * 5)
    report = compatibility_report(Y, R, P, groups=groups)
    assert list(report.columns[:3]) == ["scope", "value", "n"]
    for column in [
        "accuracy_ref",
        "accuracy",
        "btc",
        "bec",
        "nfr",
        "pfr",
        "new_errors",
    ]:
        assert column in report.columns
    assert report["scope"].tolist() == ["overall"] + ["class"] * 3 + ["group"] * 2
    overall = report.iloc[0]
    assert overall["n"] == 10 and overall["new_errors"] == 2
    assert overall["btc"] == pytest.approx(4 / 6)
    assert overall["accuracy_ref"] == pytest.approx(0.6)
    # class 0 rows 0,1,6,9: h1 right 0,1,6; h2 right 0 -> BTC 1/3, 2 new errors
    class0 = report[(report.scope == "class") & (report.value == 0)].iloc[0]
    assert class0["n"] == 4 and class0["btc"] == pytest.approx(1 / 3)
    assert class0["new_errors"] == 2 and class0["accuracy"] == pytest.approx(1 / 4)
    # class 2 rows 4,5,8: h2 wrong on 8 only, h1 wrong there too -> BEC 1
    class2 = report[(report.scope == "class") & (report.value == 2)].iloc[0]
    assert class2["bec"] == 1.0 and class2["fixed_errors"] == 1
    # group "old" rows 0-4: h1 right 0,1,2,4; h2 right 0,2,4 -> BTC 3/4
    old = report[report.value == "old"].iloc[0]
    assert old["btc"] == pytest.approx(3 / 4) and old["n"] == 5
    # group "young" rows 5-9: h1 right 6,7; h2 right 7 -> BTC 1/2; h2 wrong 6,8,9,
    # h1 also wrong on 8,9 -> BEC 2/3
    young = report[report.value == "young"].iloc[0]
    assert young["btc"] == pytest.approx(0.5) and young["bec"] == pytest.approx(2 / 3)


def test_report_undefined_ratio_is_nan_without_warning():
    report = compatibility_report([0, 1], [1, 1], [1, 1])
    class0 = report[report.value == 0].iloc[0]
    assert np.isnan(class0["btc"])  # h1 never right on class 0


def test_report_groups_length_and_missing():
    with pytest.raises(ValueError, match="groups has 2 entries"):
        compatibility_report(Y, R, P, groups=["a", "b"])
    with pytest.raises(ValueError, match="missing values"):
        compatibility_report([0, 1], [0, 1], [0, 1], groups=["a", None])


def test_report_accepts_pandas():
    report = compatibility_report(pd.Series(Y), pd.Series(R), pd.Series(P))
    assert report.iloc[0]["btc"] == pytest.approx(4 / 6)
