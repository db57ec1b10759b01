"""The explorer's Vega-Lite specification (plain JSON, no custom JavaScript).

Layout: two scatter plots (BTC and BEC against accuracy) on top; the chosen
point's scores, its error Venn diagram and its incompatible points per class
in the middle; a paginated table of instances at the bottom. Cross-filtering
is all Vega-Lite parameters:

- ``split``, ``dissonance``, ``lambda_min``, ``lambda_max``, ``page``: bound
  to radio buttons, a select box and sliders;
- ``pick``: the clicked scatter point (shared by both scatter plots);
- ``focus``: the clicked Venn region or class bar (shared by both, so the
  latest click wins); its store is read in the instance filter.

The Venn diagram is drawn as a linear (one-dimensional) Venn diagram: one
bar split into h1-only (green), shared (yellow) and h2-only (red) errors,
widths proportional to the counts, with brackets marking each model's
errors. Unlike two circles, its areas are exact.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._tables import REGIONS

REGION_COLORS = ("#2ca02c", "#f2c80f", "#d62728")
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


def _in_point(extra=()):
    """Filters: the chosen split and the picked point."""
    return [
        {"filter": "datum.s === split"},
        {"filter": {"param": "pick", "empty": False}},
        *extra,
    ]


def _scatter(score, title):
    points_filter = (
        "datum.s === split && (dissonance === 'all' || "
        "datum.dissonance === dissonance) && (!isValid(datum.lambda_c) || "
        "(datum.lambda_c >= lambda_min && datum.lambda_c <= lambda_max))"
    )
    tooltip = [
        {"field": "label", "title": "model"},
        {"field": "dissonance_name", "title": "dissonance"},
        {"field": "lambda_c", "format": ".3f"},
        *(
            {"field": f, "format": ".4f"}
            for f in ("accuracy", "btc", "bec", "nfr", "pfr")
        ),
    ]
    return {
        "title": title,
        "width": 330,
        "height": 260,
        "data": {"name": "points"},
        "transform": [{"filter": points_filter}],
        "layer": [
            {
                "name": f"{score}_scatter",
                "mark": {"type": "point", "filled": True, "cursor": "pointer"},
                "encoding": {
                    "x": {
                        "field": score,
                        "type": "quantitative",
                        "title": score.upper(),
                        "scale": {"zero": False},
                    },
                    "y": {
                        "field": "accuracy",
                        "type": "quantitative",
                        "title": "h2 accuracy",
                        "scale": {"zero": False},
                    },
                    "color": {
                        "field": "dissonance_name",
                        "type": "nominal",
                        "title": "dissonance",
                    },
                    "shape": {"field": "dissonance_name", "type": "nominal"},
                    "size": {
                        "condition": {"param": "pick", "empty": False, "value": 220},
                        "value": 70,
                    },
                    "stroke": {
                        "condition": {
                            "param": "pick",
                            "empty": False,
                            "value": "black",
                        },
                        "value": None,
                    },
                    "tooltip": tooltip,
                    "description": {"field": "aria"},
                },
                "transform": [
                    {
                        "calculate": (
                            f"'point ' + datum.p + ' ' + datum.s + ' "
                            f"{score} ' + format(datum.{score}, '.4f')"
                        ),
                        "as": "aria",
                    }
                ],
            },
            {
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "gray"},
                "encoding": {
                    "y": {
                        "aggregate": "mean",
                        "field": "reference_accuracy",
                        "type": "quantitative",
                    },
                    "tooltip": {
                        "aggregate": "mean",
                        "field": "reference_accuracy",
                        "type": "quantitative",
                        "format": ".4f",
                        "title": "h1 accuracy",
                    },
                },
            },
        ],
    }


def _details():
    return {
        "title": "Chosen point",
        "name": "details_view",
        "width": 300,
        "height": {"step": 18},
        "data": {"name": "details"},
        "transform": _in_point(),
        "encoding": {"y": {"field": "k", "type": "ordinal", "axis": None}},
        "layer": [
            {
                "name": "details_name",
                "mark": {"type": "text", "align": "left"},
                "encoding": {"x": {"value": 0}, "text": {"field": "name"}},
            },
            {
                "name": "details_value",
                "mark": {"type": "text", "align": "right", "fontWeight": "bold"},
                "encoding": {"x": {"value": 300}, "text": {"field": "v"}},
            },
        ],
    }


def _venn():
    x = {
        "field": "x0",
        "type": "quantitative",
        "axis": None,
        "scale": {"domain": [0, 1]},
    }
    return {
        "title": "Errors: h1 only, both, h2 only (click a region)",
        "width": 360,
        "height": 120,
        "layer": [
            {
                "name": "venn_view",
                "data": {"name": "venn"},
                "transform": _in_point(),
                "mark": {"type": "rect", "cursor": "pointer", "stroke": "white"},
                "encoding": {
                    "x": x,
                    "x2": {"field": "x1"},
                    "y": {"value": 40},
                    "y2": {"value": 80},
                    "color": {
                        "field": "r",
                        "type": "nominal",
                        "title": "errors",
                        "scale": {
                            "domain": list(REGIONS),
                            "range": list(REGION_COLORS),
                        },
                        "legend": {"orient": "bottom"},
                    },
                    "opacity": {
                        "condition": {"param": "focus", "empty": True, "value": 1},
                        "value": 0.35,
                    },
                    "tooltip": [
                        {"field": "r", "title": "region"},
                        {"field": "n", "title": "count"},
                        {"field": "pct", "format": ".1f", "title": "%"},
                    ],
                    "description": {"field": "r"},
                },
            },
            {
                "data": {"name": "venn"},
                "transform": _in_point(
                    [
                        {"filter": "datum.n > 0"},
                        {
                            "calculate": (
                                "datum.n + ' (' + format(datum.pct, '.1f') + '%)'"
                            ),
                            "as": "label",
                        },
                        {"calculate": "(datum.x0 + datum.x1) / 2", "as": "xm"},
                    ]
                ),
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "x": {**x, "field": "xm"},
                    "y": {"value": 60},
                    "text": {"field": "label"},
                },
            },
            {
                "data": {"name": "brackets"},
                "transform": _in_point(),
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "x2": {"field": "x1"},
                    "y": {
                        "field": "y",
                        "type": "ordinal",
                        "axis": None,
                        "scale": {"domain": [0, 1], "range": [36, 84]},
                    },
                },
            },
            {
                "data": {"name": "brackets"},
                "transform": _in_point(
                    [{"calculate": "(datum.x0 + datum.x1) / 2", "as": "xm"}]
                ),
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "x": {**x, "field": "xm"},
                    "y": {
                        "field": "y",
                        "type": "ordinal",
                        "axis": None,
                        "scale": {"domain": [0, 1], "range": [16, 104]},
                    },
                    "text": {"field": "text"},
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def _class_bars():
    return {
        "title": "Incompatible points per class (click a bar)",
        "name": "classes_view",
        "width": 300,
        "height": 160,
        "data": {"name": "classes"},
        "transform": _in_point(),
        "mark": {"type": "bar", "color": REGION_COLORS[2], "cursor": "pointer"},
        "encoding": {
            "x": {
                "field": "t",
                "type": "ordinal",
                "title": "true class",
                "sort": {"field": "o"},
            },
            "y": {
                "field": "n",
                "type": "quantitative",
                "title": "h1 right, h2 wrong",
                "axis": {"tickMinStep": 1},
            },
            "opacity": {
                "condition": {"param": "focus", "empty": True, "value": 1},
                "value": 0.35,
            },
            "tooltip": [
                {"field": "t", "title": "class"},
                {"field": "n", "title": "incompatible"},
            ],
            "description": {"field": "t"},
        },
    }


# the latest click on a Venn region (t == "all") or a class bar (t == class),
# read from the selection's public value: {r: [region], t: [class or "all"]}
_FOCUS = (
    "isValid(focus) && isArray(focus.r) && datum.r === focus.r[0] && "
    "(focus.t[0] === 'all' || datum.t === focus.t[0])"
)


def _instance_table(page_size, has_meta, has_images):
    columns = [("i", "id"), ("t", "true"), ("a", "h1"), ("b", "h2")]
    x, xs = 0, {}
    for field, _ in columns:
        xs[field] = x
        x += 60
    if has_images:
        xs["img"] = x
        x += 50
    if has_meta:
        xs["meta"] = x
        x += 300
    headers = [{"x": xs[f], "h": h} for f, h in columns]
    if has_images:
        headers.append({"x": xs["img"], "h": "image"})
    if has_meta:
        headers.append({"x": xs["meta"], "h": "metadata"})
    y = {
        "field": "pos",
        "type": "quantitative",
        "axis": None,
        "scale": {"domain": [-2, page_size], "range": [0, 30 * (page_size + 2)]},
    }
    layers = [
        {
            "data": {"values": headers},
            "mark": {"type": "text", "align": "left", "fontWeight": "bold"},
            "encoding": {
                "x": {"field": "x", "type": "quantitative", "scale": None},
                "y": {"value": 30},
                "text": {"field": "h"},
            },
        },
        {
            "name": "instances_status",
            "transform": [
                {"aggregate": [{"op": "max", "field": "total", "as": "total"}]},
                {
                    "calculate": (
                        f"'rows ' + (page * {page_size} + 1) + '-' + "
                        f"min((page + 1) * {page_size}, datum.total) + ' of ' + "
                        "datum.total"
                    ),
                    "as": "status",
                },
            ],
            "mark": {"type": "text", "align": "left", "color": "gray"},
            "encoding": {
                "x": {"value": 0},
                "y": {"value": 8},
                "text": {"field": "status"},
            },
        },
    ]
    for field, _ in columns:
        layers.append(
            {
                "name": f"instances_{field}",
                "mark": {"type": "text", "align": "left"},
                "encoding": {
                    "x": {"value": xs[field]},
                    "y": y,
                    "text": {"field": field},
                },
            }
        )
    if has_images:
        layers.append(
            {
                "name": "instances_img",
                "transform": [{"filter": "isValid(datum.img)"}],
                "mark": {
                    "type": "image",
                    "width": 26,
                    "height": 26,
                    "smooth": False,
                    "align": "left",
                },
                "encoding": {
                    "x": {"value": xs["img"]},
                    "y": y,
                    "url": {"field": "img"},
                },
            }
        )
    if has_meta:
        layers.append(
            {
                "name": "instances_meta",
                "mark": {"type": "text", "align": "left", "limit": 290},
                "encoding": {
                    "x": {"value": xs["meta"]},
                    "y": y,
                    "text": {"field": "meta"},
                },
            }
        )
    return {
        "title": {
            "text": "Instances of the clicked Venn region or class bar",
            "subtitle": "double-click a chart to clear the choice",
        },
        "width": x,
        "height": 30 * (page_size + 2),
        "data": {"name": "errors"},
        "transform": [
            {"filter": "datum.s === split"},
            {"filter": {"param": "pick", "empty": False}},
            {"filter": _FOCUS},
            {"window": [{"op": "row_number", "as": "row"}], "sort": [{"field": "i"}]},
            {"joinaggregate": [{"op": "count", "as": "total"}]},
            {"calculate": f"datum.row - 1 - page * {page_size}", "as": "pos"},
            {"filter": f"datum.pos >= 0 && datum.pos < {page_size}"},
            {"calculate": "datum.s + ':' + datum.i", "as": "key"},
            {
                "lookup": "key",
                "from": {
                    "data": {"name": "instances"},
                    "key": "key",
                    "fields": ["meta", "img"],
                },
            },
        ],
        "layer": layers,
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
                    _scatter("btc", "Backward trust compatibility"),
                    _scatter("bec", "Backward error compatibility"),
                ]
            },
            {"hconcat": [_details(), _venn(), _class_bars()], "spacing": 40},
            _instance_table(page_size, has_meta, has_images),
        ],
        "resolve": {"scale": {"color": "independent", "shape": "independent"}},
        "config": {"view": {"stroke": None}},
    }
