"""Displays: artists checked against values worked out by hand on tiny inputs."""

import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklearn_bc import (
    BackwardCompatibleClassifier,
    CompatibilityScatterDisplay,
    ErrorVennDisplay,
    GroupCompatibilityDisplay,
    IncompatibilityHistogramDisplay,
    btc_score,
    compatibility_report,
)
from sklearn_bc._plot._demo import write_display_pngs
from sklearn_bc._plot.scatter import RESULTS_EMPTY

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture
def pyplot():
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _memorizing_models(y_ref, y_pred):
    """h1 and h2 that predict exactly ``y_ref`` and ``y_pred`` on X = 0..n-1."""
    X = np.arange(len(y_ref), dtype=float).reshape(-1, 1)
    h1 = DecisionTreeClassifier(random_state=0).fit(X, y_ref)
    h2 = DecisionTreeClassifier(random_state=0).fit(X, y_pred)
    return X, h1, h2


def _build(display_cls, constructor, y_true, y_ref, y_pred, **kwargs):
    if constructor == "from_predictions":
        return display_cls.from_predictions(y_true, y_ref, y_pred, **kwargs)
    X, h1, h2 = _memorizing_models(y_ref, y_pred)
    return display_cls.from_estimator(h2, X, y_true, reference=h1, **kwargs)


def _rgba(color):
    return np.asarray(matplotlib.colors.to_rgba(color))


# -- error Venn: 10 samples; h1 wrong on {0, 1, 2}, h2 wrong on {1, 2, 3, 4, 5}
VENN_TRUE = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
VENN_REF = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1])
VENN_PRED = np.array([0, 1, 1, 1, 1, 0, 1, 1, 1, 1])


@pytest.mark.parametrize("constructor", ["from_estimator", "from_predictions"])
def test_venn_region_counts_percents_and_colours(pyplot, constructor):
    display = _build(ErrorVennDisplay, constructor, VENN_TRUE, VENN_REF, VENN_PRED)

    # old only {0}, both {1, 2}, new only {3, 4, 5}, out of 10 samples
    assert (display.old_only, display.both, display.new_only) == (1, 2, 3)
    texts = {region: text.get_text() for region, text in display.texts_.items()}
    assert texts == {
        "old_only": "1\n(10.0%)",
        "both": "2\n(20.0%)",
        "new_only": "3\n(30.0%)",
    }
    for region, color in [
        ("old_only", "tab:green"),
        ("both", "gold"),
        ("new_only", "tab:red"),
    ]:
        assert_allclose(display.patches_[region].get_facecolor()[:3], _rgba(color)[:3])
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend == ["h1 only (fixed by h2): 1", "both: 2", "h2 only (new errors): 3"]
    assert display.ax_ is display.venn_.patches[0].axes
    assert display.figure_ is display.ax_.figure


@pytest.mark.parametrize(
    "y_pred, expected",
    [
        # h2 fixes everything: no shared and no new error
        (
            [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
            {"old_only": "3\n(30.0%)", "new_only": "0\n(0.0%)"},
        ),
        # h2 equals h1: only shared errors
        (VENN_REF, {"both": "3\n(30.0%)"}),
    ],
)
def test_venn_zero_size_regions_do_not_crash(pyplot, y_pred, expected):
    display = ErrorVennDisplay.from_predictions(VENN_TRUE, VENN_REF, y_pred)
    texts = {r: t.get_text() for r, t in display.texts_.items() if t is not None}
    for region, text in expected.items():
        assert texts[region] == text


def test_venn_without_any_error_draws_a_note(pyplot):
    display = ErrorVennDisplay.from_predictions([0, 1], [0, 1], [0, 1])
    assert display.venn_ is None
    assert display.patches_ == {"old_only": None, "both": None, "new_only": None}
    assert display.message_.get_text() == "Neither model makes an error."


def test_venn_plot_reuses_given_axes_and_returns_self(pyplot):
    display = ErrorVennDisplay(old_only=1, both=0, new_only=2, n_samples=4)
    _, ax = pyplot.subplots()
    assert display.plot(ax=ax, colors={"new_only": "black"}) is display
    assert display.ax_ is ax
    assert_allclose(display.patches_["new_only"].get_facecolor()[:3], [0, 0, 0])
    assert display.texts_["new_only"].get_text() == "2\n(50.0%)"


# -- histogram: a has 1 new error, b 2 and c 3; h1 also wrong on sample 0
HIST_TRUE = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c", "c"])
HIST_REF = np.array(["b", "a", "a", "b", "b", "b", "c", "c", "c", "c"])
HIST_PRED = np.array(["b", "b", "a", "a", "a", "b", "a", "a", "a", "c"])


@pytest.mark.parametrize("constructor", ["from_estimator", "from_predictions"])
def test_histogram_bars_sorted_with_counts_and_shares(pyplot, constructor):
    display = _build(
        IncompatibilityHistogramDisplay, constructor, HIST_TRUE, HIST_REF, HIST_PRED
    )
    assert [bar.get_height() for bar in display.bars_] == [3, 2, 1]
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["c", "b", "a"]
    assert [t.get_text() for t in display.texts_] == ["3", "2", "1"]
    assert display.ax_.get_xlabel() == "True class"
    assert display.ax_.get_ylabel() == "Incompatible points (h1 right, h2 wrong)"
    assert display.secondary_yaxis_ is not None
    assert display.accuracy_bars_ is None and display.ax_accuracy_ is None


def test_histogram_max_classes_display_labels_and_accuracy(pyplot):
    display = IncompatibilityHistogramDisplay.from_predictions(
        HIST_TRUE,
        HIST_REF,
        HIST_PRED,
        display_labels=["Ant", "Bee", "Cat"],
        max_classes=2,
        show_accuracy=True,
    )
    assert [bar.get_height() for bar in display.bars_] == [3, 2]
    # shares stay relative to all 6 incompatible points: 3 reads 50%
    assert [t.get_text() for t in display.texts_] == ["3", "2"]
    share = display.secondary_yaxis_._functions[0]
    assert_allclose(share(np.array([3.0, 2.0])), [50.0, 100 / 3])
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["Cat", "Bee"]
    # per-class accuracy, in the order c, b: h1 4/4 and 3/3, h2 1/4 and 1/3
    h1 = [bar.get_height() for bar in display.accuracy_bars_["h1"]]
    h2 = [bar.get_height() for bar in display.accuracy_bars_["h2"]]
    assert_allclose(h1, [1.0, 1.0])
    assert_allclose(h2, [0.25, 1 / 3])
    assert display.ax_accuracy_ is not display.ax_
    assert display.ax_accuracy_.get_ylabel() == "Accuracy"


def test_histogram_labels_empty_classes_with_a_zero(pyplot):
    display = IncompatibilityHistogramDisplay.from_predictions(
        HIST_TRUE, HIST_REF, HIST_PRED, labels=["a", "b", "c", "z"]
    )
    assert [t.get_text() for t in display.texts_] == ["3", "2", "1", "0"]


def test_histogram_without_incompatible_points(pyplot):
    display = IncompatibilityHistogramDisplay.from_predictions(
        [0, 1, 1], [0, 1, 0], [0, 1, 1]
    )
    assert [bar.get_height() for bar in display.bars_] == [0, 0]
    assert [t.get_text() for t in display.texts_] == ["0", "0"]
    assert display.secondary_yaxis_ is None


# -- groups: "old" 4 samples, h1 right on 4, h2 keeps 3; "young" 3 samples,
#    h1 right on 2, h2 keeps both
GROUP_TRUE = [1, 1, 1, 1, 0, 0, 0]
GROUP_REF = [1, 1, 1, 1, 0, 0, 1]
GROUP_PRED = [1, 1, 1, 0, 0, 0, 0]
GROUPS = ["old", "old", "old", "old", "young", "young", "young"]


@pytest.mark.parametrize("constructor", ["from_estimator", "from_predictions"])
def test_group_bars_are_btc_per_group_with_sizes(pyplot, constructor):
    display = _build(
        GroupCompatibilityDisplay,
        constructor,
        GROUP_TRUE,
        GROUP_REF,
        GROUP_PRED,
        groups=GROUPS,
    )
    assert_allclose([bar.get_height() for bar in display.bars_], [0.75, 1.0])
    # the sizes sit under the group names, below the axes
    assert [t.get_text() for t in display.texts_] == ["old\nn=4", "young\nn=3"]
    assert display.texts_ == display.ax_.get_xticklabels()
    # overall: h1 right on 6, h2 keeps 5
    assert_allclose(display.overall_line_.get_ydata(), [5 / 6, 5 / 6])
    assert display.overall_line_.get_linestyle() == "--"
    assert display.ax_.get_ylabel() == "BTC (backward trust compatibility)"


def test_group_undefined_value_is_labelled(pyplot):
    # group "x": h1 never right there, so its BTC is undefined
    display = GroupCompatibilityDisplay.from_predictions(
        [1, 1, 0], [1, 1, 1], [1, 0, 0], groups=["y", "y", "x"], group_name="Age"
    )
    heights = [bar.get_height() for bar in display.bars_]
    assert np.isnan(heights[0]) and heights[1] == 0.5
    assert [t.get_text() for t in display.texts_] == ["x\nn=1\nundefined", "y\nn=2"]
    assert display.ax_.get_xlabel() == "Age"


def test_group_other_metric(pyplot):
    display = GroupCompatibilityDisplay.from_predictions(
        GROUP_TRUE, GROUP_REF, GROUP_PRED, groups=GROUPS, metric="nfr"
    )
    # new errors: 1 of 4 old samples, 0 of 3 young ones
    assert_allclose([bar.get_height() for bar in display.bars_], [0.25, 0.0])
    assert display.ax_.get_ylabel() == "NFR (negative flip rate)"


# -- scatter
def _results(with_std=True):
    frame = pd.DataFrame(
        {
            "dissonance": ["new_error"] * 3 + ["strict_imitation"] * 3,
            "lambda_c": [0.0, 0.5, 1.0] * 2,
            "mean_test_accuracy": [0.93, 0.92, 0.88, 0.94, 0.90, 0.86],
            "mean_test_btc": [0.90, 0.95, 0.99, 0.91, 0.96, 0.97],
            "mean_test_bec": [0.5, 0.6, 0.7, 0.5, 0.6, 0.65],
            "mean_test_reference_accuracy": [0.85] * 6,
            "pareto_btc": [False, True, True, True, True, False],
        }
    )
    if with_std:
        for metric in ("accuracy", "btc", "bec"):
            frame[f"std_test_{metric}"] = 0.01
    return frame


def test_scatter_from_results_artists(pyplot):
    display = CompatibilityScatterDisplay.from_results(_results())
    assert set(display.scatter_) == {"new_error", "strict_imitation"}
    for series in display.scatter_.values():
        assert len(series.get_offsets()) == 3
    assert_allclose(
        display.scatter_["strict_imitation"].get_offsets(),
        [[0.91, 0.94], [0.96, 0.90], [0.97, 0.86]],
    )
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend == [
        "new_error",
        "strict_imitation",
        "reference model (h1)",
        "Pareto front",
        "error bars: ±1 std over CV folds",
    ]
    markers = {h.get_marker() for h in display.legend_.legend_handles[:2]}
    assert len(markers) == 2
    assert_allclose(display.reference_line_.get_ydata(), [0.85, 0.85])
    assert display.reference_line_.get_linestyle() == "--"
    # the front is the pareto_btc column, sorted by BTC
    assert_allclose(display.pareto_line_.get_xdata(), [0.91, 0.95, 0.96, 0.99])
    assert display.colorbar_ is not None and display.annotations_ is None
    assert set(display.errorbars_) == {"new_error", "strict_imitation"}
    # a sweep's results are means over CV folds, and the labels say so
    assert display.ax_.get_xlabel() == (
        "Cross-validated BTC (backward trust compatibility)"
    )
    assert display.ax_.get_ylabel() == "Cross-validated accuracy"
    assert display.figure_ is display.ax_.figure


def test_scatter_without_std_draws_no_errorbars(pyplot):
    display = CompatibilityScatterDisplay.from_results(_results(with_std=False))
    assert display.errorbars_ is None
    display = CompatibilityScatterDisplay.from_results(
        _results(), show_errorbars=False, show_pareto=False
    )
    assert display.errorbars_ is None and display.pareto_line_ is None


def test_scatter_annotates_lambda_c(pyplot):
    display = CompatibilityScatterDisplay.from_results(
        _results(), x="bec", lambda_c_as="annotate"
    )
    assert display.colorbar_ is None
    texts = [annotation.get_text() for annotation in display.annotations_]
    assert texts == ["λ=0", "λ=0.5", "λ=1"] * 2
    assert display.ax_.get_xlabel() == (
        "Cross-validated BEC (backward error compatibility)"
    )
    # no pareto_bec column: the front is computed; (0.5, 0.94) and (0.7, 0.88)
    # and (0.6, 0.92) beat everything else
    assert_allclose(display.pareto_line_.get_xdata(), [0.5, 0.6, 0.7])


def test_scatter_from_predictions_hand_computed(pyplot):
    y_true = [0, 1, 1, 0, 1, 0]
    y_ref = [0, 1, 0, 0, 1, 1]  # right on 0, 1, 3, 4: accuracy 4/6
    predictions = {
        "A": [0, 1, 1, 0, 0, 0],  # keeps 0, 1, 3 of h1's 4: BTC 3/4, accuracy 5/6
        "B": [0, 1, 1, 0, 1, 0],  # perfect
    }
    display = CompatibilityScatterDisplay.from_predictions(y_true, y_ref, predictions)
    assert_allclose(display.scatter_["A"].get_offsets(), [[0.75, 5 / 6]])
    assert_allclose(display.scatter_["B"].get_offsets(), [[1.0, 1.0]])
    assert_allclose(display.reference_line_.get_ydata(), [4 / 6, 4 / 6])
    # B dominates A: a front of one point is not drawn
    assert_allclose(display.pareto, [False, True])
    assert display.pareto_line_ is None
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend[:2] == ["A", "B"]
    assert display.colorbar_ is None


def test_scatter_from_predictions_other_axes_have_no_reference_line(pyplot):
    display = CompatibilityScatterDisplay.from_predictions(
        [0, 1, 1, 0], [0, 1, 0, 0], {"h2": [0, 0, 1, 0]}, x="nfr", y="pfr"
    )
    assert_allclose(display.scatter_["h2"].get_offsets(), [[0.25, 0.25]])
    assert display.reference_line_ is None
    assert display.ax_.get_xlabel() == "Test NFR (negative flip rate)"
    assert display.ax_.get_ylabel() == "Test PFR (positive flip rate)"


@pytest.fixture(scope="module")
def blob_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(np.int64)
    return X, y


def _net(reference, **kwargs):
    torch.manual_seed(0)
    return BackwardCompatibleClassifier(
        torch.nn.Linear,
        reference=reference,
        module__in_features=2,
        module__out_features=2,
        max_epochs=2,
        lr=0.1,
        verbose=0,
        train_split=None,
        **kwargs,
    )


def _btc_scorer(estimator, X, y):
    step = estimator[-1]
    X_last = estimator[:-1].transform(X)
    return btc_score(y, step.reference.predict(X_last), step.predict(X_last))


def _reference_accuracy_scorer(estimator, X, y):
    step = estimator[-1]
    return float(np.mean(step.reference.predict(estimator[:-1].transform(X)) == y))


def test_scatter_from_cv_results_with_pipeline_prefix(pyplot, blob_data):
    X, y = blob_data
    h1 = LogisticRegression().fit(X[:20], y[:20])
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _net(h1))])
    search = GridSearchCV(
        pipe,
        {
            "clf__lambda_c": [0.0, 1.0],
            "clf__dissonance": ["new_error", "strict_imitation"],
        },
        scoring={
            "accuracy": "accuracy",
            "btc": _btc_scorer,
            "reference_accuracy": _reference_accuracy_scorer,
        },
        refit=False,
        cv=2,
        return_train_score=True,
    ).fit(X, y)
    display = CompatibilityScatterDisplay.from_cv_results(search)
    assert set(display.scatter_) == {"new_error", "strict_imitation"}
    for series in display.scatter_.values():
        assert len(series.get_offsets()) == 2
    assert_allclose(sorted(display.lambda_c), [0.0, 0.0, 1.0, 1.0])
    expected_ref = np.mean(search.cv_results_["mean_test_reference_accuracy"])
    assert_allclose(display.reference_line_.get_ydata()[0], expected_ref)
    assert set(display.errorbars_) == {"new_error", "strict_imitation"}

    train = CompatibilityScatterDisplay.from_cv_results(search, split="train")
    assert train.ax_.get_ylabel() == "Training-fold accuracy"


@pytest.mark.parametrize("n_splits", [1, 2])
def test_scatter_from_cv_results_draws_spread_only_over_several_splits(
    pyplot, n_splits
):
    # one split (PredefinedSplit, the CV class with cv=None): std is all
    # zeros, no spread to draw, and the legend must not promise error bars
    results = {
        "param_lambda_c": np.ma.masked_array([0.0, 1.0]),
        "param_dissonance": np.ma.masked_array(["new_error", "new_error"]),
        "mean_test_accuracy": np.array([0.9, 0.8]),
        "std_test_accuracy": np.array([0.0, 0.0] if n_splits == 1 else [0.1, 0.2]),
        "mean_test_btc": np.array([0.9, 1.0]),
        "std_test_btc": np.array([0.0, 0.0] if n_splits == 1 else [0.1, 0.0]),
    }
    for k in range(n_splits):
        results[f"split{k}_test_accuracy"] = results["mean_test_accuracy"]
        results[f"split{k}_test_btc"] = results["mean_test_btc"]
    display = CompatibilityScatterDisplay.from_cv_results(
        SimpleNamespace(cv_results_=results, estimator=_net(None))
    )
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    has_bars = any(text.startswith("error bars") for text in legend)
    assert has_bars is (n_splits > 1)
    assert (display.errorbars_ is None) is (n_splits == 1)


def test_scatter_from_cv_results_takes_fixed_param_from_estimator(pyplot):
    search = SimpleNamespace(
        cv_results_={
            "param_lambda_c": np.ma.masked_array([0.0, 1.0]),
            "mean_test_accuracy": np.array([0.9, 0.8]),
            "mean_test_btc": np.array([0.9, 1.0]),
        },
        estimator=_net(None, dissonance="strict_imitation"),
    )
    display = CompatibilityScatterDisplay.from_cv_results(search)
    assert list(display.scatter_) == ["strict_imitation"]
    assert display.reference_line_ is None and display.errorbars_ is None


# -- from_estimator with the reference taken from the estimator
def _expected_counts(y, y_ref, y_pred):
    ref_right, pred_right = y_ref == y, y_pred == y
    return (
        int(np.sum(~ref_right & pred_right)),
        int(np.sum(~ref_right & ~pred_right)),
        int(np.sum(ref_right & ~pred_right)),
    )


def test_from_estimator_uses_estimator_reference(pyplot, blob_data):
    X, y = blob_data
    h1 = LogisticRegression().fit(X[:20], y[:20])
    h2 = _net(h1).fit(X, y)
    display = ErrorVennDisplay.from_estimator(h2, X, y)
    expected = _expected_counts(y, h1.predict(X), h2.predict(X))
    assert (display.old_only, display.both, display.new_only) == expected


def test_from_estimator_uses_pipeline_last_step_reference(pyplot, blob_data):
    X, y = blob_data
    scaler = StandardScaler().fit(X)
    # h1 lives in the last step's input space: the scaled features
    h1 = DecisionTreeClassifier(max_depth=1, random_state=0).fit(scaler.transform(X), y)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _net(h1))]).fit(X, y)
    display = IncompatibilityHistogramDisplay.from_estimator(pipe, X, y)
    y_ref, y_pred = h1.predict(scaler.transform(X)), pipe.predict(X)
    expected = [int(np.sum((y_ref == y) & (y_pred != y) & (y == c))) for c in (0, 1)]
    assert sorted(bar.get_height() for bar in display.bars_) == sorted(expected)


def test_from_estimator_with_torch_module_reference(pyplot, blob_data):
    X, y = blob_data
    torch.manual_seed(0)
    h1 = torch.nn.Linear(2, 2)
    h2 = _net(h1).fit(X, y)
    display = GroupCompatibilityDisplay.from_estimator(h2, X, y, groups=y)
    with torch.no_grad():
        y_ref = h1(torch.as_tensor(X)).argmax(dim=1).numpy()
    y_pred = h2.predict(X)
    for bar, group in zip(display.bars_, (0, 1), strict=True):
        mask = (y == group) & (y_ref == y)
        expected = np.mean(y_pred[mask] == y[mask]) if mask.any() else np.nan
        assert_allclose(bar.get_height(), expected)


def test_from_estimator_without_reference_raises(pyplot):
    X, _, h2 = _memorizing_models([0, 1], [0, 1])
    with pytest.raises(ValueError, match="reference is required"):
        ErrorVennDisplay.from_estimator(h2, X, [0, 1])


# -- bad input
@pytest.mark.parametrize(
    "build",
    [
        lambda: ErrorVennDisplay.from_predictions([0, 1, 1], [0, 1, 1], [0, 1]),
        lambda: IncompatibilityHistogramDisplay.from_predictions(
            [0, 1, 1], [0, 1, 1], [0, 1]
        ),
        lambda: GroupCompatibilityDisplay.from_predictions(
            [0, 1, 1], [0, 1, 1], [0, 1], groups=[0, 0, 1]
        ),
        lambda: CompatibilityScatterDisplay.from_predictions(
            [0, 1, 1], [0, 1, 1], {"h2": [0, 1]}
        ),
    ],
)
def test_mismatched_lengths_name_the_arrays(pyplot, build):
    with pytest.raises(ValueError, match=r"y_pred.* has 2|\['h2'\] has 2"):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: ErrorVennDisplay.from_predictions(0, [0, 1], [0, 1]),
        lambda: IncompatibilityHistogramDisplay.from_predictions(0, [0, 1], [0, 1]),
        lambda: GroupCompatibilityDisplay.from_predictions(
            0, [0, 1], [0, 1], groups=[0, 1]
        ),
        lambda: CompatibilityScatterDisplay.from_predictions(0, [0, 1], {"h2": [0, 1]}),
    ],
)
def test_labels_without_length_name_the_argument(pyplot, build):
    # a scalar used to escape as "object of type 'int' has no len()"
    with pytest.raises(ValueError, match=r"^y_true should be a 1d array"):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: ErrorVennDisplay.from_predictions([0, 1], [0, None], [0, 1]),
        lambda: IncompatibilityHistogramDisplay.from_predictions(
            [0, 1], [0, None], [0, 1]
        ),
        lambda: GroupCompatibilityDisplay.from_predictions(
            [0, 1], [0, None], [0, 1], groups=[0, 1]
        ),
        lambda: CompatibilityScatterDisplay.from_predictions(
            [0, 1], [0, None], {"h2": [0, 1]}
        ),
    ],
)
def test_missing_labels_name_the_argument(pyplot, build):
    with pytest.raises(ValueError, match=r"^y_ref contains missing labels"):
        build()


def test_mismatched_groups_length(pyplot):
    with pytest.raises(ValueError, match="groups has 2"):
        GroupCompatibilityDisplay.from_predictions(
            [0, 1, 1], [0, 1, 1], [0, 1, 1], groups=[0, 1]
        )


@pytest.mark.parametrize(
    "build, name",
    [
        (
            lambda: CompatibilityScatterDisplay.from_results(_results(), x="f1"),
            "x='f1'",
        ),
        (
            lambda: CompatibilityScatterDisplay.from_predictions(
                [0, 1], [0, 1], {"h2": [0, 1]}, y="auc"
            ),
            "y='auc'",
        ),
        (
            lambda: GroupCompatibilityDisplay.from_predictions(
                [0, 1], [0, 1], [0, 1], groups=[0, 1], metric="recall"
            ),
            "metric='recall'",
        ),
    ],
)
def test_unknown_metric_name(pyplot, build, name):
    with pytest.raises(ValueError, match=f"{name} is not a known metric"):
        build()


def test_empty_results_frame(pyplot):
    with pytest.raises(ValueError, match=RESULTS_EMPTY):
        CompatibilityScatterDisplay.from_results(_results().iloc[:0])


@pytest.mark.parametrize("column", ["mean_test_btc", "dissonance", "lambda_c"])
def test_results_frame_missing_a_column(pyplot, column):
    with pytest.raises(ValueError, match=f"lacks the column.*'{column}'"):
        CompatibilityScatterDisplay.from_results(_results().drop(columns=column))


def test_results_not_a_frame_and_bad_split(pyplot):
    with pytest.raises(TypeError, match="results must be a pandas DataFrame"):
        CompatibilityScatterDisplay.from_results(_results().to_dict())
    with pytest.raises(ValueError, match="split must be"):
        CompatibilityScatterDisplay.from_results(_results(), split="valid")
    with pytest.raises(ValueError, match="lambda_c_as must be"):
        CompatibilityScatterDisplay.from_results(_results(), lambda_c_as="size")


def test_cv_results_without_lambda_c(pyplot):
    search = SimpleNamespace(
        cv_results_={"mean_test_btc": np.array([0.9])},
        estimator=LogisticRegression(),
    )
    with pytest.raises(ValueError, match="no param_dissonance column"):
        CompatibilityScatterDisplay.from_cv_results(search)
    with pytest.raises(ValueError, match="GridSearchCV"):
        CompatibilityScatterDisplay.from_cv_results(LogisticRegression())


def test_empty_predictions(pyplot):
    with pytest.raises(ValueError, match="predictions must be a non-empty dict"):
        CompatibilityScatterDisplay.from_predictions([0], [0], {})
    with pytest.raises(ValueError, match="y_true is empty"):
        ErrorVennDisplay.from_predictions([], [], [])


def test_histogram_bad_options(pyplot):
    with pytest.raises(ValueError, match="display_labels has 2 entries"):
        IncompatibilityHistogramDisplay.from_predictions(
            HIST_TRUE, HIST_REF, HIST_PRED, display_labels=["x", "y"]
        )
    with pytest.raises(ValueError, match="max_classes must be a positive integer"):
        IncompatibilityHistogramDisplay.from_predictions(
            HIST_TRUE, HIST_REF, HIST_PRED, max_classes=0
        )
    _, ax = pyplot.subplots()
    with pytest.raises(ValueError, match="needs accuracy_ax"):
        IncompatibilityHistogramDisplay.from_predictions(
            HIST_TRUE, HIST_REF, HIST_PRED, show_accuracy=True, ax=ax
        )


def test_missing_matplotlib_venn_names_the_extra(pyplot, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib_venn", None)
    with pytest.raises(ImportError, match=r"sklearn_bc\[plot\]"):
        ErrorVennDisplay.from_predictions(VENN_TRUE, VENN_REF, VENN_PRED)


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = "import sys, sklearn_bc; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# -- the demo's images
@pytest.mark.parametrize("with_results", [False, True])
def test_write_display_pngs(pyplot, tmp_path, with_results):
    paths = write_display_pngs(
        tmp_path / "figures",
        y_true=HIST_TRUE,
        y_ref=HIST_REF,
        predictions={"chosen": HIST_PRED, "other": HIST_REF},
        results=_results() if with_results else None,
        groups=["g1", "g2"] * 5,
    )
    assert [p.name for p in paths] == [
        "compatibility_scatter.png",
        "error_venn.png",
        "incompatibility_histogram.png",
        "group_compatibility.png",
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # no figure left open in pyplot
    assert pyplot.get_fignums() == []


# -- every constructor: returns the display, draws on the given axes
def _scatter_search():
    results = _results()
    cv_results = {
        "param_dissonance": np.ma.masked_array(results["dissonance"].to_numpy()),
        "param_lambda_c": np.ma.masked_array(results["lambda_c"].to_numpy()),
    }
    for column in results.columns:
        if column.startswith(("mean_", "std_")):
            cv_results[column] = results[column].to_numpy()
    return SimpleNamespace(cv_results_=cv_results, estimator=None)


CONSTRUCTORS = {
    "scatter.from_results": lambda ax: CompatibilityScatterDisplay.from_results(
        _results(), ax=ax
    ),
    "scatter.from_cv_results": lambda ax: CompatibilityScatterDisplay.from_cv_results(
        _scatter_search(), ax=ax
    ),
    "scatter.from_predictions": lambda ax: CompatibilityScatterDisplay.from_predictions(
        VENN_TRUE, VENN_REF, {"h2": VENN_PRED}, ax=ax
    ),
    "venn.from_predictions": lambda ax: ErrorVennDisplay.from_predictions(
        VENN_TRUE, VENN_REF, VENN_PRED, ax=ax
    ),
    "venn.from_estimator": lambda ax: _build(
        ErrorVennDisplay, "from_estimator", VENN_TRUE, VENN_REF, VENN_PRED, ax=ax
    ),
    "histogram.from_predictions": lambda ax: (
        IncompatibilityHistogramDisplay.from_predictions(
            HIST_TRUE, HIST_REF, HIST_PRED, ax=ax
        )
    ),
    "histogram.from_estimator": lambda ax: _build(
        IncompatibilityHistogramDisplay,
        "from_estimator",
        HIST_TRUE,
        HIST_REF,
        HIST_PRED,
        ax=ax,
    ),
    "groups.from_predictions": lambda ax: GroupCompatibilityDisplay.from_predictions(
        GROUP_TRUE, GROUP_REF, GROUP_PRED, groups=GROUPS, ax=ax
    ),
    "groups.from_estimator": lambda ax: _build(
        GroupCompatibilityDisplay,
        "from_estimator",
        GROUP_TRUE,
        GROUP_REF,
        GROUP_PRED,
        groups=GROUPS,
        ax=ax,
    ),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructors_draw_on_given_axes(pyplot, name):
    fig, ax = pyplot.subplots()
    display = CONSTRUCTORS[name](ax)
    assert display.ax_ is ax
    assert display.figure_ is fig
    # plotting again on new axes re-creates the artists there
    _, other = pyplot.subplots()
    assert display.plot(ax=other) is display
    assert display.ax_ is other


# -- bootstrap intervals (issue 16, part 3) and layout (issue 18, part 3)
def _update(n=300, n_classes=4, seed=0):
    """Labels of a noisy h1 and two noisier h2 on ``n`` rows."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, n)
    y_ref = np.where(rng.rand(n) < 0.8, y, (y + 1) % n_classes)
    preds = {
        f"h2 {k}": np.where(rng.rand(n) < 0.85, y_ref, (y_ref + 1) % n_classes)
        for k in range(2)
    }
    return y, y_ref, preds


def _bar_segments(collection):
    """The drawn whiskers of an errorbar LineCollection, as (2, 2) arrays.

    matplotlib keeps a NaN whisker as an empty segment, drawing nothing.
    """
    segments = [np.asarray(s) for s in collection.get_segments()]
    return [s for s in segments if s.size and np.isfinite(s).all()]


def test_scatter_error_bars_are_the_reports_intervals(pyplot):
    y, y_ref, preds = _update()
    display = CompatibilityScatterDisplay.from_predictions(
        y, y_ref, preds, confidence_level=0.9, n_resamples=200, random_state=3
    )
    assert display.errorbar_description_ == "90% bootstrap interval"
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert "error bars: 90% bootstrap interval" in legend
    for name, y_pred in preds.items():
        row = compatibility_report(
            y, y_ref, y_pred, confidence_level=0.9, n_resamples=200, random_state=3
        ).iloc[0]
        x_bars, y_bars = display.errorbars_[name].lines[2]
        ((x_low, _), (x_high, _)), ((_, y_low), (_, y_high)) = (
            _bar_segments(x_bars)[0],
            _bar_segments(y_bars)[0],
        )
        assert_allclose([x_low, x_high], [row["btc_low"], row["btc_high"]])
        assert_allclose([y_low, y_high], [row["accuracy_low"], row["accuracy_high"]])


def test_scatter_without_confidence_level_has_no_error_bars(pyplot):
    y, y_ref, preds = _update()
    display = CompatibilityScatterDisplay.from_predictions(y, y_ref, preds)
    assert display.errorbars_ is None and display.errorbar_description_ is None
    legend = " ".join(text.get_text() for text in display.legend_.get_texts())
    assert "error bars" not in legend


def test_scatter_nan_interval_draws_no_bar_and_says_so(pyplot):
    # the legend says it; the report's warning (of every metric) is not repeated
    y_true = [0, 1, 1, 0, 1, 0]
    display = CompatibilityScatterDisplay.from_predictions(
        y_true, y_true, {"h2": y_true}, confidence_level=0.95, random_state=0
    )
    assert np.isnan(display.x_interval).all() and np.isnan(display.y_interval).all()
    for bars in display.errorbars_["h2"].lines[2]:
        assert _bar_segments(bars) == []
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert "no interval (too few rows): h2" in legend


def test_group_whiskers_are_the_reports_intervals(pyplot):
    y, y_ref, preds = _update(n=400)
    y_pred = preds["h2 0"]
    groups = np.where(np.arange(400) % 3 == 0, "old", "young")
    groups[:5] = "tiny"  # too few rows for an interval
    kwargs = {"confidence_level": 0.95, "n_resamples": 300, "random_state": 1}
    display = GroupCompatibilityDisplay.from_predictions(
        y, y_ref, y_pred, groups=groups, metric="nfr", **kwargs
    )
    with pytest.warns(UserWarning, match="Too few rows"):
        report = compatibility_report(y, y_ref, y_pred, groups=groups, **kwargs)
    per_group = report[report["scope"] == "group"]
    assert [str(v) for v in per_group["value"]] == ["old", "tiny", "young"]
    (bars,) = display.errorbars_.lines[2]
    drawn = [(s[0, 1], s[1, 1]) for s in _bar_segments(bars)]
    expected = per_group[["nfr_low", "nfr_high"]].to_numpy()
    assert_allclose(drawn, expected[[0, 2]])
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert "95% bootstrap interval" in legend
    assert "no interval (too few rows): tiny" in legend


def test_group_without_confidence_level_has_no_whiskers(pyplot):
    display = GroupCompatibilityDisplay.from_predictions(
        GROUP_TRUE, GROUP_REF, GROUP_PRED, groups=GROUPS
    )
    assert display.errorbars_ is None
    legend = " ".join(text.get_text() for text in display.legend_.get_texts())
    assert "interval" not in legend


def test_histogram_whiskers_are_the_count_intervals(pyplot):
    y, y_ref, preds = _update(n=400, n_classes=5)
    y_pred = preds["h2 1"]
    kwargs = {"confidence_level": 0.95, "n_resamples": 300, "random_state": 2}
    display = IncompatibilityHistogramDisplay.from_predictions(
        y, y_ref, y_pred, **kwargs
    )
    report = compatibility_report(y, y_ref, y_pred, **kwargs)
    per_class = report[report["scope"] == "class"].set_index("value")
    classes = [text.get_text() for text in display.ax_.get_xticklabels()]
    per_class = per_class.loc[[int(c) for c in classes]]
    expected = (
        per_class[["nfr_low", "nfr_high"]].to_numpy() * per_class[["n"]].to_numpy()
    )
    (bars,) = display.errorbars_.lines[2]
    drawn = [(s[0, 1], s[1, 1]) for s in _bar_segments(bars)]
    assert_allclose(drawn, expected)
    # the whisker brackets the count it belongs to
    heights = [bar.get_height() for bar in display.bars_]
    assert all(low <= h <= high for (low, high), h in zip(drawn, heights, strict=True))
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend == ["95% bootstrap interval of the count"]


def test_histogram_whiskers_nan_and_absent(pyplot):
    # class 2 has 4 rows: too few for an interval
    y = np.array([0] * 20 + [1] * 20 + [2] * 4)
    y_ref = y.copy()
    y_pred = np.where(np.arange(44) % 4 == 0, (y + 1) % 3, y)
    display = IncompatibilityHistogramDisplay.from_predictions(
        y, y_ref, y_pred, confidence_level=0.95, random_state=0
    )
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert "no interval (too few rows): 2" in legend
    (bars,) = display.errorbars_.lines[2]
    assert len(_bar_segments(bars)) == 2
    plain = IncompatibilityHistogramDisplay.from_predictions(y, y_ref, y_pred)
    assert plain.errorbars_ is None and plain.legend_ is None


def _overlaps(a, b):
    """Whether two window extents share more than an edge."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_histogram_labels_and_legend_leave_room(pyplot):
    # the demo's layout: ten classes of 2, 2, 2 and 1 new errors side by side
    y = np.repeat(np.arange(10), 20)
    y_pred = y.copy()
    for c, k in zip(range(10), [2, 2, 2, 1, 0, 0, 0, 0, 0, 0], strict=True):
        y_pred[np.flatnonzero(y == c)[:k]] = (c + 1) % 10
    fig, (ax, accuracy_ax) = pyplot.subplots(
        1, 2, figsize=(11, 4), layout="constrained"
    )
    display = IncompatibilityHistogramDisplay.from_predictions(
        y, y, y_pred, show_accuracy=True, ax=ax, accuracy_ax=accuracy_ax,
        confidence_level=0.95, random_state=0,
    )  # fmt: skip
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in display.texts_]
    for i, a in enumerate(boxes):
        assert not any(_overlaps(a, b) for b in boxes[i + 1 :])
    # each count sits above its whisker's cap
    (bars,) = display.errorbars_.lines[2]
    tops = ax.transData.transform([s[1] for s in _bar_segments(bars)])[:, 1]
    assert all(top < box.y0 for top, box in zip(tops, boxes, strict=True))
    for legend, bars in [
        (accuracy_ax.get_legend(), list(display.accuracy_bars_["h1"])),
        (display.legend_, list(display.bars_)),
    ]:
        box = legend.get_window_extent(renderer)
        assert not any(_overlaps(box, bar.get_window_extent(renderer)) for bar in bars)
        for text in display.texts_ if legend is display.legend_ else []:
            assert not _overlaps(box, text.get_window_extent(renderer))


def test_group_axis_zoomed_sizes_clear_of_the_line(pyplot):
    y, y_ref, preds = _update(n=400)
    groups = np.array(["bold", "medium", "thin"])[np.arange(400) % 3]
    display = GroupCompatibilityDisplay.from_predictions(
        y, y_ref, preds["h2 0"], groups=groups, confidence_level=0.95,
        random_state=0,
    )  # fmt: skip
    heights = [bar.get_height() for bar in display.bars_]
    assert min(heights) > 0.5
    low, high = display.ax_.get_ylim()
    assert 0 < low < min(heights) and high > max(heights)
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert f"y axis zoomed: starts at {low:.3g}, not 0" in legend
    assert "per group" in legend and legend[-2].startswith("overall (")
    display.figure_.canvas.draw()
    renderer = display.figure_.canvas.get_renderer()
    line = display.overall_line_.get_window_extent(renderer)
    axes = display.ax_.get_window_extent(renderer)
    for text in display.texts_:
        box = text.get_window_extent(renderer)
        assert "n=" in text.get_text()
        assert box.y1 <= axes.y0 and not _overlaps(box, line)


def test_group_axis_keeps_zero_near_zero(pyplot):
    display = GroupCompatibilityDisplay.from_predictions(
        GROUP_TRUE, GROUP_REF, GROUP_PRED, groups=GROUPS, metric="nfr"
    )
    assert display.ax_.get_ylim()[0] == 0
    legend = " ".join(text.get_text() for text in display.legend_.get_texts())
    assert "zoomed" not in legend


def test_scatter_legend_clear_of_markers_and_error_bars(pyplot):
    display = CompatibilityScatterDisplay.from_results(_results(), highlight=0)
    fig = display.figure_
    fig.canvas.draw()
    box = display.legend_.get_window_extent(fig.canvas.get_renderer())
    to_window = display.ax_.transData.transform
    points = [display.highlight_.get_offsets()]
    for container in display.errorbars_.values():
        for bars in container.lines[2]:
            points += [np.asarray(s) for s in bars.get_segments()]
    for scatter in display.scatter_.values():
        points.append(np.asarray(scatter.get_offsets()))
    window = to_window(np.vstack(points))
    inside = (
        (window[:, 0] >= box.x0) & (window[:, 0] <= box.x1)
        & (window[:, 1] >= box.y0) & (window[:, 1] <= box.y1)
    )  # fmt: skip
    assert not inside.any()


@pytest.mark.parametrize(
    "source, highlight, expected",
    [
        ("results", 4, [0.96, 0.90]),
        ("results", {"dissonance": "strict_imitation", "lambda_c": 0.5}, [0.96, 0.90]),
        ("cv", "best", None),
        ("predictions", "h2 1", None),
    ],
)
def test_scatter_highlight_rings_the_chosen_point(pyplot, source, highlight, expected):
    if source == "results":
        display = CompatibilityScatterDisplay.from_results(
            _results(), highlight=highlight
        )
    elif source == "cv":
        search = _scatter_search()
        search.best_index_ = 1
        display = CompatibilityScatterDisplay.from_cv_results(
            search, highlight=highlight
        )
        expected = [display.x_values[1], display.y_values[1]]
    else:
        y, y_ref, preds = _update()
        display = CompatibilityScatterDisplay.from_predictions(
            y, y_ref, preds, highlight=highlight
        )
        expected = display.scatter_["h2 1"].get_offsets()[0]
    assert_allclose(display.highlight_.get_offsets(), [expected])
    assert display.highlight_.get_label() == "chosen"
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend.count("chosen") == 1


def test_scatter_without_highlight_has_no_ring(pyplot):
    display = CompatibilityScatterDisplay.from_results(_results())
    assert display.highlight_ is None
    assert "chosen" not in [t.get_text() for t in display.legend_.get_texts()]


@pytest.mark.parametrize(
    "highlight, match",
    [
        (6, "out of range for 6 points"),
        ("new_error", "series of one point"),
        ({"dissonance": "new_error"}, "matches 3 rows"),
        ({"nope": 1}, "column 'nope'"),
    ],
)
def test_scatter_highlight_refused(pyplot, highlight, match):
    with pytest.raises(ValueError, match=match):
        CompatibilityScatterDisplay.from_results(_results(), highlight=highlight)


def test_scatter_highlight_best_needs_a_refitted_search(pyplot):
    with pytest.raises(ValueError, match="best_index_"):
        CompatibilityScatterDisplay.from_cv_results(_scatter_search(), highlight="best")
