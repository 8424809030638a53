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

pytestmark = [pytest.mark.build, pytest.mark.xdist_group("site")]

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


def test_every_page_loads_cleanly(browser, server, built_site):
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    problems = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    for path in site_pages(built_site):
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{server}/{path}", wait_until="networkidle")
        # Bring every lazy image into view so it loads, then wait for the network to settle.
        page.evaluate("document.querySelectorAll('img').forEach(img => img.loading = 'eager')")
        page.wait_for_load_state("networkidle")
        page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=20000)
        broken_images = page.evaluate(
            """Array.from(document.querySelectorAll('article img'))
                 .filter(img => img.offsetParent !== null && img.naturalWidth === 0)
                 .map(img => img.getAttribute('src'))"""
        )
        untypeset = page.evaluate(
            """document.querySelectorAll('.arithmatex').length +
               Array.from(document.querySelectorAll('article math'))
                 .filter(m => m.getBoundingClientRect().width === 0).length"""
        )
        name = path.strip("/").replace("/", "__") or "home"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        label = path or "/"
        problems += [f"{label}: console error: {e}" for e in watch.errors]
        problems += [f"{label}: failed request: {f}" for f in watch.failed]
        problems += [f"{label}: request to another host: {u}" for u in watch.foreign]
        problems += [f"{label}: image did not load: {src}" for src in broken_images]
        if untypeset:
            problems.append(f"{label}: {untypeset} formula(s) not typeset")
        page.close()
    context.close()
    assert not problems, "\n".join(problems)


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


def test_no_serious_accessibility_violations(browser, server, built_site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    page = browser.new_page()
    for path in site_pages(built_site):
        page.goto(f"{server}/{path}", wait_until="networkidle")
        violations = axe.run(page).response["violations"]
        for violation in violations:
            if violation["impact"] in {"serious", "critical"}:
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{path or '/'}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    page.close()
    assert not problems, "\n".join(problems)
