import html
import io
import json

import numpy as np
import pandas as pd
import pytest
from _explorer_fixtures import (
    H1,
    H2_A,
    HOSTILE_NAMES,
    X_TEST,
    X_TRAIN,
    Y_TEST,
    Y_TRAIN,
    Lookup,
    demo_like_explorer,
    tiny_explorer,
    tiny_models,
)
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_bc import BackwardCompatibleClassifier, CompatibilityExplorer
from sklearn_bc._explorer import _tables
from sklearn_bc._explorer._explorer import (
    SOURCE_KIND,
    SOURCE_LENGTH,
    SOURCE_WITHOUT_SPLIT,
)
from sklearn_bc._explorer._page import javascript_bundle
from sklearn_bc._explorer._spec import format_value
from sklearn_bc._explorer._tables import encode_png
from sklearn_bc.modules import MLPModule

pytest.importorskip("vl_convert")


@pytest.fixture(scope="module")
def explorer():
    images = np.arange(6 * 4, dtype=float).reshape(6, 2, 2)
    return tiny_explorer(instance_images=images, instance_metadata=lambda i: f"row {i}")


def test_points_match_hand_computed_scores(explorer):
    test = explorer.points_.query("split == 'test' and point_id == 0").iloc[0]
    assert (test["dissonance"], test["lambda_c"]) == ("new_error", 0.5)
    assert_allclose(
        test[["accuracy", "reference_accuracy", "btc", "bec", "nfr", "pfr"]].astype(
            float
        ),
        [4 / 6, 4 / 6, 3 / 4, 1 / 2, 1 / 6, 1 / 6],
    )
    assert (test["n_h1_only"], test["n_both"], test["n_h2_only"]) == (1, 1, 1)
    # the training split: h1 wrong on row 9 (local 3), h2 right everywhere
    train = explorer.points_.query("split == 'train' and point_id == 0").iloc[0]
    assert_allclose(train[["btc", "accuracy"]].astype(float), [1.0, 1.0])
    assert np.isnan(train["bec"])  # h2 wrong nowhere: undefined, not 0


def test_errors_keep_only_instances_some_model_gets_wrong(explorer):
    rows = explorer.errors_.query("split == 'test' and point_id == 0")
    assert rows["instance_id"].tolist() == [1, 2, 5]
    assert rows["y_pred"].tolist() == [0, 0, 1]
    assert rows["y_ref"].tolist() == [H1[1], H1[2], H1[5]]


def test_embedded_data_equals_hand_computed(explorer):
    data = explorer.to_dict()["datasets"]
    venn = [v for v in data["venn"] if v["p"] == 0 and v["s"] == "test"]
    assert [(v["r"], v["n"]) for v in venn] == [
        ("h1 only", 1),
        ("both", 1),
        ("h2 only", 1),
    ]
    # percents of all 6 testing rows, as ErrorVennDisplay's (not of the errors)
    assert_allclose([v["pct"] for v in venn], [100 / 6] * 3)
    assert {v["total"] for v in venn} == {6}
    classes = [c for c in data["classes"] if c["p"] == 0 and c["s"] == "test"]
    assert [(c["t"], c["n"]) for c in classes] == [("0", 0), ("1", 1), ("2", 0)]
    details = {
        d["name"]: d["v"] for d in data["details"] if d["p"] == 0 and d["s"] == "test"
    }
    assert details["BTC"] == "0.7500"
    assert details["BEC"] == "0.5000"
    assert details["accuracy difference (h2 - h1)"] == "0.0000"
    assert details["lambda_c"] == "0.5000"
    errors = [e for e in data["errors"] if e["p"] == 0 and e["s"] == "test"]
    assert [(e["i"], e["r"]) for e in errors] == [
        (1, "h1 only"),
        (2, "h2 only"),
        (5, "both"),
    ]
    info = {d["key"]: d for d in data["instances"]}
    assert info["test:2"]["meta"] == "row 2"
    assert info["test:2"]["img"].startswith("data:image/png;base64,")
    # the training split has no images nor metadata (a bare source is the test's)
    assert info["train:3"]["img"] is None and info["train:3"]["meta"] is None
    points = [p for p in data["points"] if p["s"] == "train" and p["p"] == 0]
    assert points[0]["bec"] is None  # NaN travels as JSON null


def test_spec_is_valid_vega_lite(explorer):
    alt = pytest.importorskip("altair")
    alt.VConcatChart.from_dict(explorer.to_dict())


def test_page_is_self_contained(explorer):
    page = explorer.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "<link" not in page
    assert "vegaEmbed(" in page and "window.__vegaViews" in page
    spec = page.split("var spec = ", 1)[1].split(";\n", 1)[0]
    assert json.loads(spec)["datasets"]["errors"]


def test_inline_json_cannot_end_or_open_anything_in_the_script():
    explorer = tiny_explorer(
        names=HOSTILE_NAMES,
        instance_metadata=lambda i: f"row {i} " + "".join(HOSTILE_NAMES),
        title="</title><!--<script>",
    )
    page = explorer.to_html()
    script = page.split("var spec = ", 1)[1].split(";\n", 1)[0]
    for unsafe in ["<", ">", "&", "\u2028", "\u2029"]:
        assert unsafe not in script
    assert "\\u003c!--\\u003cscript\\u003e" in script
    # the escapes are the same JSON: nothing is lost
    spec = json.loads(script)
    assert spec == json.loads(json.dumps(explorer.to_dict()))
    names = [c["t"] for c in spec["datasets"]["classes"] if c["p"] == 0]
    assert names[:3] == HOSTILE_NAMES
    meta = {d["key"]: d["meta"] for d in spec["datasets"]["instances"]}
    assert meta["test:2"] == "row 2 " + "".join(HOSTILE_NAMES)
    # after the inlined libraries: their closing tag and the page's one script
    tail = page.split(javascript_bundle(), 1)[1]
    assert tail.count("<script") == 1
    assert tail.count("</script") == 2
    assert "<!--" not in tail
    assert "<title>&lt;/title&gt;&lt;!--&lt;script&gt;</title>" in page


def test_repr_html_is_the_page_in_an_iframe(explorer):
    shown = explorer._repr_html_()
    assert shown.startswith("<iframe srcdoc=")
    assert html.unescape(shown.split('srcdoc="', 1)[1].split('" style=', 1)[0]) == (
        explorer.to_html()
    )


def test_save_writes_the_page(explorer, tmp_path):
    path = explorer.save(tmp_path / "report.html")
    assert path.read_text(encoding="utf-8") == explorer.to_html()


def test_image_size_cap():
    images = np.random.RandomState(0).rand(6, 16, 16)
    with pytest.raises(ValueError, match="max_image_bytes=100"):
        tiny_explorer(instance_images=images, max_image_bytes=100)


def test_images_accept_png_bytes_and_callables():
    png = encode_png(np.eye(3))
    explorer = tiny_explorer(instance_images={"train": lambda i: png, "test": None})
    images = explorer.instances_.set_index(["split", "instance_id"])["image"]
    assert images[("train", 3)].startswith("data:image/png;base64,")
    assert images[("test", 1)] is None
    with pytest.raises(ValueError, match="PNG"):
        tiny_explorer(instance_images=lambda i: b"not a png")


@pytest.mark.parametrize(
    "image, got",
    [
        ("http://example.com/x.png", "the string 'http://example.com/x.png'"),
        ("//example.com/x.png", "the string '//example.com/x.png'"),
        ("file:///etc/passwd", "the string 'file:///etc/passwd'"),
        ("x.png", "the string 'x.png'"),
        ("data:text/html,<b>x</b>", "the string 'data:text/html,<b>x</b>'"),
        (" data:image/png;base64,", "the string ' data:image/png;base64,'"),
        (42, "int"),
        ({"src": "x.png"}, "dict"),
    ],
)
def test_instance_images_refuse_urls_and_other_kinds(image, got):
    with pytest.raises(ValueError) as info:
        tiny_explorer(instance_images=lambda i: image)
    assert str(info.value) == _tables.BAD_INSTANCE_IMAGE.format(
        split="test",
        instance_id=1,
        problem=f"expected {_tables.IMAGE_KINDS}; got {got}.",
    )


@pytest.mark.parametrize(
    "image, problem",
    [
        (np.zeros((2, 2, 2)), "a 3-d array with 3 or 4 channels; got shape (2, 2, 2)"),
        (np.array([["a", "b"], ["c", "d"]]), "must hold numbers; got dtype <U1"),
        (np.array([[0.0, np.nan]]), "must be finite"),
        (b"GIF89a", "must be a PNG file; got b'GIF89a'"),
    ],
)
def test_instance_images_bad_arrays_and_bytes_name_the_argument(image, problem):
    with pytest.raises(
        ValueError, match=r"^instance_images \(test instance 1\): "
    ) as info:
        tiny_explorer(instance_images=lambda i: image)
    assert problem in str(info.value)


def test_instance_images_accept_image_data_uris():
    uris = ["data:image/png;base64,iVBORw0KGgo=", "DATA:image/svg+xml;utf8,<svg/>"]
    explorer = tiny_explorer(instance_images=lambda i: uris[i % 2])
    images = explorer.instances_.set_index(["split", "instance_id"])["image"]
    assert [images[("test", i)] for i in (1, 2)] == [uris[1], uris[0]]


def test_instances_table_image_column_holds_only_data_uris(explorer, tmp_path):
    instances = explorer.instances_.copy()
    instances.loc[2, "image"] = "https://example.com/tracker.png"
    message = _tables.BAD_IMAGE_COLUMN.format(
        value="'https://example.com/tracker.png'", row=2
    )
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer(
            explorer.points_,
            explorer.errors_,
            classes=explorer.classes_,
            instances=instances,
        )
    assert str(info.value) == message
    folder, before = _saved(explorer, tmp_path)
    instances.to_parquet(folder / "instances.parquet")
    before["instances.parquet"] = (folder / "instances.parquet").read_bytes()
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_saved(folder)
    assert str(info.value) == message
    _untouched(folder, before)


@pytest.mark.parametrize(
    "kwargs, name, found, X, n",
    [
        ({"instance_metadata": ["m"] * 4}, "instance_metadata", 4, "X_test", 6),
        ({"instance_metadata": ["m"] * 8}, "instance_metadata", 8, "X_test", 6),
        (
            {"instance_metadata": {"test": None, "train": ["m"] * 3}},
            "instance_metadata['train']",
            3,
            "X_train",
            4,
        ),
        ({"instance_images": np.zeros((5, 2, 2))}, "instance_images", 5, "X_test", 6),
    ],
)
def test_instance_sources_of_the_wrong_length_name_both_lengths(
    kwargs, name, found, X, n
):
    with pytest.raises(ValueError) as info:
        tiny_explorer(**kwargs)
    assert str(info.value) == SOURCE_LENGTH.format(name=name, found=found, X=X, n=n)
    assert "inconsistent numbers of samples" in str(info.value)


@pytest.mark.parametrize(
    "source", ["row names", b"\x89PNG", 7, pd.DataFrame({"a": [1]})]
)
def test_instance_sources_of_the_wrong_kind(source):
    with pytest.raises(TypeError) as info:
        tiny_explorer(instance_metadata=source)
    assert str(info.value) == SOURCE_KIND.format(
        name="instance_metadata", X="X_test", kind=type(source).__name__
    )


def test_instance_source_for_a_split_left_out():
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_models(
            tiny_models(),
            Lookup(H1).fit(),
            None,
            None,
            X_TEST,
            Y_TEST,
            instance_metadata={"train": ["m"] * 4},
        )
    assert str(info.value) == SOURCE_WITHOUT_SPLIT.format(
        name="instance_metadata['train']", split="train", X="X_train"
    )


def test_instance_sources_are_checked_before_any_prediction():
    class Unusable(Lookup):
        def predict(self, X):
            raise AssertionError("predict ran before the arguments were checked")

    with pytest.raises(ValueError, match="instance_metadata has 2 entries"):
        CompatibilityExplorer.from_models(
            {"h2": Unusable(H2_A).fit()},
            Unusable(H1).fit(),
            None,
            None,
            X_TEST,
            Y_TEST,
            instance_metadata=["m"] * 2,
        )


def test_instance_metadata_series_is_read_by_position():
    metadata = pd.Series([f"row {i}" for i in range(6)], index=range(100, 106))
    explorer = tiny_explorer(instance_metadata=metadata)
    meta = explorer.instances_.set_index(["split", "instance_id"])["metadata"]
    assert meta[("test", 2)] == "row 2"


def test_from_predictions_checks_instance_metadata_length():
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_predictions(
            [0, 1, 1], [0, 1, 0], {"h2": [0, 0, 1]}, instance_metadata=["a"]
        )
    assert str(info.value) == SOURCE_LENGTH.format(
        name="instance_metadata", found=1, X="y_true", n=3
    )


def test_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        CompatibilityExplorer.from_models(
            tiny_models(), Lookup(H1).fit(), X_TRAIN, Y_TRAIN, X_TEST, Y_TEST[:5]
        )


def test_encode_png_round_trip():
    image = pytest.importorskip("matplotlib.image")
    grey = np.array([[0, 8], [16, 4]], dtype=float)  # digits' 0-16 range
    decoded = image.imread(io.BytesIO(encode_png(grey)), format="png")
    assert_allclose(decoded, grey / 16, atol=1 / 255)
    with pytest.raises(ValueError, match="2-d array"):
        encode_png(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("parquet", [True, False])
def test_from_saved_round_trip(explorer, tmp_path, monkeypatch, parquet):
    if not parquet:
        monkeypatch.setattr(_tables, "_parquet_available", lambda: False)
    explorer.save_data(tmp_path / "data")
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["table_format"] == ("parquet" if parquet else "csv")
    loaded = CompatibilityExplorer.from_saved(tmp_path / "data")
    pd.testing.assert_frame_equal(loaded.points_, explorer.points_, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.errors_, explorer.errors_, check_dtype=False)
    pd.testing.assert_frame_equal(
        loaded.instances_, explorer.instances_, check_dtype=False
    )
    assert loaded.classes_ == [0, 1, 2]
    assert loaded.to_dict()["datasets"] == explorer.to_dict()["datasets"]


def _saved(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    return folder, {f.name: f.read_bytes() for f in folder.iterdir()}


def _untouched(folder, before):
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before


def test_from_saved_corrupt_table(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    (folder / "points.parquet").write_bytes(b"garbage")
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    with pytest.raises(ValueError, match="points table"):
        CompatibilityExplorer.from_saved(folder)
    _untouched(folder, before)


def test_from_saved_missing_column(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    explorer.errors_.drop(columns="y_pred").to_parquet(folder / "errors.parquet")
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    with pytest.raises(
        ValueError, match=r"errors table lacks the column\(s\) \['y_pred'\]"
    ):
        CompatibilityExplorer.from_saved(folder)
    _untouched(folder, before)


def test_from_saved_mistyped_column(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    explorer.points_.astype({"lambda_c": str}).to_parquet(folder / "points.parquet")
    with pytest.raises(
        ValueError, match="'lambda_c' of the points table must hold numbers"
    ):
        CompatibilityExplorer.from_saved(folder)


@pytest.mark.parametrize(
    "content, match",
    [("{not json", "not valid JSON"), ('{"format": "other"}', "not a sklearn_bc")],
)
def test_from_saved_bad_manifest(explorer, tmp_path, content, match):
    folder = explorer.save_data(tmp_path / "data")
    (folder / "manifest.json").write_text(content)
    with pytest.raises(ValueError, match=match):
        CompatibilityExplorer.from_saved(folder)
    with pytest.raises(ValueError, match="No explorer manifest"):
        CompatibilityExplorer.from_saved(tmp_path / "nowhere")


def _rewrite_manifest(folder, change):
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    change(manifest)
    manifest_file.write_text(json.dumps(manifest))
    return str(manifest_file)


@pytest.mark.parametrize(
    "entry",
    [
        "ABSOLUTE",
        "../outside.parquet",
        "sub/../../outside.parquet",
        "..\\outside.parquet",
        "/etc/passwd",
        "C:\\outside.parquet",
        "C:outside.parquet",
        "\\\\server\\share\\outside.parquet",
    ],
)
def test_from_saved_refuses_table_files_outside_its_folder(explorer, tmp_path, entry):
    folder = explorer.save_data(tmp_path / "data")
    # a valid table next to the folder: following the entry would load it
    outside = tmp_path / "outside.parquet"
    outside.write_bytes((folder / "points.parquet").read_bytes())
    entry = str(outside) if entry == "ABSOLUTE" else entry
    manifest = _rewrite_manifest(
        folder, lambda m: m["files"].__setitem__("points", entry)
    )
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_saved(folder)
    assert str(info.value) == _tables.OUTSIDE_TABLE_FILE.format(
        manifest=manifest, name="points", entry=entry
    )
    _untouched(folder, before)


@pytest.mark.parametrize("entry", [5, None, ""])
def test_from_saved_refuses_table_file_entries_that_are_not_names(
    explorer, tmp_path, entry
):
    folder = explorer.save_data(tmp_path / "data")
    manifest = _rewrite_manifest(
        folder, lambda m: m["files"].__setitem__("errors", entry)
    )
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_saved(folder)
    assert str(info.value) == _tables.BAD_TABLE_FILE.format(
        manifest=manifest, name="errors", entry=entry
    )


def test_from_saved_follows_relative_entries_inside_its_folder(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    (folder / "tables").mkdir()
    (folder / "points.parquet").rename(folder / "tables" / "points.parquet")
    _rewrite_manifest(
        folder, lambda m: m["files"].__setitem__("points", "tables/points.parquet")
    )
    loaded = CompatibilityExplorer.from_saved(folder)
    pd.testing.assert_frame_equal(loaded.points_, explorer.points_, check_dtype=False)


@pytest.mark.parametrize("parquet", [True, False])
def test_from_saved_refuses_a_table_cut_at_a_row_boundary(
    explorer, tmp_path, monkeypatch, parquet
):
    if not parquet:
        monkeypatch.setattr(_tables, "_parquet_available", lambda: False)
    folder = explorer.save_data(tmp_path / "data")
    file = folder / ("errors.parquet" if parquet else "errors.csv")
    if parquet:
        explorer.errors_.iloc[:-2].to_parquet(file, index=False)
    else:
        lines = file.read_bytes().splitlines(keepends=True)
        file.write_bytes(b"".join(lines[:-2]))
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    with pytest.raises(ValueError) as info:
        CompatibilityExplorer.from_saved(folder)
    n = len(explorer.errors_)
    assert str(info.value) == _tables.WRONG_ROW_COUNT.format(
        name="errors",
        file=str(file),
        found=n - 2,
        manifest=str(folder / "manifest.json"),
        expected=n,
    )
    _untouched(folder, before)


def test_from_saved_reads_a_manifest_without_row_counts(explorer, tmp_path):
    folder = explorer.save_data(tmp_path / "data")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"] == {
        "points": len(explorer.points_),
        "errors": len(explorer.errors_),
        "instances": len(explorer.instances_),
    }
    _rewrite_manifest(folder, lambda m: m.pop("rows"))  # as saved before it existed
    loaded = CompatibilityExplorer.from_saved(folder)
    pd.testing.assert_frame_equal(loaded.errors_, explorer.errors_, check_dtype=False)


def test_from_models_reads_params_of_labelled_models(digits, fitted_h1):
    X, y, X_test, y_test = digits
    h2 = BackwardCompatibleClassifier(
        MLPModule,
        reference=fitted_h1,
        module__n_features=64,
        module__n_classes=10,
        dissonance="strict_imitation",
        lambda_c=0.3,
        max_epochs=1,
        train_split=None,
        verbose=0,
    ).fit(X[:200], y[:200])
    explorer = CompatibilityExplorer.from_models(
        {"my model": h2}, None, None, None, X_test[:50], y_test[:50]
    )
    row = explorer.points_.iloc[0]
    assert (row["label"], row["dissonance"], row["lambda_c"]) == (
        "my model",
        "strict_imitation",
        0.3,
    )
    assert explorer.points_["split"].tolist() == ["test"]
    assert row["reference_accuracy"] == np.mean(
        fitted_h1.predict(X_test[:50]) == y_test[:50]
    )


def test_from_search_refits_every_candidate_of_a_pipeline(digits, fitted_h1):
    X, y, X_test, y_test = digits
    X, y, X_test, y_test = X[:200], y[:200], X_test[:60], y_test[:60]
    net = BackwardCompatibleClassifier(
        MLPModule,
        reference=fitted_h1,
        module__n_features=64,
        module__n_classes=10,
        max_epochs=1,
        train_split=None,
        verbose=0,
    )
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z), net)
    grid = {
        "backwardcompatibleclassifier__lambda_c": [0.0, 1.0],
        "backwardcompatibleclassifier__dissonance": ["new_error", "strict_imitation"],
    }
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    explorer = CompatibilityExplorer.from_search(search, X, y, X_test, y_test, n_jobs=1)
    test = explorer.points_.query("split == 'test'")
    assert sorted(zip(test["dissonance"], test["lambda_c"], strict=True)) == sorted(
        (
            p["backwardcompatibleclassifier__dissonance"],
            p["backwardcompatibleclassifier__lambda_c"],
        )
        for p in search.cv_results_["params"]
    )
    assert_allclose(
        test["reference_accuracy"], np.mean(fitted_h1.predict(X_test) == y_test)
    )
    # the page opens on the search's best candidate, ringed
    assert explorer.selected_ == search.best_index_
    spec = explorer.to_dict()
    (pick,) = [p for p in spec["params"] if p["name"] == "pick"]
    assert pick["value"] == [{"p": search.best_index_}]
    selected = [p["p"] for p in spec["datasets"]["points"] if p["sel"]]
    assert set(selected) == {search.best_index_}


def test_bad_models_argument():
    with pytest.raises(ValueError, match="non-empty dict"):
        CompatibilityExplorer.from_models({}, Lookup(H1).fit(), None, None, [[0]], [0])


def test_selected_by_point_id_or_label():
    by_label = tiny_explorer(selected="strict_imitation lambda_c=1")
    assert by_label.selected_ == 1
    assert tiny_explorer(selected=1).selected_ == 1
    assert tiny_explorer(selected=("strict_imitation", 1.0)).selected_ == 1
    assert tiny_explorer().selected_ is None
    (pick,) = [p for p in by_label.to_dict()["params"] if p["name"] == "pick"]
    assert pick["value"] == [{"p": 1}]
    # a double-click clears the instance choice, never the chosen model
    assert pick["select"]["clear"] is False


@pytest.mark.parametrize("selected", [2, -1, "no such model", True, 1.0])
def test_selected_must_name_a_point(selected):
    with pytest.raises(ValueError, match="selected must be a point_id in"):
        tiny_explorer(selected=selected)


INTERVALS = ["accuracy_ref", "accuracy", "accuracy_diff", "btc", "bec"]
INTERVALS += ["nfr", "pfr"]


@pytest.fixture(scope="module")
def with_intervals():
    return demo_like_explorer(confidence_level=0.9, random_state=0)


def test_points_carry_confidence_intervals(with_intervals):
    points = with_intervals.points_
    assert (points["confidence_level"] == 0.9).all()
    scores = {"accuracy_ref": "reference_accuracy"}
    diff = points["accuracy"] - points["reference_accuracy"]
    for metric in INTERVALS:
        value = (
            diff if metric == "accuracy_diff" else points[scores.get(metric, metric)]
        )
        low, high = points[f"{metric}_low"], points[f"{metric}_high"]
        assert low.notna().all() and (low <= value + 1e-12).all()
        assert (value <= high + 1e-12).all() and (low < high).any()
    # the same seed, the same intervals
    again = demo_like_explorer(confidence_level=0.9, random_state=0)
    pd.testing.assert_frame_equal(again.points_, points)


def test_details_write_value_and_interval(with_intervals):
    row = with_intervals.points_.iloc[0]
    details = {
        d["name"]: d["v"]
        for d in with_intervals.to_dict()["datasets"]["details"]
        if d["p"] == 0 and d["s"] == "test"
    }
    assert details["BTC"] == format_value(row["btc"], row["btc_low"], row["btc_high"])
    assert details["intervals"] == "90%, paired bootstrap"
    assert format_value(0.98512, 0.9741, 0.99349) == "0.985 [0.974, 0.993]"
    assert format_value(0.5, float("nan"), float("nan")) == "0.5000"
    assert format_value(float("nan"), 0.1, 0.2) == "undefined"


def test_without_intervals_the_columns_are_nan(explorer):
    interval_columns = [f"{m}_{end}" for m in INTERVALS for end in ("low", "high")]
    assert explorer.points_[["confidence_level", *interval_columns]].isna().all().all()
    names = [d["name"] for d in explorer.to_dict()["datasets"]["details"]]
    assert "intervals" not in names


def test_too_few_rows_for_an_interval_warn_once():
    with pytest.warns(UserWarning, match="Too few rows for a confidence interval"):
        explorer = tiny_explorer(confidence_level=0.95, random_state=0)
    assert explorer.points_["btc_low"].isna().all()


@pytest.mark.parametrize("parquet", [True, False])
def test_saved_intervals_round_trip(with_intervals, tmp_path, monkeypatch, parquet):
    if not parquet:
        monkeypatch.setattr(_tables, "_parquet_available", lambda: False)
    with_intervals.save_data(tmp_path / "data")
    loaded = CompatibilityExplorer.from_saved(tmp_path / "data")
    pd.testing.assert_frame_equal(
        loaded.points_, with_intervals.points_, check_dtype=False
    )
    assert loaded.to_dict()["datasets"] == with_intervals.to_dict()["datasets"]


@pytest.mark.parametrize("parquet", [True, False])
def test_folders_saved_before_intervals_still_load(
    explorer, tmp_path, monkeypatch, parquet
):
    if not parquet:
        monkeypatch.setattr(_tables, "_parquet_available", lambda: False)
    folder = explorer.save_data(tmp_path / "data")
    old = [c for c in explorer.points_ if c != "confidence_level"]
    old = [c for c in old if not c.endswith(("_low", "_high"))]
    file = folder / ("points.parquet" if parquet else "points.csv")
    if parquet:
        explorer.points_[old].to_parquet(file, index=False)
    else:
        explorer.points_[old].to_csv(file, index=False)
    loaded = CompatibilityExplorer.from_saved(folder)
    pd.testing.assert_frame_equal(loaded.points_, explorer.points_, check_dtype=False)
