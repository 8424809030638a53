"""Typeset the pages' LaTeX as MathML at build time.

pymdownx.arithmatex (generic mode) finds the math and leaves it as
``<span class="arithmatex">\\(…\\)</span>`` / ``<div class="arithmatex">\\[…\\]</div>``;
this module replaces each with MathML from latex2mathml, which every current browser
renders natively. No script, font or style is loaded for math, so pages stay
self-contained and instant navigation needs nothing re-run.

latex2mathml covers most of LaTeX math but not all; a formula it cannot convert
cleanly is an error naming the formula, never a page with raw LaTeX.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])\s*</(?P=tag)>',
    re.DOTALL,
)
#: Spellings latex2mathml does not know, rewritten to ones it does.
REWRITES = [(re.compile(r"\\[lr]?Vert\b"), r"\\|")]
#: Signs of a command latex2mathml passed through instead of converting.
LEFTOVER = re.compile(r">[^<]*\\[A-Za-z|]+[^<]*<|<mi>&amp;</mi>|<mi>&</mi>")


class MathError(ValueError):
    pass


def to_mathml(latex: str, display: bool) -> str:
    source = latex
    for pattern, replacement in REWRITES:
        source = pattern.sub(replacement, source)
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises several exception types
        raise MathError(f"cannot typeset ${latex}$: {exc}") from None
    leftover = LEFTOVER.search(mathml)
    if leftover:
        raise MathError(f"cannot typeset ${latex}$: unsupported LaTeX near {html.unescape(leftover.group(0))!r}")
    # An HTML page's parser puts <math> in the MathML namespace itself; the attribute is for
    # XML documents (and costs some 45 bytes a formula).
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    # Keep the source for screen readers' alternatives and for copy-paste.
    return mathml.replace("<math", f'<math alttext="{html.escape(latex, quote=True)}"', 1)


#: Where a long display formula may wrap onto a new line: before a top-level relation, and
#: at a top-level \\qquad / \\quad (which separate formulas written side by side).
BREAK = re.compile(r"\\qquad\b|\\quad\b|\\(?:begin|end)\{[^}]*\}|\\left\b|\\right\b|\\[A-Za-z]+|\\.|[{}]|=|<|>")
RELATIONS = ("=", "<", ">", "\\approx", "\\le", "\\ge", "\\leq", "\\geq", "\\ll", "\\gg", "\\sim", "\\propto", "\\to")


def split_display(latex: str) -> list[tuple[str, bool]]:
    """Split a display formula into pieces that may wrap: ``[(latex, starts_a_new_formula)]``.

    Breaks only at the top level (outside braces, ``\\left…\\right`` and environments):
    at ``\\qquad``/``\\quad`` (a new formula; the spacing becomes the gap between pieces)
    and before a relation sign (the piece starts with it, as a continued line does).
    """
    pieces: list[tuple[str, bool]] = []
    depth, start, new = 0, 0, False
    for match in BREAK.finditer(latex):
        token = match.group(0)
        if token in ("{", "\\left") or token.startswith("\\begin"):
            depth += 1
        elif token in ("}", "\\right") or token.startswith("\\end"):
            depth -= 1
        elif depth == 0 and token in ("\\qquad", "\\quad"):
            pieces.append((latex[start:match.start()], new))
            start, new = match.end(), True
        elif depth == 0 and token in RELATIONS:
            if latex[start:match.start()].strip():
                pieces.append((latex[start:match.start()], new))
                start, new = match.start(), False
    pieces.append((latex[start:], new))
    return [(text.strip(), gap) for text, gap in pieces if text.strip()]


def render_math(page_html: str) -> tuple[str, list[str]]:
    """Return the page with every formula typeset, and the formulas that failed."""
    errors: list[str] = []

    def replace(match: re.Match) -> str:
        display = match.group("block") is not None
        latex = html.unescape(match.group("block") if display else match.group("inline"))
        try:
            if display:
                pieces = split_display(latex.strip())
                mathml = "".join(
                    f'<span class="book-math-piece{" book-math-gap" if gap else ""}">{to_mathml(text, True)}</span>'
                    for text, gap in pieces
                ) if len(pieces) > 1 else to_mathml(latex.strip(), True)
            else:
                mathml = to_mathml(latex.strip(), False)
        except MathError as exc:
            errors.append(str(exc))
            return match.group(0)
        if display:
            # A display equation wider than the column scrolls inside its own box, which
            # keyboard users must be able to focus to scroll (as the code boxes are).
            return f'<div class="book-math book-math-display" tabindex="0">{mathml}</div>'
        return f'<span class="book-math">{mathml}</span>'

    return MATH.sub(replace, page_html), errors
