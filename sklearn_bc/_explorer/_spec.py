"""The explorer's Vega-Lite specification (plain JSON, no custom JavaScript).

Layout: two scatter plots (BTC and BEC against accuracy) on top; the chosen
point's scores, its error Venn diagram and its incompatible points per class
in the middle; a paginated table of instances at the bottom. Cross-filtering
is all Vega-Lite parameters:

- ``split``, ``dissonance``, ``lambda_min``, ``lambda_max``, ``page``: bound
  to radio buttons, a select box and sliders;
- ``pick``: the clicked scatter point (shared by both scatter plots);
- ``focus``: the clicked Venn region or class bar (shared by both, so the
  latest click wins); its value filters the instance table.

This module prepares the inlined datasets and declares the parameters; the
views themselves are in ``_views``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._tables import INTERVAL_METRICS, REGIONS
from ._views import (
    PAGER_ELEMENT,
    class_bars_view,
    details_view,
    instance_table_view,
    scatter_view,
    venn_view,
)

DISSONANCE_NAMES = {"new_error": "new error", "strict_imitation": "strict imitation"}
SPLIT_NAMES = {"test": "testing", "train": "training"}
DETAIL_ROWS = (
    ("BTC", "btc"),
    ("BEC", "bec"),
    ("h1 accuracy", "reference_accuracy"),
    ("h2 accuracy", "accuracy"),
    ("accuracy difference (h2 - h1)", "diff"),
    ("lambda_c", "lambda_c"),
    ("NFR", "nfr"),
    ("PFR", "pfr"),
)
REGION_CAPTIONS = (
    "h1 only (fixed by h2)",
    "both wrong",
    "h2 only (new errors)",
)
SCORE_FIELDS = ("accuracy", "btc", "bec", "nfr", "pfr", "reference_accuracy")


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value, low=None, high=None):
    """How the details table writes a number (tests compare against this).

    With both ends of a confidence interval: ``"0.985 [0.974, 0.993]"``.
    """
    if _missing(value):
        return "undefined"
    if _missing(low) or _missing(high):
        return f"{value:.4f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _detail_cells(row):
    """(name, text) of the details table for one row of the points table."""
    cells = [("model", row.label), ("dissonance", row.dissonance_name)]
    for name, field in DETAIL_ROWS:
        value = getattr(row, field)
        metric = INTERVAL_METRICS.get(field)
        if metric is None:
            cells.append((name, format_value(value)))
        else:
            low, high = (getattr(row, f"{metric}_{end}") for end in ("low", "high"))
            cells.append((name, format_value(value, low, high)))
    if not _missing(row.confidence_level):
        level = f"{100 * row.confidence_level:g}%"
        cells.append(("intervals", f"{level}, paired bootstrap"))
    return cells


def _records(frame):
    """JSON-ready records: NaN becomes null, numpy scalars Python ones."""
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _datasets(points, errors, instances, classes, selected):
    points = points.copy()
    points["sel"] = points["point_id"] == selected
    points["diff"] = points["accuracy"] - points["reference_accuracy"]
    points["dissonance_name"] = points["dissonance"].map(
        lambda d: DISSONANCE_NAMES.get(d, d)
    )
    scatter = points[
        ["point_id", "label", "dissonance", "dissonance_name", "lambda_c", "split"]
        + list(SCORE_FIELDS)
        + ["sel"]
    ].rename(columns={"point_id": "p", "split": "s"})
    details, venn, brackets, per_class = [], [], [], []
    class_names = [str(c) for c in classes]
    for row in points.itertuples(index=False):
        key = {"p": row.point_id, "s": row.split}
        cells = _detail_cells(row)
        details += [
            {**key, "k": k, "name": n, "v": v} for k, (n, v) in enumerate(cells)
        ]
        counts = (row.n_h1_only, row.n_both, row.n_h2_only)
        union = max(sum(counts), 1)
        start = 0
        for order, (region, count) in enumerate(zip(REGIONS, counts, strict=True)):
            venn.append(
                {
                    **key,
                    "r": region,
                    "t": "all",
                    "o": order,
                    "caption": REGION_CAPTIONS[order],
                    "n": int(count),
                    "total": int(row.n),
                    # of all rows of the split, as ErrorVennDisplay's percents
                    "pct": 100.0 * count / max(int(row.n), 1),
                    "x0": start / union,
                    "x1": (start + count) / union,
                }
            )
            start += count
        h1_errors, h2_errors = counts[0] + counts[1], counts[1] + counts[2]
        brackets.append(
            {
                **key,
                "x0": 0.0,
                "x1": h1_errors / union,
                "y": 0,
                "yp": 20,
                "ty": 9,
                "text": f"h1 errors: {h1_errors}",
            }
        )
        brackets.append(
            {
                **key,
                "x0": counts[0] / union,
                "x1": 1.0,
                "y": 1,
                "yp": 64,
                "ty": 76,
                "text": f"h2 errors: {h2_errors}",
            }
        )
    incompatible = errors[
        (errors["y_ref"] == errors["y_true"]) & (errors["y_pred"] != errors["y_true"])
    ]
    counted = (
        incompatible.assign(t=incompatible["y_true"].astype(str))
        .groupby(["point_id", "split", "t"])
        .size()
    )
    for row in points.itertuples(index=False):
        for order, name in enumerate(class_names):
            n = counted.get((row.point_id, row.split, name), 0)
            per_class.append(
                {
                    "p": row.point_id,
                    "s": row.split,
                    "r": REGIONS[2],
                    "t": name,
                    "o": order,
                    "n": int(n),
                }
            )
    ref_right = errors["y_ref"] == errors["y_true"]
    pred_right = errors["y_pred"] == errors["y_true"]
    region = np.where(
        ref_right, REGIONS[2], np.where(pred_right, REGIONS[0], REGIONS[1])
    )
    rows = pd.DataFrame(
        {
            "p": errors["point_id"],
            "s": errors["split"],
            "i": errors["instance_id"],
            "t": errors["y_true"].astype(str),
            "a": errors["y_ref"].astype(str),
            "b": errors["y_pred"].astype(str),
            "r": region,
        }
    ).sort_values(["p", "s", "i"])
    info = pd.DataFrame(
        {
            "key": instances["split"] + ":" + instances["instance_id"].astype(str),
            "meta": instances["metadata"],
            "img": instances["image"],
        }
    )
    return {
        "points": _records(scatter),
        "details": details,
        "venn": venn,
        "brackets": brackets,
        "classes": per_class,
        "errors": _records(rows),
        "instances": _records(info),
    }


def _count_ticks(per_class):
    """Integer ticks of the class bars' count axis, for each split."""
    ticks = {}
    for split in SPLIT_NAMES:
        top = max((r["n"] for r in per_class if r["s"] == split), default=0)
        step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9)
                    if max(top, 1) / s <= 6)  # fmt: skip
        ticks[split] = list(range(0, max(top, 1) + step, step))
    return ticks


def _label_width(classes):
    """Pixels for a class-name column of the instance table."""
    longest = max((len(str(c)) for c in classes), default=1)
    return int(min(max(7 * longest + 16, 48), 170))


def build_spec(points, errors, instances, classes, *, title, page_size, selected):
    """The whole Vega-Lite specification, data inlined.

    ``selected`` is the point_id the page opens on, ringed in both scatter
    plots (None: the first point, not ringed).
    """
    datasets = _datasets(points, errors, instances, classes, selected)
    splits = [s for s in ("test", "train") if s in set(points["split"])]
    dissonances = sorted(set(points["dissonance"]))
    lambdas = points["lambda_c"].dropna()
    low = float(min(lambdas.min(), 0.0)) if len(lambdas) else 0.0
    high = float(max(lambdas.max(), 1.0)) if len(lambdas) else 1.0
    largest = errors.groupby(["point_id", "split"]).size().max() if len(errors) else 0
    n_pages = max(1, math.ceil(largest / page_size))
    if selected is not None:
        first = int(selected)
    else:
        first = int(points["point_id"].min()) if len(points) else 0
    params = [
        {
            "name": "split",
            "value": splits[0] if splits else "test",
            "bind": {
                "input": "radio",
                "options": splits,
                "labels": [SPLIT_NAMES[s] for s in splits],
                "name": "data split ",
            },
        },
        {
            "name": "dissonance",
            "value": "all",
            "bind": {
                "input": "select",
                "options": ["all", *dissonances],
                "labels": ["all", *(DISSONANCE_NAMES.get(d, d) for d in dissonances)],
                "name": "dissonance ",
            },
        },
        {
            "name": "lambda_min",
            "value": low,
            "bind": {
                "input": "range",
                "min": low,
                "max": high,
                "step": 0.01,
                "name": "lambda_c from ",
            },
        },
        {
            "name": "lambda_max",
            "value": high,
            "bind": {
                "input": "range",
                "min": low,
                "max": high,
                "step": 0.01,
                "name": "lambda_c to ",
            },
        },
        {
            "name": "page",
            "value": 0,
            "bind": {
                "input": "range",
                "min": 0,
                "max": n_pages - 1,
                "step": 1,
                "name": "instance page ",
                "element": PAGER_ELEMENT,
            },
        },
        {
            "name": "pick",
            "views": ["btc_scatter", "bec_scatter"],
            "select": {
                "type": "point",
                "fields": ["p"],
                "toggle": False,
                # a model stays chosen: a double-click (which clears the
                # instance choice) must not blank the details, Venn and bars
                "clear": False,
            },
            "value": [{"p": first}],
        },
        {
            "name": "focus",
            "views": ["venn_view", "classes_view"],
            "select": {
                "type": "point",
                "fields": ["r", "t"],
                "toggle": False,
                "clear": "dblclick",
            },
        },
    ]
    ringed = selected is not None
    bars = class_bars_view(len(classes), _count_ticks(datasets["classes"]))
    if len(classes) <= 12:
        middle = [{"hconcat": [details_view(), venn_view(), bars], "spacing": 40}]
    else:  # many classes: the bars get a row of their own
        middle = [{"hconcat": [details_view(), venn_view()], "spacing": 40}, bars]
    has_meta = any(v is not None for v in instances["metadata"])
    has_images = any(v is not None for v in instances["image"])
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": title, "anchor": "start", "fontSize": 18},
        "params": params,
        "datasets": datasets,
        "vconcat": [
            {
                "hconcat": [
                    scatter_view(
                        "btc", "Backward trust compatibility", has_selected=ringed
                    ),
                    scatter_view(
                        "bec", "Backward error compatibility", has_selected=ringed
                    ),
                ]
            },
            *middle,
            instance_table_view(page_size, has_meta, has_images, _label_width(classes)),
        ],
        "resolve": {"scale": {"color": "independent", "shape": "independent"}},
        # the instance table is as tall as the rows shown: re-layout on change
        "autosize": {"type": "pad", "resize": True},
        "config": {"view": {"stroke": None}},
    }
