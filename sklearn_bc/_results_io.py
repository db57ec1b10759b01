"""Saving and loading sweep results, with the results schema checked both ways."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import pandas as pd

# The contract shared with the displays and BackwardCompatibleClassifierCV:
# these columns with these kinds, plus (mean|std)_(test|train)_<metric> floats.
RESULT_COLUMNS = {
    "dissonance": "str",
    "lambda_c": "float",
    "mean_fit_time": "float",
    "std_fit_time": "float",
    "pareto_btc": "bool",
    "pareto_bec": "bool",
}
_SCORE_COLUMN = re.compile(r"^(mean|std)_(test|train)_(.+)$")
_FORMATS = (".csv", ".parquet")

# pandas < 3 parses CSV floats to the nearest double only when asked; pandas 3
# does so by default and deprecates the option
CSV_READ_OPTIONS = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)

MISSING_COLUMN = "{source}: column {column!r} is missing from the sweep results."
WRONG_KIND = "{source}: column {column!r} must hold {kind} values; got {detail}."
UNREADABLE = "Cannot read sweep results from {path}: {error}"
TRUNCATED = (
    "{path}: expected {expected} rows of sweep results (recorded when it was "
    "saved), found {found}; the file was cut short or edited."
)
CHECKSUM_MISMATCH = (
    "{path}: the sweep results do not match the SHA-256 checksum recorded when "
    "the file was saved; the file was damaged or edited (delete its first line "
    "to load it unchecked)."
)
BAD_HEADER = (
    "{path}: the first line {line!r} is not a valid sklearn_bc results header "
    "('# sklearn_bc sweep results; rows=<n>; sha256=<hex digest>')."
)

# A CSV's first line records the row count and a checksum of the rest, so a
# file cut at a row boundary (which still parses) is refused. Files saved
# before this header existed are read unchecked.
_CSV_MARKER = b"# sklearn_bc sweep results"
_CSV_HEADER = "# sklearn_bc sweep results; rows={rows}; sha256={digest}\n"
_CSV_HEADER_PATTERN = re.compile(
    rb"# sklearn_bc sweep results; rows=(\d+); sha256=([0-9a-f]{64})"
)


def _kind_ok(series, kind):
    if kind == "float":
        return pd.api.types.is_float_dtype(series.dtype)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series.dtype)
    return (
        pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
    ) and all(isinstance(value, str) for value in series)


def _check_results(frame, source):
    """Raise a ValueError naming the first column that breaks the schema."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{source}: sweep results must be a pandas DataFrame (see "
            f"sweep_results); got {type(frame).__name__}."
        )
    columns = dict(RESULT_COLUMNS)
    scores = [c for c in frame.columns if _SCORE_COLUMN.match(str(c))]
    if not any(c.startswith("mean_test_") for c in scores):
        raise ValueError(
            MISSING_COLUMN.format(source=source, column="mean_test_<metric>")
        )
    for column in scores:
        stat, part, metric = _SCORE_COLUMN.match(column).groups()
        columns[column] = "float"
        columns[f"{'std' if stat == 'mean' else 'mean'}_{part}_{metric}"] = "float"
    for column, kind in columns.items():
        if column not in frame.columns:
            raise ValueError(MISSING_COLUMN.format(source=source, column=column))
        if not _kind_ok(frame[column], kind):
            raise ValueError(
                WRONG_KIND.format(
                    source=source,
                    column=column,
                    kind=kind,
                    detail=f"dtype {frame[column].dtype}",
                )
            )


def _csv_digest(body):
    # line endings normalised: a CRLF conversion (git, an editor) is no damage
    return hashlib.sha256(body.replace(b"\r\n", b"\n")).hexdigest()


def _csv_bytes(results):
    body = results.to_csv(index=False, lineterminator="\n").encode("utf-8")
    header = _CSV_HEADER.format(rows=len(results), digest=_csv_digest(body))
    return header.encode("utf-8") + body


def _split_csv_header(path, content):
    """``(rows, digest, body)`` of a saved CSV; ``(None, None, content)`` if old."""
    if not content.startswith(_CSV_MARKER):
        return None, None, content
    line, _, body = content.partition(b"\n")
    match = _CSV_HEADER_PATTERN.fullmatch(line.rstrip(b"\r"))
    if match is None:
        raise ValueError(
            BAD_HEADER.format(path=path, line=line.decode("utf-8", "replace"))
        )
    return int(match.group(1)), match.group(2).decode("ascii"), body


def _read(path, reader, *args, **kwargs):
    """``reader(*args, **kwargs)``, its parse errors re-raised naming ``path``."""
    try:
        return reader(*args, **kwargs)
    except (FileNotFoundError, IsADirectoryError, ImportError):
        raise
    except (ValueError, OSError) as exc:  # parser, decoding and Arrow errors
        raise ValueError(UNREADABLE.format(path=path, error=exc)) from exc


def _check_format(path):
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"Sweep results are saved as {' or '.join(_FORMATS)}; got {str(path)!r}."
        )
    return suffix


def save_results(results, path):
    """Write sweep results to ``.csv`` or ``.parquet`` (by the file suffix).

    The schema of :func:`~sklearn_bc.sweep_results` is checked first, and the
    file is written to a temporary name then moved into place, so a failure
    leaves an existing file untouched. Both formats round-trip exactly with
    :func:`load_results` (CSV floats are written with the shortest repr that
    reads back to the same float64).

    A CSV starts with one comment line recording the number of rows and a
    SHA-256 checksum of the rest, which :func:`load_results` checks: a file
    cut short, even at a row boundary, is refused. Other readers skip it with
    ``pandas.read_csv(path, skiprows=1)``.

    Parameters
    ----------
    results : pandas.DataFrame
        A table from :func:`~sklearn_bc.sweep_results`.
    path : str or Path
        Target file; ``.parquet`` needs pyarrow (``pip install
        sklearn_bc[parquet]``).

    Returns
    -------
    path : Path
        The file written.
    """
    path = Path(path)
    suffix = _check_format(path)
    _check_results(results, "save_results")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if suffix == ".csv":
            tmp.write_bytes(_csv_bytes(results))
        else:
            results.to_parquet(tmp, index=False, engine="pyarrow")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_results(path):
    """Read sweep results written by :func:`save_results`, checking the schema.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    results : pandas.DataFrame

    Raises
    ------
    ValueError
        When the file cannot be parsed; when a CSV holds fewer or more rows
        than recorded when it was saved, or does not match its recorded
        checksum; or when a column of the schema is missing or holds values of
        the wrong kind (the message names the column). The file is only read,
        never modified. A CSV saved without the header line (by an earlier
        version) is read without the row and checksum checks.
    """
    path = Path(path)
    suffix = _check_format(path)
    rows = digest = None
    if suffix == ".csv":
        rows, digest, body = _split_csv_header(path, _read(path, path.read_bytes))
        if rows is not None and not body.strip():
            frame = pd.DataFrame()  # cut right after the header line
        else:
            frame = _read(path, pd.read_csv, io.BytesIO(body), **CSV_READ_OPTIONS)
    else:
        frame = _read(path, pd.read_parquet, path, engine="pyarrow")
    if rows is not None and len(frame) != rows:
        raise ValueError(TRUNCATED.format(path=path, expected=rows, found=len(frame)))
    _check_results(frame, str(path))
    # checked after the schema, whose message is the more precise one
    if digest is not None and _csv_digest(body) != digest:
        raise ValueError(CHECKSUM_MISMATCH.format(path=path))
    return frame
