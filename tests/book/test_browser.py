"""Real-browser tests of the built site in headless Chromium (Playwright): layout at phone
and tablet widths, figures, claims, search in both editions, the language switcher, instant
navigation. (Every page's first-visit weight, console, requests and accessibility are
checked in test_browser_pages*.py, which run beside this file.)

Uses Debian's Chromium (/usr/bin/chromium; `make test` installs it where it can). Without
it these tests skip and say why — except under CI=true, where a missing browser fails.
Screenshots of every page go to test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.book.browsing import (
    ARTIFACTS,
    chapter_pages,
    screenshot_name,
    serve_sitemap_locally,
    site_pages,
    smallest_figure_text,
)

pytestmark = pytest.mark.build


def search(browser, server, start: str, query: str) -> tuple[list[str], list[str]]:
    """Type ``query`` into the search of page ``start`` like a reader (the index loads in a
    web worker, so every key event must fire): the results' paths and titles, once they have
    settled."""
    page = browser.new_page()
    page.goto(f"{server}/{start}", wait_until="networkidle")
    page.click("input.md-search__input")
    page.keyboard.type(query, delay=50)
    page.wait_for_selector(".md-search-result__item", timeout=30000)
    # The index loads when the search is first focused (overrides/main.html); keys typed
    # while the worker was still building it may not have been searched. Edit the query once
    # more, as a reader would, so that the last search is for the whole query.
    page.wait_for_timeout(1000)
    page.keyboard.type(" ")
    page.keyboard.press("Backspace")
    read = ("() => Array.from(document.querySelectorAll('.md-search-result__item > a'))"
            ".map(a => new URL(a.href).pathname)")
    links, stable = page.evaluate(read), 0
    for _ in range(40):  # the same list twice in a row, 250 ms apart (at most 10 s)
        page.wait_for_timeout(250)
        again = page.evaluate(read)
        stable, links = (stable + 1 if again == links else 0), again
        if stable >= 2:
            break
    titles = page.eval_on_selector_all(".md-search-result__item h1, .md-search-result__item h2",
                                       "els => els.map(e => e.textContent)")
    page.close()
    return links, titles


def test_search_finds_a_chapter_by_a_body_term(browser, server):
    links, _ = search(browser, server, "", "Lyapunov")
    assert any("deep_networks" in link for link in links), links


def test_palette_toggle_switches_figures(browser, server):
    page = browser.new_page(color_scheme="light")
    page.goto(f"{server}/deep_networks/", wait_until="networkidle")

    def visible(selector: str) -> bool:
        return page.eval_on_selector(selector, "img => img.offsetParent !== null")

    light, dark = "article img[src*='#only-light']", "article img[src*='#only-dark']"
    assert visible(light) and not visible(dark)
    page.click("form[data-md-component='palette'] label:visible")
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert visible(dark) and not visible(light)
    page.close()


def test_instant_navigation_keeps_math_typeset(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/", wait_until="networkidle")
    page.click("article a[href$='deep_networks/']")  # Material swaps the page in without a reload
    page.wait_for_url(re.compile(r".*/deep_networks/(#.*)?$"))
    page.wait_for_selector("article h1:has-text('Deep networks')")
    widths = page.eval_on_selector_all("article math", "ms => ms.map(m => m.getBoundingClientRect().width)")
    page.close()
    assert len(widths) > 10 and all(width > 0 for width in widths)


# ------------------------------------------------------------------ reading on every device

@pytest.fixture(scope="module")
def phone_visits(browser, server, built_site) -> dict[str, dict]:
    """Each chapter visited once as a phone shows it (390 × 844): a screenshot, kept as a
    test artifact, and what the two tests below check."""
    folder = ARTIFACTS / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, has_touch=True)
    page, visits = context.new_page(), {}
    for path in chapter_pages(built_site):
        page.goto(f"{server}/{path}", wait_until="load")
        page.evaluate("document.fonts.ready")
        page.evaluate("document.querySelectorAll('img').forEach(img => img.loading = 'eager')")
        page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=20000)
        figure_text = smallest_figure_text(page, built_site)
        # The side boxes open folded on a phone, and open at a tap, as a reader's does.
        folded = page.eval_on_selector_all("details.book-phone-folded", "ds => ds.map(d => d.open)")
        for summary in page.locator("details.book-phone-folded > summary").all():
            summary.tap()
        opened = page.eval_on_selector_all("details.book-phone-folded", "ds => ds.map(d => d.open)")
        visits[path] = {
            "folded": folded, "opened": opened, "figure_text": figure_text,
            "formulas": page.evaluate(
                """Array.from(document.querySelectorAll('.book-math-display, .book-math-inline'))
                     .filter(box => box.scrollWidth > box.clientWidth + 1 && box.tabIndex !== 0)
                     .map(box => 'unfocusable scrolling formula ' + box.querySelector('math').getAttribute('alttext'))"""
            ),
            "claims": page.eval_on_selector_all(
                ".book-claims", "bs => bs.map(b => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right])"
            ),
            # The statement is the main text: at least as large as the numbers under it.
            "claim_sizes": page.eval_on_selector_all(
                ".book-claim", "cs => cs.slice(0, 1).map(c => [parseFloat(getComputedStyle(c.querySelector('.book-claim-statement')).fontSize),"
                " parseFloat(getComputedStyle(c.querySelector('dd')).fontSize)])"),
        }
        page.screenshot(path=str(folder / f"{screenshot_name(path)}.png"), full_page=True)
    context.close()
    return visits


#: Phone figures whose text is still below 9 CSS px, each with why. Strict: a figure that
#: reads at 9 px or more fails the test until it is taken off, so the list can only shrink.
SMALL_ON_A_PHONE: dict[str, str] = {}


def test_figure_text_is_at_least_9_css_px_on_a_phone(phone_visits):
    """A phone gets each figure drawn for its width (panels stacked): its smallest text, as
    the phone shows it, is still readable."""
    sizes = {name: px for visit in phone_visits.values() for name, px in visit["figure_text"].items()}
    assert len(sizes) >= 40 and all(".phone." in name for name in sizes), sorted(sizes)[:5]
    small = {name: round(px, 1) for name, px in sizes.items() if px < 9 and name not in SMALL_ON_A_PHONE}
    assert not small, small
    readable = [name for name in SMALL_ON_A_PHONE if sizes.get(name, 0) >= 9]
    assert not readable, f"now at least 9 px on a phone: take them off SMALL_ON_A_PHONE: {readable}"


def test_phone_views_of_every_chapter(phone_visits):
    """Each long display formula scrolls inside its own box, which the keyboard can reach."""
    problems = [problem for visit in phone_visits.values() for problem in visit["formulas"]]
    assert len(phone_visits) >= 12 and not problems, problems


#: Counts the page's layout shifts (as Chrome's Cumulative Layout Shift does, without the
#: session windows: every shift from the start is summed, a stricter figure).
LAYOUT_SHIFT = """window.bookShift = 0;
new PerformanceObserver(list => { for (const entry of list.getEntries())
  if (!entry.hadRecentInput) window.bookShift += entry.value; }).observe({type: 'layout-shift', buffered: true});"""


#: Pages whose layout still shifts when opened at a section, each with why (checked below:
#: strict, the list can only shrink).
SHIFTS_ON_A_SECTION_LINK: dict[str, str] = {}


def test_opening_a_section_link_does_not_shift_the_layout(browser, server, built_site):
    """A search result or a table-of-contents link lands mid-page: what loads or folds above
    the section (figures, formulas, folded code, folded boxes) must not push it away."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page, shifts = context.new_page(), {}
    page.add_init_script(LAYOUT_SHIFT)
    for path in [*chapter_pages(built_site), "zh/lstm/"]:
        if path in SHIFTS_ON_A_SECTION_LINK:
            continue
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        sections = re.findall(r'<h2 id="([^"]+)"', html)
        target = f"{path}#{sections[len(sections) // 2]}"
        page.goto(f"{server}/{target}", wait_until="networkidle")
        page.evaluate("document.fonts.ready")
        page.wait_for_timeout(300)
        shifts[target] = page.evaluate("window.bookShift")
    for path in SHIFTS_ON_A_SECTION_LINK:
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        sections = re.findall(r'<h2 id="([^"]+)"', html)
        page.goto(f"{server}/{path}#{sections[len(sections) // 2]}", wait_until="networkidle")
        page.wait_for_timeout(300)
        known = page.evaluate("window.bookShift")
        assert known > 0.1, f"{path} no longer shifts ({known:.3f}): take it off SHIFTS_ON_A_SECTION_LINK"
    context.close()
    assert len(shifts) >= 13 and max(shifts.values()) <= 0.1, {k: round(v, 3) for k, v in shifts.items() if v > 0.1}


def test_lightbox_opens_on_screen_on_a_phone(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server}/deep_networks/", wait_until="networkidle")
    page.evaluate("document.querySelector('a.glightbox[href*=only-light]').click()")
    page.wait_for_selector(".gslide.current img", state="visible", timeout=15000)
    page.wait_for_timeout(800)  # the opening animation
    left, right = page.eval_on_selector(".gslide.current img", "i => [i.getBoundingClientRect().left, i.getBoundingClientRect().right]")
    page.close()
    assert left >= -1 and right <= 391, (left, right)


def test_side_boxes_open_folded_on_a_phone_and_open_at_a_tap(phone_visits):
    """How to run the chapter and its tested claims open folded on a phone, so that the
    chapter's text comes first; a tap opens each."""
    boxes = [(path, folded, opened) for path, visit in phone_visits.items()
             for folded, opened in zip(visit["folded"], visit["opened"])]
    assert len(boxes) >= 20  # a run-it box and a claims block on most chapters
    assert not [b for b in boxes if b[1] or not b[2]], [b for b in boxes if b[1] or not b[2]]


def test_claims_block_reads_on_a_phone(phone_visits):
    problems, seen = [], 0
    for path, visit in phone_visits.items():
        seen += len(visit["claims"])
        problems += [f"{path}: {b}" for b in visit["claims"] if b[0] > b[1] + 1 or b[2] > 391]
        problems += [f"{path}: statement {a} px < numbers {b} px" for a, b in visit["claim_sizes"] if a < b]
    assert seen >= 10 and not problems, problems


@pytest.mark.parametrize("query, chapter", [
    ("forget gate", "/lstm/"), ("xavier", "/relu_initialisation/"),
    # The book's overview answers the topic itself; the API reference (whose every entry
    # says "gradient") comes after the chapters.
    ("exploding gradient", "/"), ("gradient clipping", "/clipping_regularisation/"),
])
def test_search_ranks_chapters_first(browser, server, query, chapter):
    links, titles = search(browser, server, "", query)
    assert links and not any("/notebooks/" in link for link in links[:5]), links[:5]
    assert links[0] == chapter, links[:3]
    assert not any("¶" in title for title in titles), titles


def test_the_explorer_grid_is_small_to_transfer(built_site):
    import gzip

    data = (built_site / "results" / "explorer_grid.json").read_bytes()
    assert len(gzip.compress(data, 6)) <= 300 * 1024, f"{len(gzip.compress(data, 6)) / 1024:.0f} KB compressed"


def test_search_index_loads_when_the_search_is_used(browser, server):
    page, requested = browser.new_page(), []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server}/lstm/", wait_until="networkidle")
    assert not any("search_index.json" in url for url in requested)
    page.click("input.md-search__input")
    page.keyboard.type("clipping", delay=50)
    page.wait_for_selector(".md-search-result__item", timeout=30000)
    page.close()
    assert any("search_index.json" in url for url in requested)


#: Notebook pages that may weigh more than 300 KB, with the most they may weigh and why.
HEAVY_NOTEBOOKS = {
    "explore": (310, "the explorer's program is one 900-line cell, highlighted (measured 302 KB)"),
    "weight_scale": (400, "six experiments' programs, 232 KB of highlighted code (measured 380 KB)"),
}


def test_notebook_pages_are_light(built_site):
    pages = sorted((built_site / "notebooks").glob("*/index.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        name = page.parent.name
        limit = HEAVY_NOTEBOOKS.get(name, (300, ""))[0]
        assert len(html.encode()) <= limit * 1024, f"{name}: {len(html.encode()) / 1024:.0f} KB"
        assert not re.search(r"data:image/[a-z+]+;base64,", html), f"{name}: an inline base64 image"
        assert "No description has been provided" not in html, f"{name}: an image without alt text"
        assert not [style for style in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S) if len(style) > 2000]
    assert (built_site / "assets" / "book-notebook.css").is_file()


def test_sitemap_lists_every_page(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    listed = {urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap)}
    assert listed, "sitemap.xml lists no URL (is site_url set?)"
    root = min(listed, key=len)  # the home page: the site's own path
    missing = [path for path in site_pages(built_site) if not path.startswith("404") and root + path not in listed]
    assert not missing, missing


def test_instant_navigation_does_not_reload_the_page(browser, server):
    """The sitemap is served as at the test's address (see serve_sitemap_locally)."""
    page, requested = browser.new_page(), []
    serve_sitemap_locally(page, server)
    page.goto(f"{server}/", wait_until="networkidle")
    page.evaluate("window.bookMarker = 42")
    page.on("request", lambda request: requested.append(request.url))
    page.click("article a[href$='lstm/']")
    page.wait_for_url(re.compile(r".*/lstm/(#.*)?$"))  # navigation.tracking adds the section read
    page.wait_for_selector("article h1:has-text('LSTM')")
    marker = page.evaluate("window.bookMarker")
    page.close()
    assert marker == 42, "the click reloaded the page (instant navigation is off)"
    assert not any(url.endswith((".js", ".css")) for url in requested), requested


def test_math_uses_the_sites_own_math_font(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/lstm/", wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    family = page.eval_on_selector("article math", "m => getComputedStyle(m).fontFamily")
    loaded = page.evaluate("""Array.from(document.fonts).filter(f => f.family.includes('Book Math') && f.status === 'loaded').length""")
    page.close()
    assert family.startswith('"Book Math"') and loaded == 1, (family, loaded)


@pytest.mark.parametrize("query, chapter", [
    ("遗忘门", "zh/lstm/"), ("批量归一化", "zh/batch_norm/"),
    # Material's worker never tries a word ending at the query's last character, so the whole term
    # was searched as 残差* and this chapter ranked second; the book's worker cuts the query itself
    # (overrides/assets/javascripts/workers/book_search.js).
    ("残差连接", "zh/residual_connections/"),
    ("梯度裁剪", "zh/clipping_regularisation/"), ("梯度爆炸", None),
])
def test_chinese_search_finds_chinese_chapters(browser, server, query, chapter):
    """Typed without spaces, as Chinese is: the search cuts the query into the index's words."""
    links, _ = search(browser, server, "zh/", query)
    assert links and all(link.startswith("/zh/") for link in links), links[:5]
    if chapter:
        assert links[0] == "/" + chapter, links[:3]


def test_english_search_finds_no_chinese_page(browser, server):
    links, _ = search(browser, server, "", "LSTM")
    assert links and not any(link.startswith("/zh/") for link in links), links


def _switch(page, lang: str) -> None:
    page.hover(".md-header__option .md-select")
    page.click(f".md-select__link[hreflang={lang}]")


def test_the_language_switcher_opens_the_same_page_both_ways(browser, server):
    """Also after instant navigation, which does not redraw the header: the links follow."""
    page = browser.new_page()
    serve_sitemap_locally(page, server)
    page.goto(f"{server}/lstm/#what-the-source-note-says-and-what-we-measured", wait_until="networkidle")
    _switch(page, "zh")
    page.wait_for_url(f"{server}/zh/lstm/#what-the-source-note-says-and-what-we-measured")
    assert page.evaluate("document.documentElement.lang") == "zh"
    _switch(page, "en")
    page.wait_for_url(f"{server}/lstm/#what-the-source-note-says-and-what-we-measured")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(f"{server}/zh/", wait_until="networkidle")
    page.evaluate("window.bookMarker = 42")
    page.click("article a[href$='batch_norm/']")
    page.wait_for_url(re.compile(r".*/zh/batch_norm/(#.*)?$"))
    page.wait_for_timeout(300)
    assert page.evaluate("window.bookMarker") == 42, "instant navigation is off"
    _switch(page, "en")
    page.wait_for_url(f"{server}/batch_norm/")
    page.unroute_all(behavior="ignoreErrors")
    page.close()


@pytest.mark.parametrize("start", ["", "zh/", "notebooks/lstm/"])
def test_the_explorer_loads_when_reached_by_instant_navigation(browser, server, start):
    """Most readers reach the explorer from another page, which Material swaps out without a
    reload: the explorer's script and styles must still be found, and the charts drawn."""
    page, failed = browser.new_page(viewport={"width": 1280, "height": 900}), []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    serve_sitemap_locally(page, server)
    page.goto(f"{server}/{start}", wait_until="networkidle")
    page.evaluate("window.bookMarker = 42")
    page.click("nav.md-nav--primary a[href$='explore/']:visible >> nth=0")
    page.wait_for_url(re.compile(r".*/explore/(#.*)?$"))
    page.wait_for_selector("#book-explorer[data-ready='true']", timeout=20000)
    drawn = page.eval_on_selector_all("#book-explorer path[data-series]", "paths => paths.length")
    reloaded = page.evaluate("window.bookMarker") != 42
    page.unroute_all(behavior="ignoreErrors")
    page.close()
    assert not reloaded, "the click reloaded the page: this test needs instant navigation"
    assert drawn > 0 and not failed, (drawn, failed)
