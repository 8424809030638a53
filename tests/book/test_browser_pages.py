"""Every page of the built site (both editions and the notebooks), visited once in headless
Chromium: console errors, failed requests, requests to other hosts, images, typeset math
and axe's serious violations, with a full-page screenshot of each in
test-artifacts/screenshots/. The other browser tests are in test_browser.py; the two files
run in parallel under pytest-xdist.
"""

from __future__ import annotations

import pytest

from tests.book.browsing import ARTIFACTS, PageWatch, problems, site_pages

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def page_reports(browser, server, built_site) -> dict[str, dict]:
    """Visit every page once; record what each test below checks, and save a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    # Only this fixture's own screenshots are replaced (the phone views live in phone/).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    axe, reports = Axe(), {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    for path in site_pages(built_site):
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{server}/{path}", wait_until="networkidle")
        # Load every lazy image now, then wait for the network to settle.
        page.evaluate("document.querySelectorAll('img').forEach(img => img.loading = 'eager')")
        page.wait_for_load_state("networkidle")
        page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=20000)
        reports[path or "/"] = {
            "console": watch.errors,
            "failed": watch.failed,
            "foreign": watch.foreign,
            "broken_images": page.evaluate(
                """Array.from(document.querySelectorAll('article img'))
                     .filter(img => img.offsetParent !== null && img.naturalWidth === 0)
                     .map(img => img.getAttribute('src'))"""
            ),
            "untypeset": page.evaluate(
                """document.querySelectorAll('.arithmatex').length +
                   Array.from(document.querySelectorAll('article math'))
                     .filter(m => m.getBoundingClientRect().width === 0).length"""
            ),
            "axe": [
                f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes'][:3]]}"
                for v in axe.run(page).response["violations"]
                if v["impact"] in {"serious", "critical"}
            ],
        }
        name = path.strip("/").replace("/", "__") or "home"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.close()
    context.close()
    return reports


def test_no_console_error_or_failed_request(page_reports):
    assert not problems(page_reports, "console") + problems(page_reports, "failed")


def test_no_request_to_another_host(page_reports):
    assert len(page_reports) >= 12  # every chapter, the home page and the notebooks
    assert not problems(page_reports, "foreign")


def test_every_image_loaded(page_reports):
    assert not problems(page_reports, "broken_images")


def test_every_formula_typeset(page_reports):
    assert not [f"{path}: {r['untypeset']} formula(s)" for path, r in page_reports.items() if r["untypeset"]]


def test_no_serious_accessibility_violations(page_reports):
    assert not problems(page_reports, "axe")
