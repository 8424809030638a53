"""Every snippet keeps the contract: title, parameters with defaults, claims, a test module, a page."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

from book.chapters import selected_snippets
from book.claims import validate_claims

REPO = Path(__file__).resolve().parents[2]
SNIPPETS = selected_snippets(REPO)  # one chapter's under BOOK_CHAPTER (make test CHAPTER=<slug>)
PAGES = {p: p.read_text(encoding="utf-8") for p in (REPO / "docs").rglob("*.md")}


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_interface(snippet):
    module = importlib.import_module(snippet.module)
    assert (module.__doc__ or "").strip(), f"{snippet.path}: no docstring title"
    validate_claims(snippet.id, getattr(module, "CLAIMS", None))
    parameters = inspect.signature(module.measure).parameters
    assert "seed" in parameters, f"{snippet.path}: measure() takes no seed"
    missing = [name for name, p in parameters.items() if p.default is inspect.Parameter.empty]
    assert not missing, f"{snippet.path}: measure() parameters without a default: {missing}"
    assert callable(module.plot)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_has_a_test_module_and_a_page(snippet):
    chapter = snippet.chapter
    test_module = snippet.test_path(REPO)
    assert test_module.is_file(), f"{snippet.path} has no test module {test_module.relative_to(REPO)}"
    page = REPO / "docs" / f"{chapter}.md"
    assert page.is_file(), f"{snippet.path}: its chapter page docs/{chapter}.md is missing"
    assert re.search(rf"\[\[(figure )?{snippet.id}:", PAGES[page]), f"docs/{chapter}.md never uses {snippet.id}"


def test_every_included_file_exists():
    for page, text in PAGES.items():
        for path in re.findall(r'--8<--\s*"([^":]+)', text):
            assert (REPO / path).is_file(), f"{page.relative_to(REPO)} includes {path}, which does not exist"
