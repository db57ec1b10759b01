import numpy as np
import pandas as pd
import pytest

from sklearn_bc import log_sweep_to_mlflow, sweep_results

tracking = pytest.importorskip("mlflow.tracking")


@pytest.fixture
def store(tmp_path, monkeypatch):
    # MLflow keeps its plain-file store for local use behind this switch
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


CV_RESULTS = {
    "param_dissonance": np.ma.array(["new_error", "strict_imitation"], dtype=object),
    "param_lambda_c": np.ma.array([0.0, 0.5], dtype=object),
    "param_lr": np.ma.array([0.01, 0.1], dtype=object),
    "mean_test_accuracy": np.array([0.9, 0.92]),
    "std_test_accuracy": np.array([0.01, 0.02]),
    "mean_test_btc": np.array([0.93, np.nan]),
    "std_test_btc": np.array([0.02, np.nan]),
    "mean_fit_time": np.array([1.0, 1.1]),
    "std_fit_time": np.array([0.1, 0.1]),
}


def test_one_nested_run_per_point_with_its_params_and_metrics(store, tmp_path):
    report = tmp_path / "report.html"
    report.write_text("<html></html>")
    ids = log_sweep_to_mlflow(CV_RESULTS, tracking_uri=store, artifacts=[report])
    client = tracking.MlflowClient(tracking_uri=store)
    parent = client.get_run(ids["parent"])
    assert parent.data.metrics["n_points"] == 2
    assert [a.path for a in client.list_artifacts(ids["parent"])] == ["report.html"]
    table = sweep_results(CV_RESULTS)
    assert len(ids["points"]) == 2
    for index, run_id in enumerate(ids["points"]):
        run = client.get_run(run_id)
        assert run.data.tags["mlflow.parentRunId"] == ids["parent"]
        assert run.info.status == "FINISHED"
        row = table.iloc[index]
        assert run.data.params["dissonance"] == row["dissonance"]
        assert float(run.data.params["lambda_c"]) == row["lambda_c"]
        assert float(run.data.params["lr"]) == row["lr"]
        assert run.data.metrics["mean_test_accuracy"] == row["mean_test_accuracy"]
        assert run.data.metrics["pareto_btc"] == float(row["pareto_btc"])
    first, second = (client.get_run(r) for r in ids["points"])
    assert first.data.metrics["mean_test_btc"] == 0.93
    assert "mean_test_btc" not in second.data.metrics  # NaN is left out
    assert second.info.run_name == "strict_imitation lambda_c=0.5"


def test_a_results_table_and_the_experiment_are_reused(store):
    table = pd.DataFrame(
        {"dissonance": ["new_error"], "lambda_c": [1.0], "mean_test_btc": [0.99]}
    )
    first = log_sweep_to_mlflow(table, tracking_uri=store, experiment_name="e")
    second = log_sweep_to_mlflow(table, tracking_uri=store, experiment_name="e")
    client = tracking.MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("e")
    runs = client.search_runs([experiment.experiment_id])
    assert {r.info.run_id for r in runs} == {
        first["parent"],
        second["parent"],
        *first["points"],
        *second["points"],
    }


def test_missing_artifact_is_refused_before_logging(store, tmp_path):
    with pytest.raises(FileNotFoundError, match="artifacts: no such file"):
        log_sweep_to_mlflow(
            CV_RESULTS, tracking_uri=store, artifacts=[tmp_path / "absent.html"]
        )
    client = tracking.MlflowClient(tracking_uri=store)
    assert client.get_experiment_by_name("sklearn_bc") is None
