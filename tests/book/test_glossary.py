"""The glossary covers every symbol the chapters use, and the chapters agree on shared constants.

Symbols are found two ways. Greek-letter symbols are extracted from every formula of every
chapter automatically (with an optional named subscript such as σ_w or b_f; index
subscripts l, k, i, t are dropped), so a chapter that introduces a new Greek symbol fails
this test until the glossary lists it. Latin symbols and terms cannot be told apart from
ordinary words automatically: a small registry below names each with the pattern that finds
it in the chapters; once a chapter uses it, the glossary must define it.

The consistency check scans all pages, the glossary included, for the typed forms of a few
constants that several pages state (the sigmoid's slope bound, the He variance, BN's
per-layer rate, …) and checks that every stated value agrees with the true one to the
precision it is written with.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
GLOSSARY = DOCS / "glossary.md"
CHAPTERS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")) if p != GLOSSARY}
GLOSSARY_TEXT = GLOSSARY.read_text(encoding="utf-8")

MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|eta|theta|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|"
    "phi|varphi|chi|psi|omega|Delta"
)
#: \chi, \sigma_w, \chi_l (index dropped), q^* is in the registry below.
GREEK_SYMBOL = re.compile(r"\\(" + GREEK + r")(?![A-Za-z])(?:_\{?([A-Za-z])\}?(?![A-Za-z]))?")
INDEX_SUBSCRIPTS = set("iklst")


def greek_symbols(text: str) -> set[str]:
    """Greek-letter symbols in the formulas of ``text``: {'\\chi', '\\sigma_w', …}."""
    found = set()
    for match in MATH.finditer(text):
        for symbol in GREEK_SYMBOL.finditer(match.group(1) or match.group(2)):
            name, sub = symbol.group(1), symbol.group(2)
            found.add(f"\\{name}" if not sub or sub in INDEX_SUBSCRIPTS else f"\\{name}_{sub}")
    return found


def glossary_entries() -> list[str]:
    """The glossary's entries: the bold term at the start of each bullet."""
    return re.findall(r"^- \*\*(.+?)\*\*:", GLOSSARY_TEXT, re.M)


#: Latin symbols and terms: glossary entry (a substring of a bold term) → pattern in the chapters.
REGISTRY = {
    "$q_l$, $q^*$": r"q\^\*",
    "$L$, $l$": r"l = 1, \\dots, L",
    "$n$": r"width \$n\$|for width \$n\$",
    "$J_l$": r"J_l",
    "hidden gradient": r"\\partial\s*\\mathcal\{L\}\s*/\s*\\partial h_",
    "weight gradient": r"\\partial\s*\\mathcal\{L\}\s*/\s*\\partial W_",
    "$c_t$": r"c_t",
    "$b_f$": r"b_f",
    "$i_t$, $f_t$, $o_t$, $g_t$": r"f_t",
    "$g_L$": r"g_L",
    "$B$": r"\\frac1B",
    "$m$": r"outlier of size \$m\$",
    "gradient-to-weight ratio": r"gradient-to-weight ratio",
    "update-to-weight ratio": r"update-to-weight ratio",
    "$T$ (ratio trend)": r"T = \\widehat",
    "fan-in": r"fan-in|fan_in",
    "He initialisation": r"He initialisation|He-initialised",
    "Xavier (Glorot) initialisation": r"Xavier",
    "PyTorch's default initialisation": r"PyTorch's default initialisation",
    "gain": r"calculate_gain|gain 5/3",
    "saturation": r"saturat",
    "dead unit": r"dead unit|dying",
    "spectral norm": r"spectral norm",
    "spectral radius": r"spectral radius",
    "mean-field assumption": r"mean-field assumption",
    "critical scale, edge of chaos": r"edge of chaos|\*critical\*",
    "Lyapunov exponent": r"Lyapunov exponent",
    "constant error carousel": r"constant error carousel",
    "cell path": r"\*cell path\*",
    "adding problem": r"adding problem",
    "Huber loss": r"Huber",
    "internal covariate shift": r"internal covariate shift",
    "residual block, branch, direct path": r"\*direct path\*",
    "Fixup": r"Fixup",
    "weight decay, L2 penalty": r"weight decay",
    "gradient clipping by norm": r"by norm",
    "gradient clipping by value": r"by value",
    "layer-wise pretraining": r"pretraining",
    "vanishing gradient": r"vanish",
    "exploding gradient": r"explod",
    # the Transformer and mixed-precision chapters
    "LayerNorm": r"LayerNorm|\\operatorname\{LN\}",
    "$\\mu(x)$, $\\sigma(x)$": r"\\sigma\(x",
    "post-LN, pre-LN": r"(?i)pre-LN|post-LN",
    "residual stream": r"residual stream",
    "DeepNorm": r"DeepNorm",
    "warm-up": r"warm-up",
    "subnormal number": r"subnormal",
    "float16, bfloat16": r"bfloat16",
    "loss scaling": r"loss scaling",
    "GradScaler": r"GradScaler",
    # the width-and-depth chapter
    "standard parametrisation (SP)": r"standard parametrisation",
    "μP (maximal-update parametrisation)": r"μP",
    "coordinate check": r"coordinate check",
    "base width": r"base width",
    "branch multiplier, depth-μP": r"depth-μP",
}


def test_glossary_is_in_the_nav_after_the_diagnosis_chapter():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert nav.index("glossary.md") > nav.index("diagnosis.md"), "the glossary comes after the diagnosis chapter"


def test_every_greek_symbol_of_the_chapters_is_in_the_glossary():
    in_chapters = {}
    for name, text in CHAPTERS.items():
        for symbol in greek_symbols(text):
            in_chapters.setdefault(symbol, []).append(name)
    assert len(in_chapters) >= 15, f"symbol extraction found too little: {sorted(in_chapters)}"
    terms = " ".join(glossary_entries())
    missing = {s: pages for s, pages in in_chapters.items() if s not in greek_symbols(terms)}
    assert not missing, f"symbols used in chapters but not defined in docs/glossary.md: {missing}"


@pytest.mark.parametrize("entry", sorted(REGISTRY))
def test_registered_symbol_or_term_is_used_and_defined(entry):
    pattern = re.compile(REGISTRY[entry])
    used = [name for name, text in CHAPTERS.items() if pattern.search(text)]
    assert used, f"no chapter matches {REGISTRY[entry]!r} any more: update the registry for {entry!r}"
    assert any(entry in term for term in glossary_entries()), f"{entry!r} (used in {used}) is not in the glossary"


def test_every_glossary_entry_links_to_a_chapter_that_uses_it():
    for line in GLOSSARY_TEXT.splitlines():
        if not line.startswith("- **"):
            continue
        links = re.findall(r"\]\(([a-z_]+)\.md(?:#[a-z0-9-]+)?\)", line)
        assert links, f"glossary entry without a link to a chapter: {line[:80]}"
        for page in links:
            assert page in CHAPTERS, f"glossary links to docs/{page}.md, which does not exist"


def test_every_chapter_with_a_takeaways_box_links_to_the_glossary():
    for name, text in CHAPTERS.items():
        if '!!! abstract "Key takeaways"' in text:
            box = text.split('!!! abstract "Key takeaways"', 1)[1].split("\n\n##", 1)[0]
            assert "glossary.md" in box, f"docs/{name}.md: its Key takeaways box does not link to the glossary"


# ------------------------------------------------------------------ consistency

def _number(text: str) -> tuple[float, float]:
    """A stated value and the tolerance its notation implies (half a unit in the last digit)."""
    text = text.strip()
    fractions = {r"\tfrac14": "1/4", r"\tfrac{1}{4}": "1/4", r"\tfrac12": "1/2"}
    text = fractions.get(text, text)
    if "/" in text:
        return float(Fraction(text)), 1e-12
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), 0.5 * 10 ** -decimals + 1e-12


#: name → (pattern with one group capturing the stated value, true value, pages it must be found on)
CONSTANTS = {
    "sigmoid slope bound": (
        r"\\sigma'(?:\(z\))?(?: = [^$]{0,40}?)?\s*(?:\\le|≤)\s*(1/4|\\tfrac14|\\tfrac\{1\}\{4\}|0\.25)",
        0.25, {"activation_functions", "glossary"},
    ),
    "sigmoid slope at zero": (
        r"sigmoid's (?:slope at zero|largest slope|peak derivative),?\s*\$?(1/4|0\.25)",
        0.25, {"batch_norm"},
    ),
    "tanh slope bound": (r"\\tanh'(?:\(z\))?\s*(?:\\le|≤)\s*(1)\b", 1.0, {"activation_functions"}),
    "tanh gain": (r"(?:gain|calculate_gain\('tanh'\)`? is)\s*\$?(5/3|\d/\d)(?=[^0-9/])", 5 / 3, {"glossary"}),
    "He variance": (
        r"He[^$\n]{0,40}\$?(?:W\s*\\sim\s*\\mathcal\{N\}\(0,\s*|\\operatorname\{Var\}\[w\]\s*=\s*)(\d+)/n",
        2.0, {"glossary"},
    ),
    "PyTorch default variance": (
        r"\\operatorname\{Var\}\[w\]\s*=\s*1/\((\d)\s*n\)|variance \$1/\((\d)\\,\\text\{fan-in\}\)",
        3.0, {"glossary"},
    ),
    "BN rate in norm": (r"\\sqrt\{\\pi/\(\\pi\s*-\s*1\)\}\s*(?:\\approx|=)\s*([\d.]+)", math.sqrt(math.pi / (math.pi - 1)),
                        {"batch_norm", "glossary"}),
    "BN rate in mean square": (
        r"(?<!\\sqrt\{)(?:\\frac\{\\pi\}\{\\pi - 1\}|\\pi/\(\\pi\s*-\s*1\))\s*\\approx\s*([\d.]+)",
        math.pi / (math.pi - 1), {"batch_norm", "glossary"},
    ),
    "root e": (r"\\sqrt\{?e\}?\s*\\approx\s*([\d.]+)", math.sqrt(math.e), {"residual_connections"}),
    "root one half": (r"\\sqrt\{1/2\}\s*\\approx\s*([\d.]+)", math.sqrt(0.5), set()),
    "SELU lambda": (r"\\lambda\s*\\approx\s*([\d.]+)", 1.0507009873554805, {"glossary"}),
    "adding-problem baseline": (r"\\tfrac16\s*\\approx\s*([\d.]+)", 1 / 6, set()),
}
PAGES = {**CHAPTERS, "glossary": GLOSSARY_TEXT}


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_a_constant_is_stated_with_the_same_value_on_every_page(name):
    pattern, truth, required = CONSTANTS[name]
    stated = {}
    for page, text in PAGES.items():
        for match in re.finditer(pattern, text):
            value = next(g for g in match.groups() if g is not None)
            stated.setdefault(page, []).append(value)
    absent = required - set(stated)
    assert not absent, f"{name}: the pages {sorted(absent)} no longer state it in a form this test reads"
    wrong = {
        page: values for page, values in stated.items()
        if any(abs(_number(v)[0] - truth) > _number(v)[1] for v in values)
    }
    assert not wrong, f"{name}: stated as {wrong}, but it is {truth:.6g} (pages agreeing: {sorted(set(stated) - set(wrong))})"


def test_the_consistency_check_catches_a_wrong_value():
    pattern, truth, _ = CONSTANTS["BN rate in norm"]
    value = re.search(pattern, r"$\sqrt{\pi/(\pi-1)} \approx 1.12$").group(1)
    assert abs(_number(value)[0] - truth) > _number(value)[1]


# ------------------------------------------------------------------ completeness

#: The Chinese edition's terminology table registers every term the chapters use. A row
#: that names a technical term must be defined in the English glossary too (in an entry's
#: term or its definition), not only translated. These rows are exempt, each with why.
EVERYDAY_WORDS = {
    # the book's own furniture: what a page is made of, not a concept of the subject
    "atlas (of gradient profiles)": "the diagnosis chapter's name for its table of cases",
    "claim (tested claim)": "the book's tested sentences; every page explains them in its claims box",
    "dashed line": "figure furniture", "dotted line": "figure furniture", "figure": "figure furniture",
    "panel (of a figure)": "figure furniture", "percentile band": "figure furniture",
    "log scale / log–log": "figure furniture",
    "exercise": "page furniture", "key takeaways": "page furniture", "notebook": "page furniture",
    "snippet": "page furniture", "seed": "page furniture (the random seed of a run)",
    "explorer": "the name of a page", "glossary": "the name of this page",
    "specimen": "the diagnosis chapter's word for one of its broken example networks",
    "verdict": "the recorder's one-line summary, shown on the diagnosis page",
    "preset (initialiser)": "a menu entry of the explorer",
    "diagnosis tool": "the recorder, which has its own entry",
    "healthy twin (diagnosis)": "the diagnosis chapter's word for a specimen's fixed version",
    "median run": "plain English: the run with the median outcome",
    "checked quantity (of a claim)": "the claims card's label for the number a claim's check reads",
    # plain English, used in its everyday sense
    "cause (of vanishing or exploding gradients)": "plain English", "remedy": "plain English",
    "chance level": "plain English: the score of guessing, stated on each page that uses it",
    "percentage point": "plain English: the difference of two percentages",
    "training diverges": "plain English", "trains (a run)": "plain English", "blow up (a run)": "plain English",
    "run (one training run)": "plain English", "measured": "plain English", "diagnosis": "plain English",
    "weight initialisation": "the general word; each initialisation has its own entry",
}

#: Rows of the table that the glossary defines under another wording: row → glossary text.
TABLE_ALIASES = {
    "ratio trend $T$": "$T$ (ratio trend)",
    "residual block": "residual block, branch",
    "batch normalisation (BatchNorm, BN)": "BN",
    "recorder (GradientFlowRecorder)": "recorder",
}


def _glossary_definitions() -> str:
    """The English glossary's entries (terms and definitions), without the terminology table."""
    return GLOSSARY_TEXT.split("{ #terminology }", 1)[0]


def terminology_rows(glossary_text: str = GLOSSARY_TEXT) -> list[str]:
    """The English column of the terminology table."""
    table = glossary_text.split("{ #terminology }", 1)[1]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", table, re.M)
    return [english for english, _ in rows if english.strip() not in ("English", "---")]


def term_variants(row: str) -> list[str]:
    """'float16 / bfloat16 / float32' → its three terms; 'He (Kaiming) initialisation' → its
    name and its parenthesised other name. Any one of them defined is enough."""
    base = re.sub(r"\s*\([^)]*\)", "", row).strip()
    names = [base] + [part.strip() for inner in re.findall(r"\(([^)]*)\)", row) for part in inner.split(",")]
    variants = [v.strip() for name in names for v in re.split(r"\s*/\s*", name)]
    return [v for v in variants if v]


def undefined_terms(glossary_text: str = GLOSSARY_TEXT) -> list[str]:
    definitions = glossary_text.split("{ #terminology }", 1)[0].lower()
    missing = []
    for row in terminology_rows(glossary_text):
        if row in EVERYDAY_WORDS:
            continue
        wording = [TABLE_ALIASES[row]] if row in TABLE_ALIASES else term_variants(row)
        if not any(v.lower() in definitions for v in wording):
            missing.append(row)
    return missing


def test_every_registered_term_is_defined_in_the_english_glossary():
    assert len(terminology_rows()) >= 100, "the terminology table was not found or lost its rows"
    missing = undefined_terms()
    assert not missing, (
        "terms of the terminology table (docs/glossary.md#terminology) that the English glossary does not "
        f"define: {missing}. Add an entry to docs/glossary.md (and docs/glossary.zh.md), or, for a word of "
        "plain English or of the page's furniture, list it in EVERYDAY_WORDS with its reason"
    )


def test_an_exempt_or_aliased_row_is_still_in_the_table():
    rows = set(terminology_rows())
    stale = sorted((set(EVERYDAY_WORDS) | set(TABLE_ALIASES)) - rows)
    assert not stale, f"EVERYDAY_WORDS/TABLE_ALIASES name rows the terminology table no longer has: {stale}"


def test_a_term_only_in_the_table_is_caught():
    text = GLOSSARY_TEXT.replace("| activation function | 激活函数 |", "| activation function | 激活函数 |\n| quantum tunnelling | 量子隧穿 |")
    assert "quantum tunnelling" in undefined_terms(text)

