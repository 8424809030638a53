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


#: latex2mathml's MathML that MathML Core (as browsers render it) sets badly, rewritten.
TYPESETTING = [
    # A prime as a superscript is drawn as a small, detached tick; the math font's prime glyph
    # is raised already, and sits right beside its base as an operator.
    (re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>(&#x02032;|&#x02033;)</mi></msup>"), r"\1<mo>\2</mo>"),
    (re.compile(r"<msubsup>(<mi>[^<]*</mi>)(<m[in]>[^<]*</m[in]>)<mi>(&#x02032;|&#x02033;)</mi></msubsup>"),
     r"<msub><mrow>\1<mo>\3</mo></mrow>\2</msub>"),
    # An operator name (diag, Var) is a word set upright and applied as a function, not an
    # operator with an operator's wide spacing (one element still: it may carry a limit).
    (re.compile(r"<mo>([A-Za-z]{2,})</mo>"), r"<mrow><mi>\1</mi><mo>&#x02061;</mo></mrow>"),
    # A sized delimiter (\Big)) as the base of a script keeps its size: an <mo> base would
    # make the script an embellished operator, which is drawn at the operator's own size.
    (re.compile(r'<msup>(<mo minsize="[^"]*" maxsize="[^"]*">[^<]*</mo>)'), r"<msup><mrow>\1</mrow>"),
    # Negative named spaces (\!) are not part of MathML Core; the tighter spacing is lost.
    (re.compile(r'<mspace width="negative[a-z]*mathspace" ?/>'), ""),
]


OUTER_ROW = re.compile(r"(<math[^>]*>)<mrow>(.*)</mrow></math>", re.DOTALL)


def _balanced_row(inner: str) -> bool:
    """Whether ``<mrow>inner</mrow>`` is one row around everything (not two rows side by side)."""
    depth = 0
    for tag in re.finditer(r"<(/?)mrow>", inner):
        depth += -1 if tag.group(1) else 1
        if depth < 0:
            return False
    return depth == 0


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
    for pattern, replacement in TYPESETTING:
        mathml = pattern.sub(replacement, mathml)
    leftover = LEFTOVER.search(mathml)
    if leftover:
        raise MathError(f"cannot typeset ${latex}$: unsupported LaTeX near {html.unescape(leftover.group(0))!r}")
    # An HTML page's parser puts <math> in the MathML namespace itself; the attribute is for
    # XML documents (and costs some 45 bytes a formula). Inline is the default display, and
    # <math> holds its children as a row: latex2mathml's outer <mrow> is bytes only.
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1).replace(' display="inline"', "", 1)
    outer_row = OUTER_ROW.fullmatch(mathml)
    if outer_row and _balanced_row(outer_row.group(2)):
        mathml = f"{outer_row.group(1)}{outer_row.group(2)}</math>"
    # Keep the source for screen readers' alternatives and for copy-paste.
    return mathml.replace("<math", f'<math alttext="{html.escape(latex, quote=True)}"', 1)


#: Where a long display formula may wrap onto a new line: before a top-level relation, and
#: at a top-level \\qquad / \\quad (which separate formulas written side by side).
BREAK = re.compile(r"\\qquad\b|\\quad\b|\\(?:begin|end)\{[^}]*\}|\\left\b|\\right\b|\\[A-Za-z]+|\\.|[{}]|=|<|>")
#: A piece between two \\quad that is one command only (\\Rightarrow, \\iff): a connective.
LONE_COMMAND = re.compile(r"\\[A-Za-z]+")
RELATIONS = ("=", "<", ">", "\\approx", "\\le", "\\ge", "\\leq", "\\geq", "\\ll", "\\gg", "\\sim", "\\propto", "\\to")


def split_display(latex: str) -> list[tuple[str, bool]]:
    """Split a display formula into pieces that may wrap: ``[(latex, starts_a_new_formula)]``.

    Breaks only at the top level (outside braces, ``\\left…\\right`` and environments):
    at ``\\qquad``/``\\quad`` (a new formula; the spacing becomes the gap between pieces)
    and before a relation sign (the piece starts with it, as a continued line does) except
    a formula's first relation, which stays with its left-hand side (no line is "h_t" alone).
    """
    pieces: list[tuple[str, bool]] = []
    depth, start, new, first_relation = 0, 0, False, True
    for match in BREAK.finditer(latex):
        token = match.group(0)
        if token in ("{", "\\left") or token.startswith("\\begin"):
            depth += 1
        elif token in ("}", "\\right") or token.startswith("\\end"):
            depth -= 1
        elif depth == 0 and token in ("\\qquad", "\\quad"):
            if LONE_COMMAND.fullmatch(latex[start:match.start()].strip()):
                continue  # "\\Rightarrow" alone is no formula: it opens the one after it
            pieces.append((latex[start:match.start()], new))
            start, new, first_relation = match.end(), True, True
        elif depth == 0 and token in RELATIONS:
            if first_relation:
                first_relation = False
            elif latex[start:match.start()].strip():
                pieces.append((latex[start:match.start()], new))
                start, new = match.start(), False
    pieces.append((latex[start:], new))
    return [(text.strip(), gap) for text, gap in pieces if text.strip()]


#: Where an inline formula may wrap, as TeX allows in running text: after a top-level
#: relation or binary operator (the operator ends the line). A unary sign (first, or right
#: after another operator) is not a break, and nothing inside brackets, bars or braces is.
INLINE_BREAK = re.compile(
    r"\\(?:begin|end)\{[^}]*\}|\\[A-Za-z]+|\\.|[{}()\[\]|=<>+\-]"
)
BINARY_OPERATORS = ("+", "-", "\\cdot", "\\times", "\\odot", "\\pm", "\\mp", "\\otimes", "\\oplus")
OPENING = ("{", "(", "[", "\\{", "\\left", "\\langle", "\\lVert", "\\lvert")
CLOSING = ("}", ")", "]", "\\}", "\\right", "\\rangle", "\\rVert", "\\rvert")
SIGNS = ("+", "-", "\\pm", "\\mp")


def split_inline(latex: str) -> list[str]:
    """Split an inline formula after each top-level relation and binary operator.

    Each piece is typeset as a formula of its own, so a line may end between two pieces;
    no piece starts with an operator, and brackets, norm bars, ``\\left…\\right`` and
    environments are never split.
    """
    pieces: list[str] = []
    depth, start, operator_end = 0, 0, 0
    bars = {"|": False, "\\|": False}
    for match in INLINE_BREAK.finditer(latex):
        token = match.group(0)
        if token in OPENING or token.startswith("\\begin"):
            depth += 1
        elif token in CLOSING or token.startswith("\\end"):
            depth -= 1
        elif token in bars:
            bars[token] = not bars[token]
        elif depth == 0 and not any(bars.values()) and (token in RELATIONS or token in BINARY_OPERATORS):
            unary = token in SIGNS and not latex[operator_end:match.start()].strip()
            operator_end = match.end()
            if not unary and latex[match.end():].strip():
                pieces.append(latex[start:match.end()])
                start = match.end()
    pieces.append(latex[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def inline_mathml(latex: str, before: str = "", after: str = "") -> str:
    """An inline formula as HTML: one ``<math>`` per piece of :func:`split_inline`, each in a
    box that is never wider than the column (it scrolls by itself if it must), so that no
    font can make a formula push the page sideways.

    ``before`` and ``after`` are the punctuation that touches the formula in the text (an
    opening bracket, a comma): it goes inside the first and last box, since a line may
    break on either side of a box, and "(" must not end a line nor "," start one.
    """
    # A short formula is never broken (a reader's eye takes "κ = 1" whole): no phone line is
    # too narrow for it.
    pieces = split_inline(latex) if len(latex) > SHORT_FORMULA else [latex]
    boxes = []
    for index, piece in enumerate(pieces):
        mathml = to_mathml(piece, False)
        if index < len(pieces) - 1:
            # The operator ends its formula; spaced as between two operands, not as a suffix.
            head, _, tail = mathml.rpartition("<mo>")
            mathml = f'{head}<mo form="infix">{tail}'
        if index == 0:
            mathml = html.escape(before) + mathml
        if index == len(pieces) - 1:
            mathml += html.escape(after)
        boxes.append(mathml)
    if len(boxes) == 1:
        return f'<span class="book-math book-math-inline">{boxes[0]}</span>'
    inner = "<wbr>".join(f'<span class="book-math-inline">{box}</span>' for box in boxes)
    return f'<span class="book-math">{inner}</span>'


#: Source length (LaTeX characters) up to which an inline formula is kept whole.
SHORT_FORMULA = 24


#: An inline formula with the punctuation that touches it (see :func:`inline_mathml`).
PUNCTUATED_INLINE = re.compile(
    r'(?P<before>[(\[‘“（「]?)<span class="arithmatex">\s*\\\((?P<inline>.*?)\\\)\s*</span>'
    r"(?P<after>[,.;:!?)\]’”，。；：！？）」、]*)",
    re.DOTALL,
)


def display_mathml(pieces: list[tuple[str, bool]]) -> str:
    """A display formula in pieces (:func:`split_display`): each formula written side by side
    is a box of its own whose pieces wrap before a relation, continued lines indented (the
    stylesheet's hanging indent); a formula that fits its line is centred whole."""
    formulas: list[list[str]] = []
    for text, starts_formula in pieces:
        if starts_formula or not formulas:
            formulas.append([])
        formulas[-1].append(f'<span class="book-math-piece">{to_mathml(text, True)}</span>')
    return "".join(f'<span class="book-math-formula">{"<wbr>".join(formula)}</span>' for formula in formulas)


#: A notebook's Markdown cells, as nbconvert renders them: their math is left as ``$…$`` text.
RENDERED_MARKDOWN = re.compile(r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.DOTALL)
DOLLAR_MATH = re.compile(r"\$\$(?P<block>.+?)\$\$|(?<![\\$\w])\$(?P<inline>[^\s$](?:[^$]*?[^\s$\\])?)\$(?![\w$])", re.DOTALL)


def render_notebook_math(page_html: str) -> tuple[str, list[str]]:
    """A notebook page with the ``$…$`` and ``$$…$$`` math of its Markdown cells typeset as the
    chapters' is (the notebook viewer's own script is not loaded)."""

    def cell(match: re.Match) -> str:
        def mark(found: re.Match) -> str:
            if found.group("block") is not None:
                return f'<div class="arithmatex">\\[{found.group("block")}\\]</div>'
            return f'<span class="arithmatex">\\({found.group("inline")}\\)</span>'

        return match.group(1) + DOLLAR_MATH.sub(mark, match.group(2)) + match.group(3)

    return render_math(RENDERED_MARKDOWN.sub(cell, page_html))


def render_math(page_html: str) -> tuple[str, list[str]]:
    """Return the page with every formula typeset, and the formulas that failed."""
    errors: list[str] = []

    def replace_inline(match: re.Match) -> str:
        try:
            return inline_mathml(html.unescape(match.group("inline")).strip(),
                                 match.group("before"), match.group("after"))
        except MathError as exc:
            errors.append(str(exc))
            return match.group(0)

    page_html = PUNCTUATED_INLINE.sub(replace_inline, page_html)

    def replace(match: re.Match) -> str:
        display = match.group("block") is not None
        latex = html.unescape(match.group("block") if display else match.group("inline"))
        try:
            if display:
                pieces = split_display(latex.strip())
                mathml = display_mathml(pieces) if len(pieces) > 1 else to_mathml(latex.strip(), True)
            else:
                return inline_mathml(latex.strip())
        except MathError as exc:
            errors.append(str(exc))
            return match.group(0)
        # A display equation wider than the column scrolls inside its own box, which
        # keyboard users must be able to focus to scroll (as the code boxes are).
        return f'<div class="book-math book-math-display" tabindex="0">{mathml}</div>'

    return MATH.sub(replace, page_html), errors
