"""The explorer's views: Vega-Lite view specifications, one function each.

Every view reads the inlined datasets by name (see ``_spec._datasets``) and
the parameters that ``_spec.build_spec`` declares (``split``, ``pick``,
``focus``, ``dissonance``, ``lambda_min``, ``lambda_max``, ``page``).

The Venn diagram is drawn as a linear (one-dimensional) Venn diagram: one
bar split into h1-only (green), shared (yellow) and h2-only (red) errors,
widths proportional to the counts, with brackets marking each model's
errors. Unlike two circles, its areas are exact.
"""

from __future__ import annotations

from ._tables import REGIONS

REGION_COLORS = ("#2ca02c", "#f2c80f", "#d62728")


def in_point(extra=()):
    """Filters: the chosen split and the picked point."""
    return [
        {"filter": "datum.s === split"},
        {"filter": {"param": "pick", "empty": False}},
        *extra,
    ]


def scatter_view(score, title):
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


def details_view():
    return {
        "title": "Chosen point",
        "name": "details_view",
        "width": 300,
        "height": {"step": 18},
        "data": {"name": "details"},
        "transform": in_point(),
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


def venn_view():
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
                "transform": in_point(),
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
                "transform": in_point(
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
                "transform": in_point(),
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
                "transform": in_point(
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


def class_bars_view():
    return {
        "title": "Incompatible points per class (click a bar)",
        "name": "classes_view",
        "width": 300,
        "height": 160,
        "data": {"name": "classes"},
        "transform": in_point(),
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
FOCUS = (
    "isValid(focus) && isArray(focus.r) && datum.r === focus.r[0] && "
    "(focus.t[0] === 'all' || datum.t === focus.t[0])"
)


def instance_table_view(page_size, has_meta, has_images):
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
            {"filter": FOCUS},
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
