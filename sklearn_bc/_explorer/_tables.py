"""The explorer's data: per-point scores, error rows and instance details.

Three tidy tables hold everything the report shows, and they are what
``save_data`` writes and ``from_saved`` reads back:

- ``points``: one row per (point, split) with the scores and Venn counts;
- ``errors``: one row per (point, split, instance) where h1 or h2 is wrong
  (instances both models get right are dropped to bound the size);
- ``instances``: optional metadata string and PNG image per (split, instance).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import warnings
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._results_io import CSV_READ_OPTIONS
from ..metrics import (
    bec_score,
    btc_score,
    compatibility_report,
    negative_flip_rate,
    positive_flip_rate,
)

SPLITS = ("train", "test")
REGIONS = ("h1 only", "both", "h2 only")

POINT_COLUMNS = {
    "point_id": "i",
    "label": "s",
    "dissonance": "s",
    "lambda_c": "f",
    "split": "s",
    "n": "i",
    "accuracy": "f",
    "reference_accuracy": "f",
    "btc": "f",
    "bec": "f",
    "nfr": "f",
    "pfr": "f",
    "n_h1_only": "i",
    "n_both": "i",
    "n_h2_only": "i",
}
# confidence intervals, from compatibility_report(confidence_level=...): the
# points table's score -> the report's metric; "diff" is accuracy - h1's
INTERVAL_METRICS = {
    "reference_accuracy": "accuracy_ref",
    "accuracy": "accuracy",
    "diff": "accuracy_diff",
    "btc": "btc",
    "bec": "bec",
    "nfr": "nfr",
    "pfr": "pfr",
}
# optional (NaN where absent: folders saved before intervals still load)
INTERVAL_COLUMNS = {
    "confidence_level": "f",
    **{
        f"{metric}_{end}": "f"
        for metric in INTERVAL_METRICS.values()
        for end in ("low", "high")
    },
}
POINT_COLUMNS = {**POINT_COLUMNS, **INTERVAL_COLUMNS}
OPTIONAL_COLUMNS = {"points": tuple(INTERVAL_COLUMNS)}
ERROR_COLUMNS = {
    "point_id": "i",
    "split": "s",
    "instance_id": "i",
    "y_true": "label",
    "y_ref": "label",
    "y_pred": "label",
}
INSTANCE_COLUMNS = {"split": "s", "instance_id": "i", "metadata": "s?", "image": "s?"}
TABLES = {
    "points": POINT_COLUMNS,
    "errors": ERROR_COLUMNS,
    "instances": INSTANCE_COLUMNS,
}

MANIFEST = "manifest.json"
FORMAT_NAME = "sklearn_bc.CompatibilityExplorer"
FORMAT_VERSION = 1
BAD_TABLE_FILE = (
    "The manifest {manifest!r} names the {name} table file {entry!r}; expected "
    "a file name (a non-empty string)."
)
OUTSIDE_TABLE_FILE = (
    "The manifest {manifest!r} names the {name} table file {entry!r}, which is "
    "not inside its folder: table files must be relative paths without '..'."
)
WRONG_ROW_COUNT = (
    "The {name} table {file!r} has {found} rows; the manifest {manifest!r} "
    "records {expected}: the file was cut short or replaced."
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Only data URIs of images reach the page: any other URL would make it fetch
# from the network (or from the disk) when the instance table shows it.
IMAGE_URI = re.compile(r"data:image/[a-z0-9.+-]+(;[a-z0-9.+=-]+)*,", re.IGNORECASE)
IMAGE_KINDS = (
    "a 2-d (grey) or 3-d (RGB[A]) array, PNG bytes or an image data URI "
    "('data:image/...')"
)
BAD_INSTANCE_IMAGE = "instance_images ({split} instance {instance_id}): {problem}"
BAD_IMAGE_COLUMN = (
    "Column 'image' of the instances table must hold image data URIs "
    "('data:image/...') or None; got {value} in row {row}."
)


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _png_chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def encode_png(image):
    """PNG bytes of a 2-d (grey) or 3-d (RGB/RGBA) array, without Pillow.

    Integer arrays are taken as 0-255; float arrays in [0, 1] are scaled by
    255, any other range is stretched to 0-255 (e.g. digits' 0-16).
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(
            "an image must be a 2-d array (grey) or a 3-d array with 3 or 4 "
            f"channels; got shape {array.shape}."
        )
    if array.dtype.kind not in "biuf":
        raise ValueError(f"an image array must hold numbers; got dtype {array.dtype}.")
    if array.dtype.kind in "ui":
        pixels = np.clip(array, 0, 255).astype(np.uint8)
    else:
        array = array.astype(float)
        if not np.all(np.isfinite(array)):
            raise ValueError("an image array must be finite; got NaN or infinity.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            scale = high - low if high > low else 1.0
            array = (array - low) / scale
        pixels = np.round(array * 255).astype(np.uint8)
    height, width = pixels.shape[:2]
    color_type = {2: 0, 3: 2 if pixels.ndim == 3 and pixels.shape[2] == 3 else 6}[
        pixels.ndim
    ]
    rows = pixels.reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


def image_data_uri(image):
    """A ``data:image/...`` URI of an image array, PNG bytes or such a URI.

    Raises a ValueError saying what is expected for anything else, a URL
    included (the page would fetch it).
    """
    if isinstance(image, str):
        if IMAGE_URI.match(image) is None:
            raise ValueError(f"expected {IMAGE_KINDS}; got the string {_shown(image)}.")
        return image
    if isinstance(image, bytes | bytearray):
        if not bytes(image[:8]) == PNG_SIGNATURE:
            start = _shown(bytes(image[:20]))
            raise ValueError(f"image bytes must be a PNG file; got {start}.")
        png = bytes(image)
    elif isinstance(image, np.ndarray | list | tuple):
        png = encode_png(image)
    else:
        raise ValueError(f"expected {IMAGE_KINDS}; got {type(image).__name__}.")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _scores(y_true, y_ref, y_pred):
    args = (y_true, y_ref, y_pred)
    ref_right, pred_right = y_ref == y_true, y_pred == y_true
    n = len(y_true)
    nan = float("nan")
    return {
        "n": n,
        "accuracy": float(np.mean(pred_right)) if n else nan,
        "reference_accuracy": float(np.mean(ref_right)) if n else nan,
        "btc": btc_score(*args, zero_division=np.nan),
        "bec": bec_score(*args, zero_division=np.nan),
        "nfr": negative_flip_rate(*args, zero_division=np.nan),
        "pfr": positive_flip_rate(*args, zero_division=np.nan),
        "n_h1_only": int(np.count_nonzero(~ref_right & pred_right)),
        "n_both": int(np.count_nonzero(~ref_right & ~pred_right)),
        "n_h2_only": int(np.count_nonzero(ref_right & ~pred_right)),
    }


def _intervals(y_true, y_ref, y_pred, confidence_level, rng, too_small):
    """The interval columns of one (point, split), from compatibility_report."""
    nan = float("nan")
    if confidence_level is None:
        return {c: nan for c in INTERVAL_COLUMNS}
    # the report also bootstraps every class, which warns about small
    # classes; only the overall row is shown, so only its gaps are reported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        report = compatibility_report(
            y_true, y_ref, y_pred, confidence_level=confidence_level,
            random_state=rng,
        )  # fmt: skip
    overall = report.iloc[0]
    row = {"confidence_level": float(confidence_level)}
    for metric in INTERVAL_METRICS.values():
        for end in ("low", "high"):
            row[f"{metric}_{end}"] = float(overall[f"{metric}_{end}"])
        if np.isnan(row[f"{metric}_low"]) and np.isfinite(overall[metric]):
            too_small.add(metric)
    return row


def compute_tables(
    entries, truth, reference, *, confidence_level=None, random_state=None
):
    """The ``points`` and ``errors`` tables from predictions.

    Parameters
    ----------
    entries : list of (label, dissonance, lambda_c, {split: y_pred})
    truth : {split: y_true}
    reference : {split: y_ref} or list of such dicts, one per entry (when h1's
        predictions depend on the point, e.g. a fitted preprocessing step).
    confidence_level : float in (0, 1) or None
        Adds bootstrap confidence intervals of the scores (see
        :func:`~sklearn_bc.compatibility_report`); None leaves them NaN.
    random_state : int, RandomState instance or None
        Seeds the bootstrap.
    """
    rng = check_random_state(random_state)
    too_small = set()
    point_rows, error_frames = [], []
    for point_id, (label, dissonance, lambda_c, predictions) in enumerate(entries):
        ref = reference[point_id] if isinstance(reference, list) else reference
        for split in SPLITS:
            if split not in predictions:
                continue
            y_true = np.asarray(truth[split])
            y_ref = np.asarray(ref[split])
            y_pred = np.asarray(predictions[split])
            point_rows.append(
                {
                    "point_id": point_id,
                    "label": str(label),
                    "dissonance": str(dissonance),
                    "lambda_c": float(lambda_c),
                    "split": split,
                    **_scores(y_true, y_ref, y_pred),
                    **_intervals(
                        y_true, y_ref, y_pred, confidence_level, rng, too_small
                    ),
                }
            )
            wrong = np.flatnonzero((y_ref != y_true) | (y_pred != y_true))
            error_frames.append(
                pd.DataFrame(
                    {
                        "point_id": point_id,
                        "split": split,
                        "instance_id": wrong,
                        "y_true": y_true[wrong],
                        "y_ref": y_ref[wrong],
                        "y_pred": y_pred[wrong],
                    }
                )
            )
    if too_small:
        warnings.warn(
            "Too few rows for a confidence interval of "
            f"{', '.join(sorted(too_small))} on some points (fewer than 10 in "
            "the denominator); those are shown without one.",
            UserWarning,
            stacklevel=3,
        )
    points = pd.DataFrame(point_rows, columns=list(POINT_COLUMNS))
    errors = pd.concat(error_frames, ignore_index=True) if error_frames else None
    if errors is None:
        errors = pd.DataFrame(columns=list(ERROR_COLUMNS))
    return points, errors


def compute_instances(errors, metadata, images, max_image_bytes):
    """Metadata strings and PNG data URIs for the instances in ``errors``.

    ``metadata`` and ``images`` map a split to a callable ``f(instance_id)``
    or to a sequence indexed by instance id (None: nothing for that split).
    """
    keys = errors[["split", "instance_id"]].drop_duplicates()
    keys = keys.sort_values(["split", "instance_id"], ignore_index=True)
    meta_col, image_col, total = [], [], 0
    for split, instance_id in zip(keys["split"], keys["instance_id"], strict=True):
        source = metadata.get(split)
        if source is None:
            meta_col.append(None)
        else:
            value = (
                source(int(instance_id)) if callable(source) else source[instance_id]
            )
            meta_col.append(None if value is None else str(value))
        source = images.get(split)
        if source is None:
            image_col.append(None)
            continue
        image = source(int(instance_id)) if callable(source) else source[instance_id]
        try:
            uri = None if image is None else image_data_uri(image)
        except ValueError as exc:
            raise ValueError(
                BAD_INSTANCE_IMAGE.format(
                    split=split, instance_id=instance_id, problem=exc
                )
            ) from exc
        total += 0 if uri is None else len(uri)
        if total > max_image_bytes:
            raise ValueError(
                f"The instance images exceed max_image_bytes={max_image_bytes} "
                f"(over {total} bytes as PNG data URIs after {len(image_col) + 1} "
                "images); pass smaller images or raise max_image_bytes."
            )
        image_col.append(uri)
    keys["metadata"] = pd.Series(meta_col, dtype=object)
    keys["image"] = pd.Series(image_col, dtype=object)
    return keys


def _check_column(table, name, column, kind):
    values = table[column]
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if not nullable and values.isna().any() and kind != "f":
        raise ValueError(f"Column {column!r} of the {name} table has missing values.")
    present = values.dropna()
    if kind == "label":
        ok = all(isinstance(v, str | int | np.integer | bool) for v in present)
    elif kind == "s":
        ok = all(isinstance(v, str) for v in present)
    elif kind == "i":
        ok = pd.api.types.is_integer_dtype(values.dtype)
    else:  # "f": real numbers, NaN allowed for undefined scores
        ok = pd.api.types.is_numeric_dtype(values.dtype) and not (
            pd.api.types.is_bool_dtype(values.dtype)
        )
    if not ok:
        expected = {
            "label": "class labels (int or str)",
            "s": "strings",
            "i": "integers",
            "f": "numbers",
        }[kind]
        raise ValueError(
            f"Column {column!r} of the {name} table must hold {expected}; got "
            f"dtype {values.dtype}."
        )


def check_table(table, name):
    """Validate one of the three tables; return it with the expected columns."""
    columns = TABLES[name]
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"The {name} table must be a pandas DataFrame.")
    optional = OPTIONAL_COLUMNS.get(name, ())
    missing = [c for c in columns if c not in table.columns and c not in optional]
    if missing:
        raise ValueError(f"The {name} table lacks the column(s) {missing}.")
    table = table.assign(
        **{c: float("nan") for c in optional if c not in table.columns}
    )
    table = table[list(columns)].reset_index(drop=True)
    for column, kind in columns.items():
        _check_column(table, name, column, kind)
    if name == "instances":
        for row, value in enumerate(table["image"]):
            if value is not None and IMAGE_URI.match(value) is None:
                raise ValueError(BAD_IMAGE_COLUMN.format(value=_shown(value), row=row))
    bad = sorted(set(table["split"]) - set(SPLITS))
    if bad:
        raise ValueError(
            f"Column 'split' of the {name} table holds {bad}; expected "
            f"values in {list(SPLITS)}."
        )
    return table


def _parquet_available():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def save_tables(path, tables, classes):
    """Write the tables (parquet, else CSV) and a JSON manifest into ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fmt = "parquet" if _parquet_available() else "csv"
    files = {}
    for name, table in tables.items():
        filename = f"{name}.{fmt}"
        if fmt == "parquet":
            table.to_parquet(path / filename, index=False)
        else:
            table.to_csv(path / filename, index=False)
        files[name] = filename
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "table_format": fmt,
        "files": files,
        "rows": {name: len(table) for name, table in tables.items()},
        "classes": [c.item() if hasattr(c, "item") else c for c in classes],
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return path


def _table_file(folder, entry, name, manifest):
    """``folder / entry``, refused unless ``entry`` stays inside ``folder``."""
    if not isinstance(entry, str) or not entry:
        raise ValueError(
            BAD_TABLE_FILE.format(manifest=manifest, name=name, entry=entry)
        )
    # both path flavours, whatever the system: C:\x, \\server\x and /x are
    # absolute, and a\..\b climbs out on Windows
    windows = PureWindowsPath(entry)
    if windows.anchor or PurePosixPath(entry).is_absolute() or ".." in windows.parts:
        raise ValueError(
            OUTSIDE_TABLE_FILE.format(manifest=manifest, name=name, entry=entry)
        )
    return folder / entry


def _read_table(file, fmt, name):
    if not file.is_file():
        raise ValueError(f"The {name} table file {str(file)!r} is missing.")
    strings = {c: str for c, k in TABLES[name].items() if k.startswith("s")}
    try:
        if fmt == "parquet":
            table = pd.read_parquet(file)
        else:
            table = pd.read_csv(
                file, dtype=strings, keep_default_na=False, na_values=[""],
                **CSV_READ_OPTIONS,
            )  # fmt: skip
    except (OSError, ValueError) as exc:
        raise ValueError(f"Cannot read the {name} table {str(file)!r}: {exc}") from exc
    # text columns as saved: Python strings and None (pandas 3 reads a string
    # dtype with NaN for missing values, from CSV and Parquet alike)
    for column in strings:
        if column in table:
            table[column] = table[column].astype(object)
            table.loc[table[column].isna(), column] = None
    return table


def load_tables(path):
    """Read and validate what :func:`save_tables` wrote; nothing is modified."""
    path = Path(path)
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise ValueError(f"No explorer manifest at {str(manifest_file)!r}.")
    try:
        manifest = json.loads(manifest_file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"The manifest {str(manifest_file)!r} is not valid JSON: {exc}"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ValueError(
            f"The manifest {str(manifest_file)!r} is not a {FORMAT_NAME} manifest."
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"The manifest {str(manifest_file)!r} has version "
            f"{manifest.get('version')!r}; this library reads version {FORMAT_VERSION}."
        )
    fmt = manifest.get("table_format")
    files = manifest.get("files")
    classes = manifest.get("classes")
    if (
        fmt not in ("parquet", "csv")
        or not isinstance(files, dict)
        or not isinstance(classes, list)
    ):
        raise ValueError(
            f"The manifest {str(manifest_file)!r} lacks a valid 'table_format', "
            "'files' or 'classes' entry."
        )
    rows = manifest.get("rows", {})  # absent from manifests written before it
    if not isinstance(rows, dict):
        raise ValueError(
            f"The manifest {str(manifest_file)!r} has an invalid 'rows' entry "
            f"{rows!r}; expected a mapping of table names to row counts."
        )
    tables = {}
    for name in TABLES:
        if name not in files:
            raise ValueError(
                f"The manifest {str(manifest_file)!r} names no {name} file."
            )
        file = _table_file(path, files[name], name, str(manifest_file))
        table = _read_table(file, fmt, name)
        if name in rows and rows[name] != len(table):
            raise ValueError(
                WRONG_ROW_COUNT.format(
                    name=name,
                    file=str(file),
                    found=len(table),
                    manifest=str(manifest_file),
                    expected=rows[name],
                )
            )
        tables[name] = check_table(table, name)
    return tables, classes
