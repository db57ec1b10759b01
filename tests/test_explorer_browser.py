"""The saved report in a real browser: headless Chromium through Playwright.

The page is opened from disk with every request that is not ``file:`` or
``data:`` aborted and recorded; clicks go to the SVG marks, located by the
classes and aria labels Vega gives them.
"""

import os

import numpy as np
import pytest
from _explorer_fixtures import HOSTILE_NAMES, demo_like_explorer, tiny_explorer

CHROMIUM = os.environ.get("SKLEARN_BC_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright missing")
pytest.importorskip("vl_convert", reason="vl-convert-python missing")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def explorer():
    return tiny_explorer(instance_metadata=lambda i: f"row {i}")


@pytest.fixture(scope="module")
def report(explorer, tmp_path_factory):
    return explorer.save(tmp_path_factory.mktemp("report") / "report.html")


class Report:
    """An opened report, with the requests and errors it caused."""

    def __init__(self, browser, path):
        self.requests, self.errors = [], []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1400})
        self.page.set_default_timeout(10_000)
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Vega logs its problems as console warnings (e.g. an infinite extent)
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_function(
            "window.__vegaViews && window.__vegaViews.length === 1", timeout=20_000
        )

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def texts(self, mark):
        self.page.wait_for_timeout(50)  # Vega re-renders asynchronously
        return self.page.eval_on_selector_all(
            f"g.{mark}_marks > text", "nodes => nodes.map(n => n.textContent)"
        )

    def labels(self, mark):
        return self.page.eval_on_selector_all(
            f"g.{mark}_marks > path",
            "nodes => nodes.map(n => n.getAttribute('aria-label'))",
        )

    def click(self, mark, label):
        self.page.locator(f'g.{mark}_marks > path[aria-label="{label}"]').click()
        self.page.wait_for_timeout(100)

    def table(self):
        return self.texts("instances_i")


@pytest.fixture
def opened(browser, report):
    opened = Report(browser, report)
    yield opened
    assert opened.requests == []
    assert opened.errors == []
    opened.page.close()


def _detail(opened):
    names, values = opened.texts("details_name"), opened.texts("details_value")
    return dict(zip(names, values, strict=True))


def test_opens_offline_without_errors(opened):
    assert opened.page.locator("#sklearn-bc-explorer-error").inner_text() == ""
    # both models of the testing split are plotted in each scatter plot
    assert sorted(opened.labels("btc_scatter")) == [
        "point 0 test btc 0.7500",
        "point 1 test btc 1.0000",
    ]


def test_clicking_a_point_updates_the_details(opened, explorer):
    assert _detail(opened)["lambda_c"] == "0.5000"  # the first point is chosen
    opened.click("btc_scatter", "point 1 test btc 1.0000")
    detail = _detail(opened)
    row = explorer.points_.query("point_id == 1 and split == 'test'").iloc[0]
    assert detail["dissonance"] == "strict imitation"
    assert detail["lambda_c"] == "1.0000"
    assert detail["BTC"] == f"{row['btc']:.4f}"
    assert detail["BEC"] == f"{row['bec']:.4f}"
    assert detail["h2 accuracy"] == f"{row['accuracy']:.4f}"
    assert detail["h1 accuracy"] == f"{row['reference_accuracy']:.4f}"


def test_clicking_the_h2_only_region_lists_the_new_errors(opened, explorer):
    assert opened.table() == []  # nothing until a region or bar is clicked
    opened.click("venn_view", "h2 only")
    errors = explorer.errors_.query("point_id == 0 and split == 'test'")
    new = errors[(errors.y_ref == errors.y_true) & (errors.y_pred != errors.y_true)]
    assert opened.table() == [str(i) for i in new["instance_id"]] == ["2"]
    assert opened.texts("instances_meta") == ["row 2"]
    opened.click("venn_view", "both")
    assert opened.table() == ["5"]


def test_clicking_a_class_bar_filters_to_that_class(opened):
    opened.click("btc_scatter", "point 1 test btc 1.0000")
    opened.page.locator('input[type="radio"][value="train"]').check()
    # point 1 on the training split: row 0 (class 0) is its only new error
    opened.click("bec_scatter", "point 1 train bec 0.5000")
    opened.click("classes_view", "0")
    assert opened.table() == ["0"]
    assert opened.texts("instances_t") == ["0"]
    # the latest click wins: a Venn region after a class bar
    opened.click("venn_view", "both")
    assert opened.table() == ["3"]


def test_filters_change_the_plotted_points(opened):
    opened.page.locator('input[type="radio"][value="train"]').check()
    opened.page.wait_for_timeout(100)
    assert sorted(opened.labels("btc_scatter")) == [
        "point 0 train btc 1.0000",
        "point 1 train btc 0.6667",
    ]
    opened.page.locator("select").select_option("strict_imitation")
    opened.page.wait_for_timeout(100)
    assert opened.labels("btc_scatter") == ["point 1 train btc 0.6667"]
    opened.page.locator("select").select_option("all")
    slider = opened.page.locator('input[type="range"]').first  # lambda_c from
    slider.evaluate("(el) => { el.value = 0.8; el.dispatchEvent(new Event('input')); }")
    opened.page.wait_for_timeout(100)
    assert opened.labels("btc_scatter") == ["point 1 train btc 0.6667"]


def test_labels_that_would_break_the_script_render_as_text(browser, tmp_path):
    metadata = "".join(HOSTILE_NAMES)
    explorer = tiny_explorer(
        names=HOSTILE_NAMES,
        instance_metadata=lambda i: f"row {i} {metadata}",
        instance_images=np.arange(24.0).reshape(6, 2, 2),
    )
    opened = Report(browser, explorer.save(tmp_path / "hostile.html"))
    assert opened.page.locator("#sklearn-bc-explorer-error").inner_text() == ""
    assert opened.labels("classes_view") == HOSTILE_NAMES
    opened.click("venn_view", "h2 only")
    assert opened.table() == ["2"]
    assert opened.texts("instances_t") == [HOSTILE_NAMES[1]]
    assert opened.texts("instances_meta") == [f"row 2 {metadata}"]
    images = opened.page.eval_on_selector_all(
        "g.instances_img_marks image", "nodes => nodes.map(n => n.getAttribute('href'))"
    )
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    # nothing of the labels became markup
    assert opened.page.locator("body script").count() == 1
    assert opened.page.locator("b").count() == 0
    assert opened.requests == [] and opened.errors == []
    opened.page.close()


def test_thousands_of_instances_stay_paginated(browser, tmp_path):
    from sklearn_bc import CompatibilityExplorer

    rng = np.random.RandomState(0)
    n = 5000
    y = rng.randint(0, 5, n)
    X = np.arange(n).reshape(-1, 1)
    from _explorer_fixtures import Lookup

    h1 = Lookup(np.where(rng.rand(n) < 0.2, (y + 1) % 5, y)).fit()
    h2 = Lookup((y + 1) % 5).fit()  # wrong everywhere
    explorer = CompatibilityExplorer.from_models(
        {("new_error", 0.0): h2}, h1, None, None, X, y, page_size=25
    )
    opened = Report(browser, explorer.save(tmp_path / "big.html"))
    opened.click("venn_view", "h2 only")
    expected = np.flatnonzero(h1.predict(X) == y)
    assert opened.table() == [str(i) for i in expected[:25]]
    pages = -(-len(expected) // 25)
    assert opened.texts("instances_status") == [
        f"page 1 of {pages}: rows 1-25 of {len(expected)}, page slider below the table"
    ]
    page_slider = opened.page.locator('input[type="range"]').last
    page_slider.evaluate(
        "(el) => { el.value = 2; el.dispatchEvent(new Event('input')); }"
    )
    assert opened.table() == [str(i) for i in expected[50:75]]
    assert opened.requests == [] and opened.errors == []
    opened.page.close()


def _close(opened):
    assert opened.requests == [] and opened.errors == []
    opened.page.close()


# every visible SVG text element of the report, with its box on the page
TEXT_BOXES = """() => {
  const boxes = [];
  for (const node of document.querySelectorAll("#sklearn-bc-explorer svg text")) {
    if (!node.textContent.trim()) continue;
    let hidden = false;
    for (let n = node; n && n.tagName !== "svg"; n = n.parentNode) {
      if (n.getAttribute("opacity") === "0" || getComputedStyle(n).opacity === "0")
        hidden = true;
    }
    const r = node.getBoundingClientRect();
    if (hidden || r.width === 0 || r.height === 0) continue;
    boxes.push({text: node.textContent, left: r.left, right: r.right,
                top: r.top, bottom: r.bottom});
  }
  return boxes;
}"""


def _overlapping_labels(opened, slack=1.0):
    boxes = opened.page.evaluate(TEXT_BOXES)
    pairs = []
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            if (
                min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
                and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
            ):
                pairs.append((a["text"], b["text"]))
    return boxes, pairs


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory):
    explorer = demo_like_explorer(
        selected="strict_imitation lambda_c=0.8", confidence_level=0.95,
        random_state=0,
    )  # fmt: skip
    return explorer, explorer.save(tmp_path_factory.mktemp("demo") / "demo.html")


def test_opens_on_the_selected_point_ringed_in_both_scatters(browser, demo_like):
    explorer, path = demo_like
    opened = Report(browser, path)
    selected = explorer.selected_
    label = explorer.points_.query("point_id == @selected")["label"].iloc[0]
    assert label == "strict_imitation lambda_c=0.8"
    assert _detail(opened)["model"] == label
    for score in ("btc", "bec"):
        ringed = [
            a for a in opened.labels(f"{score}_scatter") if a.endswith("selected")
        ]
        assert len(ringed) == 1 and ringed[0].startswith(f"point {selected} test")
    # choosing another point keeps the ring on the selected one
    other = next(a for a in opened.labels("btc_scatter") if a.startswith("point 0 "))
    opened.click("btc_scatter", other)
    assert _detail(opened)["model"] == "new_error lambda_c=0"
    ringed = [a for a in opened.labels("bec_scatter") if a.endswith("selected")]
    assert len(ringed) == 1
    _close(opened)


def test_double_click_clears_the_instances_but_keeps_the_model(opened):
    opened.click("btc_scatter", "point 1 test btc 1.0000")
    opened.click("venn_view", "both")
    assert opened.table() == ["1"]
    opened.page.locator('g.venn_view_marks > path[aria-label="both"]').dblclick()
    opened.page.wait_for_timeout(200)
    assert opened.table() == []
    assert _detail(opened)["lambda_c"] == "1.0000"  # still point 1
    assert opened.labels("venn_view") == ["h1 only", "both", "h2 only"]
    assert opened.labels("classes_view") == ["0", "1", "2"]
    # the fixture asserts that no console error or warning was logged


def test_venn_captions_give_percents_of_all_rows(opened):
    assert opened.texts("venn_caption") == [
        "h1 only (fixed by h2): 1 (16.7% of 6 rows)",
        "both wrong: 1 (16.7% of 6 rows)",
        "h2 only (new errors): 1 (16.7% of 6 rows)",
    ]
    assert opened.texts("venn_h1_errors") == ["h1 errors: 2"]
    assert opened.texts("venn_h2_errors") == ["h2 errors: 2"]


def test_axis_titles_name_the_split(opened):
    def titles():
        opened.page.wait_for_timeout(100)
        return opened.page.eval_on_selector_all(
            "text", "nodes => nodes.map(n => n.textContent)"
        )

    assert "h2 accuracy, testing split" in titles()
    assert "BTC, testing split (held out)" in titles()
    opened.page.locator('input[type="radio"][value="train"]').check()
    assert "h2 accuracy, training split" in titles()
    assert "BEC, training split (fit on it, labels as given)" in titles()


def test_count_ticks_are_integers_and_points_stay_inside_the_plot(browser, demo_like):
    opened = Report(browser, demo_like[1])
    for split in ("test", "train"):
        if split == "train":  # the demo-like report has the testing split only
            break
        ticks = opened.page.eval_on_selector_all(
            "g.role-axis text", "nodes => nodes.map(n => n.textContent)"
        )
        counts = opened.page.evaluate(
            """() => [...document.querySelectorAll("g.role-axis")]
              .filter(a => (a.getAttribute("aria-label") || "").includes("count"))
              .flatMap(a => [...a.querySelectorAll("g.role-axis-label text")])
              .map(n => n.textContent)"""
        )
        assert counts and all(c.isdigit() for c in counts), counts
        assert len(set(counts)) == len(counts) and ticks
    # a point on the edge of the domain is drawn whole, inside the plot area
    inside = opened.page.evaluate(
        """() => ["btc", "bec"].map(score => {
          const marks = document.querySelector(`g.${score}_scatter_marks`);
          const cell = marks.closest("g.mark-group").querySelector("path.background");
          const area = cell.getBoundingClientRect();
          return [...marks.querySelectorAll("path")].every(p => {
            const r = p.getBoundingClientRect();
            return r.left >= area.left && r.right <= area.right &&
                   r.top >= area.top && r.bottom <= area.bottom;
          });
        })"""
    )
    assert inside == [True, True]
    _close(opened)


def test_pictures_are_readable_and_the_pager_is_bounded(browser, demo_like):
    explorer, path = demo_like
    opened = Report(browser, path)
    opened.click("venn_view", "h1 only")
    images = opened.page.eval_on_selector_all(
        "g.instances_img_marks image",
        """nodes => nodes.map(n => [n.getBoundingClientRect().width,
                                    getComputedStyle(n).imageRendering])""",
    )
    assert images and all(w >= 48 and r == "pixelated" for w, r in images)
    selected = explorer.points_.query("point_id == @explorer.selected_").iloc[0]
    n, page_size = int(selected["n_h1_only"]), explorer.page_size
    last = -(-n // page_size)
    slider = opened.page.locator('#sklearn-bc-explorer-pager input[type="range"]')
    table = opened.page.locator("g.instances_i_marks").bounding_box()
    assert slider.bounding_box()["y"] > table["y"] + table["height"]  # below it
    slider.evaluate("(el) => { el.value = 50; el.dispatchEvent(new Event('input')); }")
    rows = opened.table()
    assert 0 < len(rows) <= page_size  # the last page, not an empty table
    (status,) = opened.texts("instances_status")
    assert status.startswith(f"page {last} of {last}: ")
    assert "past the end" in status
    _close(opened)


def test_details_show_confidence_intervals(browser, demo_like):
    explorer, path = demo_like
    opened = Report(browser, path)
    detail = _detail(opened)
    row = explorer.points_.query("point_id == @explorer.selected_").iloc[0]
    assert detail["BTC"] == (
        f"{row['btc']:.3f} [{row['btc_low']:.3f}, {row['btc_high']:.3f}]"
    )
    assert detail["intervals"] == "95%, paired bootstrap"
    _close(opened)


LONG_NAMES = [f"class {k:02d}: a rather long descriptive name" for k in range(50)]


@pytest.mark.parametrize("kind", ["demo-like", "50 long class names"])
def test_no_two_text_labels_overlap(browser, tmp_path, demo_like, kind):
    if kind == "demo-like":
        path = demo_like[1]
    else:
        explorer = demo_like_explorer(
            n_classes=50, names=LONG_NAMES, n_rows=1500, selected=3
        )
        path = explorer.save(tmp_path / "many.html")
    opened = Report(browser, path)
    boxes, pairs = _overlapping_labels(opened)
    assert len(boxes) > 30 and pairs == []
    opened.click("venn_view", "h1 only")
    assert _overlapping_labels(opened)[1] == []
    # every model's Venn bar and class bars, small regions included
    for label in opened.labels("btc_scatter"):
        opened.page.locator(f'g.btc_scatter_marks > path[aria-label="{label}"]')
        opened.page.locator(
            f'g.btc_scatter_marks > path[aria-label="{label}"]'
        ).dispatch_event("click")
        opened.page.wait_for_timeout(50)
        assert _detail(opened)["model"], label
        assert (label, _overlapping_labels(opened)[1]) == (label, [])
    _close(opened)


def test_one_models_axis_ticks_keep_their_decimals(browser, tmp_path):
    # one model: each scatter's domain is a single value, which Vega labelled
    # with no decimals (a BTC of 0.75 read "1")
    from sklearn_bc import CompatibilityExplorer

    y = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    y_ref = np.array([0, 1, 0, 1, 0, 0, 0, 1])  # right on 5 of 8
    y_pred = np.array([0, 1, 0, 0, 0, 1, 1, 0])  # right on 4 of h1's 5
    explorer = CompatibilityExplorer.from_predictions(y, y_ref, {"h2": y_pred})
    opened = Report(browser, explorer.save(tmp_path / "one.html"))
    axes = opened.page.eval_on_selector_all(
        "g.role-axis",
        "nodes => nodes.map(n => [n.getAttribute('aria-label'),"
        " Array.from(n.querySelectorAll('text')).map(t => t.textContent)])",
    )
    # the BTC scatter's x axis: BTC = 4/5, a single-value domain
    btc_axis = [ticks for label, ticks in axes if label and "0.8 to 0.8" in label]
    assert btc_axis == [["0.8"]]
    assert opened.errors == []
    opened.page.close()
