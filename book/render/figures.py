"""A figure on a page: light and dark variants in a ``<picture>`` (and a phone layout, if the
snippet drew one), sized before it loads, in a zoom link, with links to its data and source."""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from book.render.errors import PageError
from book.render.labels import LABELS

if TYPE_CHECKING:
    from book.render.views import SnippetView
    from book.translations import SnippetText

SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"')
#: A figure's files in its <picture> (the zoom link, the phone source, the image): written as
#: site paths, which the hook makes relative to the page's address (MkDocs rewrites the
#: addresses of Markdown images, not those of raw HTML).
FIGURE_ADDRESS = re.compile(r'(\s(?:href|srcset|src)=")(?=figures/)')
#: Screens this narrow get a figure's phone layout (Material's phone breakpoint).
PHONE_MEDIA = "(max-width: 44.9375em)"


def svg_size(path: Path) -> tuple[int, int] | None:
    """A figure's size in CSS px, from its SVG (matplotlib writes it in pt), so that a page
    reserves the figure's room before it loads (no layout shift); None if it cannot tell."""
    try:
        with open(path, encoding="utf-8") as svg:
            head = svg.read(2048)
    except OSError:
        return None
    size = SVG_SIZE.search(head)
    if not size:
        return None
    return round(float(size.group(1)) * 4 / 3), round(float(size.group(2)) * 4 / 3)


def render_figure(view: SnippetView, name: str, caption: str, page: str, source_url: Callable[[str], str | None],
                  text: SnippetText | None = None, language: str = "en") -> str:
    """Figure ``name`` of snippet ``view`` on page ``page`` (docs-relative), with ``caption``
    (its directives filled) and, on a page in another language, ``text``'s alt text."""
    figures = view.result["figures"]
    if name not in figures:
        raise PageError(f"figure '{view.id}:{name}' does not exist (snippet draws: {', '.join(sorted(figures))})")
    figure = figures[name]
    alt = (filled_alt(text, name, view, language) if text else figure["alt"]).replace("\n", " ")
    data = posixpath.relpath(f"results/{view.id}.json", posixpath.dirname(page) or ".")
    note = LABELS[language]["figure_note"]
    links = ([f'<span class="book-figure-note">{note}</span>'] if note else []) + [f"[{LABELS[language]['data']}]({data})"]
    url = source_url(view.source)
    if url:
        links.append(f"[{LABELS[language]['source']}]({url})")
    caption_html = f"{caption} " if caption else ""
    pictures = "".join(_picture(view, figure, scheme, alt) for scheme in ("light", "dark"))
    return (
        f'\n<figure class="book-figure" markdown>\n'
        f"{pictures}\n"
        f'<figcaption markdown="span">{caption_html}<span class="book-figure-links">{" · ".join(links)}</span></figcaption>\n'
        f"</figure>\n"
    )


def filled_alt(text: SnippetText, name: str, view: SnippetView, language: str) -> str:
    """Figure ``name``'s alt text in ``text``'s language, its fields filled from the snippet's
    results (``[[arms.clipped.blew_up|d]]``) or setup (``[[setup.lr|g]]``), as the English alt
    text is filled by ``plot()``: a number in it is measured, never typed."""
    from book.claims import FIELD
    from book.render.directives import lookup_value
    from book.render.numbers import format_number

    def replace(match: re.Match) -> str:
        key = match.group("key")
        try:
            return format_number(lookup_value(view, key), match.group("fmt"), language)
        except PageError as exc:
            raise PageError(f"{text.path}: figure '{name}''s alt text: '{key}' {exc}", kind="key",
                            snippet=view.id) from None

    return FIELD.sub(replace, text.figure_alt(name))


def _sized(size: tuple[int, int] | None) -> str:
    # The figure's size reserves its room before it loads (no layout shift).
    return f' width="{size[0]}" height="{size[1]}"' if size else ""


def _picture(view: SnippetView, figure: dict, scheme: str, alt: str) -> str:
    """One scheme's figure: the desktop drawing, and on a phone its phone layout (panels
    stacked, text as large as on the desktop), in a link that opens the zoom view."""
    # Site paths: the hook makes them relative to the page's address (FIGURE_ADDRESS).
    desktop = f"{figure[scheme]}#only-{scheme}"
    phone = figure.get(f"phone_{scheme}")
    source = (f'<source media="{PHONE_MEDIA}" srcset="{phone}"{_sized(view.figure_size(phone))}>'
              if phone else "")
    return (
        f'<a class="glightbox" data-type="image" data-width="auto" data-height="auto" href="{desktop}" '
        f'data-desc-position="bottom" data-gallery="{scheme}"><picture>{source}'
        # off-glb: the link is ours (mkdocs-glightbox would wrap the image in a second one).
        f'<img class="off-glb" alt="{html.escape(alt, quote=True)}" src="{desktop}" loading="lazy"'
        f'{_sized(view.figure_size(figure[scheme]))}></picture></a>'
    )
