"""What the browser tests share: where Chromium is, which pages the site has, and a watch
on one page load's console, failed requests and requests to other hosts."""

from __future__ import annotations

import os
import re
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
        page.on("requestfailed", self._failed)
        page.on("request", self._request)

    def _failed(self, request):
        # The browser cancelling its own request to the site (net::ERR_ABORTED: the page closed,
        # or a figure's other drawing was chosen) is not a failure of the site's: a file the site
        # lacks answers 404, which the console reports, and a figure not shown fails the
        # figures-seen tests.
        if "ERR_ABORTED" in (request.failure or "") and urlsplit(request.url).hostname in LOCAL_HOSTS:
            return
        self.failed.append(f"{request.url} ({request.failure})")

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


#: The font sets the layout is tested under: a page must fit its viewport whichever fonts a
#: reader's machine has. Each set is one Latin family's folder (DejaVu is wide, Liberation has
#: Arial's narrower metrics) and the Chinese font, so that both editions are laid out.
FONT_SETS = {
    "dejavu": ["/usr/share/fonts/truetype/dejavu"],
    "liberation": ["/usr/share/fonts/truetype/liberation"],
}
CHINESE_FONTS = "/usr/share/fonts/truetype/wqy"
#: A family each set must have (and the other must not): proof the browser used the set.
FONT_SET_FAMILY = {"dejavu": "DejaVu Sans", "liberation": "Liberation Sans"}


def font_set_config(name: str, folder: Path) -> Path:
    """A fontconfig file that gives Chromium only the fonts of set ``name`` (and the Chinese
    font), with the system's usual aliases (sans-serif, serif, monospace)."""
    missing = [d for d in [*FONT_SETS[name], CHINESE_FONTS] if not Path(d).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"font set {name!r} needs {', '.join(missing)}: install Debian's fonts-dejavu-core, "
            "fonts-liberation and fonts-wqy-microhei (scripts/ensure_chromium.sh does)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    dirs = "".join(f"<dir>{d}</dir>" for d in [*FONT_SETS[name], CHINESE_FONTS])
    config = folder / f"fonts-{name}.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig>{dirs}<cachedir>{folder / ('cache-' + name)}</cachedir>"
        '<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>',
        encoding="utf-8",
    )
    return config


#: In the page: is ``family`` installed? (A missing family falls back to monospace, so the
#: probe text is as wide as in monospace.)
HAS_FAMILY = """family => {
  const context = document.createElement('canvas').getContext('2d');
  const width = font => { context.font = font; return context.measureText('mmmmmmmmmmlli WWW 0123').width; };
  return width(`20px "${family}", monospace`) !== width('20px monospace');
}"""


def serve_sitemap_locally(page, server: str) -> None:
    """Material follows a link without a reload (instant navigation) only when the link is in
    the sitemap, which lists the pages under site_url. Served from the tests' own address,
    the sitemap is rewritten to it, so that pages are reached as on the published site."""

    def local_sitemap(route):
        try:
            body = route.fetch().text()
            root = min(re.findall(r"<loc>([^<]+)</loc>", body), key=len)
            route.fulfill(body=body.replace(root, f"{server}/"), content_type="application/xml")
        except Exception:  # the page moved on (a full load) while the sitemap was in flight
            pass

    page.route("**/sitemap.xml", local_sitemap)


def svg_text_sizes(svg: str) -> list[float]:
    # Text sizes in the figure's own units (pt); the radical sign's size variant is a glyph, not text.
    return [float(size) for size in re.findall(r"font-size: ([\d.]+)px; font-family: (?!'STIXSize)", svg)]


def smallest_figure_text(page, site) -> dict[str, float]:
    """Each chapter figure's (light variant, as loaded on the page) smallest text, in CSS px
    at the width the page gives it."""
    figures = page.eval_on_selector_all(
        "article figure.book-figure img[src*='#only-light']",
        # currentSrc: the drawing the browser chose for this width (a phone's has its own).
        "imgs => imgs.map(img => [new URL(img.currentSrc || img.src).pathname, img.getBoundingClientRect().width])",
    )
    smallest = {}
    for url_path, width in figures:
        svg = (site / url_path.lstrip("/")).read_text(encoding="utf-8")
        width_pt = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
        smallest[url_path.rsplit("/", 1)[-1]] = min(svg_text_sizes(svg)) * width / width_pt
    return smallest
