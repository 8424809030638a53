"""Directives resolved to their text: the one place that parses a directive's body, finds its
snippet, looks its value up (results or setup) and formats it. A page (:mod:`book.render.page`)
and a notebook's exercise (:func:`fill_values`) are filled by the same :class:`Directives`."""

from __future__ import annotations

import html
import re
from typing import Any, Callable, Mapping

from book.render.errors import PageError
from book.render.markdown import CLAIMS, DIRECTIVE, FIGURE, OURS, VALUE, directive_body
from book.render.numbers import format_number
from book.render.setup import lookup, setup_value
from book.render.views import SnippetView
from book.translations import TranslationError

SETUP = "setup"
#: A share's difference in percentage points (``pp1``: 0.034 -> "3.4"), which the prose follows
#: with its unit ("3.4 个百分点"); a ``%`` format would read as a share of the samples.
POINTS = re.compile(r"pp(\d)")

#: How a page draws a figure directive: (snippet's view, figure name, caption filled) -> Markdown.
DrawFigure = Callable[[SnippetView, str, str], str]


def lookup_setup(view: SnippetView, key: str) -> Any:
    """The value of ``setup.NAME…`` in snippet ``view``'s configuration, or a PageError that
    names the snippet and lists what it has."""
    return setup_value(view.setup(), key, view.id, view.source)


def lookup_value(view: SnippetView, key: str) -> Any:
    """A directive's value: from the setup for ``setup.…``, else from the results."""
    if key == SETUP or key.startswith(SETUP + "."):
        if SETUP in view.result["results"]:
            raise PageError(f"is ambiguous: snippet '{view.id}' returns a result named {SETUP!r}, which "
                            f"the setup directive's prefix shadows; rename that result")
        if key == SETUP:
            raise PageError("names no setup value (write setup.NAME)")
        return lookup_setup(view, key[len(SETUP) + 1:])
    return lookup(view.result["results"], key)


class Directives:
    """Fills a text's directives from the snippets' ``views``, in ``language``.

    ``figure`` draws a figure directive (a page); without it, only values can be filled (a
    notebook's exercise) and a figure or claims directive is an error. With ``on_error`` an
    error is reported to it and the directive shows as a warning; without, it is raised.
    ``used`` lists the snippets used so far, in order (the claims block shows theirs).
    """

    def __init__(self, views: Mapping[str, SnippetView], language: str = "en", figure: DrawFigure | None = None,
                 on_error: Callable[[PageError], None] | None = None, used: list[str] | None = None):
        self.views, self.language, self.figure, self.on_error = views, language, figure, on_error
        self.used = used if used is not None else []

    def fill(self, text: str) -> str:
        return DIRECTIVE.sub(self._replace, text)

    def view(self, snippet_id: str) -> SnippetView:
        """The view of a snippet the text uses (and now counts as used); it must have a result."""
        if snippet_id not in self.views:
            raise PageError(f"unknown snippet '{snippet_id}' (known: {', '.join(sorted(self.views))})")
        if snippet_id not in self.used:
            self.used.append(snippet_id)
        view = self.views[snippet_id]
        if view.result is None:
            reason = view.error.splitlines()[0] if view.error else ""
            raise PageError(f"snippet '{snippet_id}' has no result: {reason}", kind="no-result", snippet=snippet_id)
        return view

    def value(self, snippet_id: str, key: str, fmt: str | None) -> str:
        """A value directive's text: its value, looked up and formatted."""
        view = self.view(snippet_id)
        try:
            value = lookup_value(view, key)
            points = POINTS.fullmatch(fmt or "")
            if points and isinstance(value, (int, float)) and not isinstance(value, bool):
                return format_number(value * 100, f".{points.group(1)}f", self.language)
            return format_number(value, fmt, self.language)
        except PageError as exc:
            raise PageError(f"result key '{snippet_id}:{key}' {exc}", kind="key", snippet=snippet_id) from None

    def _replace(self, match: re.Match) -> str:
        body = directive_body(match)
        try:
            return self._resolve(body, match.group(0))
        except (PageError, TranslationError) as exc:
            if self.on_error is None:
                raise
            self.on_error(exc if isinstance(exc, PageError) else PageError(str(exc), kind="translation"))
            return f"**⚠ [[{html.escape(body)}]]**"

    def _resolve(self, body: str, directive: str) -> str:
        figure, value = FIGURE.match(body), VALUE.match(body)
        if self.figure is None and (body == CLAIMS or (OURS.match(body) and not value)):
            raise PageError(f"'[[{body}]]' cannot be filled into plain text (only measured values can)")
        if body == CLAIMS:
            return directive  # filled once every snippet on the page is known
        if figure:
            view = self.view(figure.group("id"))
            caption = self.fill(figure.group("caption") or "")  # its value directives
            return self.figure(view, figure.group("name"), caption)
        if value:
            return self.value(value.group("id"), value.group("key"), value.group("fmt"))
        if OURS.match(body):
            raise PageError(f"malformed directive '[[{body}]]'")
        return directive  # not ours (e.g. Python's x[[0]] in prose)


def fill_values(text: str, views: Mapping[str, SnippetView]) -> str:
    """``text`` with its ``[[ID:KEY|FMT]]`` value directives filled, for text outside a page
    (a notebook's exercise); raises PageError for any directive that cannot be filled."""
    return Directives(views).fill(text)
