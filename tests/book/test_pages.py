"""Tests for book/render/: a page's directives, figures, the claims block and their errors."""

import pytest

from book.render.numbers import format_number
from book.render.page import render
from book.render.views import SnippetView, views_of

RESULT = {
    "snippet": "demo",
    "title": "A demo experiment",
    "results": {"rate": 0.000123456, "profile": [3.0, 2.0, 1.0], "name": "x"},
    "claims": [
        {
            "id": "c",
            "statement": "A claim.",
            "check": "value ≤ 1",
            "at_most": 1,
            "fmt": ".3g",
            "values": {str(s): 0.5 + s / 10 for s in range(5)},
            "formatted": {str(s): f"{0.5 + s / 10:.3g}" for s in range(5)},
            "passed": True,
        }
    ],
    "figures": {"main": {"alt": "A [bracketed] line.", "light": "figures/demo-main.svg", "dark": "figures/demo-main.dark.svg"}},
}
VIEWS = {"demo": SnippetView("demo", "snippets/chapter/demo.py", RESULT)}


def test_values_are_filled_and_formatted():
    out = render("Rate [[demo:rate|sci2]], first [[demo:profile.0|.1f]], last [[demo:profile.-1]].\n[[claims]]", "p.md", VIEWS)
    assert out.errors == []
    assert "Rate 1.2 × 10⁻⁴, first 3.0, last 1." in out.markdown


@pytest.mark.parametrize(
    "value, fmt, text",
    [(0.000123456, "tex2", r"1.2 \times 10^{-4}"), (123456.0, "sci3", "1.23 × 10⁵"), (0.5, "sci2", "0.5"),
     (0.25, ".0%", "25%"), (3.0, "d", "3"), (True, None, "yes"), (9.996e-5, "sci2", "1.0 × 10⁻⁴")],
)
def test_format_number(value, fmt, text):
    assert format_number(value, fmt) == text


def test_unknown_key_snippet_and_figure_are_errors():
    out = render("[[demo:nope]] [[other:rate]] [[figure demo:missing]] [[claims]]", "p.md", VIEWS)
    assert any("result key 'demo:nope'" in e and "rate" in e for e in map(str, out.errors))
    assert any("unknown snippet 'other'" in e for e in map(str, out.errors))
    assert any("figure 'demo:missing' does not exist" in e for e in map(str, out.errors))


def test_key_pointing_at_a_list_is_an_error():
    out = render("[[demo:profile]] [[claims]]", "p.md", VIEWS)
    assert any("not a number" in e for e in map(str, out.errors))


def test_page_using_a_snippet_needs_a_claims_block():
    out = render("Rate [[demo:rate]].", "p.md", VIEWS)
    assert any("no [[claims]] block" in e for e in map(str, out.errors))


def test_code_blocks_and_foreign_brackets_are_left_alone():
    text = "```python\nx[[demo:rate]]\n```\nAn index x[[0]] stays."
    out = render(text, "p.md", VIEWS)
    assert out.markdown == text and out.errors == []


def test_figure_links_light_dark_and_data_relative_to_the_page():
    out = render("[[figure demo:main|Caption.]]\n[[claims]]", "chapter/page.md", VIEWS, lambda p: f"https://x/{p}")
    md = out.markdown
    # Site paths, which the hook makes relative to the page's address (FIGURE_ADDRESS).
    assert 'src="figures/demo-main.svg#only-light"' in md and 'src="figures/demo-main.dark.svg#only-dark"' in md
    assert 'href="figures/demo-main.svg#only-light"' in md
    assert "[data (JSON)](../results/demo.json)" in md and "https://x/snippets/chapter/demo.py" in md
    assert 'alt="A [bracketed] line."' in md and "Caption." in md
    assert "<source" not in md  # no phone layout drawn: the desktop figure serves every width


def test_a_figure_drawn_for_phones_is_served_to_phones():
    figures = {"main": {**RESULT["figures"]["main"], "phone_light": "figures/demo-main.phone.svg",
                        "phone_dark": "figures/demo-main.phone.dark.svg"}}
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", {**RESULT, "figures": figures})}
    md = render("[[figure demo:main|Caption.]]", "chapter/page.md", views).markdown
    for scheme, phone in (("light", "demo-main.phone.svg"), ("dark", "demo-main.phone.dark.svg")):
        assert f'<source media="(max-width: 44.9375em)" srcset="figures/{phone}">' in md  # the hook makes it relative
    # One zoom link per scheme, around the picture; the image is not wrapped again.
    assert md.count('<a class="glightbox"') == 2 and md.count('class="off-glb"') == 2


def test_claims_block_shows_value_range_and_check():
    out = render('--8<-- "snippets/chapter/demo.py"\n[[claims]]', "p.md", VIEWS, lambda p: f"https://x/{p}")
    md = out.markdown
    assert out.used == ["demo"]
    assert "A claim." in md and "0.5 … 0.9" in md and "value ≤ 1" in md
    assert "tests/chapter/test_demo.py" in md
    # The explanation comes first, then one card per claim with the statement before its numbers.
    assert md.index("book-claims-intro") < md.index("A claim.") < md.index("<dt>Measured") < md.index("value ≤ 1")
    assert "<table" not in md and 'class="book-claim"' in md
    # The claim's id names its test (a link), never a heading; the experiment is named by its title.
    assert '<a href="https://x/tests/chapter/test_demo.py"><code>c</code></a>' in md
    assert "A demo experiment" in md and "<th" not in md


def test_claim_statements_have_their_math_typeset():
    claim = {**RESULT["claims"][0], "statement": r"The mean of $\phi'(z)^2$ is ½ & more."}
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", {**RESULT, "claims": [claim]})}
    md = render("[[demo:rate]]\n[[claims]]", "p.md", views).markdown
    assert "<math" in md and "$" not in md.split("book-claims-intro")[1] and "½ &amp; more." in md


def test_claims_over_runs_show_counts():
    claim = {**RESULT["claims"][0], "out_of": 16, "check": "at least 12 of 16 runs", "at_least": 12, "at_most": None,
             "values": {str(s): 14.0 + (s % 2) for s in range(5)},
             "formatted": {str(s): f"{14 + s % 2} of 16 runs" for s in range(5)}}
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", {**RESULT, "claims": [claim]})}
    md = render("[[demo:rate]]\n[[claims]]", "p.md", views).markdown
    assert "14 of 16 runs" in md and "14–15 of 16 runs" in md and "at least 12 of 16 runs" in md


def test_failed_snippet_is_reported_not_filled():
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", None, "exception: boom")}
    out = render("[[demo:rate]] [[claims]]", "p.md", views)
    assert any("has no result" in e for e in map(str, out.errors))
    assert "boom" in out.markdown  # the claims block says why


def test_escaped_pipe_works_inside_tables():
    out = render("| a | [[demo:profile.0\\|.1f]] |\n[[claims]]", "p.md", VIEWS)
    assert out.errors == [] and "| a | 3.0 |" in out.markdown


def test_errors_carry_their_kind_and_snippet():
    out = render("[[demo:nope]] [[claims]]", "p.md", VIEWS)
    assert [(e.kind, e.snippet) for e in out.errors] == [("key", "demo")]


def test_an_include_outside_a_code_fence_is_an_error():
    text = 'Intro.\n\n--8<-- "snippets/ch/demo.py:measure"\n\n```python\n--8<-- "snippets/ch/demo.py:plot"\n```\n[[claims]]'
    out = render(text, "p.md", VIEWS)
    messages = [str(e) for e in out.errors if e.kind == "include"]
    assert len(messages) == 1 and "line 3" in messages[0] and "outside a code fence" in messages[0]


# ------------------------------------------------------------------ each chapter's page
# The page check of `make test CHAPTER=<slug>` (BOOK_CHAPTER narrows it to that chapter). The
# strict site build (tests/book/test_site_build.py) checks every page again, with links.

import dataclasses  # noqa: E402
import functools  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from book.chapters import chapter_snippets, chapters, selected_chapter  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SELECTED = selected_chapter()
CHAPTERS = [SELECTED] if SELECTED else [c for c in chapters(REPO) if chapter_snippets(c, REPO)]
#: The page-level Markdown extensions of mkdocs.yml that matter for math and fences.
EXTENSIONS = ["admonition", "attr_list", "md_in_html", "footnotes", "tables", "pymdownx.details",
              "pymdownx.superfences", "pymdownx.arithmatex"]


@functools.cache
def _chapter_views() -> dict:
    """Every snippet's view; only the selected chapter's snippets run if their cache is stale."""
    from book.options import Options
    from book.runner import run_all

    only = tuple(s.id for s in chapter_snippets(SELECTED, REPO)) if SELECTED else ()
    outcomes = run_all(REPO, dataclasses.replace(Options.from_env(), only=only))
    return views_of(outcomes, REPO)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_fills_typesets_and_is_in_the_nav(chapter):
    import markdown

    from book.math import render_math

    page = REPO / "docs" / f"{chapter}.md"
    text = page.read_text(encoding="utf-8")
    rendered = render(text, f"{chapter}.md", _chapter_views())
    assert not rendered.errors, f"docs/{chapter}.md: " + "; ".join(map(str, rendered.errors))
    for path, section in re.findall(r'--8<--\s*"([^":]+):([^"]+)"', text):
        source = (REPO / path).read_text(encoding="utf-8")
        assert f"# --8<-- [start:{section}]" in source, f"docs/{chapter}.md includes {path}:{section}, " \
            f"but {path} has no '# --8<-- [start:{section}]' marker"
    html = markdown.markdown(rendered.markdown, extensions=EXTENSIONS,
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})
    _, math_errors = render_math(html)
    assert not math_errors, f"docs/{chapter}.md: " + "; ".join(math_errors)
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    assert re.search(rf":\s*{re.escape(chapter)}\.md\s*$", nav, re.M), f"docs/{chapter}.md is not in nav: of mkdocs.yml"


from book.render.chinese import join_wrapped_chinese  # noqa: E402
from book.translations import SnippetText  # noqa: E402

CHINESE = SnippetText("snippets/chapter/demo.zh.toml", "一个演示实验", {"main": "一条上升的线。"}, {"c": "一个结论：$x$ 很小。"})


def test_a_chinese_page_takes_the_snippets_chinese_texts():
    claim = {**RESULT["claims"][0], "out_of": 16, "check": "at least 12 of 16 runs", "at_least": 12, "at_most": None,
             "values": {str(s): 14.0 for s in range(5)}, "formatted": {str(s): "14 of 16 runs" for s in range(5)}}
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", {**RESULT, "claims": [claim]})}
    out = render("[[figure demo:main|图注。]] [[demo:rate]]\n[[claims]]", "p.zh.md", views, language="zh",
                 texts=lambda snippet_id: CHINESE)
    assert out.errors == []
    assert 'alt="一条上升的线。"' in out.markdown and "一个演示实验" in out.markdown and "<math" in out.markdown
    assert "经过测试的结论" in out.markdown and "14 次（共 16 次运行）" in out.markdown
    assert "16 次运行中至少 12 次" in out.markdown and "数据（JSON）" in out.markdown
    assert "Tested claims" not in out.markdown and "A claim." not in out.markdown


def test_a_missing_chinese_text_is_an_error_naming_the_file():
    lacking = SnippetText("snippets/chapter/demo.zh.toml", "一个演示实验", {}, {})
    out = render("[[figure demo:main|图注。]]\n[[claims]]", "p.zh.md", VIEWS, language="zh", texts=lambda i: lacking)
    messages = " ".join(str(e) for e in out.errors)
    assert "snippets/chapter/demo.zh.toml: no Chinese alt text for figure 'main'" in messages
    assert "no Chinese statement for claim 'c'" in messages


def test_wrapped_chinese_lines_are_joined_but_not_code_or_math():
    text = "第一行\n第二行。\n\n!!! note \"标题\"\n    缩进的\n    中文。\n\n```python\n# 注释\n# 注释\n```\n$$\n甲\n乙\n$$\n- 列表\n- 项\nEnglish start\n中文"
    assert join_wrapped_chinese(text) == (
        "第一行第二行。\n\n!!! note \"标题\"\n    缩进的中文。\n\n```python\n# 注释\n# 注释\n```\n$$\n甲\n乙\n$$\n- 列表\n- 项\nEnglish start\n中文")


def test_a_claim_checked_on_a_distance_shows_the_quantity_too():
    claim = {**RESULT["claims"][0], "shows": {"label": "$x$", "value": "0.4992"},
             "values": {str(s): 0.0008 for s in range(5)}, "formatted": {str(s): "0.0008" for s in range(5)}}
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py", {**RESULT, "claims": [claim]})}
    md = render("[[demo:rate]]\n[[claims]]", "p.md", views).markdown
    assert "<dt>Measured</dt><dd class=\"book-claim-quantity\">" in md and "0.4992" in md and "<math" in md
    assert "<dt>Checked</dt><dd>0.0008</dd>" in md
    shown = SnippetText("s.zh.toml", "演示", {}, {"c": "结论。"}, {"c": "比值"})
    md = render("[[demo:rate]]\n[[claims]]", "p.zh.md", views, language="zh", texts=lambda i: shown).markdown
    assert "比值 = 0.4992" in md and "<dt>检验量</dt><dd>0.0008</dd>" in md


# ------------------------------------------------------------------ setup values, read from the code that ran

SETUP_CODE = '''
STEPS = 50
DEPTHS = (10, 50, 200)
SCHEMES = {"he": 2.0, "default": 1 / 3}
WIDTH_SQUARED = 64 ** 2


def measure(depth: int = 100, rates=(0.01, 0.1), depths=DEPTHS, batch: int = 2 ** 6, *, lr: float = 1e-3,
            seed: int = 0) -> dict:
    return {}
'''
SETUP_VIEWS = {"demo": SnippetView("demo", "snippets/chapter/demo.py", RESULT, code=SETUP_CODE)}


def test_setup_values_are_the_defaults_and_constants_of_the_source():
    out = render(
        "A [[demo:setup.depth|d]]-layer network, rates [[demo:setup.rates.0]] and [[demo:setup.rates.-1]], "
        "depths to [[demo:setup.depths.-1|d]], lr [[demo:setup.lr|sci1]], [[demo:setup.STEPS|d]] steps, "
        "He [[demo:setup.SCHEMES.he|.0f]].\n[[claims]]",
        "p.md", SETUP_VIEWS,
    )
    assert out.errors == []
    assert "A 100-layer network, rates 0.01 and 0.1, depths to 200, lr 1 × 10⁻³, 50 steps, He 2." in out.markdown


@pytest.mark.parametrize(
    "directive, message",
    [
        ("[[demo:setup.dpth]]", "snippet 'demo' (snippets/chapter/demo.py) has no setup value 'dpth'"),
        ("[[demo:setup.dpth]]", "(there: batch, depth, depths, lr, rates)"),
        ("[[demo:setup.dpth]]", "(there: DEPTHS, SCHEMES, STEPS, WIDTH_SQUARED)"),
        ("[[demo:setup.batch]]", "setup value 'batch' is computed (2 ** 6), not a literal; return it in"),
        ("[[demo:setup.WIDTH_SQUARED]]", "is computed (64 ** 2)"),
        ("[[demo:setup.SCHEMES.default]]", "is computed (1 / 3)"),
        ("[[demo:setup.seed]]", "'seed' is not a setup value of snippet 'demo': the build passes it"),
        ("[[demo:setup.rates.5]]", "has no element '5'"),
        ("[[demo:setup]]", "names no setup value"),
    ],
)
def test_unknown_computed_or_passed_setup_values_are_errors(directive, message):
    out = render(f"{directive}\n[[claims]]", "p.md", SETUP_VIEWS)
    assert len(out.errors) == 1 and message in str(out.errors[0]), out.errors
    assert f"result key 'demo:{directive[7:-2]}'" in str(out.errors[0])


def test_a_result_named_setup_makes_the_setup_prefix_ambiguous():
    views = {"demo": SnippetView("demo", "snippets/chapter/demo.py",
                                 {**RESULT, "results": {"setup": {"depth": 3}}}, code=SETUP_CODE)}
    out = render("[[demo:setup.depth]]\n[[claims]]", "p.md", views)
    assert any("ambiguous" in str(e) for e in out.errors)


def test_a_real_snippets_setup_is_what_the_build_ran():
    import inspect

    import book.execute
    import snippets.deep_networks.linear_mlp_gradients as module
    from book.render.setup import PASSED_BY_THE_BUILD, snippet_setup

    # The build passes measure() its seed and nothing else, so every other default is what ran:
    # measure() is called in one place, measure_at, whose overrides only the sweep passes (a
    # perturbation), and the build calls measure_at with a module and a seed alone.
    source = inspect.getsource(book.execute)
    calls = [line.strip() for line in source.splitlines() if ".measure(" in line]
    assert calls == ["results = module.measure(seed=seed, **overrides)"] and set(PASSED_BY_THE_BUILD) == {"seed"}
    build_calls = re.findall(r"(?<!def )measure_at\(([^)]*)\)", source)
    assert build_calls and all(args == "module, seed" for args in build_calls), build_calls

    setup = snippet_setup(inspect.getsource(module), "linear_mlp_gradients")
    defaults = {name: p.default for name, p in inspect.signature(module.measure).parameters.items() if name != "seed"}
    assert {name: setup[name] for name in defaults} == {
        name: (list(v) if isinstance(v, tuple) else v) for name, v in defaults.items()}
    assert "seed" not in setup


def test_a_caption_may_hold_value_directives():
    out = render("[[figure demo:main|Profile over [[demo:setup.depth|d]] layers, rate [[demo:rate|sci2]].]]\n"
                 "[[claims]]", "p.md", SETUP_VIEWS)
    assert out.errors == []
    assert "Profile over 100 layers, rate 1.2 × 10⁻⁴." in out.markdown and "[[" not in out.markdown


def test_an_unknown_key_in_a_caption_is_an_error():
    out = render("[[figure demo:main|Over [[demo:nope|d]] layers.]]\n[[claims]]", "p.md", SETUP_VIEWS)
    assert any("result key 'demo:nope'" in str(e) for e in out.errors)


def test_figure_addresses_are_made_relative_to_the_page():
    from book.render.figures import FIGURE_ADDRESS

    html = ('<a href="figures/a.svg#only-light"><picture><source srcset="figures/a.phone.svg">'
            '<img src="figures/a.svg#only-light"></picture></a><a href="../figures/b.svg">')
    relative = FIGURE_ADDRESS.sub(lambda m: m.group(1) + "../../", html)  # a page at zh/chapter/
    assert relative.count('="../../figures/') == 3 and 'href="../figures/b.svg"' in relative


# ------------------------------------------------------------------ captions and alt texts
# A phone gets each figure drawn for its width, its panels stacked (snippets/common.py
# phone_layout): a caption or an alt text that finds a panel by where it is drawn ("left",
# "(right)", "the bottom row", 左图, 下面一行) is false there. Panels are named by what they
# show, by their letters or by their order (first, second …), which both layouts keep.

from book import translations  # noqa: E402
from book.render.markdown import DIRECTIVE, FIGURE  # noqa: E402

PANEL_BY_POSITION = {
    "en": re.compile(
        r"\b(?:left|right|middle)\b(?=\s*(?:[:,)]|panels?\b|plots?\b|columns?\b|side\b|-hand\b))"
        r"|\b(?:top|bottom|upper|lower)\s+(?:rows?|panels?|plots?|columns?)\b", re.I),
    # 左右 ("about") is not a place; 左侧/右侧 of a value on an axis is not a panel.
    "zh": re.compile(r"(?<!左)右(?=图|[：:（(）)])|左(?=图|[：:（(）)])|中图"
                     r"|(?:最上面|最下面|上面|下面|顶|底)(?:一行|一排|行|排)|[上下]图"),
}


@pytest.mark.parametrize("language, text", [
    ("en", "Left: the loss."), ("en", "the loss (left) and the accuracy (right)"),
    ("en", "median over the networks, left)"), ("en", "Right, at one batch size: …"),
    ("en", "The bottom row shows the RNNs."), ("en", "in the left panel"), ("en", "Middle: bands."),
    ("zh", "左：损失。"), ("zh", "损失（左）与准确率（右）"), ("zh", "左图：初始化时"), ("zh", "中图：训练"),
    ("zh", "下面一行是循环网络"), ("zh", "最上面一行的标记"),
])
def test_a_panel_placed_by_position_is_found(language, text):
    assert PANEL_BY_POSITION[language].search(text), text


@pytest.mark.parametrize("language, text", [
    ("en", "First panel: the loss. Second panel: the accuracy."), ("en", "falls below the line"),
    ("en", "the loss left after training"), ("en", "a lower level"), ("en", "relative to the top"),
    ("en", "over weight scale (rows, 0.5 to 3)"), ("en", "almost on top of each other"),
    ("zh", "第一幅子图：损失。"), ("zh", "把它压到 1 左右（点线）"), ("zh", "在零的左侧跳到约 1.7"),
    ("zh", "上升"), ("zh", "以下"),
])
def test_a_panel_named_by_what_it_shows_or_its_order_passes(language, text):
    assert not PANEL_BY_POSITION[language].search(text), text


def _panels(svg: Path) -> int:
    return len(re.findall(r'<g id="axes_\d+"', svg.read_text(encoding="utf-8")))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_captions_and_alt_texts_do_not_place_a_stacked_panel_by_position(chapter):
    views, problems = _chapter_views(), []
    for language, suffix in (("en", ".md"), ("zh", ".zh.md")):
        page = REPO / "docs" / f"{chapter}{suffix}"
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            figure = FIGURE.match(match.group(1).replace("\\|", "|").strip())
            view = views.get(figure.group("id")) if figure else None
            if view is None or view.result is None:
                continue
            drawn = view.result["figures"][figure.group("name")]
            phone = view.files.get(drawn.get("phone_light", ""))
            if phone is None or _panels(phone) < 2:  # one panel: nothing is stacked
                continue
            alt = drawn["alt"] if language == "en" else translations.load(REPO, view.source).figure_alt(
                figure.group("name"))
            for what, text in (("caption", figure.group("caption") or ""), ("alt text", alt)):
                for found in PANEL_BY_POSITION[language].finditer(text):
                    problems.append(f"{page.relative_to(REPO)}: the {what} of {figure.group('id')}:"
                                    f"{figure.group('name')} places a panel by position ({found.group(0)!r}), "
                                    "but a phone stacks the panels: name it by what it shows or its order")
    assert not problems, "\n".join(problems)
