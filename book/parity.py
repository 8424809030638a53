"""Keep the editions in step: a page and its Chinese twin show the same experiments.

``docs/<page>.md`` and ``docs/<page>.zh.md`` must use the same snippets' code, figures,
measured values and claims block, and pose the same number of exercises; the Chinese page
must not keep a paragraph of English prose. The checks read Markdown only (no build), so a
contributor runs them in a second: ``python -m book.parity [PAGE ...]``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from book.render.markdown import DIRECTIVE, FIGURE, INCLUDE_LINE, VALUE, directive_body, directive_bodies, exercises, lines
from book.translations import HAN

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Sections whose entries are cited works: their titles stay in the language they were published in.
REFERENCE_HEADINGS = re.compile(r"^#{2,6}\s+(参考文献|References|延伸阅读|Further reading)\b")
LATIN_WORD = re.compile(r"\b[A-Za-z][a-z]{1,}\b")
#: A paragraph with this many English words and no Chinese character is untranslated.
ENGLISH_WORDS = 8


@dataclass(frozen=True)
class Shape:
    """What a page shows, independent of its language."""

    includes: Counter
    figures: Counter
    values: frozenset
    claims_blocks: int
    exercises: int
    anchors: tuple = ()
    #: Each code fence's highlighted lines (``hl_lines``), which decide what a folded block shows.
    highlights: tuple = ()


HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*(?:\{\s*#([\w-]+)[^}]*\})?\s*$")


def _slug(text: str, seen: Counter) -> str:
    """The id Python-Markdown's toc gives a heading (``unique``: -1, -2 … for repeats)."""
    from markdown.extensions.toc import slugify

    text = re.sub(r"<[^>]+>|`|\$", "", text)
    slug = slugify(text, "-")
    seen[slug] += 1
    return slug if seen[slug] == 1 else f"{slug}_{seen[slug] - 1}"


def shape(markdown: str) -> Shape:
    includes, figures, values, claims = Counter(), Counter(), set(), 0
    anchors, seen, highlights = [], Counter(), []
    for line in lines(markdown):
        if line.opens_fence:
            found = re.search(r'hl_lines="([^"]*)"', line.text)
            highlights.append(found.group(1) if found else "")
        if INCLUDE_LINE.match(line.text):
            includes[line.text.strip()] += 1
        if line.code:
            continue
        heading = HEADING.match(line.text)
        if heading:
            anchors.append(heading.group(3) or _slug(heading.group(2), seen))
        for body in directive_bodies(line.text):
            figure, value = FIGURE.match(body), VALUE.match(body)
            if body == "claims":
                claims += 1
            elif figure:
                figures[f"{figure.group('id')}:{figure.group('name')}"] += 1
            elif value:
                values.add(f"{value.group('id')}:{value.group('key')}")
    return Shape(includes, figures, frozenset(values), claims, len(exercises(markdown)), tuple(anchors),
                 tuple(highlights))


def _prose(line: str) -> str:
    """The words of a Markdown line a reader reads as prose (no code, math, links' targets)."""
    line = re.sub(r"`[^`]*`", " ", line)
    line = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", line)
    line = re.sub(r"\]\([^)]*\)", "]", line)  # a link's target
    line = re.sub(r"<[^>]+>", " ", line)
    line = re.sub(r"\{[^}]*\}", " ", line)  # attribute lists
    line = re.sub(r"https?://\S+", " ", line)

    def directive(match: re.Match) -> str:
        figure = FIGURE.match(directive_body(match).strip())
        return " " + DIRECTIVE.sub(directive, figure.group("caption") or "") + " " if figure else " "

    return DIRECTIVE.sub(directive, line)


def untranslated(markdown: str) -> list[str]:
    """Paragraphs (and list items, table rows, admonition titles) of English prose."""
    found, block, start, in_references = [], [], 0, False

    def flush():
        text = " ".join(block)
        if not in_references and not HAN.search(text) and len(LATIN_WORD.findall(text)) >= ENGLISH_WORDS:
            found.append(f"line {start}: {text.strip()[:100]}")
        block.clear()

    for line in lines(markdown):
        stripped, number = line.text.strip(), line.number
        if not line.prose:  # code, display math
            continue
        if stripped.startswith("#"):
            flush()
            in_references = bool(REFERENCE_HEADINGS.match(stripped))
            block.append(_prose(stripped.lstrip("#")))
            start = number
            flush()
            continue
        item = re.match(r"^(?:[-*+]|\d+\.|\|)\s", stripped) or re.match(r"^(?:!!!|\?\?\?)", stripped)
        if not stripped or item:
            flush()
        if stripped:
            if not block:
                start = number
            block.append(_prose(stripped))
    flush()
    return found


def compare(page: str, docs: Path = DOCS) -> list[str]:
    """Why ``docs/<page>.zh.md`` is out of step with ``docs/<page>.md`` (empty: in step)."""
    english, chinese = docs / f"{page}.md", docs / f"{page}.zh.md"
    if not chinese.is_file():
        return [f"docs/{page}.zh.md does not exist: every page has a Chinese twin; translate docs/{page}.md"]
    en, zh = shape(english.read_text(encoding="utf-8")), shape(chinese.read_text(encoding="utf-8"))
    problems = []
    for name in ("includes", "figures"):
        mine, theirs = getattr(zh, name), getattr(en, name)
        for item in sorted((theirs - mine).elements()):
            problems.append(f"docs/{page}.zh.md lacks {name[:-1]} {item!r} of the English page")
        for item in sorted((mine - theirs).elements()):
            problems.append(f"docs/{page}.zh.md has {name[:-1]} {item!r}, which the English page does not")
    for item in sorted(en.values - zh.values):
        problems.append(f"docs/{page}.zh.md never shows the measured value [[{item}]] that the English page shows")
    for item in sorted(zh.values - en.values):
        problems.append(f"docs/{page}.zh.md shows the value [[{item}]], which the English page does not")
    if en.claims_blocks != zh.claims_blocks:
        problems.append(f"docs/{page}.zh.md has {zh.claims_blocks} [[claims]] blocks, the English page {en.claims_blocks}")
    if en.anchors != zh.anchors:
        problems.append(
            f"docs/{page}.zh.md's section ids {list(zh.anchors)} differ from the English page's "
            f"{list(en.anchors)}: give each Chinese heading the English one's id, "
            "e.g. `## 实验 1 { #experiment-1-a-product-of-many-random-matrices }`, so links to a section work in both editions")
    if en.highlights != zh.highlights:
        problems.append(
            f"docs/{page}.zh.md's code fences highlight {list(zh.highlights)}, the English page's "
            f"{list(en.highlights)}: copy each fence's hl_lines=\"…\" from the English page")
    if en.exercises != zh.exercises:
        problems.append(f"docs/{page}.zh.md has {zh.exercises} exercises, the English page {en.exercises}")
    problems += [f"docs/{page}.zh.md {where} is English prose: translate it" for where in
                 untranslated(chinese.read_text(encoding="utf-8"))]
    return problems


def pages(docs: Path = DOCS) -> list[str]:
    """The English pages (each needs a Chinese twin)."""
    return sorted(p.name[: -len(".md")] for p in docs.glob("*.md") if not p.name.endswith(".zh.md"))


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or pages()
    problems = [problem for name in names for problem in compare(name.removesuffix(".md"))]
    print("\n".join(problems) if problems else f"{len(names)} page(s) in step with their Chinese twin")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
