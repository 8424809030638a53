"""Real-browser tests: every page of the built site in headless Chromium (Playwright).

Uses Debian's Chromium (/usr/bin/chromium; `make test` installs it where it can). Without
it these tests skip and say why — except under CI=true, where a missing browser fails.
Screenshots of every page go to test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.build

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} not found (install Debian's chromium package: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(built_site):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def site_pages(site: Path) -> list[str]:
    pages = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        if relative.startswith(("assets", "search")):
            continue
        pages.append("" if relative == "." else relative + "/")
    return pages


class PageWatch:
    """Console errors, failed requests and requests to other hosts, for one page load."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} ({req.failure})"))
        page.on("request", self._request)

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)


@pytest.fixture(scope="module")
def page_reports(browser, server, built_site) -> dict[str, dict]:
    """Visit every page once; record what each test below checks, and save a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
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


def problems(reports: dict, key: str) -> list[str]:
    return [f"{path}: {item}" for path, report in reports.items() for item in (report[key] or [])]


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


def test_search_finds_a_chapter_by_a_body_term(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/", wait_until="networkidle")
    # The search index loads in a web worker; type like a reader so every key event fires.
    page.click("input.md-search__input")
    page.keyboard.type("Lyapunov", delay=50)
    page.wait_for_selector(".md-search-result__item", timeout=30000)
    links = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(a => a.href)")
    page.close()
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
    page.wait_for_url("**/deep_networks/")
    page.wait_for_selector("article h1:has-text('Deep networks')")
    widths = page.eval_on_selector_all("article math", "ms => ms.map(m => m.getBoundingClientRect().width)")
    page.close()
    assert len(widths) > 10 and all(width > 0 for width in widths)
