"""The Explore page in a real browser: every control redraws the charts from the published
grid (whichever of its files the page read the setting from), the URL fragment round-trips,
and the page is clean, accessible and fits a phone.

Uses the shared browser fixtures of tests/conftest.py (Debian's Chromium through
Playwright; skipped with a reason when it is missing) and the shared ``built_site``.
"""

from __future__ import annotations

import re

import json

import pytest

from snippets.explore.explorer_grid import unpack
from tests.book.browsing import PageWatch

pytestmark = pytest.mark.build

READY = "#book-explorer[data-ready='true']"
#: Drawn, and not waiting for a setting's measurements (fetched when first chosen).
DRAWN = "#book-explorer[data-ready='true']:not([data-loading])"


@pytest.fixture(scope="module")
def grid(built_site) -> dict:
    return json.loads(
        (built_site / "results" / "explorer_grid.json").read_text(encoding="utf-8")
    )["results"]


@pytest.fixture()
def page(browser, server):  # noqa: F811 - the fixtures above
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.watch = PageWatch(page)
    yield page
    context.close()


def open_explorer(page, server, fragment: str = ""):  # noqa: F811
    page.goto(f"{server}/explore/{fragment}", wait_until="networkidle")
    page.wait_for_selector(READY, timeout=20000)


def shown(page) -> dict:
    """What the charts show: the setting, and the values each line was drawn from (once the
    setting's measurements, if they had to be fetched, are drawn)."""
    page.wait_for_selector(DRAWN, timeout=20000)
    root = page.locator("#book-explorer")
    lines = page.eval_on_selector_all(
        "#book-explorer path[data-series]",
        "ps => Object.fromEntries(ps.map(p => [p.dataset.series, p.dataset.values.split(',').map(Number)]))",
    )
    return {
        "key": root.get_attribute("data-key"),
        "sigma": int(root.get_attribute("data-sigma-index")),
        "lines": lines,
    }


def expected(grid: dict, key: str, sigma: int) -> dict:
    record = grid["profiles"][key]
    out = {
        "grad_h": record["h"],
        "grad_w": record["w"],
        "factor": record["f"],
        "spread": record["a"],
    }
    if "c" in record:
        out["chi"] = record["c"]
    return {name: unpack(text)[sigma] for name, text in out.items()}


def assert_drawn_from_json(page, grid):
    view = shown(page)
    want = expected(grid, view["key"], view["sigma"])
    assert set(view["lines"]) == set(want), view["key"]
    for name, values in want.items():
        assert view["lines"][name] == pytest.approx(values, abs=1e-9), (
            view["key"],
            name,
        )
    return view


def test_every_control_redraws_from_the_published_grid(
    page, server, grid
):  # noqa: F811
    open_explorer(page, server)
    first = assert_drawn_from_json(page, grid)
    assert first["key"] == "tanh/none/none/50"

    page.select_option("#bx-act", "relu")
    view = assert_drawn_from_json(page, grid)
    assert view["key"].startswith("relu/")

    page.focus("#bx-sigma")
    page.keyboard.press("ArrowRight")  # keyboard-operable: one grid step up
    after = assert_drawn_from_json(page, grid)
    assert after["sigma"] == view["sigma"] + 1

    page.click("button[data-preset='he']")
    view = assert_drawn_from_json(page, grid)
    assert grid["sigmas"][view["sigma"]] == pytest.approx(
        grid["presets"]["he"], rel=1e-5
    )
    assert page.get_attribute("button[data-preset='he']", "aria-pressed") == "true"

    page.focus("#bx-depth")
    page.keyboard.press("End")
    assert assert_drawn_from_json(page, grid)["key"] == "relu/none/none/100"

    page.check("input[name='bx-norm'][value='batch']")
    assert assert_drawn_from_json(page, grid)["key"] == "relu/batch/none/100"
    assert (
        "chi" not in shown(page)["lines"]
    )  # mean-field χ applies without normalisation only

    page.check("input[name='bx-skip'][value='scaled']")
    assert assert_drawn_from_json(page, grid)["key"] == "relu/batch/scaled/100"

    # a cell of the map sets σ_w and depth
    page.click("#bx-map rect.bx-cell[data-sigma='2'][data-depth='0']")
    view = assert_drawn_from_json(page, grid)
    assert (
        view["key"] == f"relu/batch/scaled/{grid['depths'][0]}" and view["sigma"] == 2
    )

    # the verdict's headline: "Healthy." only when the drawn gradient stays within the tool's
    # limit and the grid has no flag for the setting (test_explorer_use.py reads it in full)
    headline = page.text_content(".bx-verdict strong")
    flags = grid["summary"][view["key"]]["flags"][2]
    drawn = view["lines"]["grad_h"]
    level = abs(drawn[0] - drawn[-1]) <= grid["thresholds"]["decades"]
    assert (headline == "Healthy.") == (level and not flags), (headline, flags, drawn)
    assert not page.watch.errors


#: Waits until the explorer shows setting ``key`` at σ index ``sigma``: drawn, its measurements
#: fetched if they had to be. (Material may redraw the page after a change of the fragment: the
#: explorer is then built afresh, so it is looked up again each time.)
SHOWING = """async ([key, sigma]) => { const start = performance.now();
  for (;;) { const root = document.getElementById('book-explorer');
    if (root && root.dataset.ready === 'true' && !root.hasAttribute('data-loading') &&
        root.dataset.key === key && +root.dataset.sigmaIndex === sigma) return root;
    if (performance.now() - start > 15000) return root;
    await new Promise(r => setTimeout(r, 20)); } }"""

READ_EVERY_SETTING = """async views => { const showing = %s; const out = [];
  for (const [fragment, key, sigma] of views) {
    location.hash = fragment;
    const root = await showing([key, sigma]);
    out.push({key: root.dataset.key, sigma: +root.dataset.sigmaIndex,
      lines: Object.fromEntries([...root.querySelectorAll('path[data-series]')].map(
        p => [p.dataset.series, p.dataset.values.split(',').map(Number)])),
      cells: [...root.querySelectorAll('#bx-map rect.bx-cell')].map(
        r => [+r.dataset.sigma, +r.dataset.depth, +r.dataset.value])}); }
  return out; }""" % SHOWING


def test_every_setting_is_drawn_from_its_published_values(page, server, grid):  # noqa: F811
    """The whole grid, read by the page from the files it fetches (the first view's, then a
    slice per activation, normalisation and skips): every setting's lines at one σ_w and depth
    (a different one for each setting, all of them in turn), and its map at every σ_w and
    depth, hold the values of the single published record."""
    open_explorer(page, server)
    settings = [(a, n, s) for a in grid["activations"] for n in grid["norms"] for s in grid["skips"]]
    wanted = [(f"{a}/{n}/{s}/{grid['depths'][i % len(grid['depths'])]}", i % len(grid["sigmas"]))
              for i, (a, n, s) in enumerate(settings)]
    fragments = [f"#act={a}&sigma={grid['sigmas'][i]}&depth={key.rsplit('/', 1)[1]}&norm={n}&skip={s}"
                 for (key, i), (a, n, s) in zip(wanted, settings)]
    seen = page.evaluate(READ_EVERY_SETTING, [[f, key, i] for f, (key, i) in zip(fragments, wanted)])
    for (key, sigma), view in zip(wanted, seen):
        assert (view["key"], view["sigma"]) == (key, sigma), (view["key"], view["sigma"], key, sigma)
        want = expected(grid, key, sigma)
        assert set(view["lines"]) == set(want), key
        for name, values in want.items():
            assert view["lines"][name] == pytest.approx(values, abs=1e-9), (key, name)
        setting = key.rsplit("/", 1)[0]
        assert sorted(map(tuple, view["cells"])) == sorted(
            (i, d, grid["summary"][f"{setting}/{depth}"]["first_last"][i])
            for d, depth in enumerate(grid["depths"]) for i in range(len(grid["sigmas"]))
        ), key
    assert not page.watch.errors


def test_map_cells_hold_the_measured_ratio(page, server, grid):  # noqa: F811
    open_explorer(page, server, "#act=gelu&sigma=1&depth=25&norm=none&skip=none")
    cells = page.eval_on_selector_all(
        "#bx-map rect.bx-cell",
        "rs => rs.map(r => [+r.dataset.sigma, +r.dataset.depth, +r.dataset.value])",
    )
    assert len(cells) == len(grid["sigmas"]) * len(grid["depths"])
    for sigma, depth, value in cells:
        assert (
            value
            == grid["summary"][f"gelu/none/none/{grid['depths'][depth]}"]["first_last"][
                sigma
            ]
        )
    assert page.locator("#bx-map .bx-critical").count() == 1
    assert page.locator("#bx-map .bx-preset").count() == 4


def test_fragment_round_trips(page, server, grid):  # noqa: F811
    fragment = "#act=elu&sigma=1.667&depth=25&norm=layer&skip=naive"
    open_explorer(page, server, fragment)
    assert shown(page)["key"] == "elu/layer/naive/25"
    assert page.input_value("#bx-act") == "elu"
    assert page.is_checked("input[name='bx-norm'][value='layer']")
    assert page.is_checked("input[name='bx-skip'][value='naive']")
    assert page.evaluate("location.hash") == fragment

    page.select_option("#bx-act", "sigmoid")
    page.check("input[name='bx-skip'][value='none']")
    moved = page.evaluate("location.hash")
    assert moved == "#act=sigmoid&sigma=1.667&depth=25&norm=layer&skip=none"
    before = shown(page)
    page.reload(wait_until="networkidle")
    page.wait_for_selector(READY)
    assert shown(page) == before and page.evaluate("location.hash") == moved

    # a jump to a heading keeps the view; a link with settings changes it
    page.evaluate("location.hash = '#references'")
    page.wait_for_timeout(200)
    assert shown(page) == before
    page.evaluate("location.hash = '#act=tanh&sigma=0.5&depth=10&norm=none&skip=naive'")
    page.wait_for_function(
        "document.querySelector('#book-explorer').dataset.key === 'tanh/none/naive/10'"
    )

    # a value between grid points snaps to the nearest measured one, and says so in the link
    open_explorer(page, server, "#act=relu&sigma=1.45&depth=90&norm=none&skip=none")
    assert shown(page)["key"] == "relu/none/none/100"
    assert grid["sigmas"][shown(page)["sigma"]] == pytest.approx(2**0.5, rel=1e-5)
    assert not page.watch.errors


def test_instant_navigation_initialises_the_explorer(page, server):  # noqa: F811
    page.goto(f"{server}/", wait_until="networkidle")
    page.click("a[href$='explore/']")
    page.wait_for_url(re.compile(r".*/explore/(#.*)?$"))
    page.wait_for_selector(READY, timeout=20000)
    assert page.locator("#bx-gradients svg").count() == 1
    assert not page.watch.errors and not page.watch.failed and not page.watch.foreign


def test_fits_a_phone_and_passes_axe(browser, server):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    for scheme in ("light", "dark"):
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, color_scheme=scheme
        )
        page = context.new_page()
        watch = PageWatch(page)
        open_explorer(
            page, server, "#act=tanh&sigma=1.2&depth=100&norm=batch&skip=scaled"
        )
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        # The whole page in the light palette (as tests/book/test_browser.py checks every
        # page); in the dark one, the explorer itself.
        scope = None if scheme == "light" else "#book-explorer"
        violations = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
            for v in Axe().run(page, context=scope).response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        context.close()
        assert (
            overflow <= 0
        ), f"{scheme}: {overflow} px of horizontal overflow at 390 px"
        assert not violations, f"{scheme}: {violations}"
        assert not watch.errors and not watch.failed and not watch.foreign


def test_the_page_files_are_the_published_records_own(built_site, grid):
    """Each data file the page reads is written from the snippet's results alone: its values
    are the published record's, and its bytes are those that publish() gives for the results
    at the build seed (as measure() returned them, in its order), so that two builds that
    measure the same publish the same files, byte for byte. The site holds no other."""
    from book.claims import BUILD_SEED
    from book.testing import measured
    from snippets.explore.explorer_grid import publish

    folder = built_site / "results" / "explorer_grid"
    files = publish(measured("snippets.explore.explorer_grid", BUILD_SEED))
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.json" for name in files)
    from_record = publish(grid)
    for name, value in files.items():
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
        assert (folder / f"{name}.json").read_bytes() == text.encode("utf-8"), name
        assert json.loads(text) == from_record[name], name
