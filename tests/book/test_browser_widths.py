"""No page is wider than its viewport, whatever fonts the reader's machine has.

Layout depends on fonts: a formula or a word set in a wide font can push a page sideways on
one machine and fit on the next. Every page of both editions is laid out at phone and tablet
widths in each of two font sets (tests.book.browsing.FONT_SETS), each in a Chromium of its
own that sees only that set's fonts.
"""

from __future__ import annotations

import pytest

from tests.book.browsing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FONT_SET_FAMILY,
    FONT_SETS,
    HAS_FAMILY,
    font_set_config,
    site_pages,
)

pytestmark = pytest.mark.build

WIDTHS = [(320, "light"), (390, "light"), (768, "light"), (390, "dark")]


@pytest.mark.parametrize("font_set", sorted(FONT_SETS))
def test_no_page_is_wider_than_its_viewport(font_set, browser, server, built_site, tmp_path):
    """Each page loaded once, then laid out at each width and scheme in turn."""
    config = font_set_config(font_set, tmp_path)
    fonts_browser = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env={"FONTCONFIG_FILE": str(config)})
    context = fonts_browser.new_context(viewport={"width": WIDTHS[0][0], "height": 800})
    page, wide = context.new_page(), []
    page.goto(f"{server}/", wait_until="load")
    # The browser really has this set's fonts, and not the other set's.
    for name, family in FONT_SET_FAMILY.items():
        assert page.evaluate(HAS_FAMILY, family) == (name == font_set), (font_set, family)
    for path in site_pages(built_site):
        page.emulate_media(color_scheme=WIDTHS[0][1])
        page.set_viewport_size({"width": WIDTHS[0][0], "height": 800})
        page.goto(f"{server}/{path}", wait_until="load")
        page.evaluate("document.fonts.ready")
        for width, scheme in WIDTHS:
            page.emulate_media(color_scheme=scheme)
            page.set_viewport_size({"width": width, "height": 800})
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                wide.append(f"{path or '/'} at {width} px ({scheme}): {scroll_width} px")
    context.close()
    fonts_browser.close()
    assert not wide, f"pages wider than their viewport with the {font_set} fonts: {wide}"
