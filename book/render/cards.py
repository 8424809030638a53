"""The claims block of a page: one card per tested claim, its statement first (its fields
filled, its math typeset), then the value measured for this page, its spread over the claim
seeds and the check, in the page's language; the claim's id names its test."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Callable

from book.claims import BUILD_SEED, CLAIM_SEEDS, Check, fill_statement
from book.render.directives import lookup_setup
from book.render.errors import PageError
from book.render.labels import LABELS, check_words, measured_words, spread_words

if TYPE_CHECKING:
    from book.render.views import SnippetView
    from book.translations import SnippetText

#: ``$…$`` in a claim's statement, with the punctuation that touches it (kept with the formula).
INLINE_MATH = re.compile(r"(?P<before>[(\[‘“（「]?)(?<!\\)\$(?P<latex>.+?)(?<!\\)\$(?P<after>[,.;:!?)\]’”，。；：！？）」、]*)")


def statement_html(text: str) -> str:
    """A claim's statement as HTML: its ``$…$`` typeset as MathML (as the page's own math)."""
    from book.math import MathError, inline_mathml

    parts, last = [], 0
    for match in INLINE_MATH.finditer(text):
        parts.append(html.escape(text[last:match.start()]))
        try:
            parts.append(inline_mathml(match.group("latex").strip(), match.group("before"), match.group("after")))
        except MathError as exc:
            raise PageError(f"claim statement {text!r}: {exc}", kind="claims") from None
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def claim_statement(view: SnippetView, claim: dict, text: str | None = None) -> str:
    """A claim's statement as the page shows it (``text``, its translation, if given), its
    fields (:data:`book.claims.FIELD`) filled: the setup from the snippet's code, the bounds
    from the claim's record (the numbers its check read), results from the build seed's."""
    template = claim["statement"] if text is None else text
    check = Check.of_record(claim)
    bounds = {"at_least": check.at_least, "at_most": check.at_most}
    try:
        return fill_statement(template, claim["id"], bounds, check.bound_fmt, check.out_of,
                              lambda key: lookup_setup(view, key), view.result["results"])
    except ValueError as exc:
        raise PageError(f"snippet '{view.id}' ({view.source}): {exc}", kind="claims", snippet=view.id) from None


def _numbers(claim: dict, words: dict, language: str, shown_label: str | None) -> str:
    """A card's numbers: measured (and, for a check on a derived number, the quantity the
    statement talks about first), the spread over the seeds, the check."""
    check = Check.of_record(claim)
    measured = html.escape(measured_words(check, claim["values"][str(BUILD_SEED)], language))
    rows = f"<div><dt>{words['measured']}</dt><dd>{measured}</dd></div>"
    shows = claim.get("shows")
    if shows:
        quantity = statement_html(f"{shown_label} = {shows['value']}")
        rows = (f"<div><dt>{words['measured']}</dt><dd class=\"book-claim-quantity\">{quantity}</dd></div>"
                f"<div><dt>{words['checked']}</dt><dd>{measured}</dd></div>")
    seeds = f"{CLAIM_SEEDS[0]}–{CLAIM_SEEDS[-1]}"
    if all(str(seed) in claim["values"] for seed in CLAIM_SEEDS):
        spread = spread_words(check, [claim["values"][str(s)] for s in CLAIM_SEEDS], language)
    else:  # a provisional record (`mkdocs serve`'s first view): the build seed alone so far
        spread = words["still_checking"]
    return (f"{rows}"
            f"<div><dt>{words['seeds'].format(seeds=seeds)}</dt><dd>{html.escape(spread)}</dd></div>"
            f"<div><dt>{words['check']}</dt><dd>{html.escape(check_words(check, language))}</dd></div>")


def render_claims(views: list[SnippetView], source_url: Callable[[str], str | None],
                  texts: Callable[[str], SnippetText] | None = None, language: str = "en") -> str:
    """The page's tested claims, one card per claim: the statement first (with its math
    typeset), then the value measured for this page, its range over the claim seeds, and
    the check; the claim's id names its test. Cards stack on a phone; no table to scroll."""
    seeds = f"{CLAIM_SEEDS[0]}–{CLAIM_SEEDS[-1]}"
    words = LABELS[language]
    groups, tests = [], []
    for view in views:
        test_path = "tests/" + view.source.split("/", 1)[1].rsplit("/", 1)[0] + f"/test_{view.id}.py"
        url = source_url(test_path)
        link = (lambda inner: f'<a href="{html.escape(url)}">{inner}</a>') if url else (lambda inner: inner)
        tests.append(link(f"<code>{test_path}</code>"))
        if view.result is None:
            reason = html.escape(view.error.splitlines()[0] if view.error else "not run")
            groups.append(
                f'<li class="book-claim book-claim-failed"><p class="book-claim-statement">'
                + words["no_result"].format(id=view.id, reason=reason) + "</p></li>"
            )
            continue
        text = texts(view.id) if texts else None
        title = html.escape(text.title if text else view.result["title"])
        cards = []
        for claim in view.result["claims"]:
            test_link = link(f"<code>{html.escape(claim['id'])}</code>")
            failed = "" if claim.get("passed", True) else " book-claim-failed"
            statement = claim_statement(view, claim, text.claim(claim["id"]) if text else None)
            shows = claim.get("shows")
            # The check is on a derived number (a distance, an error): the quantity the statement talks about.
            label = (text.shown_label(claim["id"]) if text else shows["label"]) if shows else None
            cards.append(
                f'<li class="book-claim{failed}">'
                f'<p class="book-claim-statement">{statement_html(statement)}</p>'
                '<dl class="book-claim-numbers">'
                f"{_numbers(claim, words, language, label)}"
                f'<div class="book-claim-test"><dt>{words["test"]}</dt><dd>{test_link}</dd></div>'
                "</dl></li>"
            )
        groups.append(
            f'<li class="book-claims-group"><p class="book-claims-experiment">{title}</p>'
            f'<ul class="book-claims-list">{"".join(cards)}</ul></li>'
        )
    return (
        # Open, and foldable (on a phone it opens folded: docs/javascripts/book.js).
        '\n<details class="book-claims book-phone-folded" open>\n'
        f'<summary>{words["title"]}</summary>\n'
        f'<p class="book-claims-intro">{words["intro"].format(seeds=seeds, seed=BUILD_SEED)}</p>\n'
        f'<ul class="book-claims-groups">{"".join(groups)}</ul>\n'
        f'<p class="book-claims-tests">{words["tests"].format(tests=", ".join(tests))}</p>\n</details>\n'
    )
