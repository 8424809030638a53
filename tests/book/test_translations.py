"""The Chinese edition's texts stay in step with the snippets and the English pages.

Each snippet's claims, figures and title have Chinese text in ``<id>.zh.toml`` beside it
(book/translations.py): a claim or figure added without its translation fails here, before
any page is built. Each English page has a Chinese twin with the same figures, measured
values, claims block, exercises and section ids, and no paragraph left in English
(book/parity.py).
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from book import parity, translations
from book.chapters import selected_chapter, selected_snippets
from book.claims import validate_claims
from book.snippets import discover

REPO = Path(__file__).resolve().parents[2]
#: ``make test CHAPTER=<slug>`` narrows these to one chapter (its snippets and its page).
SNIPPETS = selected_snippets(REPO)
PAGES = [selected_chapter()] if selected_chapter() else parity.pages()
INLINE_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def _source(snippet) -> str:
    return snippet.path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_every_claim_has_its_chinese_statement(snippet):
    text = translations.load(REPO, _source(snippet))
    claims = validate_claims(snippet.module, importlib.import_module(snippet.module).CLAIMS)
    missing = translations.mismatches(text, [c.id for c in claims], text.figures, [c.id for c in claims if c.shows])
    assert not missing, "\n".join(missing)
    for claim in claims:
        # The formulas are the same in both editions; only the words around them change.
        for formula in INLINE_MATH.findall(claim.statement):
            assert f"${formula}$" in text.claims[claim.id], (
                f"{text.path}: claim '{claim.id}' drops the formula ${formula}$ of the English statement")


@pytest.mark.build
@pytest.mark.skipif(bool(selected_chapter()), reason="one chapter's tests build no site; the site build "
                    "refuses a figure without its Chinese alt text")
def test_every_figure_has_its_chinese_alt_text(built_site):
    problems = []
    for snippet in SNIPPETS:
        result = json.loads((built_site / "results" / f"{snippet.id}.json").read_text(encoding="utf-8"))
        text = translations.load(REPO, _source(snippet))
        problems += translations.mismatches(text, [c["id"] for c in result["claims"]], result["figures"],
                                            [c["id"] for c in result["claims"] if c.get("shows")])
    assert not problems, "\n".join(problems)


def test_no_translation_file_without_its_snippet():
    sources = {_source(s) for s in discover(REPO)}
    orphans = [p.relative_to(REPO).as_posix() for p in (REPO / "snippets").glob(f"*/*{translations.SUFFIX}")
               if p.relative_to(REPO).as_posix().removesuffix(translations.SUFFIX) + ".py" not in sources]
    assert not orphans, f"translation files whose snippet is gone: {orphans}"


def test_a_missing_statement_is_named_with_its_file(tmp_path):
    (tmp_path / "snippets" / "demo").mkdir(parents=True)
    (tmp_path / "snippets" / "demo" / "x.zh.toml").write_text('title = "演示"\n[claims]\nkept = "保留的结论。"\n',
                                                             encoding="utf-8")
    text = translations.load(tmp_path, "snippets/demo/x.py")
    assert translations.mismatches(text, ["kept", "added"], []) == [
        "snippets/demo/x.zh.toml: [claims] has no entry for 'added'; add its Chinese text"]
    with pytest.raises(translations.TranslationError, match=r"snippets/demo/x.zh.toml: no Chinese statement"):
        text.claim("added")
    (tmp_path / "snippets" / "demo" / "x.zh.toml").write_text('title = "演示"\n[claims]\nkept = "An English one."\n',
                                                             encoding="utf-8")
    with pytest.raises(translations.TranslationError, match="is not Chinese text"):
        translations.load(tmp_path, "snippets/demo/x.py")
    with pytest.raises(translations.TranslationError, match="does not exist"):
        translations.load(tmp_path, "snippets/demo/y.py")


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_its_chinese_twin_in_step(page):
    problems = parity.compare(page)
    assert not problems, "\n".join(problems)


def test_parity_catches_a_drifted_twin(tmp_path):
    (tmp_path / "p.md").write_text(
        "# Title\n\n## Results\n\nThe value is [[s:a.b]] and [[s:c]].\n\n[[figure s:f|A caption.]]\n\n"
        "!!! question \"Exercise 1\"\n    Why?\n\n[[claims]]\n", encoding="utf-8")
    (tmp_path / "p.zh.md").write_text(
        "# 标题\n\n## 结果\n\n数值是 [[s:a.b]]。\n\n[[figure s:f|An English caption that nobody translated at all.]]\n\n"
        "[[claims]]\n", encoding="utf-8")
    problems = "\n".join(parity.compare("p", tmp_path))
    assert "never shows the measured value [[s:c]]" in problems
    assert "1 exercises" not in problems and "0 exercises, the English page 1" in problems
    assert "section ids ['_1'] differ" in problems or "section ids" in problems
    assert "is English prose" in problems


def test_every_navigation_title_has_its_chinese_title():
    from mkdocs.utils.yaml import get_yaml_loader

    import yaml

    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=get_yaml_loader())
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    chinese = next(lang for lang in i18n["languages"] if lang["locale"] == "zh")["nav_translations"]

    def titles(items):
        for item in items:
            for title, target in item.items():
                yield title
                if isinstance(target, list):
                    yield from titles(target)

    missing = [t for t in titles(config["nav"]) if not translations.HAN.search(chinese.get(t, ""))]
    assert not missing, f"mkdocs.yml: add these titles to the zh language's nav_translations: {missing}"
