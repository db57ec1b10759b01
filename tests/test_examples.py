import runpy
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("script", ["plot_tabular_update.py"])
def test_example_runs_cleanly(script, capsys):
    # restores the thread limits an example may set
    with threadpool_limits(limits=None):
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert "lambda_c" in capsys.readouterr().out
