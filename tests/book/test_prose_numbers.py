"""No hand-typed numbers in a page's prose: every number a reader reads comes from results.

A digit in a page's prose (its paragraphs, exercises and their answers, takeaways, tables,
figure captions) must be filled in by a ``[[ID:KEY|FMT]]`` directive from a snippet's
results. A typed number drifts from the measurement the moment the code changes; a filled
one cannot. Exempt are the places where a digit is not a measurement:

- code (fences and inline), formulas (``$…$``, ``$$…$$``), links' targets, HTML tags and
  attribute lists;
- citations: years, pages, volumes, arXiv ids, and the References section;
- numbering: experiments, exercises, sections, figures, tables, equations, ordered lists;
- names that contain digits (float16, L2, ResNet-18, 方案1);
- the source note's own words (a ``!!! quote`` block), which a chapter quotes to judge;
- a short allow-list of exact constants, each with its reason (:data:`EXACT_CONSTANTS`).

Anything else fails, listed per page with its line, so a contributor sees what to fill in.
The Markdown scanning (code fences, display math) is the one the pages and the editions' parity
check use (:func:`book.render.markdown.lines`).

The statements of the claims (both editions) are held to the same rule: a number in one is a
field (:data:`book.claims.FIELD`) filled from the experiment's setup (``[[setup.DEPTH]]``), from
the claim's own bounds (``[[at_most]]``, the number its check reads) or from a result every seed
shares (``[[results.KEY]]``); the Chinese statement quotes the same fields as the English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from book import translations
from book.claims import FIELD, RESULTS_FIELD, Claim, setup_of, statement_fields
from book.render.markdown import DIRECTIVE, FIGURE, lines
from book.parity import REFERENCE_HEADINGS
from book.runner import discover

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))

#: Characters that write a number: ASCII and superscript digits, vulgar fractions.
DIGIT = re.compile(r"[0-9⁰¹²³⁴⁵⁶⁷⁸⁹¼½¾⅓⅔⅛]")

#: Exact constants a page may type, each with the reason it is not a measurement. The
#: pattern is matched in the prose (after code, math and directives are removed).
EXACT_CONSTANTS = {
    r"¼": "the sigmoid's largest slope, σ′(0) = ¼: a property of the function, not a measurement",
    r"½": "the sigmoid's value at zero, σ(0) = ½",
    r"\b5/3\b": "PyTorch's tanh gain, calculate_gain('tanh') = 5/3: a library constant",
    r"\b(?:16|32|64)(?:-bit| 位)": "the width of a floating-point format, part of its name (float16 is a 16-bit format)",
    r"factor of 10\b": "a decade is a factor of 10, by definition",
    r"(?<![0-9.,/⁻\-])[01](?![0-9.,/]?[0-9]|[eE][-+]?[0-9]|-(?=[0-9]))": "0 and 1 as exact values: the unit factor that separates vanishing from "
    "exploding, ReLU's slopes, a gate fully open, the first layer; a measured value is never a bare 0 or 1 "
    "(it is filled, with its decimals)",
}

#: Numbering and names: a digit in these is a label, not a quantity.
LABELS = [
    # experiments, exercises, sections, figures, tables, equations, chapters (both editions)
    r"(?i)\b(?:experiments?|exercises?|sections?|sec\.|figures?|fig\.|tables?|eqs?\.|equations?|chapters?|"
    r"appendix|theorem|lemma|proposition|algorithm|panel)\s+\(?\d+(?:\.\d+)*\)?(?:\s*(?:and|or|–|-|,)\s*\d+)*",
    r"(?:实验|练习|图|表|公式|方案|章|节|附录|定理)\s*\d+(?:\s*[和、–-]\s*\d+)*",
    r"第\s*\d+\s*[章节]",
    # names with digits: float16, bfloat16, L2, log10, fp16, ResNet-18, GPT-2, CIFAR-10
    r"\b[A-Za-z_]+\d+[A-Za-z0-9_]*\b",
    r"\b[A-Z][A-Za-z]*-\d+\b",
]

#: Citations: a year after an author or in a citation's parentheses, an arXiv id, pages.
CITATIONS = [
    r"\b\d{4}\.\d{4,5}(?:v\d+)?\b",  # arXiv id
    r"(?i)\b(?:pp?\.|pages?|vol\.|no\.)\s*\d+(?:\s*[–-]\s*\d+)?",
    r"(?i)\b(?:issue|pull request|PR)\s+#\d+\b",  # a project's issue, cited by its number
    # (2010), (2010a), (Hinton 2006; Bengio et al. 2007), "Erhan et al. (2010)", "& Teh 2006", "in 1997"
    r"\b(?:19[5-9]\d|20[0-3]\d)[a-z]?\b(?=\s*(?:[);,:.]|$|\s*[,;]?\s*(?:and|with|who|found|showed|proposed|"
    r"introduced|measured|derived|called|named|'s|’s|年|的|提出|发现|指出|给出|证明|中|里|用|把|将|测|在|）|，|。|；|、)))",
    r"(?<=[(\s])(?:19[5-9]\d|20[0-3]\d)[a-z]?(?=\))",
    r"(?:(?<=al\. )|(?<=al\.\s\()|(?<=[A-Z][a-z]\s)|(?<=[a-z]\s\()|(?<=\()|(?<=in\s)|(?<=since\s)|(?<=before\s)"
    r"|(?<=after\s)|(?<=until\s)|(?<=Before\s)|(?<=In\s)|(?<=Since\s)|(?<=年)|(?<=从)|(?<=于))(?:19[5-9]\d|20[0-3]\d)[a-z]?\b",
    r"(?:19[5-9]\d|20[0-3]\d)\s*年",
    r"(?<=\bthe )(?:19[5-9]\d|20[0-3]\d)(?= [A-Z])",  # "the 1997 LSTM": the version of that year's paper
]

#: A number as typed: 4, 4.2, 1e-3, 10⁻⁸, 1/4, 3–5.
NUMBER = re.compile(r"[0-9⁰¹²³⁴⁵⁶⁷⁸⁹¼½¾⅓⅔⅛](?:[0-9⁰¹²³⁴⁵⁶⁷⁸⁹.,×⁻–/]|[eE][-+]?(?=[0-9])|-(?=[0-9]))*")
IGNORED = [re.compile(p) for p in LABELS + CITATIONS]
CONSTANTS = [re.compile(p) for p in EXACT_CONSTANTS]


def _without_directives(line: str) -> str:
    """A line with its value directives removed and its figure directives reduced to their caption."""

    def replace(match: re.Match) -> str:
        body = match.group(1).replace("\\|", "|").strip()
        figure = FIGURE.match(body)
        if figure:  # the caption is prose, its value directives filled
            return " " + DIRECTIVE.sub(replace, figure.group("caption") or "") + " "
        return " ⟨filled⟩ "

    return DIRECTIVE.sub(replace, line)


def prose(line: str) -> str:
    """What a reader reads as prose in one Markdown line, with exempt parts blanked out."""
    line = _without_directives(line)
    line = re.sub(r"`[^`]*`", " ", line)
    line = re.sub(r"\$\$.*?\$\$|(?<!\\)\$[^$]*(?<!\\)\$", " ⟨math⟩ ", line)
    line = re.sub(r"\]\([^)]*\)", "]", line)
    line = re.sub(r"<[^>]+>", " ", line)
    line = re.sub(r"\{[^}]*\}", " ", line)
    line = re.sub(r"https?://\S+", " ", line)
    line = re.sub(r"^\s*(?:\d+\.|[-*+])\s", " ", line)  # an ordered list's number
    line = re.sub(r'^\s*(?:!!!|\?\?\?\+?)\s+\w+(?:\s+"[^"]*")?', lambda m: m.group(0).split('"')[1] if '"' in m.group(0) else " ", line)
    for pattern in IGNORED:
        line = pattern.sub(" ", line)
    return line


def hand_typed_numbers(markdown: str) -> list[tuple[int, str, str]]:
    """``(line number, number, the prose around it)`` for every digit typed in the prose."""
    found = []
    in_references = in_quote = False
    quote_indent = 0
    # The YAML front matter (e.g. a search boost) is the page's settings, not its prose.
    front_matter = re.match(r"---\n.*?\n---\n", markdown, re.DOTALL)
    settings_lines = front_matter.group(0).count("\n") if front_matter else 0
    for scanned in lines(markdown):
        number, line, stripped = scanned.number, scanned.text, scanned.text.strip()
        if not scanned.prose or number <= settings_lines:  # code, display math, the front matter
            continue
        if stripped.startswith("#"):
            in_references = bool(REFERENCE_HEADINGS.match(stripped))
        if in_references:
            continue
        indent = len(line) - len(line.lstrip())
        if in_quote and stripped and indent <= quote_indent:
            in_quote = False
        if re.match(r"^(?:!!!|\?\?\?\+?)\s+quote\b", stripped):
            # the source note's own words, quoted to be judged; its title is the page's
            in_quote, quote_indent = True, indent
            line = re.sub(r"\(方案\s*\d+\)|\(plan \d+\)", "", line)
        elif in_quote:
            continue
        text = prose(line)
        for constant in CONSTANTS:
            text = constant.sub(" ", text)
        for match in NUMBER.finditer(text):
            typed = match.group(0).strip(" .,-–/")
            if DIGIT.search(typed):
                start = max(0, match.start() - 30)
                found.append((number, typed, text[start:match.end() + 30].strip()))
    return found


def report(page: str, markdown: str) -> str:
    lines = [f"docs/{page} line {n}: {typed!r} in “…{context}…”" for n, typed, context in hand_typed_numbers(markdown)]
    return "\n".join(lines)


#: Pages that still type numbers: each is reported (as an expected failure with its count)
#: instead of failing. The list is strict: a listed page that types no number any more fails,
#: so that it is taken off and the list can only shrink.
PENDING_PAGES: tuple[str, ...] = ()

#: The toolkit's manual is not a chapter: its numbers are the toolkit's own thresholds, not an
#: experiment's results. It is checked differently: every number it types must be one of
#: gradient_flow's public constants or follow from them (test_the_manual_quotes_the_toolkits_constants).
MANUAL_PAGES = ("api.md", "api.zh.md")


def check_page(page: str, markdown: str, pending: tuple[str, ...] = PENDING_PAGES) -> str:
    """Raise AssertionError for a page that types a number (or a pending page that no longer
    does); for a pending page that still types numbers, return the report of them."""
    found = report(page, markdown)
    if page in pending:
        assert found, (
            f"docs/{page} types no number by hand any more: take it off PENDING_PAGES in "
            f"tests/book/test_prose_numbers.py, so that it is checked like every other page"
        )
        return found
    assert not found, (
        f"docs/{page} types numbers by hand: fill each from the snippet's results with "
        f"[[ID:KEY|FMT]] (compute derived numbers in the snippet), its setup with [[ID:setup.NAME|FMT]], "
        f"or, if it is an exact constant, typeset it as math or add it to EXACT_CONSTANTS with its "
        f"reason:\n{found}"
    )
    return ""


@pytest.mark.parametrize("page", [p for p in PAGES if p not in PENDING_PAGES + MANUAL_PAGES])
def test_a_page_types_no_number_in_its_prose(page):
    check_page(page, (DOCS / page).read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PENDING_PAGES)
def test_a_pending_page_is_reported_until_it_is_clean(page):
    assert page in PAGES, f"PENDING_PAGES names docs/{page}, which does not exist: take it off"
    found = check_page(page, (DOCS / page).read_text(encoding="utf-8"))
    pytest.xfail(f"pending page docs/{page} still types {len(found.splitlines())} number(s):\n{found}")


# ------------------------------------------------------------------ the check can fail

def test_a_planted_number_is_found():
    page = "Through [[demo:depth]] layers the gradient fell 4.2 decades.\n"
    assert [(n, typed) for n, typed, _ in hand_typed_numbers(page)] == [(1, "4.2")]


def test_numbers_in_captions_tables_answers_and_takeaways_are_found():
    page = (
        "[[figure demo:profile|The gradient after 50 layers.]]\n\n"
        "| network | loss |\n| --- | --- |\n| plain | 0.31 |\n\n"
        '!!! abstract "Key takeaways"\n    A shift of four layers, about 70 layers.\n\n'
        '??? success "Answer"\n    about 1e-3\n'
    )
    assert [typed for _, typed, _ in hand_typed_numbers(page)] == ["50", "0.31", "70", "1e-3"]


def test_exempt_digits_are_not_reported():
    page = (
        "## Experiment 2: float16 and L2 (Hinton & Salakhutdinov 2006)\n\n"
        "See Exercise 1 and figure 3; Bengio et al. (2007) and arXiv 1706.03762. "
        "The slope is at most ¼, `x = 12`, $\\sigma^{49} = 10^{-3}$, [link](page.md#s-2), "
        "[[demo:value|.2f]] measured.\n\n"
        "```python\nsteps = 300\n```\n\n$$\nL = 50\n$$\n\n"
        '!!! quote "The note (方案1)"\n    It takes 10 layers.\n\n'
        "## References\n\n- Hochreiter, S. (1997). Long short-term memory. 9(8), 1735–1780.\n"
    )
    assert hand_typed_numbers(page) == []


def test_chinese_prose_is_checked_too():
    page = "在实验 1 中，梯度在 24 层后缩小了 [[demo:ratio|.2g]] 倍（Hinton 2006）。\n"
    assert [typed for _, typed, _ in hand_typed_numbers(page)] == ["24"]


def test_a_planted_number_fails_a_clean_page():
    page = (DOCS / "index.md").read_text(encoding="utf-8")
    check_page("index.md", page)  # clean as it stands
    title, rest = page.split("\n", 1)
    with pytest.raises(AssertionError, match=r"docs/index\.md line 3: '42'"):
        check_page("index.md", f"{title}\n\nThe gradient fell for 42 layers.\n{rest}")


def test_a_pending_page_fails_once_it_is_clean():
    assert check_page("demo.md", "It fell 4.2 decades.\n", pending=("demo.md",))
    with pytest.raises(AssertionError, match="take it off PENDING_PAGES"):
        check_page("demo.md", "It fell [[demo:decades|.2g]] decades.\n", pending=("demo.md",))


def test_numbers_filled_inside_a_caption_are_not_typed():
    page = "[[figure demo:profile|Gradients of a [[demo:setup.depth|d]]-layer network, not 30.]]\n"
    assert [typed for _, typed, _ in hand_typed_numbers(page)] == ["30"]


def manual_numbers() -> dict[str, str]:
    """The numbers the toolkit's manual may type, each with where it comes from: its public
    constants (gradient_flow.diagnosis), and what follows from them."""
    import math

    from gradient_flow import _norms, diagnosis as d

    decades, low, high = d.DECADES, *d.UPDATE_RANGE
    cut = d.SATURATION_DERIVATIVE  # tanh' = 1 − t², sigmoid' = s(1 − s): where they fall below cut × max
    return {
        f"{decades:g}": "DECADES", f"1/{10 ** decades:g}": "1/10^DECADES", f"{10 ** decades:g}": "10^DECADES",
        f"{10 ** decades:g}×": "10^DECADES", f"{d.DEAD * 100:g}": "DEAD, in %", f"{d.SATURATED * 100:g}": "SATURATED, in %",
        f"1/{1 / cut:g}": "SATURATION_DERIVATIVE", f"{math.sqrt(1 - cut):.3g}": "|tanh| where tanh' = SATURATION_DERIVATIVE",
        f"{(1 - math.sqrt(1 - cut)) / 2:.3g}": "the sigmoid's distance from 0 or 1 where σ' = SATURATION_DERIVATIVE / 4",
        f"{low:g}": "UPDATE_RANGE", f"{high:g}": "UPDATE_RANGE", f"1e{round(math.log10(math.sqrt(low * high)))}": "UPDATE_RANGE's middle (geometric)",
        f"{d.MINIMUM_POINTS}": "MINIMUM_POINTS", "10": "the base of the decades", "²": "a square, in a formula",
        "1e-27": "an example value below float32's smallest square (not a result)",
        f"{_norms.UNDERFLOW_GUARD:g}": "UNDERFLOW_GUARD (gradient_flow._norms)",
        f"{_norms.ROW}": "ROW (gradient_flow._norms)",
    }


@pytest.mark.parametrize("page", MANUAL_PAGES)
def test_the_manual_quotes_the_toolkits_constants(page):
    allowed = manual_numbers()
    wrong = [f"docs/{page} line {n}: {typed!r} in “…{context}…”"
             for n, typed, context in hand_typed_numbers((DOCS / page).read_text(encoding="utf-8"))
             if typed not in allowed]
    assert not wrong, ("the manual types numbers that are not the toolkit's constants (gradient_flow.diagnosis) "
                       "nor follow from them: correct them, or add the constant they come from to manual_numbers:\n"
                       + "\n".join(wrong))


def test_the_manual_check_catches_a_wrong_threshold():
    planted = "The trend is flagged when it is steeper than 7 decades.\n"
    assert [typed for _, typed, _ in hand_typed_numbers(planted) if typed not in manual_numbers()] == ["7"]


# ------------------------------------------------------------------ the claims' statements

#: Digits a claim's statement may type, each with its reason (beyond what a page may type: the
#: statement is one line of words and formulas, shown without a page's Markdown).
STATEMENT_EXEMPT = {
    r"(?<=[A-Za-z‖)\]′’])²": "a square in a formula written in words (R², m², ‖∂L/∂h‖², tanh′²)",
}
STATEMENT_EXEMPTIONS = [re.compile(p) for p in STATEMENT_EXEMPT]


def statement_numbers(statement: str) -> list[str]:
    """The numbers typed by hand in a claim's statement (its fields are filled, not typed)."""
    for pattern in STATEMENT_EXEMPTIONS:
        statement = pattern.sub(" ", statement)
    return [typed for _, typed, _ in hand_typed_numbers(statement.replace("\n", " ") + "\n")]


SNIPPETS = discover(REPO)


def _claims(snippet):
    import importlib

    return importlib.import_module(snippet.module).CLAIMS


def _editions(snippet) -> list[tuple[Claim, str, str]]:
    """(claim, edition, statement) for the English and the Chinese statement of every claim."""
    chinese = translations.load(REPO, snippet.path.relative_to(REPO).as_posix())
    return [(c, edition, text) for c in _claims(snippet)
            for edition, text in (("en", c.statement), ("zh", chinese.claim(c.id)))]


def check_statements(snippet_id: str, statements) -> None:
    """Raise AssertionError listing the statements ``(claim, edition, text)`` that type a number."""
    typed = [f"{snippet_id}: claim '{claim.id}' ({edition}) types {numbers}: “{text}”"
             for claim, edition, text in statements if (numbers := statement_numbers(text))]
    assert not typed, (
        "claim statements type numbers by hand: write the experiment's setup as [[setup.NAME|FMT]], "
        "the claim's bound as [[at_least]] / [[at_most]] (the number its check reads), a count's runs as "
        "[[out_of]], a theory value every seed shares as [[results.KEY|FMT]], an exact constant as math "
        "($\\sqrt{2}$), or add a name's digits to STATEMENT_EXEMPT with its reason:\n" + "\n".join(typed))


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_a_claim_statement_types_no_number(snippet):
    check_statements(snippet.id, _editions(snippet))


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_a_claim_statement_prints_the_bounds_it_checks(snippet):
    """Each statement fills (both editions) and prints each bound it quotes as the number the
    check reads; the Chinese statement quotes the same fields as the English."""
    setup = setup_of(snippet.id, str(snippet.path))
    problems = []
    for claim, edition, text in _editions(snippet):
        if sorted(statement_fields(text)) != sorted(statement_fields(claim.statement)):
            problems.append(f"claim '{claim.id}' ({edition}) quotes {sorted(statement_fields(text))}, the English "
                            f"{sorted(statement_fields(claim.statement))}")
            continue
        # A result is filled by the build (from the seeds' results); here, the setup and the bounds.
        text = FIELD.sub(lambda m: "⟨result⟩" if m.group("key").startswith(RESULTS_FIELD) else m.group(0), text)
        try:
            filled = claim.stated(setup, text=text)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        for match in FIELD.finditer(text):
            if match.group("key") in ("at_least", "at_most"):
                bound = getattr(claim, match.group("key"))
                # the check prints the same bound in the same format (unless the field names its own)
                if match.group("fmt") is None:
                    assert claim._format(bound) in claim.check and claim._format(bound) in filled
    assert not problems, f"{snippet.id}:\n" + "\n".join(problems)


def test_a_planted_number_in_a_statement_fails():
    planted = Claim("deep", "In a 24-layer network the gradient falls below [[at_most|d]] decades.",
                    lambda r: r["x"], at_most=-3)
    with pytest.raises(AssertionError, match=r"claim 'deep' \(en\) types \['24'\]"):
        check_statements("demo", [(planted, "en", planted.statement)])
    chinese = "在 24 层网络中，梯度低于 [[at_most|d]] 个数量级。"
    with pytest.raises(AssertionError, match=r"claim 'deep' \(zh\) types \['24'\]"):
        check_statements("demo", [(planted, "zh", chinese)])
    filled = Claim("deep", "In a [[setup.depth]]-layer network the gradient falls below [[at_most|d]] decades.",
                   lambda r: r["x"], at_most=-3)
    check_statements("demo", [(filled, "en", filled.statement)])
    # names and formulas are not typed numbers
    check_statements("demo", [(filled, "en", "In float16 the fit's R² of $10^{-3}$ is ½.")])


def test_a_statement_prints_the_bound_its_check_reads():
    setup = {"depth": 24, "depths": [6, 12, 24]}.__getitem__
    claim = Claim("slow", "A [[setup.depth]]-layer net is not solved within [[at_most]] of [[out_of]] runs "
                  "(deepest [[setup.depths]]).", lambda r: r["n"], at_most=1, out_of=8)
    with pytest.raises(ValueError, match="is a list, not a number"):
        claim.stated(setup)
    claim = Claim("slow", "A [[setup.depth]]-layer net is solved in at most [[at_most]] of [[out_of]] runs.",
                  lambda r: r["n"], at_most=1, out_of=8)
    assert claim.stated(setup) == "A 24-layer net is solved in at most 1 of 8 runs."
    assert claim.check == "at most 1 of 8 runs"
    power = Claim("tiny", "Below $10^{[[at_most|d]]}$ ([[at_most|sci1]] as a ratio: no).", lambda r: r["x"], at_most=-16)
    with pytest.raises(ValueError, match=r"prints the bound -16 as '-2e\+01'"):
        power.stated()
    power = Claim("tiny", "Below $10^{[[at_most|d]]}$.", lambda r: r["x"], at_most=-16.0, fmt=".1f")
    assert power.stated() == "Below $10^{-16}$." and power.check == "value ≤ -16.0"
    # a format that rounds the bound would print another number than the check reads
    rounded = Claim("quarter", "At most [[at_most]].", lambda r: r["x"], at_least=0.2499999, at_most=0.25, fmt=".3g")
    assert rounded.stated() == "At most 0.25."
    with pytest.raises(ValueError, match="prints the bound 0.2499999 as '0.25'"):
        rounded.stated(text="At least [[at_least]].")
    assert rounded.stated(text="At least [[at_least|.7f]].") == "At least 0.2499999."
    share = Claim("share", "No more than [[at_most|.0%]] lost.", lambda r: r["x"], at_most=0.02)
    assert share.stated() == "No more than 2% lost."
    with pytest.raises(ValueError, match=r"\[\[at_least\]\] the claim has no at_least"):
        share.stated(text="[[at_least]]")
    with pytest.raises(ValueError, match=r"\[\[setup.width\]\] .*no setup"):
        share.stated(text="[[setup.width]]")


def test_a_statement_quotes_a_snippets_setup_from_its_file():
    setup = setup_of("postln_preln_gradients")
    assert setup("depths.-1") == 24
    claim = Claim("x", "At [[setup.depths.-1]] layers.", lambda r: 1, at_most=2)
    assert claim.stated(setup) == "At 24 layers."
    with pytest.raises(ValueError, match="has no setup value 'DEPTH'.*there: .*depths"):
        claim.stated(setup, text="At [[setup.DEPTH]] layers.")


def test_a_statement_quotes_only_a_result_every_seed_shares():
    from book.execute import SnippetError, stated

    claim = Claim("x", "Theory [[results.theory|.2g]].", lambda r: r["x"], at_most=1)
    shared = {seed: {"theory": -2.81, "x": seed / 10} for seed in range(5)}
    assert stated("demo", None, claim, shared) == "Theory -2.8."
    differs = {seed: {"theory": seed, "x": 0} for seed in range(5)}
    with pytest.raises(SnippetError, match=r"quotes \[\[results.theory\]\], which differs between the claim seeds"):
        stated("demo", None, claim, differs)
