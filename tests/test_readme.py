"""The README's commands and code blocks are the contract: test them."""

import pathlib
import re
import runpy
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT / ".ci"))
from readme_command import readme_command  # noqa: E402


@pytest.mark.parametrize("name", ["demo", "test"])
def test_setup_commands_install_cpu_torch_first(name):
    command = readme_command(name)
    assert command.startswith("python3 -m venv .venv")
    steps = command.split("&&")
    torch_step = next(i for i, s in enumerate(steps) if "torch" in s)
    package_step = next(i for i, s in enumerate(steps) if "pip install -e" in s)
    assert "torch==2.13.0" in steps[torch_step] and torch_step < package_step


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command.py test" in ci


def test_demo_command_runs_the_demo():
    assert readme_command("demo").endswith(
        "python -m sklearn_bc demo --output demo-output"
    )


PYTHON_BLOCKS = re.findall(r"```python\n(.+?)\n```", README, re.S)


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_blocks_run(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "block.py"
    script.write_text(PYTHON_BLOCKS[index], encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")


def test_readme_has_python_blocks():
    assert PYTHON_BLOCKS


def test_demo_cli_writes_its_outputs(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_bc", "demo", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "compatibility_table.csv").is_file()
    assert "wrote" in result.stdout
