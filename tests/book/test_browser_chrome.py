"""What the reader sees around the chapters' text, in headless Chromium: the home page's first
screen, the zoom view of a figure, the copy button of code blocks, identifiers in tables, the
notebook pages' download link and the search results' text.

Screenshots of what these tests look at go to test-artifacts/screenshots/chrome/.
"""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests.book.browsing import ARTIFACTS, chapter_pages, svg_text_sizes

pytestmark = pytest.mark.build

SHOTS = ARTIFACTS / "chrome"
PHONE, DESKTOP = (390, 844), (1280, 800)


def _page(browser, size, scheme="light", touch=False):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme=scheme,
                                  has_touch=touch, device_scale_factor=1)
    return context, context.new_page()


# ------------------------------------------------------------------ the home page's first screen

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("edition", ["", "zh/"], ids=["en", "zh"])
def test_home_page_shows_a_figure_on_its_first_screen(browser, server, edition, size, scheme):
    """The first screen says what the book is with a measured figure, not only text and formulas:
    the figure is loaded, drawn for the scheme shown, and whole inside the first viewport."""
    context, page = _page(browser, size, scheme)
    page.goto(f"{server}/{edition}", wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    page.wait_for_function("Array.from(document.querySelectorAll('article figure img'))"
                           ".filter(img => img.offsetParent !== null).every(img => img.complete)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"home-{edition.strip('/') or 'en'}-{size[0]}-{scheme}.png"))
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('article figure.book-figure img'))
      .filter(img => img.offsetParent !== null)
      .map(img => { const box = img.getBoundingClientRect();
                    return {src: img.src, loaded: img.complete && img.naturalWidth > 0,
                            top: box.top, bottom: box.bottom, left: box.left, right: box.right, width: box.width}; })""")
    context.close()
    assert shown, "the home page shows no figure"
    first = shown[0]
    assert first["loaded"] and first["src"].endswith("#only-" + scheme), first
    assert first["top"] >= 0 and first["bottom"] <= size[1], f"the figure is not inside the first screen: {first}"
    assert first["left"] >= 0 and first["right"] <= size[0] and first["width"] >= size[0] / 2, first


# ------------------------------------------------------------------ the zoom view

def _smallest_text(page, built_site) -> tuple[float, float]:
    """The zoomed figure's rendered width and its smallest text, in CSS px as shown."""
    src, width = page.eval_on_selector(".gslide.current img",
                                       "img => [img.currentSrc || img.src, img.getBoundingClientRect().width]")
    svg = (built_site / urlsplit(src).path.lstrip("/")).read_text(encoding="utf-8")
    width_pt = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
    return width, min(svg_text_sizes(svg)) * width / width_pt


def _open_zoom_view(page, tap: bool):
    link = page.locator("article a.glightbox[href*='#only-light']").first
    link.scroll_into_view_if_needed()
    link.tap() if tap else link.click()
    page.wait_for_selector(".gslide.current img", state="visible", timeout=15000)
    page.wait_for_timeout(800)  # the opening animation


def _swipe(page, x: float, y: float, dx: float, dy: float) -> None:
    """A finger dragged across the screen (touch events, as a phone sends them)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": [{"x": x + dx * step / 10, "y": y + dy * step / 10}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(500)


#: In the page: the zoom view's state (the pan box's scroll, which figure, whether it is open).
ZOOM_STATE = """() => { const box = document.querySelector('.gslide.current .gslide-media');
  const slides = Array.from(document.querySelectorAll('.gslide'));
  return {left: box.scrollLeft, slide: slides.indexOf(document.querySelector('.gslide.current')),
          open: !!document.querySelector('.glightbox-container')}; }"""


def test_zoom_view_enlarges_a_figure_beyond_a_phones_screen(browser, server, built_site):
    """On a phone the zoom view first fits the desktop drawing to the screen's width; a tap
    enlarges it past the screen, its text readable, and a finger pans it (the view stays on
    the same figure); a second tap brings it back."""
    context, page = _page(browser, PHONE, touch=True)
    page.goto(f"{server}/deep_networks/", wait_until="networkidle")
    _open_zoom_view(page, tap=True)
    fitted, _ = _smallest_text(page, built_site)
    assert fitted <= PHONE[0] + 1
    page.locator(".gslide.current img").tap()
    page.wait_for_timeout(300)
    width, text = _smallest_text(page, built_site)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "zoom-phone.png"))
    assert width > PHONE[0] and text >= 12, (width, text)
    before = page.evaluate(ZOOM_STATE)
    _swipe(page, 300, PHONE[1] / 2, -250, 0)
    after = page.evaluate(ZOOM_STATE)
    assert after["open"] and after["slide"] == before["slide"], (before, after)
    assert after["left"] >= before["left"] + 100, f"a swipe did not pan the figure: {before} -> {after}"
    page.locator(".gslide.current img").tap(position={"x": 10, "y": 10})
    page.wait_for_timeout(300)
    shrunk, _ = _smallest_text(page, built_site)
    context.close()
    assert shrunk <= PHONE[0] + 1, shrunk


def test_zoom_view_enlarges_a_figure_on_the_desktop(browser, server, built_site):
    context, page = _page(browser, DESKTOP)
    page.goto(f"{server}/deep_networks/", wait_until="networkidle")
    _open_zoom_view(page, tap=False)
    fitted, _ = _smallest_text(page, built_site)
    page.locator(".gslide.current img").click()
    page.wait_for_timeout(300)
    width, text = _smallest_text(page, built_site)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "zoom-desktop.png"))
    page.locator(".gslide.current img").click(position={"x": 10, "y": 10})
    page.wait_for_timeout(300)
    shrunk, _ = _smallest_text(page, built_site)
    context.close()
    assert width > fitted and text >= 12, (fitted, width, text)
    assert abs(shrunk - fitted) < 1, (fitted, shrunk)


# ------------------------------------------------------------------ code blocks

#: In the page: each code block's visible characters that lie under its copy button, with the
#: code scrolled to its start and to its end (a long line runs under the button's corner).
UNDER_THE_COPY_BUTTON = """() => {
  const hits = [], range = document.createRange();
  const meet = (a, b) => Math.min(a.right, b.right) > Math.max(a.left, b.left) &&
                         Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);
  const check = (code, button, label) => {
    const b = button.getBoundingClientRect(), clip = code.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        if (/\\s/.test(node.data[i])) continue;
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.bottom < clip.top || r.top > clip.bottom || r.bottom < b.top || r.top > b.bottom) continue;
        // Only the part inside the code's box is drawn (the rest is scrolled out of it).
        const shown = {left: Math.max(r.left, clip.left), right: Math.min(r.right, clip.right),
                       top: Math.max(r.top, clip.top), bottom: Math.min(r.bottom, clip.bottom)};
        if (shown.right > shown.left && shown.bottom > shown.top && meet(shown, b)) {
          hits.push(label + ': "' + node.data.slice(Math.max(0, i - 6), i + 6).trim() + '"');
          return;
        }
      }
    }
  };
  let checked = 0;
  document.querySelectorAll('article pre > code').forEach((code, n) => {
    const button = code.parentElement.querySelector('.md-code__nav');
    if (!button || button.offsetParent === null) return;
    checked += 1;
    const start = code.scrollLeft;
    check(code, button, 'block ' + n);
    code.scrollLeft = code.scrollWidth;
    check(code, button, 'block ' + n + ' scrolled to its end');
    code.scrollLeft = start;
  });
  return {checked, hits};
}"""


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_copy_button_covers_no_code(browser, server, built_site, size):
    """Folded (as a page opens) and unfolded: no character of code is drawn under the button."""
    context, page = _page(browser, size)
    checked, hits = 0, []
    for path in [p for p in chapter_pages(built_site) if not p.startswith("zh/")]:
        page.goto(f"{server}/{path}", wait_until="load")
        for state in ("folded", "unfolded"):
            if state == "unfolded":
                page.evaluate("document.querySelectorAll('.book-code-fold-toggle').forEach(b => b.click())")
            found = page.evaluate(UNDER_THE_COPY_BUTTON)
            checked += found["checked"]
            hits += [f"{path or '/'} ({state}) {hit}" for hit in found["hits"]]
    context.close()
    assert checked >= 60 and not hits, (checked, hits[:10])


# ------------------------------------------------------------------ identifiers in tables

#: In the page: the inline code in tables that is cut over two lines.
CUT_IN_A_TABLE = """() => Array.from(document.querySelectorAll('article table code'))
  .filter(code => code.offsetParent !== null && !/\\s/.test(code.textContent.trim()))
  .filter(code => new Set(Array.from(code.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size > 1)
  .map(code => code.textContent)"""


def test_identifiers_in_tables_stay_whole_on_a_phone(browser, server, built_site):
    context, page = _page(browser, PHONE)
    cut, seen = [], 0
    for path in chapter_pages(built_site):
        if "<table>" not in (built_site / path / "index.html").read_text(encoding="utf-8"):
            continue
        page.goto(f"{server}/{path}", wait_until="load")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        seen += page.evaluate("document.querySelectorAll('article table code').length")
        cut += [f"{path}: {name}" for name in page.evaluate(CUT_IN_A_TABLE)]
    context.close()
    assert seen >= 20 and not cut, cut


# ------------------------------------------------------------------ notebook pages

def test_notebook_download_link_follows_the_title(browser, server, built_site):
    notebooks = sorted((built_site / "notebooks").glob("*/index.html"))
    assert notebooks
    for html in notebooks:
        text = html.read_text(encoding="utf-8")
        assert re.search(r'</h1>\s*<p class="book-notebook-download">', text), html.parent.name
    context, page = _page(browser, PHONE)
    page.goto(f"{server}/notebooks/lstm/", wait_until="load")
    title, link = page.evaluate("""[document.querySelector('article h1').getBoundingClientRect().bottom,
                                    document.querySelector('.book-notebook-download').getBoundingClientRect().top]""")
    context.close()
    assert link >= title, (title, link)


# ------------------------------------------------------------------ search results

def test_search_index_reads_formulas_in_a_linear_form(built_site):
    """A search result shows the section's prose. A display formula is left out of the index;
    an inline one is written on a line, its subscripts and superscripts marked (the index
    keeps <sub> and <sup>), not as its symbols run together ("zl=Wlhl−1")."""
    display = re.compile(r'<div class="book-math book-math-display"[^>]*>(.*?)</div>', re.S)
    inline = re.compile(r"<math\b[^>]*>(.*?)</math>", re.S)
    scripted = re.compile(r"<(?:msub|msup|msubsup|mfrac|munderover)>")
    displays = inlines = 0
    for index_file in (built_site / "search" / "search_index.json", built_site / "zh" / "search" / "search_index.json"):
        docs = json.loads(index_file.read_text(encoding="utf-8"))["docs"]
        text = {}
        for doc in docs:
            page = doc["location"].split("#")[0]
            text[page] = text.get(page, "") + doc["text"]
        for page, indexed in text.items():
            html_file = built_site / page / "index.html"
            if not html_file.is_file():
                continue
            html = html_file.read_text(encoding="utf-8")
            for match in display.finditer(html):
                flat = unescape(re.sub(r"<[^>]+>", "", match.group(1)))
                if len(flat) >= 8:
                    displays += 1
                    assert flat not in indexed, f"{page}: {flat[:60]}"
            for match in inline.finditer(display.sub("", html)):
                flat = unescape(re.sub(r"<[^>]+>", "", match.group(1)))
                if len(flat) >= 6 and scripted.search(match.group(1)):
                    inlines += 1
                    assert flat not in indexed, f"{page}: {flat}"
    assert displays >= 50 and inlines >= 100, (displays, inlines)
    glossary = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert any("∂ℒ/∂h<sub>l</sub>" in doc["text"] for doc in glossary if doc["location"].startswith("glossary/"))


def test_a_search_result_reads_as_prose(browser, server):
    """The home page's section that opens with the chain rule's formula, found by a word of
    its prose: the result shows the words, not the formula's symbols."""
    context, page = _page(browser, DESKTOP)
    page.goto(f"{server}/", wait_until="networkidle")
    page.click("input.md-search__input")
    page.keyboard.type("chain rule gives", delay=50)
    page.wait_for_selector(".md-search-result__item", timeout=30000)
    page.wait_for_timeout(1500)
    texts = page.eval_on_selector_all(".md-search-result__item", "items => items.map(i => i.textContent)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-result.png"))
    context.close()
    assert texts and not [t for t in texts if "∏" in t], texts[:3]
