"""``python -m sklearn_bc compare`` end to end, on the demo's data written to files."""

import operator
import pickle
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_bc import (
    BackwardCompatibleUpdate,
    btc_score,
    compatibility_report,
    negative_flip_rate,
)
from sklearn_bc.__main__ import main
from sklearn_bc.datasets import load_digits_update

pytest.importorskip("matplotlib_venn")
pytest.importorskip("vl_convert")
skops_io = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def update():
    data = load_digits_update(n_reference=150, label_noise=0.15)
    h1 = LogisticRegression(C=0.1, max_iter=2000).fit(
        data.X_reference, data.y_reference
    )
    h2 = LogisticRegression(C=1.0, max_iter=2000).fit(data.X_train, data.y_train)
    h2_compatible = BackwardCompatibleUpdate(
        LogisticRegression(C=1.0, max_iter=2000), reference=h1, lambda_c=0.8
    ).fit(data.X_train, data.y_train)
    X, y = data.X_test, data.y_test
    groups = np.where(np.arange(len(y)) % 3 == 0, "young", "old")
    return {"h1": h1, "h2": h2, "h2c": h2_compatible, "X": X, "y": y, "groups": groups}


@pytest.fixture(scope="module")
def files(update, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    X, y = update["X"], update["y"]
    predictions = pd.DataFrame(
        {
            "label": y,
            "old": update["h1"].predict(X),
            "new": update["h2"].predict(X),
            "new_compatible": update["h2c"].predict(X),
            "age_band": update["groups"],
        }
    )
    predictions.to_csv(folder / "predictions.csv", index=False)
    predictions.to_parquet(folder / "predictions.parquet", index=False)
    features = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    features["label"] = y
    features["age_band"] = update["groups"]
    features.to_csv(folder / "features.csv", index=False)
    skops_io.dump(update["h1"], folder / "h1.skops")
    skops_io.dump(update["h2"], folder / "h2.skops")
    skops_io.dump(update["h2c"], folder / "h2_compatible.skops")
    with open(folder / "h2.pkl", "wb") as f:
        pickle.dump(update["h2"], f)
    return folder


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "sklearn_bc", "compare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_predictions_mode_writes_table_plots_and_report(files, update, tmp_path):
    out = tmp_path / "out"
    result = _run(
        files / "predictions.csv", "--y-true", "label", "--h1", "old",
        "--h2", "new", "--h2", "new_compatible", "--group", "age_band",
        "--output", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "compatibility_table.csv")
    assert set(table["candidate"]) == {"new", "new_compatible"}
    y, y_ref = update["y"], update["h1"].predict(update["X"])
    for name, model in (("new", "h2"), ("new_compatible", "h2c")):
        y_pred = update[model].predict(update["X"])
        overall = table[(table["candidate"] == name) & (table["scope"] == "overall")]
        assert_allclose(overall["btc"], btc_score(y, y_ref, y_pred))
        assert_allclose(overall["nfr"], negative_flip_rate(y, y_ref, y_pred))
        expected = compatibility_report(y, y_ref, y_pred, groups=update["groups"])
        ours = table[(table["candidate"] == name) & (table["scope"] == "group")]
        mine = expected[expected["scope"] == "group"]
        assert_allclose(ours["btc"].to_numpy(), mine["btc"].to_numpy())
        assert (ours["grouping"] == "age_band").all()
    for png in (
        "compatibility_scatter.png", "error_venn_new.png",
        "error_venn_new_compatible.png", "incompatibility_histogram_new.png",
        "group_compatibility_age_band_new_compatible.png",
    ):  # fmt: skip
        assert (out / png).read_bytes().startswith(b"\x89PNG")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "new_compatible" in report and "age_band=young" in report
    assert "wrote" in result.stdout


def test_models_mode_with_skops_files(files, update, tmp_path):
    out = tmp_path / "out"
    result = _run(
        files / "features.csv", "--y-true", "label", "--h1-model", files / "h1.skops",
        "--h2-model", files / "h2_compatible.skops", "--group", "age_band",
        "--output", out, "--no-report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "compatibility_table.csv")
    assert set(table["candidate"]) == {"h2_compatible"}  # named by the file
    overall = table[table["scope"] == "overall"]
    X, y = update["X"], update["y"]
    expected = btc_score(y, update["h1"].predict(X), update["h2c"].predict(X))
    assert_allclose(overall["btc"], expected)
    assert not (out / "report.html").exists()


def test_parquet_input_equals_csv_input(files, tmp_path):
    tables = []
    for name in ("predictions.csv", "predictions.parquet"):
        out = tmp_path / name
        code = main([
            "compare", str(files / name), "--y-true", "label", "--h1", "old",
            "--h2", "new", "--output", str(out), "--no-plots", "--no-report",
        ])  # fmt: skip
        assert code == 0
        tables.append(pd.read_csv(out / "compatibility_table.csv"))
    pd.testing.assert_frame_equal(*tables)


def _fails(capsys, *args):
    code = main(["compare", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2
    return err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--h1", "old", "--h2", "newest"], r"--h2: column 'newest' is not in"),
        (["--h1", "old"], "needs --h1 and at least one --h2"),
        (["--h2", "new"], "needs --h1 and at least one --h2"),
        (
            ["--h1", "old", "--h2", "new", "--h1-model", "x.skops"],
            "either --h1 and --h2 .* or --h1-model",
        ),
        (["--h1", "old", "--h2", "old"], "names \\['old'\\] more than once"),
        (["--h1", "old", "--h2", "new", "--group", "age"], "--group: column 'age'"),
    ],
)
def test_option_errors_name_the_option(files, tmp_path, capsys, options, message):
    err = _fails(
        capsys, files / "predictions.csv", "--y-true", "label", *options,
        "--output", tmp_path / "out",
    )  # fmt: skip
    assert err.startswith("error: ")
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()


def test_labels_of_different_types_are_refused(tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"y": [1, 2, 1], "a": ["1", "2", "x"], "b": [1, 2, 2]}).to_csv(
        path, index=False
    )
    err = _fails(capsys, path, "--y-true", "y", "--h1", "a", "--h2", "b")
    assert "labels of different types" in err and "h1 holds strings" in err


def test_missing_labels_are_refused(tmp_path, capsys):
    path = tmp_path / "missing.csv"
    pd.DataFrame({"y": [1, None, 1], "a": [1, 2, 1], "b": [1, 2, 2]}).to_csv(
        path, index=False
    )
    err = _fails(capsys, path, "--y-true", "y", "--h1", "a", "--h2", "b")
    assert "1 missing value(s) (first in data row 1)" in err


@pytest.mark.parametrize(
    "content, name, message",
    [
        (None, "absent.csv", "does not exist"),
        (b"y,a\n1,2\n", "data.xlsx", "must be .csv or .parquet"),
        (b"not parquet at all", "data.parquet", "cannot read"),
    ],
)
def test_unreadable_data_files(tmp_path, capsys, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    err = _fails(capsys, path, "--y-true", "y", "--h1", "a", "--h2", "b")
    assert message in err


def test_nothing_is_overwritten_without_overwrite(files, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "compatibility_table.csv").write_text("mine")
    args = [
        files / "predictions.csv", "--y-true", "label", "--h1", "old",
        "--h2", "new", "--output", out, "--no-plots", "--no-report",
    ]  # fmt: skip
    err = _fails(capsys, *args)
    assert "already exist" in err and "--overwrite" in err
    assert (out / "compatibility_table.csv").read_text() == "mine"
    assert main(["compare", *map(str, args), "--overwrite"]) == 0
    assert (out / "compatibility_table.csv").read_text() != "mine"


def test_pickle_files_need_allow_pickle(files, tmp_path, capsys):
    args = [
        files / "features.csv", "--y-true", "label", "--group", "age_band",
        "--h1-model", files / "h1.skops", "--h2-model", files / "h2.pkl",
        "--output", tmp_path / "out", "--no-plots", "--no-report",
    ]  # fmt: skip
    err = _fails(capsys, *args)
    assert "executes code" in err and "--allow-pickle" in err
    assert main(["compare", *map(str, args), "--allow-pickle"]) == 0


def test_untrusted_skops_types_need_trust(files, update, tmp_path, capsys):
    # a function inside a model is a type skops does not trust by default
    model = make_pipeline(
        FunctionTransformer(operator.neg), LogisticRegression(max_iter=2000)
    ).fit(update["X"], update["y"])
    path = tmp_path / "custom.skops"
    skops_io.dump(model, path)
    args = [
        files / "features.csv", "--y-true", "label", "--group", "age_band",
        "--h1-model", files / "h1.skops", "--h2-model", path,
        "--output", tmp_path / "out", "--no-plots", "--no-report",
    ]  # fmt: skip
    err = _fails(capsys, *args)
    assert "does not trust by default: ['_operator.neg']" in err
    assert "--trust _operator.neg" in err
    assert main(["compare", *map(str, args), "--trust", "_operator.neg"]) == 0


def test_sklearn_bc_estimators_load_without_trust(files, tmp_path):
    # BackwardCompatibleUpdate is ours; skops still checks what it holds
    assert "sklearn_bc.update.BackwardCompatibleUpdate" in (
        skops_io.get_untrusted_types(file=files / "h2_compatible.skops")
    )
    code = main([
        "compare", str(files / "features.csv"), "--y-true", "label",
        "--group", "age_band", "--h1-model", str(files / "h1.skops"),
        "--h2-model", str(files / "h2_compatible.skops"),
        "--output", str(tmp_path / "out"), "--no-plots", "--no-report",
    ])  # fmt: skip
    assert code == 0


def test_help_shows_a_complete_example(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = capsys.readouterr().out
    assert "python -m sklearn_bc compare predictions.csv --y-true label" in out
    assert "--h1-model h1.skops" in out
