"""A first visit of the Explore page: what it transfers before the explorer can be used (at most
FIRST_VISIT_BUDGET, compressed), that a setting whose measurements are fetched when chosen
answers as the others do, and that opening the page does not shift its layout, opened directly
or reached by instant navigation from the home page, in both editions.

scripts/bench_explorer_load.py prints the same sizes and the time on a Slow 4G connection.
"""

from __future__ import annotations

import re

import pytest

from tests.book.browsing import PageWatch
from tests.book.test_browser import LAYOUT_SHIFT
from tests.explore.loading import FIRST_VISIT_BUDGET, first_visit
from tests.explore.test_explorer_page import DRAWN, READY, assert_drawn_from_json, shown

pytestmark = pytest.mark.build

EDITIONS = {"en": "", "zh": "zh/"}


@pytest.fixture(scope="module")
def grid(built_site) -> dict:
    import json

    return json.loads((built_site / "results" / "explorer_grid.json").read_text(encoding="utf-8"))["results"]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["wide", "phone"])
def test_a_first_visit_loads_at_most_the_budget_before_the_explorer_is_usable(browser, server, edition, viewport):
    visit = first_visit(browser, f"{server}/{EDITIONS[edition]}explore/", viewport)
    before = sorted((f for f in visit["files"] if f[3]), key=lambda f: -f[2])
    listing = [f"{path}: {packed / 1024:.1f} KiB" for path, _, packed, _ in before]
    assert visit["before"] <= FIRST_VISIT_BUDGET, (f"{visit['before'] / 1024:.1f} KiB", listing)
    paths = [path for path, *_ in before]
    # the first view's file, not the whole grid nor a slice, before the explorer is usable
    assert any(path.endswith("/results/explorer_grid/first.json") for path in paths), listing
    assert not [path for path in paths if path.endswith("/results/explorer_grid.json")], listing
    assert not [path for path in paths if re.search(r"/results/explorer_grid/(?!first\.json)", path)], listing
    # each file once: the page's preloads are the very requests the explorer makes
    requested = [path for path, *_ in visit["files"]]
    assert len(requested) == len(set(requested)), requested


def test_a_setting_fetched_on_demand_answers_like_the_others(browser, server, grid):
    """The first view's file holds one σ_w and depth of one setting: every other choice is
    fetched when made, and the verdict and the charts change to it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    fetched = []
    page.on("request", lambda request: "/results/explorer_grid/" in request.url and fetched.append(request.url))
    try:
        page.goto(f"{server}/explore/", wait_until="commit")
        page.wait_for_selector(READY, timeout=20000)
        before = page.text_content(".bx-verdict")
        assert_drawn_from_json(page, grid)

        page.select_option("#bx-act", "relu")  # a slice not loaded yet
        view = assert_drawn_from_json(page, grid)
        assert view["key"] == "relu/none/none/50"
        assert any(url.endswith("/relu-none-none.json") for url in fetched), fetched
        assert page.text_content(".bx-verdict") != before

        page.check("input[name='bx-norm'][value='batch']")
        assert assert_drawn_from_json(page, grid)["key"] == "relu/batch/none/50"
        page.focus("#bx-depth")
        page.keyboard.press("End")
        page.focus("#bx-sigma")
        page.keyboard.press("Home")
        view = assert_drawn_from_json(page, grid)
        assert (view["key"], view["sigma"]) == ("relu/batch/none/100", 0)
        assert page.locator("#bx-map rect.bx-cell").count() == len(grid["sigmas"]) * len(grid["depths"])
        assert not watch.errors and not watch.failed
    finally:
        context.close()


def test_a_setting_that_cannot_be_fetched_says_so_and_can_be_retried(browser, server, grid):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    blocked = {"on": True}

    def maybe_fail(route):
        if blocked["on"]:
            route.abort()
        else:
            route.continue_()

    page.route("**/results/explorer_grid/gelu-none-none.json", maybe_fail)
    try:
        page.goto(f"{server}/explore/", wait_until="networkidle")
        page.wait_for_selector(READY, timeout=20000)
        page.select_option("#bx-act", "gelu")
        page.wait_for_selector(DRAWN)
        assert "could not be loaded" in page.text_content(".bx-verdict")
        blocked["on"] = False
        page.select_option("#bx-act", "tanh")
        page.select_option("#bx-act", "gelu")
        assert shown(page)["key"] == "gelu/none/none/50"
        assert_drawn_from_json(page, grid)
    finally:
        context.close()


def settle(page) -> float:
    page.wait_for_selector(DRAWN, timeout=20000)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)
    return page.evaluate("window.bookShift")


@pytest.mark.parametrize("edition", EDITIONS)
def test_opening_the_explorer_does_not_shift_the_layout(browser, server, edition):
    """Its place is kept from the first paint at the height it takes once drawn: nothing on
    screen moves when the measurements arrive (Chrome's layout shift, every shift summed, as
    tests/book/test_browser.py counts it), opened directly or from the home page."""
    shifts = {}
    for width, height in [(1280, 900), (390, 844), (1024, 768)]:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.add_init_script(LAYOUT_SHIFT)
        try:
            page.goto(f"{server}/{EDITIONS[edition]}explore/", wait_until="commit")
            shifts[f"opened, {width}"] = settle(page)
            page.goto(f"{server}/{EDITIONS[edition]}", wait_until="networkidle")
            page.wait_for_timeout(300)
            page.evaluate("window.bookShift = 0")
            # Material's instant navigation, started by a click from a script: the shifts just
            # after a reader's own input do not count, and these must
            page.evaluate("document.querySelector(\"a[href$='explore/']\").click()")
            page.wait_for_url(re.compile(r".*/explore/(#.*)?$"))
            assert page.evaluate("window.bookShift !== undefined"), "the page was loaded afresh"
            shifts[f"from the home page, {width}"] = settle(page)
        finally:
            context.close()
    assert max(shifts.values()) <= 0.1, {k: round(v, 3) for k, v in shifts.items()}
