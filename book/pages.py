"""Fill a chapter's Markdown from its snippets' results — independent of the site generator.

Directives (double square brackets, so they collide with neither Jinja nor LaTeX braces):

``[[ID:KEY]]`` / ``[[ID:KEY|FMT]]``
    A measured value from snippet ``ID``'s results; ``KEY`` is a dotted path, where a
    number indexes a list (``profile.0``, ``profile.-1``). ``FMT`` is a Python format
    spec (default ``.3g``), or ``sciN`` (``3.1 × 10⁻⁵`` in HTML, N significant digits,
    default 2), or ``texN`` (``3.1 \\times 10^{-5}``, for use inside ``$…$``).
``[[ID:setup.NAME]]`` / ``[[ID:setup.NAME|FMT]]``
    A value of the experiment's configuration, read from the code that ran: the literal
    default of ``measure()``'s parameter ``NAME`` (the build passes only ``seed``), or the
    module constant ``NAME`` (``UPPER_CASE = literal``); a dotted path indexes into it
    (``setup.depths.-1``). A computed value (``2 ** 8``) is refused: return it in the results.
``[[figure ID:NAME|Caption]]``
    Figure NAME drawn by snippet ``ID``, in light and dark variants, with its alt text
    from the snippet, the caption, and links to the data (JSON) behind it and its source.
    The caption may hold value directives.
``[[claims]]``
    The tested claims of every snippet this page uses, with measured values and checks.

A page "uses" a snippet when it names it in a directive or includes its file with
``--8<-- "snippets/…/ID.py"``. Unknown snippets, keys and figures are errors.
"""

from __future__ import annotations

import ast
import functools
import html
import math
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from book.claims import BUILD_SEED, CLAIM_SEEDS, format_measured
from book.translations import SnippetText, TranslationError

#: A directive; a figure's caption may hold value directives (one level: ``[[figure a:b|x [[a:c]]]]``).
DIRECTIVE = re.compile(r"\[\[\s*((?:[^\[\]\n]|\[\[[^\[\]\n]+?\]\])+?)\s*\]\]")
IDENT = r"[a-z_][a-z0-9_]*"
VALUE = re.compile(rf"^(?P<id>{IDENT}):(?P<key>[A-Za-z0-9_.\-]+)\s*(?:\|\s*(?P<fmt>\S+))?$")
FIGURE = re.compile(rf"^figure\s+(?P<id>{IDENT}):(?P<name>[A-Za-z0-9_\-]+)\s*(?:\|\s*(?P<caption>.+))?$")
INCLUDE = re.compile(r"""--8<--\s*["']snippets/[^"':]+?/(?P<id>[a-z_][a-z0-9_]*)\.py""")
FENCE = re.compile(r"^\s*(```|~~~)")
INCLUDE_LINE = re.compile(r"""^\s*--8<--\s*["']""")
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PageError(Exception):
    """A directive that cannot be filled. ``kind`` says why; ``snippet`` names the snippet
    it concerns, if any ("no-result" errors are the snippet's fault, not the page's)."""

    def __init__(self, message: str, kind: str = "directive", snippet: str | None = None):
        super().__init__(message)
        self.kind, self.snippet = kind, snippet


@dataclass
class SnippetView:
    """What a page may use of one snippet: its result, or why there is none."""

    id: str
    source: str  # project-relative path of the snippet file
    result: dict | None
    error: str = ""
    code: str | None = None  # the snippet's source text, for ``setup.`` values (read when first needed)
    #: Where each published file of the result is (site path -> file), to read figures' sizes.
    files: dict[str, Path] = field(default_factory=dict)

    def setup(self) -> dict:
        """The configuration the snippet ran with (see :func:`snippet_setup`)."""
        if self.code is None:
            raise PageError(f"has no source text to read its setup from ({self.source})")
        return snippet_setup(self.code, self.id, self.source)

    @classmethod
    def of(cls, outcome, root) -> "SnippetView":
        """The view of a runner outcome (its snippet's id, file, result or error, and source text)."""
        snippet = outcome.snippet
        return cls(snippet.id, snippet.source_relpath(root), outcome.result, outcome.error,
                   snippet.path.read_text(encoding="utf-8"), outcome.files)

    def figure_size(self, site_path: str) -> tuple[int, int] | None:
        source = self.files.get(site_path)
        return svg_size(source) if source is not None else None


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


SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"')


@dataclass
class Rendered:
    markdown: str
    errors: list[PageError] = field(default_factory=list)
    used: list[str] = field(default_factory=list)


#: The words a page's generated parts use, by language (the book's text is in the pages).
LABELS = {
    "en": {
        "yes": "yes", "no": "no", "data": "data (JSON)", "source": "source",
        "title": "Tested claims", "measured": "Measured", "seeds": "Seeds {seeds}", "check": "Check",
        "test": "Test", "checked": "Checked",
        "intro": "Each sentence below is checked against the numbers the code on this page measured: "
                 "the build reruns every experiment at seeds {seeds} and stops if a check fails. "
                 "“Measured” is the value at seed {seed}, the one the figures and text show.",
        "tests": "The same checks run as tests in {tests}.",
        "no_result": "The experiment <code>{id}</code> has no result, so its claims could not be checked: {reason}",
    },
    "zh": {
        "yes": "是", "no": "否", "data": "数据（JSON）", "source": "源代码",
        "title": "经过测试的结论", "measured": "测量值", "seeds": "种子 {seeds}", "check": "检验",
        "test": "测试", "checked": "受检的量",
        "intro": "下面每一句话都用本页代码测得的数字来检验：构建网站时，每个实验都在种子 {seeds} 上重新运行，"
                 "任何一项检验不通过，构建就会停止。“测量值”是种子 {seed} 的结果，也就是图和正文所用的那一次。",
        "tests": "同样的检验也作为测试运行，见 {tests}。",
        "no_result": "实验 <code>{id}</code> 没有结果，因此无法检验它的结论：{reason}",
    },
}

#: How the claims' generated English (checks, counts) reads in another language.
PHRASES = {
    "zh": [
        (re.compile(r"^none of (\d+) runs$"), r"\1 次运行中没有一次"),
        (re.compile(r"^all (\d+) runs$"), r"全部 \1 次运行"),
        (re.compile(r"^(\d+) to (\d+) of (\d+) runs$"), r"\3 次运行中 \1 到 \2 次"),
        (re.compile(r"^at least (\d+) of (\d+) runs$"), r"\2 次运行中至少 \1 次"),
        (re.compile(r"^at most (\d+) of (\d+) runs$"), r"\2 次运行中至多 \1 次"),
        (re.compile(r"^(\d+(?:–\d+)?) of (\d+) runs$"), r"\2 次运行中 \1 次"),
        (re.compile(r"^is true$"), "成立"),
        (re.compile(r"^true$"), "成立"),
        (re.compile(r"^false$"), "不成立"),
        (re.compile(r"^true at every seed$"), "每个种子都成立"),
        (re.compile(r"^not true at every seed$"), "并非每个种子都成立"),
        (re.compile(r"^(.+) at every seed$"), r"每个种子都是 \1"),
        (re.compile(r"\bvalue\b"), "测量值"),
    ],
}


def localise(text: str, language: str) -> str:
    """A claim's generated English (its check, a count of runs) in ``language``."""
    for pattern, replacement in PHRASES.get(language, []):
        text, count = pattern.subn(replacement, text)
        if count and pattern.pattern.startswith("^"):
            return text
    return text


def format_number(value: Any, fmt: str | None, language: str = "en") -> str:
    if isinstance(value, bool):
        return LABELS[language]["yes"] if value else LABELS[language]["no"]
    if isinstance(value, str):
        return html.escape(value)
    if value is None:
        raise PageError(
            "is None: the snippet marks it not applicable (e.g. 'never happened'), so no sentence may print it. "
            "Print it only where it applies, or write the sentence over the runs (a count or a share)"
        )
    if not isinstance(value, (int, float)):
        raise PageError(f"is a {type(value).__name__}, not a number (point the key at one element)")
    fmt = fmt or ".3g"
    match = re.fullmatch(r"(sci|tex)(\d*)", fmt)
    if match:
        digits = int(match.group(2) or 2)
        if digits < 1:
            raise PageError(f"format {fmt!r} needs at least one significant digit (e.g. {match.group(1)}1)")
        if value == 0 or not math.isfinite(value):
            return f"{value:g}"
        exponent = math.floor(math.log10(abs(value)))
        mantissa = value / 10**exponent
        if round(abs(mantissa), digits - 1) >= 10:  # 9.99 rounded up to 10.0
            mantissa, exponent = mantissa / 10, exponent + 1
        if -2 <= exponent <= 3:
            return f"{value:.{digits}g}"
        text = f"{mantissa:.{digits - 1}f}"
        if match.group(1) == "tex":
            return f"{text} \\times 10^{{{exponent}}}"
        return f"{text} × 10{str(exponent).translate(SUPERSCRIPT)}"
    try:
        return format_measured(value, fmt)  # ASCII minus: the value may sit inside LaTeX
    except (ValueError, TypeError) as exc:
        raise PageError(f"format {fmt!r} does not apply to {value!r}: {exc}") from None


#: The arguments the build passes to ``measure()`` itself: their defaults are not what ran.
PASSED_BY_THE_BUILD = {"seed": f"the build passes it (seed {BUILD_SEED} for the page's numbers, "
                                f"{CLAIM_SEEDS[0]}–{CLAIM_SEEDS[-1]} for the claims)"}
SETUP = "setup"
CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Computed:
    """A configuration value written as an expression, not a literal: the page cannot read it."""

    expression: str


def _literal(node: ast.AST, code: str, constants: Mapping[str, Any]) -> Any:
    """``node`` as a Python value when it is a literal (containers element by element, a name
    of an earlier literal constant resolved), else :class:`Computed`."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_literal(item, code, constants) for item in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k, code, constants) for k in node.keys]
        if all(isinstance(k, (str, int, float, bool)) for k in keys):
            return {str(k): _literal(v, code, constants) for k, v in zip(keys, node.values)}
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return Computed(ast.get_source_segment(code, node) or ast.dump(node))
    return [*value] if isinstance(value, (tuple, set, frozenset)) else value


@functools.lru_cache(maxsize=256)
def snippet_setup(code: str, snippet_id: str, source: str = "") -> dict:
    """``{name: value}``: the literal defaults of ``measure()``'s parameters (but those the
    build passes, :data:`PASSED_BY_THE_BUILD`) and the module's ``UPPER_CASE = literal``
    constants, parsed from the snippet's source, so a page states the setup that ran. An
    expression is kept as :class:`Computed`, which a page directive refuses."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise PageError(f"snippet '{snippet_id}' ({source}) cannot be parsed for its setup: {exc}") from None
    constants: dict[str, Any] = {}
    measure = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            if isinstance(node, ast.FunctionDef) and node.name == "measure":
                measure = node
            continue
        for target in targets:
            if isinstance(target, ast.Name) and CONSTANT_NAME.match(target.id):
                constants[target.id] = _literal(value, code, constants)
    setup = dict(constants)
    if measure is not None:
        arguments = measure.args
        positional = arguments.posonlyargs + arguments.args
        pairs = list(zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults))
        pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
        for argument, default in pairs:
            if argument.arg not in PASSED_BY_THE_BUILD:
                setup[argument.arg] = _literal(default, code, constants)
    return setup


def lookup_setup(view: SnippetView, key: str) -> Any:
    """The value of ``setup.NAME…`` in snippet ``view``'s configuration, or a PageError that
    names the snippet and lists what it has."""
    return setup_value(view.setup(), key, view.id, view.source)


def setup_value(setup: Mapping[str, Any], key: str, snippet_id: str, source: str) -> Any:
    """The value of ``NAME…`` in a snippet's setup (:func:`snippet_setup`), or a PageError that
    names the snippet and lists what it has (a page's and a claim statement's setup fields)."""
    name, _, rest = key.partition(".")
    if name in PASSED_BY_THE_BUILD:
        raise PageError(f"'{name}' is not a setup value of snippet '{snippet_id}': {PASSED_BY_THE_BUILD[name]}")
    if name not in setup:
        parameters = ", ".join(sorted(n for n in setup if not CONSTANT_NAME.match(n))) or "none"
        constants = ", ".join(sorted(n for n in setup if CONSTANT_NAME.match(n))) or "none"
        raise PageError(
            f"snippet '{snippet_id}' ({source}) has no setup value {name!r}: a setup value is a literal "
            f"default of measure()'s parameters (there: {parameters}) or a module constant "
            f"UPPER_CASE = literal (there: {constants})"
        )
    value = lookup(setup[name], rest) if rest else setup[name]
    if isinstance(value, Computed):
        raise PageError(
            f"snippet '{snippet_id}' ({source}): setup value {key!r} is computed ({value.expression}), not a "
            "literal; return it in measure()'s results and print it from there"
        )
    return value


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


def lookup(results: Any, key: str) -> Any:
    node = results
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and re.fullmatch(r"-?\d+", part) and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            if isinstance(node, dict):
                options = ", ".join(sorted(node)[:12])
                raise PageError(f"has no key {part!r} (there: {options})")
            raise PageError(f"has no element {part!r}")
    return node


def directive_bodies(line: str):
    """The body of every directive in ``line``, a figure's caption's value directives included."""
    for match in DIRECTIVE.finditer(line):
        body = match.group(1).replace("\\|", "|").strip()
        yield body
        figure = FIGURE.match(body)
        if figure and figure.group("caption"):
            yield from directive_bodies(figure.group("caption"))


def fenced_lines(markdown: str):
    """Each line of ``markdown`` as ``(number, line, in_fence)``: a code fence's opening line
    (its title attribute) counts as inside the fence, its closing line is not yielded. The one
    fence scanner that the editions' parity check and the prose checks share."""
    in_fence = False
    for number, line in enumerate(markdown.split("\n"), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            if in_fence:
                yield number, line, True
            continue
        yield number, line, in_fence


def _relative(target: str, page_src_uri: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page_src_uri) or ".")


def render_figure(view: SnippetView, name: str, caption: str, page: str, source_url: Callable[[str], str | None],
                  text: SnippetText | None = None, language: str = "en"):
    figures = view.result["figures"]
    if name not in figures:
        raise PageError(f"figure '{view.id}:{name}' does not exist (snippet draws: {', '.join(sorted(figures))})")
    figure = figures[name]
    alt = (text.figure_alt(name) if text else figure["alt"]).replace("\n", " ")
    data = _relative(f"results/{view.id}.json", page)
    links = [f"[{LABELS[language]['data']}]({data})"]
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


#: A figure's files in its <picture> (the zoom link, the phone source, the image): written as
#: site paths, which the hook makes relative to the page's address (MkDocs rewrites the
#: addresses of Markdown images, not those of raw HTML).
FIGURE_ADDRESS = re.compile(r'(\s(?:href|srcset|src)=")(?=figures/)')
#: Screens this narrow get a figure's phone layout (Material's phone breakpoint).
PHONE_MEDIA = "(max-width: 44.9375em)"


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
    from book.claims import fill_statement

    template = claim["statement"] if text is None else text
    bounds = {"at_least": claim.get("at_least"), "at_most": claim.get("at_most")}
    out_of = claim.get("out_of")
    try:
        return fill_statement(template, claim["id"], bounds, "d" if out_of else claim["fmt"], out_of,
                              lambda key: lookup_setup(view, key), view.result["results"])
    except ValueError as exc:
        raise PageError(f"snippet '{view.id}' ({view.source}): {exc}", kind="claims", snippet=view.id) from None


def _spread(claim: dict, language: str = "en") -> str:
    return localise(_spread_en(claim), language)


def _spread_en(claim: dict) -> str:
    values = [claim["values"][str(s)] for s in CLAIM_SEEDS]
    if all(isinstance(v, bool) for v in values):
        return "true at every seed" if all(values) else "not true at every seed"
    if claim.get("out_of"):
        low, high = int(min(values)), int(max(values))
        counts = f"{low}" if low == high else f"{low}–{high}"
        return f"{counts} of {claim['out_of']} runs"
    low, high = min(values), max(values)
    if format_measured(low, claim["fmt"]) == format_measured(high, claim["fmt"]):
        return format_measured(low, claim["fmt"]) + " at every seed"
    return f"{format_measured(low, claim['fmt'])} … {format_measured(high, claim['fmt'])}"


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
            measured = html.escape(localise(claim["formatted"][str(BUILD_SEED)], language))
            rows = f"<div><dt>{words['measured']}</dt><dd>{measured}</dd></div>"
            shows = claim.get("shows")
            if shows:
                # The check is on a derived number (a distance, an error): first the quantity
                # the statement talks about, then the number the check reads.
                label = text.shown_label(claim["id"]) if text else shows["label"]
                quantity = statement_html(f"{label} = {shows['value']}")
                rows = (f"<div><dt>{words['measured']}</dt><dd class=\"book-claim-quantity\">{quantity}</dd></div>"
                        f"<div><dt>{words['checked']}</dt><dd>{measured}</dd></div>")
            cards.append(
                f'<li class="book-claim{failed}">'
                f'<p class="book-claim-statement">{statement_html(statement)}</p>'
                '<dl class="book-claim-numbers">'
                f"{rows}"
                f"<div><dt>{words['seeds'].format(seeds=seeds)}</dt><dd>{html.escape(_spread(claim, language))}</dd></div>"
                f"<div><dt>{words['check']}</dt><dd>{html.escape(localise(claim['check'], language))}</dd></div>"
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


def render(
    markdown: str,
    page: str,
    views: Mapping[str, SnippetView],
    source_url: Callable[[str], str | None] = lambda path: None,
    language: str = "en",
    texts: Callable[[str], SnippetText] | None = None,
) -> Rendered:
    """Replace the directives in ``markdown`` (page ``page``, a docs-relative path).

    For a page in another language than English, ``texts(snippet_id)`` gives the snippet's
    title, alt texts and claim statements in that language (see :mod:`book.translations`).
    """
    out = Rendered(markdown)
    used: list[str] = []
    if language not in LABELS:
        raise ValueError(f"no labels for language {language!r} (known: {', '.join(LABELS)})")

    def text_of(snippet_id: str) -> SnippetText | None:
        if texts is None or language == "en":
            return None
        try:
            return texts(snippet_id)
        except TranslationError as exc:
            raise PageError(str(exc), kind="translation", snippet=snippet_id) from None

    def use(snippet_id: str) -> SnippetView:
        if snippet_id not in views:
            raise PageError(f"unknown snippet '{snippet_id}' (known: {', '.join(sorted(views))})")
        if snippet_id not in used:
            used.append(snippet_id)
        view = views[snippet_id]
        if view.result is None:
            reason = view.error.splitlines()[0] if view.error else ""
            raise PageError(f"snippet '{snippet_id}' has no result: {reason}", kind="no-result", snippet=snippet_id)
        return view

    for match in INCLUDE.finditer(markdown):
        if match.group("id") in views and match.group("id") not in used:
            used.append(match.group("id"))

    def replace(match: re.Match) -> str:
        # Inside a Markdown table the format separator is written ``\|``.
        body = match.group(1).replace("\\|", "|")
        try:
            if body == "claims":
                return match.group(0)  # filled once every snippet on the page is known
            figure = FIGURE.match(body)
            if figure:
                view = use(figure.group("id"))
                caption = DIRECTIVE.sub(replace, figure.group("caption") or "")  # its value directives
                return render_figure(view, figure.group("name"), caption, page, source_url,
                                     text_of(view.id), language)
            value = VALUE.match(body)
            if value:
                view = use(value.group("id"))
                try:
                    found = lookup_value(view, value.group("key"))
                    return format_number(found, value.group("fmt"), language)
                except PageError as exc:
                    key = f"{value.group('id')}:{value.group('key')}"
                    raise PageError(f"result key '{key}' {exc}", kind="key", snippet=value.group("id")) from None
            if re.match(rf"^(figure\b|{IDENT}:)", body):
                raise PageError(f"malformed directive '[[{body}]]'")
            return match.group(0)  # not ours (e.g. Python's x[[0]] in prose)
        except TranslationError as exc:
            out.errors.append(PageError(str(exc), kind="translation"))
            return f"**⚠ [[{html.escape(body)}]]**"
        except PageError as exc:
            out.errors.append(exc)
            return f"**⚠ [[{html.escape(body)}]]**"

    lines, in_fence = [], False
    for number, line in enumerate(markdown.split("\n"), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and INCLUDE_LINE.match(line):
            # Outside a fence the included code would render as prose paragraphs.
            out.errors.append(PageError(
                f"line {number}: the include '{line.strip()}' is outside a code fence; put it between "
                "```python and ``` lines", kind="include"))
        lines.append(line if in_fence else DIRECTIVE.sub(replace, line))
    text = "\n".join(lines)

    claims_marker = re.compile(r"\[\[\s*claims\s*\]\]")
    if used and not claims_marker.search(text):
        out.errors.append(PageError("uses snippets but has no [[claims]] block to show their tested claims", "claims"))
    def claims_block(match: re.Match) -> str:
        try:
            return render_claims([views[i] for i in used], source_url,
                                 text_of if language != "en" and texts else None, language)
        except TranslationError as exc:
            out.errors.append(PageError(str(exc), kind="translation"))
            return f"**⚠ {html.escape(str(exc))}**"
        except PageError as exc:
            out.errors.append(exc)
            return f"**⚠ {html.escape(str(exc))}**"

    text = claims_marker.sub(claims_block, text)
    out.markdown, out.used = text, used
    return out


def fill_values(text: str, views: Mapping[str, SnippetView]) -> str:
    """``text`` with its ``[[ID:KEY|FMT]]`` value directives filled, for text outside a page
    (a notebook's exercise); raises PageError for any directive that cannot be filled."""

    def replace(match: re.Match) -> str:
        body = match.group(1).replace("\\|", "|")
        value = VALUE.match(body)
        if not value:
            if re.match(rf"^(figure\b|claims$|{IDENT}:)", body):
                raise PageError(f"'[[{body}]]' cannot be filled into plain text (only measured values can)")
            return match.group(0)
        snippet_id, key = value.group("id"), value.group("key")
        view = views.get(snippet_id)
        if view is None or view.result is None:
            raise PageError(f"snippet '{snippet_id}' has no result", kind="no-result", snippet=snippet_id)
        try:
            return format_number(lookup_value(view, key), value.group("fmt"))
        except PageError as exc:
            raise PageError(f"result key '{snippet_id}:{key}' {exc}", kind="key", snippet=snippet_id) from None

    return DIRECTIVE.sub(replace, text)


CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
CJK_END = re.compile(f"[{CJK}]$")
CJK_START = re.compile(f"^[{CJK}]")


def join_wrapped_chinese(markdown: str) -> str:
    """Chinese prose wrapped over several source lines, joined: a line break between two
    Chinese characters would show as a space, which Chinese text does not have. Code
    fences and display math are left as they are."""
    out: list[str] = []
    in_fence = in_math = False
    for line in markdown.split("\n"):
        stripped = line.strip()
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and in_math:
            in_math = not stripped.endswith("$$")
        elif not in_fence and stripped.startswith("$$"):
            in_math = stripped == "$$" or not stripped.endswith("$$")
        elif (not in_fence and not in_math and out and CJK_START.match(stripped)
              and CJK_END.search(out[-1]) and not FENCE.match(out[-1])):
            out[-1] += stripped
            continue
        out.append(line)
    return "\n".join(out)
