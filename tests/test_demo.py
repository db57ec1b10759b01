import json

import pytest

from sklearn_bc import load_results
from sklearn_bc.demo import RESULTS_NAME, SELECTED_NAME, TABLE_NAME, run_demo


@pytest.mark.parametrize("engine", ["vectorised", "gridsearch"])
def test_demo_writes_sweep_results_table_and_selection(tmp_path, engine):
    lines = []
    table = run_demo(
        tmp_path,
        lambdas=[0.0, 1.0],
        dissonances=("new_error",),
        max_epochs=2,
        cv=2,
        min_btc=0.0,
        log=lines.append,
        engine=engine,
    )
    results = load_results(tmp_path / f"{RESULTS_NAME}.csv")
    assert results["lambda_c"].tolist() == [0.0, 1.0]
    assert table[["dissonance", "lambda_c"]].values.tolist() == [
        ["new_error", 0.0],
        ["new_error", 1.0],
    ]
    assert (tmp_path / TABLE_NAME).exists()
    selected = json.loads((tmp_path / SELECTED_NAME).read_text())
    row = table[table["lambda_c"] == selected["lambda_c"]].iloc[0]
    assert selected["test_btc"] == row["btc"]
    assert selected["test_accuracy"] == row["accuracy"]
    assert any(line.startswith("selected: new_error") for line in lines)
    assert any(line.startswith(f"sweep ({engine})") for line in lines)
    for name in [
        "compatibility_scatter",
        "error_venn",
        "incompatibility_histogram",
        "group_compatibility",
    ]:
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "vega" in report and "new_error" in report


def test_demo_unknown_engine(tmp_path):
    with pytest.raises(ValueError, match="engine must be one of"):
        run_demo(tmp_path, engine="turbo", log=lambda line: None)


def test_demo_unreachable_floor_warns(tmp_path):
    with pytest.warns(UserWarning, match="best btc found"):
        run_demo(
            tmp_path,
            lambdas=[0.0],
            dissonances=("new_error",),
            max_epochs=1,
            cv=2,
            min_btc=1.01,
            log=lambda line: None,
        )
