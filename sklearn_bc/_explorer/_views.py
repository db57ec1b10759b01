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
SELECTED_COLOR = "#9467bd"
DETAILS_WIDTH = 360
VENN_WIDTH = 360


def in_point(extra=()):
    """Filters: the chosen split and the picked point."""
    return [
        {"filter": "datum.s === split"},
        {"filter": {"param": "pick", "empty": False}},
        *extra,
    ]


# the split the scatter plots and tables show, for axis titles and captions
SPLIT_TEXT = "split === 'test' ? 'testing split' : 'training split'"
SPLIT_CAPTION = (
    "split === 'test' ? 'testing split (held out)' : 'training split (fit "
    "on it, labels as given)'"
)
SCATTER_WIDTH, SCATTER_HEIGHT = 330, 260


def _axis_title(text, *, x, y, angle=0, split_text=SPLIT_TEXT):
    """An axis title that names the chosen split.

    Vega-Lite's axis titles are fixed strings; this text mark follows the
    ``split`` parameter.
    """
    return {
        "data": {"values": [{}]},
        "transform": [{"calculate": f"{text} + ', ' + ({split_text})", "as": "t"}],
        "mark": {
            "type": "text",
            "fontWeight": "bold",
            "fontSize": 11,
            "angle": angle,
            "baseline": "middle",
        },
        "encoding": {
            "x": {"value": x},
            "y": {"value": y},
            "text": {"field": "t"},
        },
    }


def scatter_view(score, title, *, has_selected=False):
    """One scatter plot of a score against h2's accuracy, a point per model."""
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
    # points on the domain's edge stay whole: pad the scales in pixels
    scale = {"zero": False, "padding": 14, "nice": False}
    # with one model the domain is a single value, whose tick Vega formats
    # with no decimals (a BTC of 0.96 read "1"): three decimals at most
    axis = {"format": ".3~f"}
    x = {"field": score, "type": "quantitative", "title": None, "scale": scale,
         "axis": axis}  # fmt: skip
    y = {"field": "accuracy", "type": "quantitative", "title": None,
         "scale": scale, "axis": axis}  # fmt: skip
    legend = "dashed line: h1's accuracy"
    if has_selected:
        legend += "; purple ring: the selected model"
    return {
        "title": {"text": title, "subtitle": legend, "subtitleFontSize": 10},
        "width": SCATTER_WIDTH,
        "height": SCATTER_HEIGHT,
        "data": {"name": "points"},
        "transform": [{"filter": points_filter}],
        "layer": [
            {
                "name": f"{score}_scatter",
                "mark": {
                    "type": "point",
                    "filled": True,
                    "cursor": "pointer",
                    "clip": False,
                },
                "encoding": {
                    "x": x,
                    "y": y,
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
                    # the selected model (a selection rule's, or the search's
                    # best_index_) keeps its ring when another point is chosen
                    "stroke": {
                        "condition": [
                            {"test": "datum.sel", "value": SELECTED_COLOR},
                            {"param": "pick", "empty": False, "value": "black"},
                        ],
                        "value": None,
                    },
                    "strokeWidth": {
                        "condition": {"test": "datum.sel", "value": 3},
                        "value": 1.5,
                    },
                    "tooltip": tooltip,
                    "description": {"field": "aria"},
                },
                "transform": [
                    {
                        "calculate": (
                            f"'point ' + datum.p + ' ' + datum.s + ' "
                            f"{score} ' + format(datum.{score}, '.4f') + "
                            "(datum.sel ? ' selected' : '')"
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
            _axis_title(
                f"'{score.upper()}'",
                x=SCATTER_WIDTH / 2,
                y=SCATTER_HEIGHT + 34,
                split_text=SPLIT_CAPTION,
            ),
            _axis_title("'h2 accuracy'", x=-48, y=SCATTER_HEIGHT / 2, angle=270),
        ],
    }


def details_view():
    return {
        "title": "Chosen point",
        "name": "details_view",
        "width": DETAILS_WIDTH,
        "height": {"step": 18},
        "data": {"name": "details"},
        "transform": in_point(),
        "encoding": {"y": {"field": "k", "type": "ordinal", "axis": None}},
        "layer": [
            {
                "name": "details_name",
                "mark": {"type": "text", "align": "left", "limit": 180},
                "encoding": {"x": {"value": 0}, "text": {"field": "name"}},
            },
            {
                "name": "details_value",
                "mark": {
                    "type": "text",
                    "align": "right",
                    "fontWeight": "bold",
                    "limit": DETAILS_WIDTH - 190,
                },
                "encoding": {"x": {"value": DETAILS_WIDTH}, "text": {"field": "v"}},
            },
        ],
    }


def _pixels(field):
    """An encoding that reads pixel positions from ``field`` (no scale)."""
    return {"field": field, "type": "quantitative", "scale": None, "axis": None}


def venn_view():
    """The linear Venn bar, its two brackets and one caption row per region.

    Positions are in pixels, so that no label can run into the bar or another
    label however small a region is: the counts and percents are written in
    rows below the bar, in-bar counts only where they fit.
    """
    x = {
        "field": "x0",
        "type": "quantitative",
        "axis": None,
        "scale": {"domain": [0, 1], "range": [0, VENN_WIDTH]},
    }
    bar_top, bar_bottom = 24, 60
    return {
        "title": {
            "text": "Errors: h1 only, both, h2 only (click a region)",
            "subtitle": "percents of all rows of the chosen split",
            "subtitleFontSize": 10,
        },
        "width": VENN_WIDTH,
        "height": 150,
        "layer": [
            {
                "name": "venn_view",
                "data": {"name": "venn"},
                "transform": in_point(),
                "mark": {"type": "rect", "cursor": "pointer", "stroke": "white"},
                "encoding": {
                    "x": x,
                    "x2": {"field": "x1"},
                    "y": {"value": bar_top},
                    "y2": {"value": bar_bottom},
                    "color": {
                        "field": "r",
                        "type": "nominal",
                        "scale": {
                            "domain": list(REGIONS),
                            "range": list(REGION_COLORS),
                        },
                        "legend": None,
                    },
                    "opacity": {
                        "condition": {"param": "focus", "empty": True, "value": 1},
                        "value": 0.35,
                    },
                    "tooltip": [
                        {"field": "r", "title": "region"},
                        {"field": "n", "title": "count"},
                        {"field": "pct", "format": ".1f", "title": "% of all rows"},
                    ],
                    "description": {"field": "r"},
                },
            },
            {
                "name": "venn_count",
                "data": {"name": "venn"},
                "transform": in_point(
                    [
                        {"calculate": "'' + datum.n", "as": "label"},
                        # only where the count fits inside its region
                        {
                            "filter": f"(datum.x1 - datum.x0) * {VENN_WIDTH} >= "
                            "7 * length(datum.label) + 8"
                        },
                        {"calculate": "(datum.x0 + datum.x1) / 2", "as": "xm"},
                    ]
                ),
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "x": {**x, "field": "xm"},
                    "y": {"value": (bar_top + bar_bottom) / 2},
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
                    "y": _pixels("yp"),
                },
            },
            # h1's bracket starts at the left edge, h2's ends at the right one:
            # each label is aligned on that edge, so it stays in the chart
            *(
                {
                    "name": f"venn_{which}_errors",
                    "data": {"name": "brackets"},
                    "transform": in_point([{"filter": f"datum.y === {y}"}]),
                    "mark": {"type": "text", "fontSize": 10, "align": align},
                    "encoding": {
                        "x": {**x, "field": field},
                        "y": _pixels("ty"),
                        "text": {"field": "text"},
                    },
                }
                for which, y, align, field in (
                    ("h1", 0, "left", "x0"),
                    ("h2", 1, "right", "x1"),
                )
            ),
            {
                "data": {"name": "venn"},
                "transform": in_point(
                    [{"calculate": f"{bar_bottom + 38} + 17 * datum.o", "as": "yp"}]
                ),
                "mark": {"type": "square", "size": 100},
                "encoding": {
                    "x": {"value": 6},
                    "y": _pixels("yp"),
                    "color": {
                        "field": "r",
                        "type": "nominal",
                        "scale": {
                            "domain": list(REGIONS),
                            "range": list(REGION_COLORS),
                        },
                        "legend": None,
                    },
                },
            },
            {
                "name": "venn_caption",
                "data": {"name": "venn"},
                "transform": in_point(
                    [
                        {"calculate": f"{bar_bottom + 38} + 17 * datum.o", "as": "yp"},
                        {
                            "calculate": (
                                "datum.caption + ': ' + datum.n + ' (' + "
                                "format(datum.pct, '.1f') + '% of ' + datum.total "
                                "+ ' rows)'"
                            ),
                            "as": "line",
                        },
                    ]
                ),
                "mark": {"type": "text", "align": "left", "fontSize": 11},
                "encoding": {
                    "x": {"value": 16},
                    "y": _pixels("yp"),
                    "text": {"field": "line"},
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def class_bars_view(n_classes, ticks):
    """Incompatible points per true class; wider with many classes.

    ``ticks`` maps each split to the integer ticks of its count axis: one
    domain per split, so that bars compare across the points of a split.
    """
    by_split = {s: ticks.get(s, [0, 1]) for s in ("test", "train")}
    domain = (
        f"split === 'test' ? [0, {by_split['test'][-1]}] : [0, {by_split['train'][-1]}]"
    )
    values = f"split === 'test' ? {by_split['test']} : {by_split['train']}"
    return {
        "title": "Incompatible points per class (click a bar)",
        "name": "classes_view",
        "width": max(300, 16 * n_classes),
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
                "axis": {"labelLimit": 110, "labelOverlap": True},
            },
            "y": {
                "field": "n",
                "type": "quantitative",
                "title": "h1 right, h2 wrong (count)",
                "stack": None,
                # counts: integer ticks only, and an axis even when all are 0
                "axis": {"values": {"expr": values}, "format": "d"},
                "scale": {"domain": {"expr": domain}},
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


PAGER_ELEMENT = "#sklearn-bc-explorer-pager"
IMAGE_SIZE = 56


def instance_table_view(page_size, has_meta, has_images, label_width=60):
    """The instances of the focused region or class, one page at a time.

    The page slider (bound below the table) cannot know how many rows the
    current choice has, so the table clamps it: past the end, the last page
    is shown and the status line says so.
    """
    row_height = IMAGE_SIZE + 6 if has_images else 24
    columns = [("i", "id", 60), ("t", "true", label_width)]
    columns += [("a", "h1", label_width), ("b", "h2", label_width)]
    x, xs = 0, {}
    for field, _, width in columns:
        xs[field] = x
        x += width
    if has_images:
        xs["img"] = x
        x += IMAGE_SIZE + 20
    if has_meta:
        xs["meta"] = x
        x += 300
    headers = [{"x": xs[f], "h": h} for f, h, _ in columns]
    if has_images:
        headers.append({"x": xs["img"], "h": "image"})
    if has_meta:
        headers.append({"x": xs["meta"], "h": "metadata"})
    # one step per row shown: the view is as tall as the page's rows, so the
    # page slider below it stays next to the last row; the status line and
    # the headers sit above the plot area (negative y), under the title
    top = 50
    y = {"field": "pos", "type": "ordinal", "axis": None, "scale": {"padding": 0.5}}
    layers = [
        {
            "data": {"values": headers},
            "mark": {"type": "text", "align": "left", "fontWeight": "bold"},
            "encoding": {
                "x": {"field": "x", "type": "quantitative", "scale": None},
                "y": {"value": -14},
                "text": {"field": "h"},
            },
        },
        {
            "name": "instances_hint",
            "data": {"values": [{}]},
            "transform": [{"filter": "!isValid(focus) || !isArray(focus.r)"}],
            "mark": {"type": "text", "align": "left", "color": "gray"},
            "encoding": {
                "x": {"value": 0},
                "y": {"value": 8 - top},
                "text": {
                    "value": "click a Venn region or a class bar to list its instances"
                },
            },
        },
        {
            "name": "instances_status",
            "transform": [
                {
                    "aggregate": [
                        {"op": "max", "field": "total", "as": "total"},
                        {"op": "max", "field": "pg", "as": "pg"},
                        {"op": "max", "field": "last", "as": "last"},
                    ]
                },
                {
                    "calculate": (
                        "'page ' + (datum.pg + 1) + ' of ' + (datum.last + 1) + "
                        f"': rows ' + (datum.pg * {page_size} + 1) + '-' + "
                        f"min((datum.pg + 1) * {page_size}, datum.total) + ' of ' "
                        "+ datum.total + (page > datum.last ? ' (the page slider "
                        "is past the end: the last page is shown)' : '') + "
                        "(datum.last > 0 ? ', page slider below the table' : '')"
                    ),
                    "as": "status",
                },
            ],
            "mark": {"type": "text", "align": "left", "color": "gray"},
            "encoding": {
                "x": {"value": 0},
                "y": {"value": 8 - top},
                "text": {"field": "status"},
            },
        },
    ]
    for field, _, width in columns:
        layers.append(
            {
                "name": f"instances_{field}",
                "mark": {"type": "text", "align": "left", "limit": width - 10},
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
                # smooth=false: the image is scaled up pixelated, not blurred
                "mark": {
                    "type": "image",
                    "width": IMAGE_SIZE,
                    "height": IMAGE_SIZE,
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
            "subtitle": "double-click the Venn bar or the class bars to clear it",
            "offset": top - 36,
        },
        "width": x,
        "height": {"step": row_height},
        "data": {"name": "errors"},
        "transform": [
            {"filter": "datum.s === split"},
            {"filter": {"param": "pick", "empty": False}},
            {"filter": FOCUS},
            {"window": [{"op": "row_number", "as": "row"}], "sort": [{"field": "i"}]},
            {"joinaggregate": [{"op": "count", "as": "total"}]},
            {
                "calculate": f"max(0, ceil(datum.total / {page_size}) - 1)",
                "as": "last",
            },
            {"calculate": "min(page, datum.last)", "as": "pg"},
            {"calculate": f"datum.row - 1 - datum.pg * {page_size}", "as": "pos"},
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
