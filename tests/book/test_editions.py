"""The two editions of the built site: every page in both, each in its language, each
linking within its own edition, each edition searching its own pages."""

from __future__ import annotations

import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book.translations import HAN

pytestmark = pytest.mark.build

#: What a Chinese page may link to outside its edition: code (notebooks, snippet results,
#: figures) and the site's shared files.
SHARED = ("notebooks/", "results/", "figures/", "assets/", "stylesheets/", "javascripts/", "fonts/", "search/")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.lang, self.switcher = [], None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "a" and attrs.get("href"):
            if "md-select__link" in (attrs.get("class") or ""):
                # The language switcher: the one way out of an edition, on purpose.
                self.switcher[attrs.get("hreflang")] = attrs["href"]
            else:
                self.hrefs.append(attrs["href"])


def english_pages(site: Path) -> list[str]:
    """Site paths of the English pages (directory URLs), notebooks excluded."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        path = index.parent.relative_to(site).as_posix()
        path = "" if path == "." else path + "/"
        if not path.startswith(("zh/", "notebooks/", "assets/", "search/")):
            pages.append(path)
    return pages


def parse(site: Path, path: str) -> Links:
    links = Links()
    links.feed((site / path / "index.html").read_text(encoding="utf-8"))
    return links


def resolve(page: str, href: str) -> str | None:
    """The site path an href of the page at ``page`` points to (None: another host, or a fragment)."""
    if re.match(r"^[a-z]+:", href) or href.startswith(("#", "//")):
        return None
    target = href.split("#")[0].split("?")[0]
    if not target:
        return None
    joined = posixpath.normpath(posixpath.join(page or ".", target))
    return joined + ("/" if target.endswith("/") and joined != "." else "")


def test_every_page_exists_in_both_editions(built_site):
    pages = english_pages(built_site)
    assert len(pages) >= 18, pages
    missing = [p for p in pages if not (built_site / "zh" / p / "index.html").is_file()]
    assert not missing, f"pages without their Chinese edition: {missing}"
    assert (built_site / "404.html").is_file() and (built_site / "zh" / "404.html").is_file()


def test_each_page_declares_its_language_and_switches_to_its_twin(built_site):
    problems = []
    for path in english_pages(built_site):
        for edition, own in (("en", path), ("zh", "zh/" + path)):
            links = parse(built_site, own)
            if links.lang != edition:
                problems.append(f"/{own}: <html lang={links.lang!r}>")
            for lang, twin in (("en", path), ("zh", "zh/" + path)):
                target = resolve(own, links.switcher.get(lang, "#"))
                if (target or "").rstrip("/.") != twin.rstrip("/"):
                    problems.append(f"/{own}: the {lang} switcher link goes to {links.switcher.get(lang)!r}, not /{twin}")
    for name, lang in (("404.html", "en"), ("zh/404.html", "zh")):
        found = re.search(r'<html lang="([a-z]+)"', (built_site / name).read_text(encoding="utf-8"))
        if not found or found.group(1) != lang:
            problems.append(f"/{name}: lang {found and found.group(1)}")
    assert not problems, "\n".join(problems)


def test_chinese_pages_link_within_their_edition(built_site):
    problems = []
    for path in english_pages(built_site):
        own = "zh/" + path
        for href in parse(built_site, own).hrefs:
            target = resolve(own, href)
            if target is None or target in (".", "./"):
                continue
            if target.startswith("zh/") or target.startswith(SHARED) or target == "zh":
                continue
            if re.search(r"\.(json|svg|png|ipynb|py|css|js|woff2|xml)$", target):
                continue  # a file, not a page
            problems.append(f"/{own} links to /{target} ({href})")
    assert not problems, "\n".join(problems[:20])


def test_chinese_pages_show_chinese_claims_and_alt_text(built_site):
    problems = []
    for path in english_pages(built_site):
        html = (built_site / "zh" / path / "index.html").read_text(encoding="utf-8")
        for statement in re.findall(r'<p class="book-claim-statement">(.*?)</p>', html, re.S):
            if not HAN.search(re.sub(r"<math.*?</math>", "", statement, flags=re.S)):
                problems.append(f"/zh/{path}: claim in English: {statement[:80]}")
        for alt in re.findall(r'<img alt="([^"]*)" src="[^"]*figures/', html):
            if not HAN.search(alt):
                problems.append(f"/zh/{path}: alt text in English: {alt[:80]}")
        if "Tested claims" in html or "Measured</dt>" in html:
            problems.append(f"/zh/{path}: the claims block's labels are English")
    assert not problems, "\n".join(problems)


def test_each_edition_searches_its_own_pages(built_site):
    english = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    chinese = json.loads((built_site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d["location"] for d in english["docs"] if d["location"].startswith("zh/")]
    assert all(d["location"].startswith("zh/") for d in chinese["docs"])
    pages = {d["location"].split("#")[0] for d in chinese["docs"]}
    missing = [p for p in english_pages(built_site) if "zh/" + p not in pages and p != "api/"]
    assert not missing, f"Chinese pages missing from the Chinese search index: {missing}"
    # Chinese text is cut into words (jieba) with zero-width spaces, which the separator splits on.
    text = " ".join(d["text"] for d in chinese["docs"])
    assert "\u200b" in text and "\\u200b" in chinese["config"]["separator"]
    assert "zh" in chinese["config"]["lang"] and english["config"]["lang"] == ["en"]
    # The book's own terms (the glossary's terminology table) are whole words in the index.
    from book.translations import terminology

    glossary = (Path(__file__).resolve().parents[2] / "docs" / "glossary.zh.md").read_text(encoding="utf-8")
    for term in ("残差连接", "遗忘门", "批量归一化", "梯度裁剪"):
        assert term in terminology(glossary)
        assert f"\u200b{term}\u200b" in text, f"{term} is cut into pieces in the Chinese search index"


#: What Material, Python-Markdown and mkdocs.yml write in English into every page's interface,
#: and what a Chinese page says instead.
INTERFACE = {
    "footer": (r'<div class="md-copyright__highlight">\s*(.*?)\s*</div>', "Text and code under the MIT licence."),
    "search dialog": (r'<div class="md-search"[^>]*aria-label="([^"]*)"', "Search"),
    "theme toggle": (r'<label class="md-header__button md-icon" title="([^"]*)"', "Switch to dark mode"),
    "theme toggle name": (r'<input class="md-option"[^>]*aria-label="([^"]*)"', "Switch to dark mode"),
    "heading anchor": (r'<a class="headerlink" href="[^"]*" title="([^"]*)"', "Permanent link"),
}


@pytest.mark.parametrize("page", ["lstm/index.html", "diagnosis/index.html", "index.html"])
def test_the_chinese_interface_is_chinese(built_site, page):
    english = (built_site / page).read_text(encoding="utf-8")
    chinese = (built_site / "zh" / page).read_text(encoding="utf-8")
    problems = []
    for part, (pattern, english_words) in INTERFACE.items():
        found_en, found_zh = re.search(pattern, english, re.S), re.search(pattern, chinese, re.S)
        if part == "heading anchor" and page == "index.html" and not found_en:
            continue
        assert found_en and found_en.group(1) == english_words, (part, found_en and found_en.group(1))
        if not found_zh or not HAN.search(found_zh.group(1)):
            problems.append(f"zh/{page}: the {part} says {found_zh and found_zh.group(1)!r}")
    assert "Permanent link" not in chinese
    assert not problems, "\n".join(problems)
