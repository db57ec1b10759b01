"""The saved report in a real browser: headless Chromium through Playwright.

The page is opened from disk with every request that is not ``file:`` or
``data:`` aborted and recorded; clicks go to the SVG marks, located by the
classes and aria labels Vega gives them.
"""

import os

import numpy as np
import pytest
from _explorer_fixtures import HOSTILE_NAMES, tiny_explorer

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
        self.page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
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
