import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_bc import (
    UpdateHistory,
    UpdateHistoryDisplay,
    bec_score,
    btc_score,
    negative_flip_rate,
    positive_flip_rate,
)

Y_TRUE = np.array([0, 0, 1, 1, 1, 2])
# right on:           rows
V0 = [0, 0, 1, 0, 0, 0]  # 0 1 2
V1 = [0, 1, 1, 1, 0, 2]  # 0 2 3 5
V2 = [0, 1, 1, 1, 1, 2]  # 0 2 3 4 5


@pytest.fixture
def pyplot():
    plt = pytest.importorskip("matplotlib.pyplot")
    yield plt
    plt.close("all")


def test_pairwise_values_worked_by_hand():
    history = UpdateHistory(Y_TRUE, {"a": V0, "b": V1, "c": V2})
    table = history.pairwise.set_index(["earlier", "later"])
    # a -> b: a right on {0,1,2}, b keeps {0,2}: BTC 2/3, new error row 1
    assert_allclose(table.loc[("a", "b"), ["btc", "nfr", "pfr"]], [2 / 3, 1 / 6, 2 / 6])
    # b wrong on {1,4}; a also wrong on 4 only: BEC 1/2
    assert table.loc[("a", "b"), "bec"] == 0.5
    assert table.loc[("a", "b"), "new_errors"] == 1
    # a -> c: c wrong on row 1 only, which a got right: BEC 0
    assert_allclose(table.loc[("a", "c"), ["btc", "bec", "steps"]], [2 / 3, 0.0, 2])
    assert_allclose(table.loc[("b", "c"), ["btc", "nfr"]], [1.0, 0.0])
    assert_allclose(history.accuracy, [3 / 6, 4 / 6, 5 / 6])


def test_trust_kept_worked_by_hand():
    history = UpdateHistory(Y_TRUE, [V0, V1, V2])
    assert history.versions == ["v0", "v1", "v2"]
    # right in v0, v1 and v2: rows {0, 2}; in v1 and v2: {0, 2, 3, 5}
    assert_allclose(history.trust_kept["kept"], [2 / 6, 4 / 6, 5 / 6])
    assert_allclose(history.trust_kept["kept_given_right"], [2 / 3, 1.0, 1.0])


def test_pairwise_equals_the_single_update_metrics():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 4, 300)
    versions = [
        np.where(rng.rand(300) < p, y, rng.randint(0, 4, 300))
        for p in (0.6, 0.7, 0.8, 0.9)
    ]
    weight = rng.rand(300)
    history = UpdateHistory(y, versions, sample_weight=weight)
    for row in history.pairwise.itertuples():
        i, j = int(row.earlier[1:]), int(row.later[1:])
        args = (y, versions[i], versions[j])
        assert_allclose(row.btc, btc_score(*args, sample_weight=weight))
        assert_allclose(row.bec, bec_score(*args, sample_weight=weight))
        assert_allclose(row.nfr, negative_flip_rate(*args, sample_weight=weight))
        assert_allclose(row.pfr, positive_flip_rate(*args, sample_weight=weight))
    assert len(history.pairwise) == 4 * 3 // 2
    # kept since k, directly: right in every version from k on
    right = np.array([v == y for v in versions])
    for k in range(4):
        expected = weight[right[k:].all(axis=0)].sum() / weight.sum()
        assert_allclose(history.trust_kept["kept"].iloc[k], expected)


def test_undefined_ratio_is_nan():
    # old right nowhere (no BTC), new wrong nowhere (no BEC)
    history = UpdateHistory([0, 1], {"old": [1, 0], "new": [0, 1]})
    row = history.pairwise.iloc[0]
    assert np.isnan(row["btc"]) and np.isnan(row["bec"])
    assert (row["nfr"], row["pfr"]) == (0.0, 1.0)
    assert np.isnan(history.trust_kept.loc["old", "kept_given_right"])


def test_matrix_is_upper_triangular():
    history = UpdateHistory(Y_TRUE, pd.DataFrame({"a": V0, "b": V1, "c": V2}))
    matrix = history.matrix("nfr")
    assert list(matrix.index) == list(matrix.columns) == ["a", "b", "c"]
    assert np.isnan(matrix.to_numpy()[np.tril_indices(3)]).all()
    assert_allclose(matrix.loc["a", "b"], 1 / 6)
    with pytest.raises(ValueError, match="metric must be one of"):
        history.matrix("accuracy")


@pytest.mark.parametrize(
    "predictions, kwargs, error, message",
    [
        ([V0], {}, ValueError, "at least two versions"),
        ("v0", {}, TypeError, "predictions must be a dict"),
        ([V0, V1[:5]], {}, ValueError, "version 'v1': .*inconsistent numbers"),
        ([V0, V1], {"versions": ["x", "x"]}, ValueError, "must be unique"),
        ([V0, V1], {"versions": ["x"]}, ValueError, "versions names 1 versions"),
    ],
)
def test_bad_input(predictions, kwargs, error, message):
    with pytest.raises(error, match=message):
        UpdateHistory(Y_TRUE, predictions, **kwargs)


def test_display_draws_the_upper_triangle(pyplot):
    display = UpdateHistoryDisplay.from_predictions(
        Y_TRUE, {"a": V0, "b": V1, "c": V2}, metric="btc"
    )
    assert display.text_[0, 1].get_text() == "0.667"
    assert display.text_[1, 2].get_text() == "1.000"
    assert all(display.text_[i, j] is None for i in range(3) for j in range(i + 1))
    assert display.colorbar_.ax.get_ylabel().startswith("BTC")
    assert display.ax_.get_xlabel().startswith("later version")
    # the first version is never updated to, the last never updated from
    assert_array_equal(
        [t.get_text() for t in display.ax_.get_xticklabels()], ["b", "c"]
    )
    assert_array_equal(
        [t.get_text() for t in display.ax_.get_yticklabels()], ["a", "b"]
    )
    assert display.text_[0, 1].get_position() == (0, 0)  # a -> b: top left
    assert display.im_.get_array().shape == (2, 2)
    assert display.figure_ is display.ax_.figure


def test_display_reverses_the_colours_of_a_lower_is_better_metric(pyplot):
    history = UpdateHistory(Y_TRUE, [V0, V1, V2])
    nfr = UpdateHistoryDisplay.from_history(history, metric="nfr")
    btc = UpdateHistoryDisplay.from_history(history, metric="btc", colorbar=False)
    assert nfr.im_.cmap.name.endswith("_r") and not btc.im_.cmap.name.endswith("_r")
    assert btc.colorbar_ is None
    plain = UpdateHistoryDisplay.from_history(history, values_format=None)
    assert all(t is None for t in plain.text_.ravel())


def test_display_bad_input(pyplot):
    with pytest.raises(TypeError, match="history must be an UpdateHistory"):
        UpdateHistoryDisplay.from_history({"a": V0})
    with pytest.raises(ValueError, match="metric must be one of"):
        UpdateHistoryDisplay.from_predictions(Y_TRUE, [V0, V1], metric="accuracy")
