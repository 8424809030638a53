"""The search index: one per edition, and formulas given to it as readable lines of text."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

from book import translations

SEARCH_INDEX = "search/search_index.json"


def split_search_index(site: Path) -> None:
    """One search index per edition: an English query finds English pages only, and the
    Chinese pages load ``zh/search/search_index.json`` (overrides/main.html)."""
    index_path = site / SEARCH_INDEX
    if not index_path.is_file():
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    others = translations.LANGUAGES[1:]
    for language in translations.LANGUAGES:
        prefix = f"{language}/"
        if language == translations.LANGUAGES[0]:
            docs = [d for d in index["docs"] if not d["location"].startswith(tuple(f"{o}/" for o in others))]
            target = index_path
        else:
            # Locations stay relative to the site's root, the base every page's search resolves against.
            docs = [d for d in index["docs"] if d["location"].startswith(prefix)]
            target = site / language / SEARCH_INDEX
        if not docs:
            continue
        # Each edition's search loads only the language support it needs.
        lang = ["en"] if language == "en" else ["en", language]
        index = dict(index, config=dict(index["config"], lang=lang))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(dict(index, docs=docs), ensure_ascii=False, separators=(",", ":")),
                          encoding="utf-8")


MATH_ELEMENT = re.compile(r"<math\b[^>]*>.*?</math>", re.S)
DISPLAY_MATH = re.compile(r'<div class="book-math book-math-display"')
#: Operators written with a space on each side in the index's text (a relation or a sum reads
#: better spaced; products and function application stay tight).
SPACED_OPERATORS = set("=≠≈≃∼<>≤≥≪≫∝∈→↦+−±⋅×")


def readable_math(mathml: str) -> str:
    """A formula as the search index gives it: a line of text, its subscripts and superscripts
    in <sub> and <sup> (which the index keeps), fractions with a slash. The index otherwise
    reads a formula's symbols one after the other (``∂ℒ/∂h_l`` became "∂ℒ∂hl")."""
    import xml.etree.ElementTree as ElementTree

    def bracket(text: str) -> str:
        plain = re.sub(r"</?su[bp]>", "", text)
        return text if len(plain) <= 1 or re.fullmatch(r"[∂∇]?[\w.′]+", plain) else f"({text})"

    def script(node) -> str:  # a subscript or superscript, set tight
        return walk(node).replace(" ", "")

    def walk(node) -> str:
        tag = node.tag.rsplit("}", 1)[-1]
        kids = list(node)
        if tag in ("mi", "mn", "mtext", "ms"):
            return html_lib.escape(node.text or "", quote=False)
        if tag == "mo":
            text = (node.text or "").strip()
            return f" {html_lib.escape(text, quote=False)} " if text in SPACED_OPERATORS else html_lib.escape(text, quote=False)
        if tag == "mspace":
            return " "
        if tag in ("mphantom", "annotation", "annotation-xml"):
            return ""
        if tag == "semantics":
            return walk(kids[0]) if kids else ""
        if tag in ("msub", "munder") and len(kids) == 2:
            return f"{walk(kids[0])}<sub>{script(kids[1])}</sub>"
        if tag in ("msup", "mover") and len(kids) == 2:
            return f"{walk(kids[0])}<sup>{script(kids[1])}</sup>"
        if tag in ("msubsup", "munderover") and len(kids) == 3:
            return f"{walk(kids[0])}<sub>{script(kids[1])}</sub><sup>{script(kids[2])}</sup>"
        if tag == "mfrac" and len(kids) == 2:
            return f"{bracket(walk(kids[0]).strip())}/{bracket(walk(kids[1]).strip())}"
        if tag == "msqrt":
            return f"√{bracket(''.join(walk(k) for k in kids).strip())}"
        if tag == "mroot" and len(kids) == 2:
            return f"<sup>{script(kids[1])}</sup>√{bracket(walk(kids[0]).strip())}"
        if tag == "mtr":
            return ", ".join(walk(k).strip() for k in kids)
        if tag == "mtable":
            return "; ".join(walk(k).strip() for k in kids)
        return "".join(walk(k) for k in kids)

    try:
        text = walk(ElementTree.fromstring(mathml))
    except ElementTree.ParseError:
        alt = re.search(r'alttext="([^"]*)"', mathml)
        return alt.group(1) if alt else ""
    # Not stripped: a formula typeset in pieces (book/math.py) keeps the space before a relation.
    return re.sub(r" {2,}", " ", text)


def index_readable_math(config) -> None:
    """The search plugin indexes the text of each page's HTML, where a formula is MathML: give
    it the page with each inline formula in readable_math's form instead, and the display
    formulas left out. The page itself is not changed."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(search, "search_index", None)
    if index is None or getattr(index, "book_readable_math", False):
        return
    add = index.add_entry_from_context

    def add_entry_from_context(page):
        shown = page.content
        # A display formula, even written on a line, would stand in a result for the prose.
        searched = DISPLAY_MATH.sub(r"\g<0> data-search-exclude", shown)
        page.content = MATH_ELEMENT.sub(lambda m: readable_math(m.group(0)), searched)
        try:
            add(page)
        finally:
            page.content = shown

    index.add_entry_from_context = add_entry_from_context
    index.book_readable_math = True


def learn_terms(glossary: Path) -> bool:
    """Chinese search cuts text into words with jieba (Material's search plugin uses it when
    it is installed); it learns the book's own terms first, from the glossary's terminology
    table, so that 残差连接 or 遗忘门 is one word in the index, as a reader types it. Returns
    whether it did (once per process is enough)."""
    try:
        import jieba
    except ImportError:
        return False
    if not glossary.is_file():
        return False
    for term in translations.terminology(glossary.read_text(encoding="utf-8")):
        jieba.add_word(term)
    return True
