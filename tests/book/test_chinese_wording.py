"""The Chinese edition reads as Chinese for whatever the build measures, in the book's terms.

- **Counts.** A count filled in at build time (``[[id:key|d]]``, or a value followed by 次 or
  对) can be 0, 1 or all of the runs. Each Chinese sentence holding counts is rendered with
  them set to each of these values, and must not read like 「4 次运行中有 0 次」, 「有 0 个」 or
  「8 对中有 8 对」: write 「发散 0/4 次」, or wording that holds for any value. The words of
  the claims cards (book/render/labels.py) are rendered the same way.
- **Terms.** The retired translations (:data:`RETIRED`) appear in no Chinese page, no
  snippet's ``.zh.toml``, no Chinese interface label and no Chinese setting of mkdocs.yml; the
  glossary's terminology table (docs/glossary.zh.md#terminology) gives the term to use.
- **Typography.** No space between a number and its 「%」 in Chinese text.

Every ``docs/*.zh.md`` and every ``snippets/**/*.zh.toml`` is checked, new ones too.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from book.render.labels import LABELS, measured_words, spread_words
from book.render.markdown import DIRECTIVE, FIGURE, VALUE, directive_body, lines
from book.translations import HAN

REPO = Path(__file__).resolve().parents[2]
ZH_PAGES = sorted((REPO / "docs").glob("*.zh.md"))
ZH_TEXTS = sorted((REPO / "snippets").glob("**/*.zh.toml"))

#: Retired translation -> the term the book uses (docs/glossary.zh.md#terminology). A pattern,
#: so that a right term containing a retired one is not caught (Jupyter 笔记本).
RETIRED = {
    r"剖面": "逐层梯度曲线 / 逐层比值曲线（gradient / ratio profile）",
    r"恒定误差转盘": "恒定误差流（CEC）",
    r"随机水平": "随机猜测水平（chance level）",
    r"孪生": "对应的残差网络（residual twin）",
    r"标本": "示例网络（specimen）",
    r"中位运行": "取中位数的那次运行（median run）",
    r"留出准确率": "留出集（验证集）上的准确率",
    r"批归一化": "批量归一化",
    r"批大小": "批量大小",
    r"批次": "批量 / 小批量",
    r"(?<!Jupyter )笔记本(?!电脑)": "Jupyter 笔记本（notebook; 笔记 is the source note）",
    r"受检的量": "检验量",
    r"动力等距": "动力学等距",
    r"首阶近似": "一阶近似",
    r"去除每": "除以（Adam divides each update by …）",
    r"深了[一二三四五六七八九十百\d]+倍": "深度为 … 倍",
}

#: Phrasings that read wrong for a boundary value of a count.
WRONG_FOR_A_COUNT = {
    r"有\s*0\s*[次个对项层步]": "「有 0 次」: a count of zero is 「没有」 or 「0/N」",
    r"中\s*0\s*[次个对项]": "「16 次运行中 0 次」",
    r"(\d+)\s*([次个对])[^，。；：（）]{0,12}?中有\s*\1\s*\2": "「4 次中有 4 次」: all of them is 「全部」 or 「4/4」",
    r"(\d+)\s*([次个对])[^，。；：（）]{0,12}?中的\s*\1\s*\2": "「4 对中的 4 对」",
}
BOUNDARY_VALUES = (0, 1, 4)  # none, one, all (every count of a sentence set to the same value)
COUNT_AFTER = re.compile(r"^\s*[次对]")
SENTENCE = re.compile(r"[^。；！？\n]+")


def _count_directive(body: str, after: str) -> bool:
    value = VALUE.match(body)
    return bool(value) and (value.group("fmt") == "d" or bool(COUNT_AFTER.match(after)))


def rendered(sentence: str, count: int) -> str:
    """``sentence`` with every count filled with ``count`` and every other value with a marker
    (a figure's caption is kept, its own values filled the same way)."""

    def replace(match: re.Match) -> str:
        body = directive_body(match).strip()
        figure = FIGURE.match(body)
        if figure:
            return rendered(figure.group("caption") or "", count)
        return str(count) if _count_directive(body, sentence[match.end():]) else "⟨值⟩"

    return DIRECTIVE.sub(replace, sentence)


def wrong_counts(text: str) -> list[str]:
    """Each sentence of ``text`` that reads wrong when its counts are 0, 1 or all."""
    found = []
    for sentence in SENTENCE.findall(text):
        if not any(_count_directive(directive_body(m).strip(), sentence[m.end():]) or FIGURE.match(directive_body(m).strip())
                   for m in DIRECTIVE.finditer(sentence)):
            continue
        for count in BOUNDARY_VALUES:
            filled = rendered(sentence, count)
            for pattern, why in WRONG_FOR_A_COUNT.items():
                if re.search(pattern, filled):
                    found.append(f"{why}: “{filled.strip()}”")
    return found


def _prose_of_page(path: Path) -> list[tuple[int, str]]:
    return [(line.number, line.text) for line in lines(path.read_text(encoding="utf-8")) if line.prose]


def _texts_of_toml(path: Path) -> list[tuple[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    texts = [("title", data.get("title", ""))]
    for table in ("figures", "claims", "shown"):
        texts += [(f"[{table}] {key}", text) for key, text in data.get(table, {}).items()]
    return texts


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("page", ZH_PAGES, ids=[p.name for p in ZH_PAGES])
def test_a_count_reads_right_for_none_one_and_all(page):
    problems = [f"{_rel(page)} line {n}: {p}" for n, text in _prose_of_page(page) for p in wrong_counts(text)]
    assert not problems, "\n".join(problems)


def test_a_count_in_a_snippets_chinese_text_reads_right_for_none_one_and_all():
    problems = [f"{_rel(path)} {where}: {p}" for path in ZH_TEXTS for where, text in _texts_of_toml(path)
                for p in wrong_counts(text)]
    assert not problems, "\n".join(problems)


def test_the_cards_count_reads_right_for_none_one_and_all():
    class Runs:
        at_least, at_most, out_of = 1, None, 4

        def number(self, value):
            return f"{value:g}"

    for count in BOUNDARY_VALUES:
        for words in (measured_words(Runs(), float(count), "zh"), spread_words(Runs(), [float(count)] * 2, "zh")):
            assert not [p for p in WRONG_FOR_A_COUNT if re.search(p, words)], words


def test_the_count_check_catches_a_planted_zero():
    planted = "不裁剪时，[[s:runs]] 次运行中有 [[s:blew_up|d]] 次发散。"
    assert any("有 0 次" in p for p in wrong_counts(planted)), wrong_counts(planted)
    assert any("4 次运行中有 4 次" in p for p in wrong_counts(planted))
    pair = "预热在 [[w:networks]] 对中有 [[w:better|d]] 对里更低。"
    assert wrong_counts(pair)
    assert not wrong_counts("不裁剪时，运行发散 [[s:blew_up|d]]/[[s:runs]] 次。")
    assert not wrong_counts("一个有 [[s:hidden]] 个单元的 tanh RNN。")  # a size, not a count


def _chinese_settings() -> str:
    """The Chinese edition's own settings in mkdocs.yml (its language's block)."""
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    return text.split("- locale: zh", 1)[1].split("\n  - ", 1)[0]


def _chinese_interface_texts() -> list[tuple[str, str]]:
    texts = [(f"book/render/labels.py zh {k}", v) for k, v in LABELS["zh"].items()]
    texts.append(("mkdocs.yml (the zh language)", _chinese_settings()))
    # The English glossary's table of the Chinese terms (docs/glossary.md#terminology).
    table = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8").split("{ #terminology }", 1)[-1]
    texts += [("docs/glossary.md#terminology", line) for line in table.splitlines() if HAN.search(line)]
    for path in sorted((REPO / "overrides").glob("**/*.html")) + sorted((REPO / "docs" / "javascripts").glob("*.js")):
        texts += [(f"{_rel(path)}", line) for line in path.read_text(encoding="utf-8").splitlines() if HAN.search(line)]
    return texts


def retired_terms(text: str) -> list[str]:
    return [f"「{m.group(0)}」 → {RETIRED[p]}" for p in RETIRED for m in re.finditer(p, text)]


def test_no_retired_term_in_the_chinese_edition():
    problems = []
    for page in ZH_PAGES:
        problems += [f"{_rel(page)} line {n}: {t}" for n, text in _prose_of_page(page) for t in retired_terms(text)]
    for path in ZH_TEXTS:
        problems += [f"{_rel(path)} {where}: {t}" for where, text in _texts_of_toml(path) for t in retired_terms(text)]
    problems += [f"{where}: {t}" for where, text in _chinese_interface_texts() for t in retired_terms(text)]
    assert not problems, "use the glossary's terms (docs/glossary.zh.md#terminology):\n" + "\n".join(problems)


def test_the_retired_term_check_can_fail():
    assert retired_terms("普通网络的梯度剖面，及其残差孪生网络")
    assert not retired_terms("本章的 Jupyter 笔记本，逐层梯度曲线")
    assert not retired_terms("在笔记本电脑的 CPU 上")  # a laptop, not a notebook


def test_the_glossary_table_gives_the_terms_that_replace_the_retired_ones():
    from book.translations import terminology

    terms = terminology((REPO / "docs" / "glossary.zh.md").read_text(encoding="utf-8"))
    for term in ("逐层梯度曲线", "逐层比值曲线", "恒定误差流", "随机猜测水平", "示例网络", "批量归一化", "批量大小",
                 "检验量", "动力学等距", "百分点"):
        assert term in terms, f"docs/glossary.zh.md's terminology table lacks {term}"


SPACED_PERCENT = re.compile(r"(?:\d|\]\])[ \u00a0]+[%％]|[ \u00a0]+[%％](?=\s*[\u4e00-\u9fff，。；）])")


@pytest.mark.parametrize("page", ZH_PAGES, ids=[p.name for p in ZH_PAGES])
def test_no_space_before_a_percent_sign(page):
    problems = [f"{_rel(page)} line {n}: {text.strip()[:80]}" for n, text in _prose_of_page(page)
                if SPACED_PERCENT.search(re.sub(r"`[^`]*`|\$[^$]*\$", "", text))]
    assert not problems, "write 25%, not 25 %, in Chinese text:\n" + "\n".join(problems)


STRAY_SPACE = re.compile(r"[\u4e00-\u9fff，。；：、][ \u00a0]+[\u4e00-\u9fff，。；：、]")


@pytest.mark.parametrize("page", ZH_PAGES, ids=[p.name for p in ZH_PAGES])
def test_no_space_between_chinese_characters(page):
    problems = [f"{_rel(page)} line {n}: {text.strip()[:80]}" for n, text in _prose_of_page(page)
                if STRAY_SPACE.search(re.sub(r"`[^`]*`|\$[^$]*\$|\[\[[^\]]*\]\]", "X", text))]
    assert not problems, "a stray space between Chinese characters:\n" + "\n".join(problems)


# --- A figure's Chinese alt text: its numbers are filled from the results, as the English one's are.

def typed_numbers_in_alt(text: str) -> list[str]:
    """The numbers typed in an alt text (its fields, formulas, names and exact constants aside)."""
    from tests.book.test_prose_numbers import CONSTANTS, DIGIT, NUMBER, prose

    line = prose(text)
    for constant in CONSTANTS:
        line = constant.sub(" ", line)
    return [m.group(0) for m in NUMBER.finditer(line) if DIGIT.search(m.group(0).strip(" .,-–/"))]


def typed_in_plot(source: str) -> list[str]:
    """The text ``plot()`` types itself: its string literals, an f-string's literal parts
    included (what it fills from ``results`` is not there)."""
    import ast

    return [node.value for function in ast.walk(ast.parse(source))
            if isinstance(function, ast.FunctionDef) and function.name == "plot"
            for node in ast.walk(function) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def numbers_not_typed_in_english(text: str, source: str) -> list[str]:
    literals = typed_in_plot(source)
    return [n for n in typed_numbers_in_alt(text)
            if not any(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", literal) for literal in literals)]


def test_a_chinese_alt_text_types_no_number_the_english_one_fills():
    """A number that ``plot()`` fills into the English alt text from the results (or the setup)
    is a field in the Chinese one (``[[arms.unclipped.blew_up|d]]``, ``[[setup.lr|g]]``): typed,
    it would go stale the day the measurement changes, and nothing else would notice."""
    problems = []
    for path in ZH_TEXTS:
        source = path.with_name(path.name.removesuffix(".zh.toml") + ".py").read_text(encoding="utf-8")
        for name, text in tomllib.loads(path.read_text(encoding="utf-8")).get("figures", {}).items():
            typed = numbers_not_typed_in_english(text, source)
            if typed:
                problems.append(f"{_rel(path)} [figures] {name}: {typed}")
    assert not problems, ("these numbers of a Chinese alt text are filled from the results in the English one "
                          "(plot()); write each as a field, [[KEY|FMT]] or [[setup.NAME|FMT]]:\n" + "\n".join(problems))


def test_the_alt_text_check_catches_a_typed_count():
    plot = ('def plot(results):\n    alt = (f"Panel: {results[\'blew_up\']} of {results[\'runs\']} runs blow up "\n'
            '           "at learning rate 0.2.")\n')
    assert numbers_not_typed_in_english("学习率 0.2：16 次运行中有 14 次发散。", plot) == ["16", "14"]
    assert numbers_not_typed_in_english("学习率 0.2：发散 [[blew_up|d]]/[[runs|d]] 次，float16 下为 0。", plot) == []


def _numbers(text: str) -> list[str]:
    """The numbers of an alt text (an ordinal's too: 5th), not those in names (float16)."""
    return re.findall(r"(?<![A-Za-z_\d.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?=st\b|nd\b|rd\b|th\b|(?![A-Za-z_\d]))", text)


def _matches(number: str, english: list[str]) -> bool:
    decimals = len(number.split(".")[1]) if "." in number and "e" not in number.lower() else 0
    return any(abs(round(float(e), decimals) - float(number)) < 1e-9 or e == number for e in english)


def test_a_filled_chinese_alt_text_shows_the_english_ones_numbers():
    """Rendered from the cached results: every number of a Chinese alt text is one the English
    alt text of the same figure shows (a typed number that went stale fails here)."""
    import json

    from book.cache import CacheEntry
    from book.options import Options
    from book.render.figures import filled_alt
    from book.render.views import SnippetView
    from book.snippets import discover
    from book.translations import load

    options, problems, checked = Options.from_env({}), [], 0
    for snippet in discover(REPO):
        entry = CacheEntry.of(snippet, REPO, options)
        if not entry.result_path.is_file():
            continue
        result = json.loads(entry.result_path.read_text(encoding="utf-8"))
        text = load(REPO, snippet.path.relative_to(REPO).as_posix())

        source = snippet.path.relative_to(REPO).as_posix()
        view = SnippetView(snippet.id, source, result, code=snippet.path.read_text(encoding="utf-8"))
        for name, figure in result["figures"].items():
            if name not in text.figures:
                continue
            chinese = filled_alt(text, name, view, "zh")
            checked += 1
            english = _numbers(figure["alt"])
            # 0 and 1 are exact values the English often spells out ("near one").
            stale = [n for n in _numbers(chinese) if n not in ("0", "1") and not _matches(n, english)]
            if stale:
                problems.append(f"{text.path} [figures] {name}: {stale} are not in the English alt text “{figure['alt']}”")
    if not checked:
        pytest.skip("no cached result (build the site first)")
    assert not problems, "\n".join(problems)
