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

from ._tables import REGIONS
from ._views import (
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
SCORE_FIELDS = ("accuracy", "btc", "bec", "nfr", "pfr", "reference_accuracy")


def format_value(value):
    """How the details table writes a number (tests compare against this)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "undefined"
    return f"{value:.4f}"


def _records(frame):
    """JSON-ready records: NaN becomes null, numpy scalars Python ones."""
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _datasets(points, errors, instances, classes):
    points = points.copy()
    points["diff"] = points["accuracy"] - points["reference_accuracy"]
    points["dissonance_name"] = points["dissonance"].map(
        lambda d: DISSONANCE_NAMES.get(d, d)
    )
    scatter = points[
        ["point_id", "label", "dissonance", "dissonance_name", "lambda_c", "split"]
        + list(SCORE_FIELDS)
    ].rename(columns={"point_id": "p", "split": "s"})
    details, venn, brackets, per_class = [], [], [], []
    class_names = [str(c) for c in classes]
    for row in points.itertuples(index=False):
        key = {"p": row.point_id, "s": row.split}
        cells = [("model", row.label), ("dissonance", row.dissonance_name)]
        cells += [(name, format_value(getattr(row, f))) for name, f in DETAIL_ROWS]
        details += [
            {**key, "k": k, "name": n, "v": v} for k, (n, v) in enumerate(cells)
        ]
        counts = (row.n_h1_only, row.n_both, row.n_h2_only)
        union = max(sum(counts), 1)
        start = 0
        for region, count in zip(REGIONS, counts, strict=True):
            venn.append(
                {
                    **key,
                    "r": region,
                    "t": "all",
                    "n": int(count),
                    "pct": 100.0 * count / union,
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
                "text": f"h1 errors: {h1_errors}",
            }
        )
        brackets.append(
            {
                **key,
                "x0": counts[0] / union,
                "x1": 1.0,
                "y": 1,
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


def build_spec(points, errors, instances, classes, *, title, page_size):
    """The whole Vega-Lite specification, data inlined."""
    datasets = _datasets(points, errors, instances, classes)
    splits = [s for s in ("test", "train") if s in set(points["split"])]
    dissonances = sorted(set(points["dissonance"]))
    lambdas = points["lambda_c"].dropna()
    low = float(min(lambdas.min(), 0.0)) if len(lambdas) else 0.0
    high = float(max(lambdas.max(), 1.0)) if len(lambdas) else 1.0
    largest = errors.groupby(["point_id", "split"]).size().max() if len(errors) else 0
    n_pages = max(1, math.ceil(largest / page_size))
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
            },
        },
        {
            "name": "pick",
            "views": ["btc_scatter", "bec_scatter"],
            "select": {
                "type": "point",
                "fields": ["p"],
                "toggle": False,
                "clear": "dblclick",
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
                    scatter_view("btc", "Backward trust compatibility"),
                    scatter_view("bec", "Backward error compatibility"),
                ]
            },
            {
                "hconcat": [details_view(), venn_view(), class_bars_view()],
                "spacing": 40,
            },
            instance_table_view(page_size, has_meta, has_images),
        ],
        "resolve": {"scale": {"color": "independent", "shape": "independent"}},
        "config": {"view": {"stroke": None}},
    }
