"""One self-contained HTML page: the Vega libraries inlined, no request out."""

from __future__ import annotations

import functools
import html
import json

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: sans-serif; margin: 16px; }}
  #sklearn-bc-explorer.vega-embed {{ display: flex; flex-direction: column; }}
  /* the filters above the charts, not below */
  .vega-bindings {{ order: -1; display: flex; flex-wrap: wrap; gap: 4px 24px;
                    margin: 8px 0; }}
  /* the instance page slider, right below the instance table */
  #sklearn-bc-explorer-pager {{ margin: 0 0 16px 40px; }}
  #sklearn-bc-explorer-error {{ color: #b00; white-space: pre-wrap; }}
</style>
<script>{bundle}</script>
</head>
<body>
<div id="sklearn-bc-explorer"></div>
<div id="sklearn-bc-explorer-pager"></div>
<div id="sklearn-bc-explorer-error"></div>
<script>
(function () {{
  var spec = {spec};
  window.__vegaViews = window.__vegaViews || [];
  vegaEmbed("#sklearn-bc-explorer", spec, {options})
    .then(function (result) {{ window.__vegaViews.push(result.view); }})
    .catch(function (error) {{
      document.getElementById("sklearn-bc-explorer-error").textContent =
        String(error);
      console.error(error);
    }});
}})();
</script>
</body>
</html>
"""


@functools.lru_cache(maxsize=1)
def javascript_bundle():
    """Vega, Vega-Lite and vega-embed as one script, from vl-convert-python."""
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "CompatibilityExplorer needs vl-convert-python to inline the Vega "
            "libraries: pip install 'sklearn_bc[report]'."
        ) from exc
    return vl_convert.javascript_bundle(vl_version="6.4")


# What could end the inline <script> ("</script"), or open an HTML comment in
# it ("<!--", after which "<script" keeps the element open past its
# "</script>": a blank page); "&" starts a character reference where the page
# is read as XHTML; U+2028/2029 end a line in older JavaScript. In JSON these
# only occur inside strings, where the \u escape is the same string.
SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE = str.maketrans(SCRIPT_ESCAPES)


def script_json(value):
    """``value`` as JSON that is safe to inline in a ``<script>`` element."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_UNSAFE)


def render_page(spec, *, title, renderer):
    """The page as a string: spec and data inlined, works offline."""
    options = {"renderer": renderer, "actions": False, "mode": "vega-lite"}
    return PAGE.format(
        title=html.escape(title),
        bundle=javascript_bundle(),
        spec=script_json(spec),
        options=script_json(options),
    )


def iframe(page, *, height):
    """The page in an ``<iframe srcdoc>``, as Jupyter shows it."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width: 100%; height: {int(height)}px; border: none;" '
        'sandbox="allow-scripts"></iframe>'
    )
