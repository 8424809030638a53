"""What the browser tests share: where Chromium is, which pages the site has, and a watch
on one page load's console, failed requests and requests to other hosts."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

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


def missing_browser() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} not found (install Debian's chromium package: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    return None


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


def page_group(path: str) -> str:
    """Which of three groups a page (its path below the site root) belongs to: "english",
    "chinese" or "notebooks". Each group is visited by its own test module
    (test_browser_pages*.py), so that pytest-xdist visits them in parallel."""
    if path.startswith("notebooks/"):
        return "notebooks"
    return "chinese" if path.startswith("zh/") else "english"


def screenshot_name(path: str) -> str:
    return path.strip("/").replace("/", "__") or "home"


def chapter_pages(site: Path) -> list[str]:
    """The home page and the chapters (every page but the generated notebooks and 404)."""
    return [p for p in site_pages(site) if not p.startswith(("notebooks/", "404"))]


def problems(reports: dict, key: str) -> list[str]:
    return [f"{path}: {item}" for path, report in reports.items() for item in (report[key] or [])]
