"""What a first visit of the Explore page transfers before the explorer can be used, and how
long that takes on a slow connection. Shared by tests/explore/test_explorer_load.py and
scripts/bench_explorer_load.py.

"Usable" is the moment the explorer marks itself ready (``data-ready``: its controls answer and
its charts are drawn). Every file the page requested before that moment counts, whether the
explorer needed it or not (a figure further down competes for the same connection), at its
gzip-compressed size (level 6, what a static host serves; a file that is compressed already,
a font or a PNG, barely changes). The test server may not compress, so the sizes are computed
from the bodies, not read from the wire.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from tests.book.browsing import CHROMIUM, CHROMIUM_ARGS

#: Chrome DevTools' "Slow 4G" preset (named "Fast 3G" before May 2024): about 1.6 Mbit/s down
#: and 750 kbit/s up, each times 0.9, and 150 ms × 3.75 of latency added to every request
#: (devtools-frontend, front_end/core/sdk/NetworkManager.ts, Slow4GConditions).
SLOW_4G = {
    "offline": False,
    "latency": 150 * 3.75,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
#: The budget of a first visit, compressed: what the page must load before the explorer is
#: usable (page, scripts, styles, fonts, the grid its first view needs), so that on Slow 4G
#: (180 kB/s) the bytes take under a second of the three the first screen may take.
FIRST_VISIT_BUDGET = 150 * 1024

READY = "#book-explorer[data-ready='true']"
#: Records when the explorer marks itself ready (ms since the navigation started).
READY_CLOCK = """new MutationObserver((changes, observer) => {
  const root = document.getElementById('book-explorer');
  if (root && root.dataset.ready === 'true' && window.bookExplorerReadyAt === undefined) {
    window.bookExplorerReadyAt = performance.now(); observer.disconnect(); }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});"""

COMPRESSED_TYPES = (".html", ".css", ".js", ".json", ".svg", ".xml", "/")


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, 6, mtime=0))


@contextmanager
def serve(site, compress: bool = False):
    """The built site at a local address; with ``compress``, text files are sent gzipped (as a
    static host sends them), so that a throttled connection carries what it would carry."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_head(self):
            path = urlsplit(self.path).path
            wants = "gzip" in self.headers.get("Accept-Encoding", "")
            if not (compress and wants and path.endswith(COMPRESSED_TYPES)):
                return super().send_head()
            local = self.translate_path(self.path)
            if path.endswith("/"):
                local += "/index.html"
            try:
                with open(local, "rb") as handle:
                    body = gzip.compress(handle.read(), 6, mtime=0)
            except OSError:
                return super().send_head()
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(local))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def first_visit(browser, address: str, viewport=(1280, 900), throttle: dict | None = None) -> dict:
    """Opens ``address`` (the Explore page) in a fresh browser (nothing cached) and returns
    ``{"ready_ms", "files": [(path, bytes, gzip bytes, before ready)], "before", "after"}``:
    the compressed bytes requested before the explorer was usable and after it."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    bodies = {}

    def received(response):
        try:
            bodies[response.url] = response.body()
        except Exception:  # a redirect or an aborted request has no body
            bodies.setdefault(response.url, b"")

    page.on("response", received)
    page.add_init_script(READY_CLOCK)
    if throttle:
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", throttle)
    try:
        page.goto(address, wait_until="commit", timeout=120000)
        page.wait_for_selector(READY, timeout=120000)
        page.wait_for_function("window.bookExplorerReadyAt !== undefined")
        ready = page.evaluate("window.bookExplorerReadyAt")
        page.wait_for_load_state("networkidle", timeout=120000)
        page.wait_for_timeout(300)
        started = dict(page.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.startTime])"))
        started[page.evaluate("location.href.split('#')[0]")] = 0.0  # the page itself
    finally:
        context.close()
    files = []
    for url, body in bodies.items():
        base = url.split("#")[0]
        start = started.get(base, started.get(url))
        path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
        files.append((path, len(body), gzip_size(body), start is not None and start <= ready))
    return {
        "ready_ms": ready,
        "files": files,
        "before": sum(f[2] for f in files if f[3]),
        "after": sum(f[2] for f in files if not f[3]),
    }
