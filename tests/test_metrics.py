"""Metrics against values worked out by hand on tiny inputs."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_bc import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)
from sklearn_bc._label_checks import (
    INCONSISTENT_LENGTHS,
    INFINITE_LABELS,
    LABELS_SHAPE,
    MISSING_LABELS,
    MIXED_ARRAYS,
    MIXED_LABEL_TYPES,
    OBJECT_LABELS,
    SAMPLE_WEIGHT_LENGTH,
    SAMPLE_WEIGHT_NEGATIVE,
    SAMPLE_WEIGHT_NOT_FINITE,
    SAMPLE_WEIGHT_SHAPE,
    SAMPLE_WEIGHT_TYPE,
    ZERO_DIVISION,
)
from sklearn_bc.metrics import REPORT_COLUMNS

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


# -- hostile input (issue 13): a clear error naming the argument, never a
# silent number or numpy's "'<' not supported between ..."
METRIC_FUNCTIONS = [btc_score, bec_score, negative_flip_rate, positive_flip_rate]
ARGUMENTS = ["y_true", "y_ref", "y_pred"]


def _call_with(metric, name, bad, good=("a", "a", "b")):
    """Call ``metric`` with ``bad`` as the argument ``name``, ``good`` elsewhere."""
    args = {arg: np.asarray(good) for arg in ARGUMENTS}
    args[name] = bad
    return metric(args["y_true"], args["y_ref"], args["y_pred"])


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS)
@pytest.mark.parametrize(
    "zero_division", [5.0, 0.5, -1.0, 2, np.inf, "nope", "", None, True, [0.0]]
)
def test_zero_division_outside_the_admitted_values_is_refused(metric, zero_division):
    # h1 right nowhere, h2 wrong nowhere, yet a well-defined input: the value is
    # refused before it could be returned (5.0 used to come back as a "BTC")
    with pytest.raises(InvalidParameterError) as info:
        metric([0, 1], [1, 0], [0, 1], zero_division=zero_division)
    assert str(info.value) == ZERO_DIVISION.format(
        caller=metric.__name__, value=zero_division
    )
    # scikit-learn's convention: both a ValueError and a TypeError
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    "zero_division, expected",
    [
        (0, 0.0),
        (1, 1.0),
        (0.0, 0.0),
        (1.0, 1.0),
        (np.int64(1), 1.0),
        (np.float32(0.0), 0.0),
        (np.nan, np.nan),
        (np.float32("nan"), np.nan),
        (float("nan"), np.nan),
    ],
)
def test_zero_division_admitted_values(zero_division, expected):
    got = btc_score([0, 1], [1, 0], [0, 1], zero_division=zero_division)
    assert type(got) is float
    assert_allclose(got, expected)


MISSING_INPUTS = {
    "object None": lambda: np.array(["a", None, "b"], dtype=object),
    "object NaN": lambda: np.array(["a", np.nan, "b"], dtype=object),
    "object pd.NA": lambda: np.array(["a", pd.NA, "b"], dtype=object),
    "list None": lambda: ["a", None, "b"],
    "Categorical": lambda: pd.Categorical(["a", None, "b"]),
    "Series category": lambda: pd.Series(["a", None, "b"], dtype="category"),
    "Series string": lambda: pd.Series(["a", None, "b"], dtype="string"),
    "Series object": lambda: pd.Series(["a", None, "b"], dtype=object),
    "Int64": lambda: pd.array([0, None, 1], dtype="Int64"),
    "float NaN": lambda: np.array([0.0, np.nan, 1.0]),
    "int object None": lambda: np.array([0, None, 1], dtype=object),
}


@pytest.mark.parametrize("name", ARGUMENTS)
@pytest.mark.parametrize("kind", list(MISSING_INPUTS))
def test_missing_labels_are_refused_naming_the_argument(kind, name):
    bad = MISSING_INPUTS[kind]()
    good = [0, 0, 1] if kind in ("Int64", "float NaN", "int object None") else None
    with pytest.raises(ValueError) as info:
        _call_with(btc_score, name, bad, **({"good": good} if good else {}))
    assert str(info.value) == MISSING_LABELS.format(name=name, count=1, n=3, first=1)


def test_missing_labels_counted_and_first_position_reported():
    with pytest.raises(ValueError) as info:
        btc_score(["a"] * 5, ["a", "a", None, "b", np.nan], ["a"] * 5)
    assert str(info.value) == MISSING_LABELS.format(name="y_ref", count=2, n=5, first=2)


@pytest.mark.parametrize(
    "to_pandas",
    [
        lambda y: pd.Series(y, dtype="category"),
        lambda y: pd.Categorical(y),
        lambda y: pd.Series(y, dtype="string"),
        lambda y: pd.Series(y),
        lambda y: pd.Index(y),
        lambda y: pd.DataFrame({"label": y}),
    ],
    ids=["Series category", "Categorical", "Series string", "Series", "Index", "frame"],
)
def test_pandas_labels_without_missing_values_keep_working(to_pandas):
    names = np.array(["cat", "dog", "emu"])
    expected = btc_score(names[Y], names[R], names[P])
    assert expected == pytest.approx(4 / 6)
    assert btc_score(*(to_pandas(names[a]) for a in (Y, R, P))) == expected
    report = compatibility_report(*(to_pandas(names[a]) for a in (Y, R, P)))
    assert report["value"].tolist()[1:] == ["cat", "dog", "emu"]


@pytest.mark.parametrize("dtype", ["Int64", "UInt8", "Float64", "category"])
def test_nullable_numeric_labels_without_missing_values_keep_working(dtype):
    args = [pd.Series(a, dtype=dtype) for a in (Y, R, P)]
    assert btc_score(*args) == pytest.approx(4 / 6)
    assert bec_score(*args) == pytest.approx(2 / 4)


def test_nullable_boolean_labels_keep_working():
    y = pd.array([True, False, True, True], dtype="boolean")
    r = pd.array([True, True, True, False], dtype="boolean")
    assert btc_score(y, r, np.array([True, False, False, False])) == 0.5


def test_infinite_labels_are_refused():
    with pytest.raises(ValueError) as info:
        btc_score([0.0, 1.0, 1.0], [0.0, np.inf, -np.inf], [0.0, 1.0, 1.0])
    assert str(info.value) == INFINITE_LABELS.format(
        name="y_ref", count=2, n=3, first=1
    )


@pytest.mark.parametrize("name", ARGUMENTS)
@pytest.mark.parametrize(
    "bad",
    [
        np.array(["a", 1, "b"], dtype=object),  # numpy's "'<' not supported"
        np.array([1, "a", "b"], dtype=object),  # scikit-learn's "unknown" target
        ["a", 1, "b"],  # numpy would turn it into ["a", "1", "b"]
    ],
)
def test_mixed_label_types_in_one_array_are_refused(bad, name):
    with pytest.raises(ValueError) as info:
        _call_with(btc_score, name, bad)
    assert str(info.value) == MIXED_LABEL_TYPES.format(types="int, str", name=name)


def test_mixed_lists_do_not_match_through_strings():
    # as strings both lists read ["1", "1"]: a label 1 would equal a label "1"
    with pytest.raises(ValueError, match="Mix of label input types"):
        btc_score(["1", 1], [1, "1"], ["1", 1])


def test_object_array_of_numbers_is_explained():
    with pytest.raises(ValueError) as info:
        btc_score([0, 1, 1], np.array([0, 1, 1], dtype=object), [0, 1, 1])
    assert str(info.value) == OBJECT_LABELS.format(name="y_ref", types="int")


def test_bytes_labels_name_the_argument():
    with pytest.raises(TypeError, match="^y_pred holds labels of type bytes"):
        btc_score(["a", "b"], ["a", "b"], np.array([b"a", b"b"]))


def test_string_and_number_arrays_name_both():
    with pytest.raises(ValueError) as info:
        btc_score([0, 1], ["0", "1"], [0, 1])
    assert str(info.value) == MIXED_ARRAYS.format(
        kinds="string and number",
        described="y_true holds numbers, y_ref holds strings, y_pred holds numbers",
    )


@pytest.mark.parametrize("name", ARGUMENTS)
@pytest.mark.parametrize(
    "bad, shape",
    [
        ([["a", "a", "b"], ["a", "a", "b"]], (2, 3)),
        ("a", ()),
        (pd.DataFrame({"u": ["a", "a", "b"], "v": ["a", "a", "b"]}), (3, 2)),
    ],
)
def test_labels_of_the_wrong_shape_name_the_argument(bad, shape, name):
    with pytest.raises(ValueError) as info:
        _call_with(btc_score, name, bad)
    assert str(info.value) == LABELS_SHAPE.format(name=name, shape=shape)


def test_column_vector_labels_are_accepted():
    assert btc_score(Y[:, None], R, pd.DataFrame({"p": P})) == pytest.approx(4 / 6)


def test_inconsistent_lengths_name_the_arrays():
    with pytest.raises(ValueError) as info:
        btc_score(Y, R[:-1], P)
    assert str(info.value) == INCONSISTENT_LENGTHS.format(
        lengths=[10, 9, 10], names="y_true, y_ref, y_pred"
    )


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS)
@pytest.mark.parametrize(
    "weight, shape",
    [
        (np.ones((1, 10)), (1, 10)),
        (np.ones((10, 1)), (10, 1)),
        (np.ones((10, 2)), (10, 2)),
        (2.0, ()),
    ],
)
def test_sample_weight_must_be_1d_of_length_n_samples(metric, weight, shape):
    with pytest.raises(ValueError) as info:
        metric(Y, R, P, sample_weight=weight)
    assert str(info.value) == SAMPLE_WEIGHT_SHAPE.format(n_samples=10, shape=shape)


def test_sample_weight_length_says_what_is_expected():
    with pytest.raises(ValueError) as info:
        btc_score(Y, R, P, sample_weight=np.ones(9))
    assert str(info.value) == SAMPLE_WEIGHT_LENGTH.format(length=9, n_samples=10)


@pytest.mark.parametrize(
    "weight, what",
    [
        (["1", "2", "1"], "dtype <U1"),  # numpy would read them as numbers
        ([1 + 1j, 1, 1], "dtype complex128"),
        (np.array([1, "a", 2], dtype=object), "mixed-integer values"),
    ],
)
def test_sample_weight_must_hold_real_numbers(weight, what):
    with pytest.raises(ValueError) as info:
        btc_score([0, 1, 1], [0, 1, 0], [0, 1, 1], sample_weight=weight)
    assert str(info.value) == SAMPLE_WEIGHT_TYPE.format(what=what)


@pytest.mark.parametrize(
    "weight",
    [
        [1.0, np.nan, 1.0],
        [1.0, np.inf, 1.0],
        [1.0, None, 1.0],
        pd.array([1.0, None, 1.0], dtype="Float64"),
        np.array([1.0, pd.NA, 1.0], dtype=object),
    ],
)
def test_sample_weight_nan_or_infinite_is_refused(weight):
    with pytest.raises(ValueError) as info:
        btc_score([0, 1, 1], [0, 1, 0], [0, 1, 1], sample_weight=weight)
    assert str(info.value) == SAMPLE_WEIGHT_NOT_FINITE.format(count=1, n=3, first=1)


def test_sample_weight_negative_is_refused():
    with pytest.raises(ValueError) as info:
        btc_score([0, 1, 1], [0, 1, 0], [0, 1, 1], sample_weight=[1.0, -0.5, -2.0])
    assert str(info.value) == SAMPLE_WEIGHT_NEGATIVE.format(
        value=-0.5, first=1, count=2
    )


def test_sample_weight_from_pandas_and_objects():
    w = [1, 2, 1, 1, 1, 1, 3, 1, 1, 1]
    for weight in (pd.Series(w), pd.array(w, dtype="Int64"), np.array(w, dtype=object)):
        assert btc_score(Y, R, P, sample_weight=weight) == pytest.approx(4 / 9)


def test_all_zero_weights_are_undefined_not_an_error():
    with pytest.warns(UndefinedMetricWarning, match="weights sum to zero"):
        assert negative_flip_rate(Y, R, P, sample_weight=np.zeros(10)) == 0.0


def test_report_checks_labels_weights_and_groups_shape():
    with pytest.raises(ValueError, match="^y_pred contains missing labels"):
        compatibility_report([0, 1], [0, 1], [0, None])
    with pytest.raises(ValueError, match="^sample_weight should be a 1d array"):
        compatibility_report([0, 1], [0, 1], [0, 1], sample_weight=[[1.0, 1.0]])
    with pytest.raises(ValueError) as info:
        compatibility_report([0, 1], [0, 1], [0, 1], groups=[[1, 2], [3, 4]])
    assert str(info.value) == LABELS_SHAPE.format(name="groups", shape=(2, 2))
    column = compatibility_report([0, 1], [0, 1], [0, 1], groups=[["a"], ["b"]])
    assert column["value"].tolist()[-2:] == ["a", "b"]


def test_inputs_are_not_modified():
    y = pd.Series(["a", "b", "b"], dtype="category")
    r = np.array(["a", "b", "a"], dtype=object)
    p = ["a", "a", "b"]
    w = np.array([1.0, 2.0, 3.0])
    copies = (y.copy(), r.copy(), list(p), w.copy())
    compatibility_report(y, r, p, sample_weight=w, groups=["g", "h", "g"])
    btc_score(y, r, p, sample_weight=w)
    pd.testing.assert_series_equal(y, copies[0])
    np.testing.assert_array_equal(r, copies[1])
    assert p == copies[2]
    np.testing.assert_array_equal(w, copies[3])


# -- confidence intervals of the report (issue 16)
def _interval_update(n=200, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    y_ref = np.where(rng.rand(n) < 0.8, y, 1 - y)
    y_pred = np.where(rng.rand(n) < 0.9, y, 1 - y)
    return y, y_ref, y_pred


def test_report_without_confidence_level_has_the_plain_columns():
    report = compatibility_report(*_interval_update())
    assert list(report.columns) == REPORT_COLUMNS


def test_report_intervals_bracket_their_estimates_and_repeat_with_the_seed():
    y, y_ref, y_pred = _interval_update()
    report = compatibility_report(
        y, y_ref, y_pred, confidence_level=0.9, n_resamples=500, random_state=0
    )
    assert_allclose(
        report["accuracy_diff"], report["accuracy"] - report["accuracy_ref"]
    )
    for metric in ("accuracy_ref", "accuracy", "accuracy_diff", "btc", "bec", "nfr"):
        assert (report[f"{metric}_low"] <= report[metric]).all(), metric
        assert (report[metric] <= report[f"{metric}_high"]).all(), metric
    again = compatibility_report(
        y, y_ref, y_pred, confidence_level=0.9, n_resamples=500, random_state=0
    )
    pd.testing.assert_frame_equal(report, again)
    wider = compatibility_report(
        y, y_ref, y_pred, confidence_level=0.99, n_resamples=500, random_state=0
    )
    assert (
        wider["btc_high"] - wider["btc_low"] > report["btc_high"] - report["btc_low"]
    ).all()


def test_overall_interval_is_stratified_by_group():
    # group a: 30 rows both models right; group b: 20 rows both wrong
    y = np.zeros(50, dtype=int)
    y_ref = np.r_[np.zeros(30, int), np.ones(20, int)]
    groups = np.r_[["a"] * 30, ["b"] * 20]
    report = compatibility_report(
        y, y_ref, y_ref, groups=groups, confidence_level=0.95, random_state=0
    ).set_index(["scope", "value"])
    # every stratified resample keeps 30 right rows of 50
    assert report.loc[
        ("overall", "all"), ["accuracy_low", "accuracy_high"]
    ].tolist() == [0.6, 0.6]
    assert report.loc[("group", "a"), ["accuracy_low", "accuracy_high"]].tolist() == [
        1.0,
        1.0,
    ]
    assert report.loc[("group", "b"), ["accuracy_low", "accuracy_high"]].tolist() == [
        0.0,
        0.0,
    ]
    pooled = compatibility_report(
        y, y_ref, y_ref, confidence_level=0.95, random_state=0
    )
    assert pooled.loc[0, "accuracy_low"] < 0.6 < pooled.loc[0, "accuracy_high"]


def test_weighted_intervals_bracket_the_weighted_estimate():
    y, y_ref, y_pred = _interval_update(300, seed=1)
    weight = np.random.RandomState(2).randint(1, 5, 300).astype(float)
    report = compatibility_report(
        y, y_ref, y_pred, sample_weight=weight, confidence_level=0.95, random_state=0
    )
    right = (y_ref == y) & (y_pred == y)
    btc = weight[right].sum() / weight[y_ref == y].sum()
    assert_allclose(report.loc[0, "btc"], btc)
    assert report.loc[0, "btc_low"] < btc < report.loc[0, "btc_high"]


def test_rows_too_small_for_an_interval_get_nan_and_a_warning_naming_them():
    y, y_ref, y_pred = _interval_update(100)
    y = np.r_[y, [2] * 4]
    y_ref = np.r_[y_ref, [2] * 4]
    y_pred = np.r_[y_pred, [2, 2, 2, 0]]
    with pytest.warns(UserWarning, match=r"class '2' \(accuracy_ref, .*btc.*\)"):
        report = compatibility_report(
            y, y_ref, y_pred, confidence_level=0.95, random_state=0
        )
    small = report[(report["scope"] == "class") & (report["value"] == 2)]
    assert small[["btc_low", "btc_high", "accuracy_low"]].isna().all(axis=None)
    assert np.isfinite(report.loc[0, ["btc_low", "btc_high"]].astype(float)).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"confidence_level": 1.5}, "confidence_level must be a float in"),
        ({"confidence_level": True}, "confidence_level must be a float in"),
        ({"confidence_level": 0.9, "n_resamples": 1}, "n_resamples must be an int"),
    ],
)
def test_bad_interval_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compatibility_report(*_interval_update(), **kwargs)
