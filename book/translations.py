"""The Chinese edition's text for each snippet, kept beside the snippet it translates.

A snippet ``snippets/<chapter>/<id>.py`` writes English: its experiment's title, its
figures' alt text and its claims' statements. Their Chinese lives next to it, in
``snippets/<chapter>/<id>.zh.toml``::

    # 中文 for random_matrix_product.py: the experiment's title, figures' alt text, claims.
    title = "随机矩阵的乘积"

    [figures]
    growth = "…"            # one entry per figure the snippet draws

    [claims]
    product_vanishes_below_one = "…"   # one entry per claim id in CLAIMS

    [shown]
    relu_passes_half = "…"   # the label of each claim's ``shows=Shown(label, …)``, if any

The pages of the Chinese edition take these texts; a missing or extra entry is an error
that names the file and says what to add, so a claim cannot be published in one language
only. Reading the file needs no torch and no build: the tests check it against ``CLAIMS``
and against the figures the build drew.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

#: The languages of the book; the first is the default (the snippets' own language).
LANGUAGES = ("en", "zh")
SUFFIX = ".zh.toml"
#: One Chinese character (the CJK Unified Ideographs block): the one definition the book uses.
HAN_CHARACTERS = "\u4e00-\u9fff"
HAN = re.compile(f"[{HAN_CHARACTERS}]")


class TranslationError(Exception):
    """A snippet's translation file is missing, malformed or out of step with the snippet."""


@dataclass(frozen=True)
class SnippetText:
    """What a page in another language shows instead of a snippet's English text."""

    path: str  # project-relative path of the .zh.toml file
    title: str
    figures: dict[str, str] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)

    def shown_label(self, claim_id: str) -> str:
        if claim_id not in self.shown:
            raise TranslationError(
                f"{self.path}: no Chinese label for what claim '{claim_id}' shows; "
                f"add `{claim_id} = \"…\"` under [shown]"
            )
        return self.shown[claim_id]

    def figure_alt(self, name: str) -> str:
        if name not in self.figures:
            raise TranslationError(
                f"{self.path}: no Chinese alt text for figure '{name}'; add `{name} = \"…\"` under [figures]"
            )
        return self.figures[name]

    def claim(self, claim_id: str) -> str:
        if claim_id not in self.claims:
            raise TranslationError(
                f"{self.path}: no Chinese statement for claim '{claim_id}'; add `{claim_id} = \"…\"` under [claims]"
            )
        return self.claims[claim_id]


def path_for(snippet_source: str) -> str:
    """``snippets/ch/x.py`` -> ``snippets/ch/x.zh.toml`` (project-relative)."""
    if not snippet_source.endswith(".py"):
        raise ValueError(f"not a snippet's source path: {snippet_source!r}")
    return snippet_source[: -len(".py")] + SUFFIX


def load(root: Path, snippet_source: str) -> SnippetText:
    """The Chinese text of the snippet at ``snippet_source`` (project-relative)."""
    relpath = path_for(snippet_source)
    path = root / relpath
    if not path.is_file():
        raise TranslationError(
            f"{relpath} does not exist: the Chinese pages need the title, figure alt texts and claim "
            f"statements of {snippet_source} in Chinese; copy another snippet's .zh.toml and translate"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TranslationError(f"{relpath} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"title", "figures", "claims", "shown"})
    if unknown:
        raise TranslationError(f"{relpath}: unknown keys {unknown} (expected title, [figures], [claims], [shown])")
    title = data.get("title")
    figures, claims, shown = data.get("figures", {}), data.get("claims", {}), data.get("shown", {})
    if not isinstance(title, str) or not HAN.search(title):
        raise TranslationError(f"{relpath}: `title` must be the experiment's title in Chinese")
    for table, entries in (("figures", figures), ("claims", claims), ("shown", shown)):
        if not isinstance(entries, dict):
            raise TranslationError(f"{relpath}: [{table}] must be a table of name = \"text\"")
        for key, text in entries.items():
            # A shown quantity's label may be a formula alone ("$\\mathbb{E}[x]$"), the same in Chinese.
            if not isinstance(text, str) or not (HAN.search(text) or (table == "shown" and text.strip())):
                raise TranslationError(f"{relpath}: [{table}] {key} is not Chinese text")
    return SnippetText(relpath, title.strip(), {k: v.strip() for k, v in figures.items()},
                       {k: " ".join(v.split()) for k, v in claims.items()},
                       {k: " ".join(v.split()) for k, v in shown.items()})


def mismatches(text: SnippetText, claim_ids, figure_names, shown_ids=()) -> list[str]:
    """What is missing from or extra in ``text`` against the snippet's claims and figures
    (and the claims that show a quantity beside their checked number)."""
    problems = []
    for table, have, want in (("claims", set(text.claims), set(claim_ids)),
                              ("figures", set(text.figures), set(figure_names)),
                              ("shown", set(text.shown), set(shown_ids))):
        for key in sorted(want - have):
            problems.append(f"{text.path}: [{table}] has no entry for '{key}'; add its Chinese text")
        for key in sorted(have - want):
            problems.append(f"{text.path}: [{table}] '{key}' is not in the snippet (renamed or removed?); "
                            "remove or rename it")
    return problems


TERM_ROW = re.compile(r"^\|\s*[^|]+\|\s*([^|]+)\|\s*$")
HAN_WORD = re.compile(f"[{HAN_CHARACTERS}]{{2,}}")


def terminology(glossary_markdown: str) -> list[str]:
    """The Chinese terms of the glossary's terminology table (its section ``#terminology``):
    each run of two or more Chinese characters in the table's Chinese column, in order."""
    section = glossary_markdown.split("{ #terminology }", 1)
    if len(section) < 2:
        raise TranslationError("the glossary has no terminology table (a section `{ #terminology }`)")
    terms: list[str] = []
    for line in section[1].splitlines():
        row = TERM_ROW.match(line.strip())
        if row and not line.strip().startswith("| English"):  # the header row
            terms += [t for t in HAN_WORD.findall(row.group(1)) if t not in terms]
    return terms
