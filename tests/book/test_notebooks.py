"""Each chapter's notebook, run top to bottom in a fresh kernel, reproduces the build byte for byte.

This is the book's one deliberate re-measurement: a reader's download is executed as a
reader would run it, and what it measures (the results at the build seed) and draws (the
figures, redrawn with the build's settings) must equal the published files exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from book.claims import BUILD_SEED
from book.notebooks import build, execute, snippet_code
from book.cache import CacheEntry
from book.options import Options
from book.snippets import discover

REPO = Path(__file__).resolve().parents[2]
CHAPTERS: dict[str, list] = {}
for _snippet in discover(REPO):
    CHAPTERS.setdefault(_snippet.path.parent.name, []).append(_snippet)

pytestmark = pytest.mark.build

# Appended to the reader's notebook: save what it measured, and redraw each figure the way
# the build does (default settings, both palettes) so the bytes can be compared.
REDRAW = """
import importlib, matplotlib
from book.execute import save_figures
out = pathlib.Path({out!r})
pathlib.Path({dump!r}).write_text(json.dumps(results_by_snippet))
for snippet_id, module_name in {modules!r}.items():
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        (out / snippet_id).mkdir()
        save_figures(importlib.import_module(module_name), snippet_id, results_by_snippet[snippet_id], out / snippet_id)
"""


def test_snippet_code_drops_markers_and_entry_point():
    code = snippet_code(REPO / "snippets" / "deep_networks" / "random_matrix_product.py")
    assert "--8<--" not in code and "__main__" not in code and "def measure(" in code


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_notebook_reproduces_the_build_byte_for_byte(chapter, built_site, tmp_path):
    snippets = CHAPTERS[chapter]
    notebook = build(REPO, chapter, snippets)  # the reader's notebook, without outputs
    dump, out = tmp_path / "results.json", tmp_path / "figures"
    out.mkdir()
    modules = {s.id: s.module for s in snippets}
    notebook.cells.append(nbformat.v4.new_code_cell(REDRAW.format(out=str(out), dump=str(dump), modules=modules)))
    execute(notebook, REPO, timeout=600)

    from_notebook = json.loads(dump.read_text())
    assert sorted(from_notebook) == sorted(modules)
    options = Options.from_env()
    for snippet in snippets:
        entry = CacheEntry.of(snippet, REPO, options).path
        built = json.loads((entry / "seeds.json").read_text())[str(BUILD_SEED)]
        assert from_notebook[snippet.id] == built, f"{chapter}: the notebook's {snippet.id} results differ"
        record = json.loads((entry / "result.json").read_text())
        redrawn = sorted(p.name for p in (out / snippet.id).glob("*.svg"))
        assert redrawn == sorted(Path(path).name for f in record["figures"].values()
                                 for variant, path in f.items() if variant != "alt")
        for name in redrawn:
            published = (built_site / "figures" / name).read_bytes()
            assert (out / snippet.id / name).read_bytes() == published, f"{name} differs from the published figure"

    printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    claims = sum(len(__import__(s.module, fromlist=["CLAIMS"]).CLAIMS) for s in snippets)
    assert "FAILED" not in printed and printed.count(f"holds at seed {BUILD_SEED}") == claims


def test_published_notebooks_carry_the_build_outputs(built_site):
    for chapter, snippets in CHAPTERS.items():
        published = built_site / "notebooks" / chapter / f"{chapter}.ipynb"
        notebook = nbformat.read(published, as_version=4)
        printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
        figures = [o for c in notebook.cells for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})]
        for snippet in snippets:
            record = json.loads((built_site / "results" / f"{snippet.id}.json").read_text())
            assert all(line in printed for line in record["printed"]), f"{chapter}: {snippet.id}'s verdicts missing"
        assert len(figures) == sum(
            len(json.loads((built_site / "results" / f"{s.id}.json").read_text())["figures"]) for s in snippets
        ), chapter


def test_notebook_follows_the_chapter_order(tmp_path):
    from types import SimpleNamespace

    from book.notebooks import in_page_order

    page = tmp_path / "chapter.md"
    page.write_text('# C\n\n```python\n--8<-- "snippets/c/second.py:measure"\n```\n[[figure first:x|A.]]\n[[second:k]]\n')
    outcomes = [SimpleNamespace(snippet=SimpleNamespace(id=name)) for name in ("first", "second", "unused")]
    assert [o.snippet.id for o in in_page_order(page, outcomes)] == ["second", "first", "unused"]
