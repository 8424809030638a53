"""A page put together: its directives filled, its figures drawn, its claims block written,
and its includes checked to sit inside code fences (see :mod:`book.render` for the syntax)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Callable, Mapping

from book.render.cards import render_claims
from book.render.directives import Directives
from book.render.errors import PageError
from book.render.figures import render_figure
from book.render.labels import LABELS
from book.render.markdown import CLAIMS_MARKER, INCLUDE_LINE, included_snippets, lines
from book.render.views import SnippetView
from book.translations import SnippetText, TranslationError


@dataclass
class Rendered:
    markdown: str
    errors: list[PageError] = field(default_factory=list)
    used: list[str] = field(default_factory=list)


def render(
    markdown: str,
    page: str,
    views: Mapping[str, SnippetView],
    source_url: Callable[[str], str | None] = lambda path: None,
    language: str = "en",
    texts: Callable[[str], SnippetText] | None = None,
) -> Rendered:
    """Replace the directives in ``markdown`` (page ``page``, a docs-relative path).

    For a page in another language than English, ``texts(snippet_id)`` gives the snippet's
    title, alt texts and claim statements in that language (see :mod:`book.translations`).
    """
    if language not in LABELS:
        raise ValueError(f"no labels for language {language!r} (known: {', '.join(LABELS)})")
    out = Rendered(markdown)
    used = [snippet_id for snippet_id in included_snippets(markdown) if snippet_id in views]

    def text_of(snippet_id: str) -> SnippetText | None:
        if texts is None or language == "en":
            return None
        try:
            return texts(snippet_id)
        except TranslationError as exc:
            raise PageError(str(exc), kind="translation", snippet=snippet_id) from None

    def figure(view: SnippetView, name: str, caption: str) -> str:
        return render_figure(view, name, caption, page, source_url, text_of(view.id), language)

    directives = Directives(views, language, figure, out.errors.append, used)
    filled = []
    for line in lines(markdown):
        if line.code:
            filled.append(line.text)
            continue
        if INCLUDE_LINE.match(line.text):
            # Outside a fence the included code would render as prose paragraphs.
            out.errors.append(PageError(
                f"line {line.number}: the include '{line.text.strip()}' is outside a code fence; put it between "
                "```python and ``` lines", kind="include"))
        filled.append(directives.fill(line.text))
    text = "\n".join(filled)

    if used and not CLAIMS_MARKER.search(text):
        out.errors.append(PageError("uses snippets but has no [[claims]] block to show their tested claims", "claims"))

    def claims_block(match) -> str:
        try:
            return render_claims([views[i] for i in used], source_url,
                                 text_of if language != "en" and texts else None, language)
        except (PageError, TranslationError) as exc:
            out.errors.append(exc if isinstance(exc, PageError) else PageError(str(exc), kind="translation"))
            return f"**⚠ {html.escape(str(exc))}**"

    out.markdown, out.used = CLAIMS_MARKER.sub(claims_block, text), used
    return out
