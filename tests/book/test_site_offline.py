"""Offline checks of the built site: internal links and anchors, images, headings."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.build


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[dict] = []
        self.headings: list[int] = []
        self._skip_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if "name" in attributes and tag == "a":
            self.ids.add(attributes["name"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in {"img", "script"} and attributes.get("src"):
            self.links.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "img":
            self.images.append(attributes)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def content_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html") if "assets" not in p.parts)


def site_root_path(site: Path) -> str:
    """The path of the site's address (site_url), e.g. "/executable-book/": root-relative
    links (the 404 page's) start with it."""
    import re

    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    first = re.search(r"<loc>([^<]+)</loc>", sitemap)
    return urlsplit(first.group(1)).path if first else "/"


def test_internal_links_and_anchors_resolve(built_site):
    parsed = {page: parse(page) for page in built_site.rglob("*.html")}
    root = site_root_path(built_site)
    broken = []
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:", "javascript:")):
                continue
            if parts.path.startswith("/"):  # 404.html links from the site root
                path = unquote(parts.path)
                path = path[len(root):] if path.startswith(root) else path
                target = (built_site / path.lstrip("/")).resolve()
            elif parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
            else:
                target = page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_site)} → {link} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if unquote(parts.fragment) not in ids and parts.fragment not in {"only-light", "only-dark", "__search"}:
                    broken.append(f"{page.relative_to(built_site)} → {link} (no anchor)")
    assert not broken, "\n".join(broken[:30])


def test_every_image_has_alt_text(built_site):
    missing = [
        f"{page.relative_to(built_site)}: {img.get('src')}"
        for page in content_pages(built_site)
        for img in parse(page).images
        if not (img.get("alt") or "").strip()
    ]
    assert not missing, "\n".join(missing)


def test_one_h1_and_no_skipped_heading_levels(built_site):
    problems = []
    for page in content_pages(built_site):
        if page.parent.name == "404":
            continue
        # The article's headings (Material puts the site title in the header, not in an h1).
        levels = parse(page).headings
        if levels.count(1) != 1:
            problems.append(f"{page.relative_to(built_site)}: {levels.count(1)} h1 elements")
        for before, after in zip(levels, levels[1:]):
            if after > before + 1:
                problems.append(f"{page.relative_to(built_site)}: h{before} followed by h{after}")
                break
    assert not problems, "\n".join(problems)


def test_chapter_pages_link_their_notebook_data_and_source(built_site):
    for page in content_pages(built_site):
        html = page.read_text(encoding="utf-8")
        if "Tested claims" not in html:
            continue
        assert "data (JSON)" in html and "/blob/main/snippets/" in html, f"{page}: no data or source link"
        if page.parent in (built_site, built_site / "zh"):
            # The home page shows one chapter's figure with its claims, and links that chapter,
            # whose page links its notebook.
            assert 'href="lstm/#experiment-1-' in html, f"{page}: no link to the figure's chapter"
            continue
        name = page.parent.name
        assert f"notebooks/{name}/{name}.ipynb" in html, f"{name}: no notebook download link"


def test_notebooks_are_published_with_outputs(built_site):
    notebooks = sorted((built_site / "notebooks").glob("*/*.ipynb"))
    assert notebooks, "no notebook was published"
    for notebook in notebooks:
        page = (notebook.parent / "index.html").read_text(encoding="utf-8")
        assert "Download this notebook" in page
        assert "claim '" in page, f"{notebook.name}: rendered page shows no claim output"
        assert "<img" in page, f"{notebook.name}: rendered page shows no figure output"
        assert posixpath.basename(notebook.name) in page
