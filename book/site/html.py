"""HTML transforms of a chapter page, each a pure function of the page's HTML (unit-tested)."""

from __future__ import annotations

import html as html_lib
import re

from book.render.labels import LABELS

#: Material's code blocks (their text stays out of the search index).
CODE_BLOCK = re.compile(r'<div class="(?:language-\w+ )?highlight"')

TABLE = re.compile(r"<table>.*?</table>", re.S)
CODE_TITLE = re.compile(r'(<span class="filename">)([^<]*)(</span>)')


def wrap_tables(html: str) -> str:
    """Each table in the scrolling box Material's script puts it in, already in the page, so
    that it is drawn at its final size from the first paint: wrapped only by the script, after
    the page was drawn, every table changed height and moved the text below it (a section link
    on the API page, with its many tables, landed a tenth of a screen off). The script still
    wraps each table once more; book.css makes that inner wrapper change nothing. The box is
    focusable, so that the keyboard can scroll it."""
    return TABLE.sub(lambda m: f'<div class="md-typeset__scrollwrap" tabindex="0"><div class="md-typeset__table">'
                               f"{m.group(0)}</div></div>", html)


#: A code block longer than this many lines opens folded, showing what the prose discusses:
#: the lines the page highlights (``hl_lines="12-20"`` on the fence), with a line of context
#: around them; or, if it highlights none, its first FOLD_SHOWN lines (the function's
#: signature and docstring). The rest opens on request.
FOLD_LINES = 30
FOLD_SHOWN = 14
FOLD_CONTEXT = 1
HIGHLIGHTED_LINE = re.compile(r'<span class="hll">')
HIGHLIGHT_BLOCK = re.compile(r'<div class="highlight">(?:(?!<div class="highlight">).)*?</code></pre></div>', re.S)


PLAIN_NAME = re.compile(r'<span class="[nw]">([^<]*)</span>')
#: Material draws punctuation, operators and operator words in one colour (both palettes).
SAME_COLOUR_AS_OPERATOR = re.compile(r'<span class="(?:p|ow)">')
SAME_CLASS = re.compile(r'(<span class="(\w+)">[^<]*)</span><span class="\2">')


def lighten_code(block: str) -> str:
    """A highlighted block in fewer bytes, drawn the same: names and whitespace are drawn
    in the code's own colour (their span changes nothing), punctuation takes the class of
    operators (Material colours them alike), and neighbouring tokens of one class share a
    span."""
    block = PLAIN_NAME.sub(r"\1", block)
    block = SAME_COLOUR_AS_OPERATOR.sub('<span class="o">', block)
    while True:
        merged = SAME_CLASS.sub(r"\1", block)
        if merged == block:
            return block
        block = merged


def fold_long_code(html: str, language: str = "en") -> str:
    """Wrap each long code block in a fold with the button that opens it. The page is drawn
    folded from its first paint when script runs (book.css, ``html.book-js``), so that
    folding moves nothing; book.js makes the button work. Without script, all shows."""

    def fold(match: re.Match) -> str:
        block = lighten_code(match.group(0))
        code = block[block.find("<code"):]
        lines = code.count("\n")
        if lines <= FOLD_LINES:
            return block
        marked = [code.count("\n", 0, m.start()) + 1 for m in HIGHLIGHTED_LINE.finditer(code)]
        if marked:
            first, last = max(1, marked[0] - FOLD_CONTEXT), min(lines, marked[-1] + FOLD_CONTEXT)
            window = f' data-first="{first}" data-last="{last}"'
            shown = last - first + 1
        else:
            window, shown = "", FOLD_SHOWN
        classes = "book-code-fold book-code-window" if marked and first > 1 else "book-code-fold"
        button = (f'<button type="button" class="book-code-fold-toggle md-button" aria-expanded="false">'
                  f'{LABELS[language]["fold"].format(lines=lines)}</button>')  # book.js relabels it
        return (f'<div class="{classes}" data-lines="{lines}"{window} style="--book-fold-lines: {shown}">'
                f"{block}{button}</div>")

    return HIGHLIGHT_BLOCK.sub(fold, html)


#: The anchor Python-Markdown's toc extension gives each heading, titled in English in every edition.
PERMALINK = re.compile(r'(<a class="headerlink" href="[^"]*") title="Permanent link"')


def translate_permalinks(html: str, language: str = "en") -> str:
    """Each heading's anchor titled in the page's language (the toc extension is configured
    once for both editions)."""
    title = html_lib.escape(LABELS[language]["permalink"], quote=True)
    return PERMALINK.sub(lambda m: f'{m.group(1)} title="{title}"', html)


def break_code_titles(html: str) -> str:
    """A code block's title is a file's path: on a narrow screen it wraps after a slash, not
    inside a name."""
    return CODE_TITLE.sub(lambda m: m.group(1) + m.group(2).replace("/", "/<wbr>") + m.group(3), html)


def exclude_code_from_search(html: str) -> str:
    """Code stays out of the search index (its text would crowd the prose out of the results)."""
    return CODE_BLOCK.sub(r"\g<0> data-search-exclude", html)
