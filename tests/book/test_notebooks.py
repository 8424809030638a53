"""Each chapter's notebook, run top to bottom, reproduces the chapter's published numbers."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import nbformat
import pytest

from book.claims import BUILD_SEED
from book.notebooks import build, execute, snippet_code
from book.runner import Options, discover, run_all
from book.testing import measured

REPO = Path(__file__).resolve().parents[2]
CHAPTERS: dict[str, list] = {}
for _snippet in discover(REPO):
    CHAPTERS.setdefault(_snippet.path.parent.name, []).append(_snippet)

pytestmark = pytest.mark.build


def test_snippet_code_drops_markers_and_entry_point():
    code = snippet_code(REPO / "snippets" / "deep_networks" / "random_matrix_product.py")
    assert "--8<--" not in code and "__main__" not in code and "def measure(" in code


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_notebook_reproduces_the_chapter_numbers(chapter, tmp_path):
    """Run the reader's notebook top to bottom; its numbers equal the snippets' own at the build seed."""
    notebook = build(REPO, chapter, CHAPTERS[chapter])
    dump = tmp_path / "results.json"
    # The reader's notebook plus one cell of ours that saves what it measured.
    notebook.cells.append(
        nbformat.v4.new_code_cell(f"pathlib.Path({str(dump)!r}).write_text(json.dumps(results_by_snippet))")
    )
    execute(notebook, REPO, timeout=600)
    from_notebook = json.loads(dump.read_text())
    assert sorted(from_notebook) == sorted(s.id for s in CHAPTERS[chapter])
    for snippet in CHAPTERS[chapter]:
        expected = json.loads(json.dumps(measured(snippet.module, BUILD_SEED)))
        assert from_notebook[snippet.id] == expected, f"{chapter}: the notebook's {snippet.id} results differ"

    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    printed = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    claims = sum(len(importlib.import_module(s.module).CLAIMS) for s in CHAPTERS[chapter])
    assert "FAILED" not in printed and printed.count("holds at seed 0") == claims
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= len(CHAPTERS[chapter])


def test_published_notebooks_match_the_build_cache(built_site):
    cached = {o.snippet.id for o in run_all(REPO, Options(execute=False)) if o.ok}
    assert cached == {s.id for snippets in CHAPTERS.values() for s in snippets}
    for chapter in CHAPTERS:
        published = built_site / "notebooks" / chapter / f"{chapter}.ipynb"
        notebook = nbformat.read(published, as_version=4)
        assert any(output for cell in notebook.cells for output in cell.get("outputs", [])), chapter
