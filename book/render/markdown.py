"""The one scanner of the book's Markdown: which lines are code, display math or prose; the
syntax of a directive and of an include; the exercises a page poses.

The page renderer, the editions' parity check, the notebooks (a chapter's exercises), the
joining of wrapped Chinese lines and the prose tests all read a page through it, so that they
agree on where a code fence starts and ends and on what an exercise is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

#: A code fence's opening or closing line (indented too: inside an admonition or a list).
FENCE = re.compile(r"^\s*(```|~~~)")
#: A snippets-extension include line (``--8<-- "snippets/ch/id.py:section"``).
INCLUDE_LINE = re.compile(r"""^\s*--8<--\s*["']""")
#: An include of a snippet's file, anywhere in the text: its snippet's id.
INCLUDE = re.compile(r"""--8<--\s*["']snippets/[^"':]+?/(?P<id>[a-z_][a-z0-9_]*)\.py""")

#: A directive; a figure's caption may hold value directives (one level: ``[[figure a:b|x [[a:c]]]]``).
DIRECTIVE = re.compile(r"\[\[\s*((?:[^\[\]\n]|\[\[[^\[\]\n]+?\]\])+?)\s*\]\]")
IDENT = r"[a-z_][a-z0-9_]*"
#: A directive's body: a value (``id:key|fmt``), a figure (``figure id:name|caption``), the claims block.
VALUE = re.compile(rf"^(?P<id>{IDENT}):(?P<key>[A-Za-z0-9_.\-]+)\s*(?:\|\s*(?P<fmt>\S+))?$")
FIGURE = re.compile(rf"^figure\s+(?P<id>{IDENT}):(?P<name>[A-Za-z0-9_\-]+)\s*(?:\|\s*(?P<caption>.+))?$")
CLAIMS = "claims"
CLAIMS_MARKER = re.compile(r"\[\[\s*claims\s*\]\]")
#: What looks like one of the book's directives (a body that is none of them is malformed).
OURS = re.compile(rf"^(figure\b|{IDENT}:)")

#: An exercise: a ``question`` admonition (``!!! question "Title"``, collapsible ``???`` too).
EXERCISE = re.compile(r'^(?P<indent>\s*)(?:!!!|\?\?\?\+?)\s+question\b(?:\s+"(?P<title>[^"]*)")?')
#: Inside an exercise, the collapsed answer that follows the question.
ANSWER = re.compile(r"^\s*\?\?\?")


@dataclass(frozen=True)
class Line:
    """One line of a page and what it is part of."""

    number: int  # from 1
    text: str
    #: In a code fence: the fence's own opening and closing lines too.
    code: bool = False
    #: The opening line of a code fence (its info string: language, title, ``hl_lines``).
    opens_fence: bool = False
    #: Display math outside code: ``$$`` … ``$$``, the lines holding the delimiters too.
    math: bool = False

    @property
    def prose(self) -> bool:
        return not (self.code or self.math)


def lines(markdown: str) -> Iterator[Line]:
    """Each line of ``markdown``, marked as code, display math or prose."""
    in_fence = in_math = False
    for number, text in enumerate(markdown.split("\n"), start=1):
        stripped = text.strip()
        if FENCE.match(text):
            in_fence = not in_fence
            yield Line(number, text, code=True, opens_fence=in_fence)
        elif in_fence:
            yield Line(number, text, code=True)
        elif in_math:
            in_math = not stripped.endswith("$$")
            yield Line(number, text, math=True)
        elif stripped.startswith("$$"):
            in_math = stripped == "$$" or not stripped.endswith("$$")
            yield Line(number, text, math=True)
        else:
            yield Line(number, text)


def included_snippets(markdown: str) -> list[str]:
    """The ids of the snippets whose files ``markdown`` includes, in order, each once."""
    found: list[str] = []
    for match in INCLUDE.finditer(markdown):
        if match.group("id") not in found:
            found.append(match.group("id"))
    return found


def directive_body(match: re.Match) -> str:
    """A directive's body, its ``\\|`` (the format separator inside a table) unescaped."""
    return match.group(1).replace("\\|", "|")


def directive_bodies(line: str) -> Iterator[str]:
    """The body of every directive in ``line``, a figure's caption's value directives included."""
    for match in DIRECTIVE.finditer(line):
        body = directive_body(match).strip()
        yield body
        figure = FIGURE.match(body)
        if figure and figure.group("caption"):
            yield from directive_bodies(figure.group("caption"))


@dataclass(frozen=True)
class Exercise:
    """An exercise on a page: its title, its question (the answer left out), its line."""

    title: str
    question: str
    line: int


def exercises(markdown: str) -> list[Exercise]:
    """The page's exercises, outside code fences, in order. The question is the admonition's
    body up to its collapsed answer (``??? success "Answer"``), unindented."""
    text_lines = markdown.split("\n")
    found = []
    for line in lines(markdown):
        match = EXERCISE.match(line.text) if not line.code else None
        if not match:
            continue
        body_indent = len(match.group("indent")) + 4
        body = []
        for inner in text_lines[line.number:]:
            if inner.strip() and not inner.startswith(" " * body_indent):
                break
            if ANSWER.match(inner):
                break
            body.append(inner[body_indent:])
        found.append(Exercise(match.group("title") or "", "\n".join(body).strip(), line.number))
    return found
