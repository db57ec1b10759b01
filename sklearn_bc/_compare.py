"""``python -m sklearn_bc compare``: the analysis of an update a user already made.

Two ways in, one set of outputs:

- predictions mode, for any framework: one CSV or Parquet file with the true
  label and the labels predicted by h1 and by one or more candidate h2s
  (``--h1 COLUMN --h2 COLUMN [--h2 COLUMN ...]``);
- models mode: h1 and the candidates saved with skops (``--h1-model FILE
  --h2-model FILE``), run on the features of the data file. Pickle and joblib
  files execute code when loaded, so they are read only with
  ``--allow-pickle``.

It writes ``compatibility_table.csv`` (``compatibility_report`` of every
candidate: overall, per class and per group), the displays' PNGs and
``report.html`` (the :class:`~sklearn_bc.CompatibilityExplorer`), and
refuses to overwrite any of them without ``--overwrite``.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

TABLE_NAME = "compatibility_table.csv"
REPORT_NAME = "report.html"

EXAMPLE = """\
examples:
  # predictions mode: labels from any framework, one column per model
  python -m sklearn_bc compare predictions.csv --y-true label \\
      --h1 old_model --h2 new_model --h2 new_model_compatible \\
      --group age_band --output compare-output

  # models mode: h1 and h2 saved with skops.io.dump, features in a file
  python -m sklearn_bc compare patients.parquet --y-true label \\
      --h1-model h1.skops --h2-model h2.skops --group age_band \\
      --output compare-output

The data file is CSV (.csv) or Parquet (.parquet, needs pyarrow). In models
mode the features are every column except --y-true and --group (or those
named by --features). Outputs: compatibility_table.csv, error_venn*.png,
incompatibility_histogram*.png, compatibility_scatter.png,
group_compatibility*.png (with --group) and report.html.
"""


# our own estimators: skops still checks every type nested inside them
_OWN_TYPES = frozenset({"sklearn_bc.update.BackwardCompatibleUpdate"})


class CompareError(Exception):
    """A problem with the user's files or options, reported in one line."""


# -- options
def add_parser(commands):
    """Add the ``compare`` command to an argparse sub-parser collection."""
    parser = commands.add_parser(
        "compare",
        help="compatibility analysis of your own update (predictions or models)",
        description=(
            "Compatibility analysis of an update h1 -> h2 you already made: "
            "the table of BTC, BEC and flip rates, the displays' PNGs and the "
            "interactive report."
        ),
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", help="CSV or Parquet file, one row per sample")
    parser.add_argument("--y-true", required=True, help="column of the true labels")
    parser.add_argument("--h1", help="predictions mode: column of h1's labels")
    parser.add_argument(
        "--h2",
        action="append",
        default=[],
        help="predictions mode: column of a candidate h2's labels (repeatable)",
    )
    parser.add_argument("--h1-model", help="models mode: h1 saved with skops")
    parser.add_argument(
        "--h2-model",
        action="append",
        default=[],
        help="models mode: a candidate h2 saved with skops (repeatable)",
    )
    parser.add_argument(
        "--features",
        help="models mode: comma-separated feature columns (default: all others)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        help="models mode: a type skops may load although it does not trust it "
        "by default (repeatable; the error lists the types a file needs)",
    )
    parser.add_argument(
        "--allow-pickle",
        action="store_true",
        help="models mode: also read .pkl/.pickle/.joblib files; loading them "
        "EXECUTES CODE from the file, so use it only on files you made",
    )
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        help="column of a grouping (e.g. an age band) for per-group scores "
        "(repeatable)",
    )
    parser.add_argument("--output", default="compare-output", help="output folder")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing output files"
    )
    parser.add_argument("--no-plots", action="store_true", help="write no PNGs")
    parser.add_argument("--no-report", action="store_true", help="no report.html")
    parser.set_defaults(run=run)
    return parser


def run(args):
    """Run ``compare`` with parsed ``args``; return the process's exit code."""
    try:
        written = compare(args)
    except CompareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


# -- inputs
def _read_table(path):
    path = Path(path)
    if not path.is_file():
        raise CompareError(f"data file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix == ".parquet":
            if importlib.util.find_spec("pyarrow") is None:
                raise CompareError(
                    "reading Parquet needs pyarrow: pip install 'sklearn_bc[parquet]'."
                )
            return pd.read_parquet(path, engine="pyarrow")
    except CompareError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise CompareError(f"cannot read {str(path)!r}: {exc}") from exc
    suffix = suffix or "no suffix"
    raise CompareError(
        f"data file {str(path)!r} must be .csv or .parquet; got {suffix}."
    )


def _column(frame, name, option, source):
    if name not in frame.columns:
        raise CompareError(
            f"{option}: column {name!r} is not in {source}; its columns are "
            f"{[str(c) for c in frame.columns]}."
        )
    values = frame[name]
    missing = int(values.isna().sum())
    if missing:
        first = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise CompareError(
            f"{option}: column {name!r} has {missing} missing value(s) (first in "
            f"data row {first}); every sample needs a label."
        )
    return values


def _label_kind(values):
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    kinds = {type(v).__name__ for v in values.tolist()}
    return "string" if kinds <= {"str"} else "/".join(sorted(kinds))


def _check_label_types(labels):
    """Refuse label columns of different kinds (1 never equals '1')."""
    kinds = {name: _label_kind(values) for name, values in labels.items()}
    if len(set(kinds.values())) > 1:
        described = ", ".join(f"{name} holds {kind}s" for name, kind in kinds.items())
        raise CompareError(
            f"the label columns hold labels of different types ({described}); "
            "a number never equals a string: write every label the same way."
        )
    return {name: values.to_numpy() for name, values in labels.items()}


def _unique_names(names, option):
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CompareError(f"{option} names {repeated} more than once.")


def _candidate_name(path):
    return Path(path).stem


def _load_model(path, trusted, allow_pickle):
    path = Path(path)
    if not path.is_file():
        raise CompareError(f"model file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix in (".pkl", ".pickle", ".joblib"):
        if not allow_pickle:
            raise CompareError(
                f"{str(path)!r} is a pickle/joblib file: loading it executes code "
                "from the file. Save models with skops.io.dump instead, or pass "
                "--allow-pickle if you made this file yourself."
            )
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise CompareError(f"cannot load {str(path)!r}: {exc}") from exc
    if suffix != ".skops":
        raise CompareError(
            f"model file {str(path)!r} must be a .skops file (or .pkl/.joblib with "
            f"--allow-pickle); got {suffix or 'no suffix'}."
        )
    if importlib.util.find_spec("skops") is None:
        raise CompareError(
            "loading .skops files needs skops: pip install 'sklearn_bc[cli]'."
        )
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise CompareError(f"cannot read {str(path)!r}: {exc}") from exc
    refused = [t for t in untrusted if t not in trusted | _OWN_TYPES]
    if refused:
        options = " ".join(f"--trust {t}" for t in refused)
        raise CompareError(
            f"{str(path)!r} contains types skops does not trust by default: "
            f"{refused}. If you trust the file's author, pass {options}."
        )
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise CompareError(f"cannot load {str(path)!r}: {exc}") from exc


def _model_predictions(args, frame, y_true_name):
    feature_names = (
        [c.strip() for c in args.features.split(",") if c.strip()]
        if args.features
        else [c for c in frame.columns if c != y_true_name and c not in args.group]
    )
    for name in feature_names:
        _column(frame, name, "--features", args.data)
    X = frame[feature_names]
    names = ["h1"] + [_candidate_name(p) for p in args.h2_model]
    _unique_names(names, "--h2-model (by file name)")
    labels = {}
    for name, path in zip(names, [args.h1_model, *args.h2_model], strict=True):
        model = _load_model(path, set(args.trust), args.allow_pickle)
        if not hasattr(model, "predict"):
            raise CompareError(
                f"{str(path)!r} holds a {type(model).__name__}, which has no predict."
            )
        # a model fitted on an array warns about a DataFrame's column names
        X_model = X if hasattr(model, "feature_names_in_") else X.to_numpy()
        try:
            predicted = model.predict(X_model)
        except Exception as exc:
            raise CompareError(
                f"{str(path)!r} cannot predict the features {feature_names}: {exc}"
            ) from exc
        labels[name] = pd.Series(np.asarray(predicted), name=name)
    return labels


def _inputs(args):
    """``(y_true, y_ref, {candidate: y_pred}, groups)`` from the options."""
    predictions_mode = args.h1 is not None or bool(args.h2)
    models_mode = args.h1_model is not None or bool(args.h2_model)
    if predictions_mode == models_mode:
        raise CompareError(
            "give either --h1 and --h2 (columns of predictions) or --h1-model and "
            "--h2-model (saved models), not both and not neither."
        )
    frame = _read_table(args.data)
    if frame.empty:
        raise CompareError(f"data file {args.data!r} has no rows.")
    y_true = _column(frame, args.y_true, "--y-true", args.data)
    if predictions_mode:
        if args.h1 is None or not args.h2:
            raise CompareError("predictions mode needs --h1 and at least one --h2.")
        _unique_names([args.h1, *args.h2], "--h1/--h2")
        ref = _column(frame, args.h1, "--h1", args.data)
        candidates = {c: _column(frame, c, "--h2", args.data) for c in args.h2}
    else:
        if args.h1_model is None or not args.h2_model:
            raise CompareError(
                "models mode needs --h1-model and at least one --h2-model."
            )
        predicted = _model_predictions(args, frame, args.y_true)
        ref = predicted.pop("h1")
        candidates = predicted
    labels = _check_label_types(
        {f"--y-true {args.y_true!r}": y_true, "h1": ref, **candidates}
    )
    values = list(labels.values())
    groups = {g: _column(frame, g, "--group", args.data).to_numpy() for g in args.group}
    return values[0], values[1], dict(zip(candidates, values[2:], strict=True)), groups


# -- outputs
def _safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "candidate"


def _planned_outputs(args, candidates, groups):
    out = Path(args.output)
    several = len(candidates) > 1
    suffixes = {c: f"_{_safe_name(c)}" if several else "" for c in candidates}
    plots = {}
    if not args.no_plots:
        plots["compatibility_scatter"] = out / "compatibility_scatter.png"
        for c in candidates:
            plots[("venn", c)] = out / f"error_venn{suffixes[c]}.png"
            plots[("histogram", c)] = (
                out / f"incompatibility_histogram{suffixes[c]}.png"
            )
            for g in groups:
                name = f"group_compatibility_{_safe_name(g)}{suffixes[c]}.png"
                plots[("group", c, g)] = out / name
    paths = [out / TABLE_NAME, *plots.values()]
    if not args.no_report:
        paths.append(out / REPORT_NAME)
    if len(set(paths)) != len(paths):
        raise CompareError(
            "two candidates or groups map to the same output file name; rename "
            "the columns or files so that they differ in letters and digits."
        )
    return plots, paths


def _check_extras(args):
    missing = []
    if not args.no_plots:
        for module in ("matplotlib", "matplotlib_venn"):
            if importlib.util.find_spec(module) is None:
                missing.append(
                    f"{module} (pip install 'sklearn_bc[plot]', or --no-plots)"
                )
    if not args.no_report and importlib.util.find_spec("vl_convert") is None:
        missing.append(
            "vl-convert-python (pip install 'sklearn_bc[report]', or --no-report)"
        )
    if missing:
        raise CompareError("missing packages: " + "; ".join(missing) + ".")


def _report_table(y_true, y_ref, candidates, groups):
    """compatibility_report of every candidate: overall, per class, per group."""
    from .metrics import compatibility_report

    frames = []
    for name, y_pred in candidates.items():
        report = compatibility_report(y_true, y_ref, y_pred)
        frames.append(report.assign(candidate=name, grouping=""))
        for group_name, values in groups.items():
            report = compatibility_report(y_true, y_ref, y_pred, groups=values)
            per_group = report[report["scope"] == "group"]
            frames.append(per_group.assign(candidate=name, grouping=group_name))
    table = pd.concat(frames, ignore_index=True)
    first = ["candidate", "scope", "grouping"]
    return table[first + [c for c in table.columns if c not in first]]


def _draw(plots, y_true, y_ref, candidates, groups):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._plot.groups import GroupCompatibilityDisplay
    from ._plot.histogram import IncompatibilityHistogramDisplay
    from ._plot.scatter import CompatibilityScatterDisplay
    from ._plot.venn import ErrorVennDisplay

    def save(display, path, title):
        display.ax_.set_title(title)
        display.figure_.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(display.figure_)

    save(
        CompatibilityScatterDisplay.from_predictions(y_true, y_ref, candidates),
        plots["compatibility_scatter"],
        "Candidates on the data file: accuracy against BTC",
    )
    for name, y_pred in candidates.items():
        save(
            ErrorVennDisplay.from_predictions(y_true, y_ref, y_pred),
            plots[("venn", name)],
            f"Errors of h1 and of {name}",
        )
        save(
            IncompatibilityHistogramDisplay.from_predictions(y_true, y_ref, y_pred),
            plots[("histogram", name)],
            f"New errors of {name} per true class",
        )
        for group_name, values in groups.items():
            save(
                GroupCompatibilityDisplay.from_predictions(
                    y_true, y_ref, y_pred, groups=values, group_name=group_name
                ),
                plots[("group", name, group_name)],
                f"BTC of {name} per {group_name}",
            )


def _report(path, y_true, y_ref, candidates, groups, data_name):
    from ._explorer import CompatibilityExplorer

    metadata = None
    if groups:
        columns = list(groups.items())
        metadata = [
            "; ".join(f"{g}={values[i]}" for g, values in columns)
            for i in range(len(y_true))
        ]
    explorer = CompatibilityExplorer.from_predictions(
        y_true,
        y_ref,
        candidates,
        instance_metadata=metadata,
        title=f"Backward compatibility of the update in {data_name}",
    )
    explorer.save(path)


def compare(args):
    """Write the analysis described by ``args``; return the files written."""
    y_true, y_ref, candidates, groups = _inputs(args)
    _check_extras(args)
    plots, paths = _planned_outputs(args, candidates, groups)
    existing = [str(p) for p in paths if p.exists()]
    if existing and not args.overwrite:
        raise CompareError(
            f"{len(existing)} output file(s) already exist ({', '.join(existing)}); "
            "pass --overwrite to replace them, or choose another --output."
        )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    table = _report_table(y_true, y_ref, candidates, groups)
    table.to_csv(out / TABLE_NAME, index=False)
    if plots:
        _draw(plots, y_true, y_ref, candidates, groups)
    if not args.no_report:
        _report(
            out / REPORT_NAME, y_true, y_ref, candidates, groups, Path(args.data).name
        )
    return paths
