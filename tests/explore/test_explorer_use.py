"""The Explore page as a reader uses it, in a real browser: the controls and a chart on screen
together (beside the charts on a wide screen, above them on a phone), the map beside the
controls, a colour scale and a critical line that can be seen in both schemes, every control
reached and worked from the keyboard with a focus that can be seen, and a verdict that says in
words what the chart shows, in both editions.

Uses the shared browser fixtures of tests/conftest.py and the published grid.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.book.browsing import PageWatch
from tests.explore.test_explorer_page import READY, SHOWING, assert_drawn_from_json, open_explorer

pytestmark = pytest.mark.build

RELU_XAVIER_100 = "#act=relu&sigma=1&depth=100&norm=none&skip=none"
CHARTS = ("#bx-gradients", "#bx-map", "#bx-factor", "#bx-forward")


@pytest.fixture(scope="module")
def grid(built_site) -> dict:
    return json.loads(
        (built_site / "results" / "explorer_grid.json").read_text(encoding="utf-8")
    )["results"]


def new_page(browser, width=1280, height=900, scheme="light"):
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=scheme
    )
    page = context.new_page()
    page.watch = PageWatch(page)
    return context, page


# ---------------------------------------------------------------- colours


def rgb(css: str) -> tuple[float, ...]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' → (1, 2, 3[, 0.5])."""
    return tuple(float(v) for v in re.findall(r"[\d.]+", css))


def luminance(colour: tuple[float, ...]) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_the_wcag_examples():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


# ---------------------------------------------------------------- layout

BOXES = """sels => sels.map(s => { const r = document.querySelector(s).getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; })"""


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_the_controls_and_each_chart_are_on_screen_together(browser, server, width, height):
    context, page = new_page(browser, width, height)
    try:
        open_explorer(page, server, RELU_XAVIER_100)
        if width >= 1220:  # navigation and contents hidden: the explorer takes the width
            assert not page.is_visible(".md-sidebar--primary")
            assert not page.is_visible(".md-sidebar--secondary")
            explorer_width = page.evaluate(BOXES, ["#book-explorer"])[0]["width"]
            assert explorer_width > 0.85 * width
        # A reader scrolls the explorer to the top of the screen, then down to each chart.
        page.evaluate(
            """() => window.scrollBy(0, document.getElementById('book-explorer').getBoundingClientRect().top
                                       - document.querySelector('.md-header').getBoundingClientRect().bottom)"""
        )
        for chart in CHARTS:
            page.eval_on_selector(
                f"{chart} svg",
                """svg => { const box = svg.getBoundingClientRect();
                     if (box.bottom > window.innerHeight) svg.scrollIntoView({block: 'end'}); }""",
            )
            page.wait_for_timeout(50)
            header, controls, drawn = page.evaluate(
                BOXES, [".md-header", "form.bx-controls", f"{chart} svg"]
            )
            assert controls["top"] >= header["bottom"] - 1, (chart, controls, header)
            assert controls["bottom"] <= height + 1, (chart, controls)
            assert drawn["top"] >= header["bottom"] - 1 and drawn["bottom"] <= height + 1, (chart, drawn)
            beside = controls["right"] <= drawn["left"]
            above = controls["bottom"] <= drawn["top"]
            assert beside or above, (chart, controls, drawn)
            # nothing covers the chart: its middle is the chart's own
            centre = page.evaluate(
                """([x, y]) => !!document.elementFromPoint(x, y).closest('.bx-chart')""",
                [(drawn["left"] + drawn["right"]) / 2, (drawn["top"] + drawn["bottom"]) / 2],
            )
            assert centre, chart
        if width >= 1220:  # the map beside the gradients, both beside the controls
            controls, gradients, order_map = page.evaluate(
                BOXES, ["form.bx-controls", "#bx-gradients", "#bx-map"]
            )
            assert order_map["left"] >= gradients["right"] and order_map["left"] >= controls["right"]
            assert abs(order_map["top"] - gradients["top"]) < 5
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert not page.watch.errors
    finally:
        context.close()


def test_the_layout_holds_after_instant_navigation(browser, server):
    context, page = new_page(browser)
    try:
        page.goto(f"{server}/", wait_until="networkidle")
        page.click("a[href$='explore/']")
        page.wait_for_url(re.compile(r".*/explore/(#.*)?$"))
        page.wait_for_selector(READY, timeout=20000)
        assert not page.is_visible(".md-sidebar--primary")
        controls, order_map = page.evaluate(BOXES, ["form.bx-controls", "#bx-map"])
        assert order_map["left"] >= controls["right"]
        assert page.text_content("a.md-skip").strip() == "Skip to the explorer's controls"
        assert not page.watch.errors
    finally:
        context.close()


# ---------------------------------------------------------------- the map


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_map_has_a_colour_scale_and_a_critical_line_that_can_be_seen(browser, server, scheme):
    context, page = new_page(browser, scheme=scheme)
    try:
        open_explorer(page, server, "#act=tanh&sigma=1&depth=50&norm=none&skip=none")
        scale = page.evaluate(BOXES, ["#bx-map .bx-scale"])[0]
        assert scale["width"] >= 100 and scale["height"] >= 8
        # the scale's ends are the colours of the cells beyond its limits
        stops = page.eval_on_selector_all(
            "#bx-map linearGradient stop", "ss => ss.map(s => s.getAttribute('stop-color'))"
        )
        cells = page.eval_on_selector_all(
            "#bx-map rect.bx-cell", "rs => rs.map(r => [+r.dataset.value, r.getAttribute('fill')])"
        )
        vanishing = {fill for value, fill in cells if value <= -10}
        exploding = {fill for value, fill in cells if value >= 10}
        assert vanishing == {stops[0]} and exploding == {stops[-1]}
        labels = page.eval_on_selector_all("#bx-map text", "ts => ts.map(t => t.textContent)")
        assert {"≤10⁻¹⁰", "1", "≥10¹⁰"} <= set(labels)

        # the dashes stand out from every cell they cross (3:1, the contrast of a graphic)
        crossed = page.evaluate(
            """() => { const line = document.querySelector('#bx-map polyline.bx-critical');
                 const box = line.ownerSVGElement.getBoundingClientRect();
                 const stroke = getComputedStyle(line).stroke;
                 const fills = line.getAttribute('points').trim().split(/\\s+/).map(p => {
                   const [x, y] = p.split(',').map(Number);
                   const cell = document.elementsFromPoint(box.left + x, box.top + y)
                     .find(e => e.classList.contains('bx-cell'));
                   return cell && cell.getAttribute('fill'); });
                 return {stroke, fills}; }"""
        )
        assert crossed["fills"] and None not in crossed["fills"]
        for fill in crossed["fills"]:
            assert contrast(rgb(crossed["stroke"]), rgb(fill)) >= 3, (scheme, crossed["stroke"], fill)
        assert page.locator("#bx-map .bx-critical-sample").count() == 1  # and in the legend
    finally:
        context.close()


# ---------------------------------------------------------------- keyboard

FOCUSED = """() => { const e = document.activeElement, explorer = document.getElementById('book-explorer');
  const inside = explorer.contains(e), style = getComputedStyle(e);
  let ring = null;  // the map draws its own rings
  if (e.classList.contains('bx-cell')) ring = e.ownerSVGElement.querySelector('.bx-focus-ring');
  if (e.classList.contains('bx-preset')) ring = e.nextElementSibling;
  const ringStyle = ring && getComputedStyle(ring);
  return {inside, tag: e.tagName.toLowerCase(), id: e.id, type: e.getAttribute('type') || '',
          cls: e.getAttribute('class') || '', preset: e.dataset.preset || '',
          outline: [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor],
          ring: ringStyle && [ringStyle.display, parseFloat(ringStyle.strokeWidth), ringStyle.stroke],
          background: getComputedStyle(document.body).backgroundColor}; }"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_control_is_reached_by_keyboard_with_a_visible_focus(browser, server, scheme):
    context, page = new_page(browser, scheme=scheme)
    try:
        open_explorer(page, server, RELU_XAVIER_100)
        # the page's first tab stop, the skip link, leads to the first control
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == (
            "Skip to the explorer's controls"
        )
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "bx-act"
        assert page.evaluate("location.hash") == RELU_XAVIER_100  # the settings stay in the link

        stops = []
        while True:
            focused = page.evaluate(FOCUSED)
            if not focused["inside"]:
                break
            stops.append(focused)
            if focused["ring"]:  # a map cell or marker: its ring is shown
                display, width, colour = focused["ring"]
                assert display != "none" and width >= 2, focused
            else:  # a form control: Material's outline:none is overridden
                style, width, colour = focused["outline"]
                assert style != "none" and width >= 2, focused
            assert contrast(rgb(colour), rgb(focused["background"])) >= 3, focused
            page.keyboard.press("Tab")
            assert len(stops) < 40
        kinds = [
            (s["tag"], s["id"] or s["type"] or s["cls"].split()[0], s["preset"]) for s in stops
        ]
        assert kinds[:3] == [("select", "bx-act", ""), ("input", "bx-depth", ""), ("input", "bx-sigma", "")]
        presets = ["default", "xavier", "he", "tanh_gain"]
        assert [p for t, k, p in kinds if t == "button"] == presets
        assert [k for t, k, p in kinds if k == "radio"] == ["radio", "radio"]  # one stop per group
        assert [k for t, k, p in kinds if k == "bx-cell"] == ["bx-cell"]  # the chosen cell only
        assert [p for t, k, p in kinds if k == "bx-preset"] == presets
        assert not page.watch.errors
    finally:
        context.close()


def test_map_cells_and_markers_answer_the_keyboard(browser, server, grid):
    context, page = new_page(browser)
    try:
        open_explorer(page, server, RELU_XAVIER_100)
        root = page.locator("#book-explorer")
        last_sigma, last_depth = len(grid["sigmas"]) - 1, len(grid["depths"]) - 1

        def chosen():
            return page.evaluate(
                """() => { const e = document.activeElement;
                     return [e.classList.contains('bx-cell'), +e.dataset.sigma, +e.dataset.depth,
                             e.getAttribute('aria-selected'),
                             +document.getElementById('book-explorer').dataset.sigmaIndex,
                             document.getElementById('book-explorer').dataset.key]; }"""
            )

        assert page.locator("#bx-map .bx-cell[tabindex='0']").count() == 1
        page.focus("#bx-map .bx-cell[tabindex='0']")
        sigma = grid["sigmas"].index(1.0)
        assert chosen() == [True, sigma, last_depth, "true", sigma, "relu/none/none/100"]
        page.keyboard.press("ArrowRight")  # one weight scale up; the focus follows the choice
        assert chosen() == [True, sigma + 1, last_depth, "true", sigma + 1, "relu/none/none/100"]
        page.keyboard.press("ArrowDown")  # one depth less (the deepest row is at the top)
        depth = grid["depths"][last_depth - 1]
        assert chosen() == [True, sigma + 1, last_depth - 1, "true", sigma + 1, f"relu/none/none/{depth}"]
        assert_drawn_from_json(page, grid)
        page.keyboard.press("End")
        page.keyboard.press("PageDown")
        assert chosen()[:3] == [True, last_sigma, 0]
        page.keyboard.press("ArrowRight")  # at the edge: stays
        page.keyboard.press("ArrowDown")
        assert chosen()[:3] == [True, last_sigma, 0]
        page.keyboard.press("Home")
        page.keyboard.press("PageUp")
        assert chosen()[:3] == [True, 0, last_depth]
        assert page.evaluate("location.hash").startswith("#act=relu&sigma=0.25&depth=100")

        # the preset markers are buttons: Enter and Space choose them, the focus stays
        for name, key in (("he", "Enter"), ("default", " ")):
            page.focus(f"#bx-map .bx-preset[data-preset='{name}']")
            page.keyboard.press(key)
            index = int(root.get_attribute("data-sigma-index"))
            assert grid["sigmas"][index] == pytest.approx(grid["presets"][name], rel=1e-5)
            assert page.evaluate("document.activeElement.dataset.preset") == name
            assert page.get_attribute(f"#bx-map .bx-preset[data-preset='{name}']", "aria-pressed") == "true"
        assert_drawn_from_json(page, grid)
        assert not page.watch.errors
    finally:
        context.close()


# ---------------------------------------------------------------- verdict

#: How the verdict names each flag of the grid, per edition (a kind not listed is named as the
#: grid names it, with spaces).
FLAG_WORDS = {
    "en": {
        "vanishing": "vanishing gradients", "exploding": "exploding gradients",
        "forward_collapses": "forward collapse", "forward_explodes": "forward explosion",
        "saturated": "saturated units", "dead": "dead units",
    },
    "zh": {
        "vanishing": "梯度消失", "exploding": "梯度爆炸", "forward_collapses": "前向坍缩",
        "forward_explodes": "前向爆炸", "saturated": "饱和单元", "dead": "死亡单元",
    },
}
CHART_WORDS = {
    "en": {"vanishes": "The gradient vanishes", "explodes": "The gradient explodes",
           "level": "The gradient stays within the diagnosis tool's limit"},
    "zh": {"vanishes": "梯度在传回输入的途中消失", "explodes": "梯度在传回输入的途中爆炸",
           "level": "梯度在传回输入的途中保持在诊断工具的界限之内"},
}
HEALTHY = {"en": "Healthy.", "zh": "健康。"}
UNFLAGGED = {
    "en": {"vanishes": "does not call the gradient itself vanishing",
           "explodes": "does not call the gradient itself exploding"},
    "zh": {"vanishes": "工具没有把梯度本身判为消失", "explodes": "工具没有把梯度本身判为爆炸"},
}

READ_VERDICTS = """async views => { const showing = %s; const out = [];
  for (const [fragment, key, sigma] of views) {
    location.hash = fragment;
    const root = await showing([key, sigma]);
    const line = root.querySelector("#bx-gradients path[data-series='grad_h']");
    out.push({key: root.dataset.key,
              sigma: +root.dataset.sigmaIndex,
              drawn: line.dataset.values.split(',').map(Number),
              headline: root.querySelector('.bx-verdict strong').textContent,
              text: root.querySelector('.bx-verdict').textContent}); }
  return out; }""" % SHOWING


def flags_of(summary: dict, i: int) -> list[str]:
    flags = summary["flags"][i]
    return list(flags) if isinstance(flags, list) else [f for f in flags.split("+") if f]


def settings_to_read(grid: dict, per_kind: int) -> list[tuple[str, int]]:
    """Up to ``per_kind`` settings of every kind of verdict (what the chart shows, which flags),
    spread over the grid, so that every disagreement between chart and flags is read."""
    limit, kinds = grid["thresholds"]["decades"], {}
    for key in sorted(grid["summary"]):
        summary = grid["summary"][key]
        for i, change in enumerate(summary["first_last"]):
            shown = "vanishes" if change < -limit else "explodes" if change > limit else "level"
            kinds.setdefault((shown, "+".join(flags_of(summary, i))), []).append((key, i))
    chosen = []
    for found in kinds.values():
        step = max(1, len(found) // per_kind)
        chosen += found[::step][:per_kind]
    return chosen


def fragment_of(grid: dict, key: str, i: int) -> str:
    act, norm, skip, depth = key.split("/")
    return f"#act={act}&sigma={grid['sigmas'][i]}&depth={depth}&norm={norm}&skip={skip}"


@pytest.mark.parametrize("edition,per_kind", [("en", 3), ("zh", 1)])
def test_the_verdict_says_what_the_chart_shows(browser, server, grid, edition, per_kind):
    """Every kind of setting (the chart's direction × the tool's flags), in words: the chart's
    direction judged on the drawn line against the grid's own limit, every flag named, and an
    unflagged vanishing or exploding gradient explained, never left out."""
    context, page = new_page(browser)
    try:
        prefix = "" if edition == "en" else "zh/"
        page.goto(f"{server}/{prefix}explore/", wait_until="networkidle")
        page.wait_for_selector(READY, timeout=20000)
        chosen = settings_to_read(grid, per_kind)
        read = page.evaluate(READ_VERDICTS, [[fragment_of(grid, k, i), k, i] for k, i in chosen])
        limit = grid["thresholds"]["decades"]
        directions = set()
        for (key, i), seen in zip(chosen, read):
            assert (seen["key"], seen["sigma"]) == (key, i)
            summary = grid["summary"][key]
            change = seen["drawn"][0] - seen["drawn"][-1]  # log10 first/last, as drawn
            shown = "vanishes" if change < -limit else "explodes" if change > limit else "level"
            directions.add(shown)
            text, flags = seen["text"], flags_of(summary, i)
            where = (key, i, flags, round(change, 2), text)
            assert CHART_WORDS[edition][shown] in text, where
            for flag in flags:
                assert FLAG_WORDS[edition].get(flag, flag.replace("_", " ")) in text, where
            if shown == "level" and not flags:
                assert seen["headline"] == HEALTHY[edition], where
            else:
                assert seen["headline"] != HEALTHY[edition], where
            if shown != "level" and {"vanishes": "vanishing", "explodes": "exploding"}[shown] not in flags:
                assert UNFLAGGED[edition][shown] in text, where
        assert directions == {"vanishes", "explodes", "level"}
        assert not page.watch.errors
    finally:
        context.close()


@pytest.mark.parametrize(
    "edition,headline,unit",
    [("en", "Vanishing gradient", " decades"), ("zh", "梯度消失", " 个数量级")],
)
def test_relu_with_xavier_weights_is_called_vanishing(browser, server, grid, edition, headline, unit):
    """The example a reader tries first: at depth 100 the chart falls by many decades while the
    tool's own flags need not say "vanishing"; the verdict's headline does, with the drawn number."""
    summary = grid["summary"]["relu/none/none/100"]
    i = grid["sigmas"].index(1.0)
    assert summary["first_last"][i] < -grid["thresholds"]["decades"]  # what the chart shows
    context, page = new_page(browser)
    try:
        prefix = "" if edition == "en" else "zh/"
        page.goto(f"{server}/{prefix}explore/{RELU_XAVIER_100}", wait_until="networkidle")
        page.wait_for_selector(READY, timeout=20000)
        drawn = page.eval_on_selector(
            "#bx-gradients path[data-series='grad_h']", "p => p.dataset.values.split(',').map(Number)"
        )
        assert page.text_content(".bx-verdict strong").startswith(headline)
        assert f"{abs(drawn[0] - drawn[-1]):.1f}{unit}" in page.text_content(".bx-verdict")
        assert not page.watch.errors
    finally:
        context.close()
