"""Each chapter's "Run it yourself" notebook: generated from its snippets, executed, cached.

The notebook holds the chapter's snippet code as it is in the repository (minus the
include markers and the script entry point), then measures at the build seed, checks
the claims and draws the figures. It is executed with nbclient when any of its
snippets changes, under the same cache key discipline as the snippets, and MkDocs
renders it (mkdocs-jupyter) with its outputs. Independent of MkDocs.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from book.claims import BUILD_SEED
from book.runner import Options, Outcome, Snippet, package_versions, snippet_hash

MARKER = re.compile(r"^\s*# --8<-- \[(start|end):[^\]]*\]\s*$")
KERNEL = "python3"

SETUP = '''\
# The snippets import the book's shared helpers: find the repository this notebook sits in.
import json
import pathlib
import sys

root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "snippets" / "common.py").is_file()), None)
if root is None:
    raise RuntimeError("Open this notebook from inside a clone of the book's repository: it imports snippets/common.py.")
sys.path.insert(0, str(root))

%matplotlib inline
import matplotlib.pyplot as plt

from book.execute import make_deterministic
from snippets.common import theme_rc

plt.rcParams.update({**theme_rc("light"), "figure.facecolor": "white", "savefig.transparent": False})
results_by_snippet = {}'''


@dataclass
class NotebookOutcome:
    chapter: str
    status: str  # "cached", "ran", "failed", "missing"
    seconds: float = 0.0
    path: Path | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.path is not None


def chapter_title(root: Path, chapter: str) -> str:
    doc = ast.get_docstring(ast.parse((root / "snippets" / chapter / "__init__.py").read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0].removeprefix("Chapter:").strip().rstrip(".") if doc.strip() else chapter


def snippet_code(path: Path) -> str:
    """The snippet's source without include markers and without its script entry point."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not MARKER.match(line)]
    text = "\n".join(lines)
    text = re.split(r'^if __name__ == "__main__":', text, flags=re.M)[0]
    return re.sub(r"\n{3,}", "\n\n\n", text).strip() + "\n"


def build(root: Path, chapter: str, snippets: list[Snippet]):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    title = chapter_title(root, chapter)
    cells = [
        new_markdown_cell(
            f"# Run it yourself: {title}\n\n"
            "This notebook was generated from the chapter's snippets and executed when the site was built; "
            "the outputs below are from that run. To rerun it, clone the book's repository, install it "
            "(`make test` does, into `.venv`), and open this notebook from anywhere inside the clone. "
            f"Each experiment measures at seed {BUILD_SEED}, checks its claims and draws its figures; "
            "change the arguments of `measure` to explore."
        ),
        new_code_cell(SETUP),
    ]
    for snippet in snippets:
        module_doc = ast.get_docstring(ast.parse(snippet.path.read_text(encoding="utf-8"))) or snippet.id
        heading, _, body = module_doc.partition("\n")
        cells += [
            new_markdown_cell(f"## {heading.strip()}\n\nSource: `{snippet.source_relpath(root)}`"),
            new_code_cell(snippet_code(snippet.path)),
            new_code_cell(
                f"make_deterministic({BUILD_SEED})\n"
                f"results = measure(seed={BUILD_SEED})\n"
                f"results_by_snippet[{snippet.id!r}] = results\n"
                "for claim in CLAIMS:\n"
                f"    print(claim.evaluate(results, seed={BUILD_SEED}).describe({snippet.id!r}))"
            ),
            new_code_cell("figures = plot(results)  # each figure is shown below"),
        ]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"  # nbformat's default ids are random: keep the file reproducible
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return notebook


def execute(notebook, root: Path, timeout: float):
    from nbclient import NotebookClient

    # record_timing=False keeps wall-clock timestamps out of the file: same input, same bytes.
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name=KERNEL, record_timing=False, resources={"metadata": {"path": str(root)}}
    )
    # The kernel gets the same import path as a snippet process: the project, then ``book``.
    book_parent = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (str(root), book_parent, os.environ.get("PYTHONPATH", "")) if p)
    client.execute(env={**os.environ, "PYTHONPATH": path})
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
    return notebook


def notebook_hash(root: Path, snippets: list[Snippet], versions: dict[str, str]) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((root / "snippets" / "common.py").read_bytes() if (root / "snippets" / "common.py").is_file() else b"")
    for snippet in snippets:
        digest.update(snippet_hash(snippet, root, versions).encode())
    return digest.hexdigest()[:20]


def ensure_notebooks(root: Path, outcomes: list[Outcome], options: Options) -> list[NotebookOutcome]:
    """Bring every chapter's notebook up to date; a chapter with a failed snippet gets none."""
    import nbformat
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root).resolve()
    cache_dir = (options.cache_dir or root / ".cache" / "book").resolve() / "notebooks"
    versions = package_versions()
    chapters: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        chapters.setdefault(outcome.snippet.path.parent.name, []).append(outcome)

    results, jobs = [], []
    for chapter, chapter_outcomes in sorted(chapters.items()):
        snippets = [o.snippet for o in chapter_outcomes]
        entry = cache_dir / f"{chapter}-{notebook_hash(root, snippets, versions)}" / f"{chapter}.ipynb"
        outcome = NotebookOutcome(chapter, "missing")
        results.append(outcome)
        if not all(o.ok for o in chapter_outcomes):
            outcome.error = "not built: a snippet of this chapter has no result"
        elif entry.is_file() and not (options.force and any(options.selects(s.id) for s in snippets)):
            outcome.status, outcome.path = "cached", entry
        elif options.execute and any(o.status == "ran" or options.selects(o.snippet.id) for o in chapter_outcomes):
            jobs.append((outcome, snippets, entry))
        else:
            outcome.error = "not executed (BOOK_EXECUTE=0 or BOOK_ONLY) and no cached notebook"

    def work(job) -> None:
        outcome, snippets, entry = job
        start = time.perf_counter()
        try:
            notebook = execute(build(root, outcome.chapter, snippets), root, options.timeout)
        except Exception as exc:  # nbclient raises CellExecutionError with the cell's traceback
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            entry.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, entry)
            outcome.status, outcome.path = "ran", entry
            for old in cache_dir.glob(f"{outcome.chapter}-*"):
                if old != entry.parent and old.name.rsplit("-", 1)[0] == outcome.chapter:
                    shutil.rmtree(old, ignore_errors=True)
        outcome.seconds = time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(work, jobs))
    return results


def timing_rows(outcomes: list[NotebookOutcome]) -> str:
    lines = []
    for outcome in outcomes:
        seconds = f"{outcome.seconds:7.2f}" if outcome.status in {"ran", "failed"} else "      -"
        lines.append(f"notebook {outcome.chapter:<27}  {outcome.status:<7}  {seconds}")
    return "\n".join(lines)

