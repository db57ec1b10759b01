import hashlib

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sklearn_bc import load_results, save_results
from sklearn_bc._results_io import (
    BAD_HEADER,
    CHECKSUM_MISMATCH,
    CSV_READ_OPTIONS,
    MISSING_COLUMN,
    TRUNCATED,
    WRONG_KIND,
)

FORMATS = ["csv", "parquet"]


@pytest.fixture
def results():
    rng = np.random.default_rng(0)
    n = 6
    return pd.DataFrame(
        {
            "dissonance": ["new_error"] * 3 + ["strict_imitation"] * 3,
            "lambda_c": [0.0, 0.1, 1 / 3, 0.1 + 0.2, 0.7, 1.0],
            "max_epochs": np.arange(n, dtype=np.int64),
            "mean_test_accuracy": rng.random(n),
            "std_test_accuracy": rng.random(n) * 1e-17,
            "mean_test_btc": [np.nan, 1e-300, 5e-324, 0.9, 1.0, np.pi],
            "std_test_btc": rng.random(n),
            "mean_fit_time": rng.random(n) * 100,
            "std_fit_time": rng.random(n),
            "pareto_btc": [True, False] * 3,
            "pareto_bec": [False] * n,
        }
    )


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_exact(tmp_path, results, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    path = save_results(results, tmp_path / f"sweep.{fmt}")
    assert_frame_equal(load_results(path), results, check_exact=True)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f.drop(columns="lambda_c"),
            MISSING_COLUMN.format(source="{path}", column="lambda_c"),
        ),
        (
            lambda f: f.drop(columns="std_test_btc"),
            MISSING_COLUMN.format(source="{path}", column="std_test_btc"),
        ),
        (
            lambda f: f.assign(lambda_c=["a", "b", "c", "d", "e", "f"]),
            WRONG_KIND.format(
                source="{path}",
                column="lambda_c",
                kind="float",
                # object in pandas 2, str in pandas 3
                detail=f"dtype {pd.Series(['a']).dtype}",
            ),
        ),
        (
            lambda f: f.assign(pareto_btc=[1.5] * 6),
            WRONG_KIND.format(
                source="{path}",
                column="pareto_btc",
                kind="bool",
                detail="dtype float64",
            ),
        ),
    ],
)
def test_load_names_missing_or_mistyped_column(tmp_path, results, fmt, change, message):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path / f"bad.{fmt}"
    broken = change(results)
    if fmt == "csv":
        broken.to_csv(path, index=False)
    else:
        broken.to_parquet(path, index=False)
    digest = _digest(path)
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(info.value) == message.format(path=path)
    assert _digest(path) == digest


@pytest.mark.parametrize(
    "name, content",
    [
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage"),
        ("ragged.csv", b'dissonance,lambda_c\n"new_error,0.1\n'),
        ("empty.csv", b""),
        ("truncated.parquet", b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00"),
    ],
)
def test_unreadable_file_is_a_clear_error_and_untouched(tmp_path, name, content):
    if name.endswith("parquet"):
        pytest.importorskip("pyarrow")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Cannot read sweep results from|is missing"):
        load_results(path)
    assert path.read_bytes() == content


def test_truncated_parquet_of_real_results(tmp_path, results):
    pytest.importorskip("pyarrow")
    path = save_results(results, tmp_path / "sweep.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="Cannot read sweep results from"):
        load_results(path)
    assert path.read_bytes() == data[: len(data) // 2]


def test_save_refuses_bad_results_and_keeps_existing_file(tmp_path, results):
    path = save_results(results, tmp_path / "sweep.csv")
    digest = _digest(path)
    with pytest.raises(ValueError, match="'pareto_bec' is missing"):
        save_results(results.drop(columns="pareto_bec"), path)
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        save_results(results, tmp_path / "sweep.json")
    with pytest.raises(TypeError, match="DataFrame"):
        save_results(results.to_dict(), path)
    assert _digest(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv"]


def _lines(path):
    return path.read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(
    "keep, found",
    [(6, 4), (2, 0), (1, 0)],
    ids=["four-of-six-rows", "column-names-only", "header-only"],
)
def test_csv_cut_at_a_row_boundary_names_expected_and_found_rows(
    tmp_path, results, keep, found
):
    path = save_results(results, tmp_path / "sweep.csv")
    cut = b"".join(_lines(path)[:keep])  # header, column names, then rows
    path.write_bytes(cut)
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(info.value) == TRUNCATED.format(path=path, expected=6, found=found)
    assert path.read_bytes() == cut


def test_csv_with_a_row_repeated_is_refused(tmp_path, results):
    path = save_results(results, tmp_path / "sweep.csv")
    lines = _lines(path)
    path.write_bytes(b"".join([*lines, lines[-1]]))
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(info.value) == TRUNCATED.format(path=path, expected=6, found=7)


def test_csv_with_an_edited_value_fails_the_checksum(tmp_path, results):
    path = save_results(results, tmp_path / "sweep.csv")
    lines = _lines(path)
    lines[3] = lines[3].replace(b"new_error", b"new_errors", 1)
    path.write_bytes(b"".join(lines))
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(info.value) == CHECKSUM_MISMATCH.format(path=path)


def test_csv_header_records_rows_and_checksum_and_survives_crlf(tmp_path, results):
    path = save_results(results, tmp_path / "sweep.csv")
    header, body = path.read_bytes().split(b"\n", 1)
    assert (
        header
        == (
            f"# sklearn_bc sweep results; rows=6; "
            f"sha256={hashlib.sha256(body).hexdigest()}"
        ).encode()
    )
    # a line-ending conversion (git autocrlf, an editor) is not damage
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert_frame_equal(load_results(path), results, check_exact=True)
    # other readers skip the header line
    assert_frame_equal(
        pd.read_csv(path, skiprows=1, **CSV_READ_OPTIONS), results, check_exact=True
    )


def test_csv_of_the_previous_format_loads_unchecked(tmp_path, results):
    path = tmp_path / "old.csv"
    results.to_csv(path, index=False)  # as save_results wrote it before the header
    assert_frame_equal(load_results(path), results, check_exact=True)


def test_csv_with_a_malformed_header_is_a_clear_error(tmp_path, results):
    path = save_results(results, tmp_path / "sweep.csv")
    lines = _lines(path)
    lines[0] = b"# sklearn_bc sweep results; rows=six\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(info.value) == BAD_HEADER.format(
        path=path, line="# sklearn_bc sweep results; rows=six"
    )
