"""Each chapter's "Run it yourself" notebook, assembled from its snippets' own runs.

The notebook holds the chapter's snippet code as it is in the repository (minus the
include markers and the script entry point), then measures at the build seed, checks
the claims and draws the figures. Its outputs are not produced by running it again: the
snippet's build process already printed those claim verdicts and drew those figures,
so the notebook is assembled from that run's record (what it printed, and its light
figures), in milliseconds and without a kernel. That the notebook, run top to bottom by a
reader, gives exactly these numbers and figures is what the test suite checks, by
executing it (:func:`execute`). Independent of MkDocs.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

from book.claims import BUILD_SEED
from book.options import Options
from book.render.markdown import exercises
from book.runner import Outcome
from book.snippets import Snippet

MARKER = re.compile(r"^\s*# --8<-- \[(start|end):[^\]]*\]\s*$")
KERNEL = "python3"
#: A plot cell's metadata key: the published figures its outputs show (site paths, alt text, size).
FIGURES_METADATA = "book_figures"
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\.md(?:#[^)]*)?\)")

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
class Notebook:
    """A chapter's assembled notebook (``path``), or why it has none (``error``)."""

    chapter: str
    path: Path | None = None
    error: str = ""
    #: True when the notebook is missing only because a snippet of its chapter failed
    #: (that failure is reported on its own).
    snippet_failed: bool = False

    @property
    def ok(self) -> bool:
        return self.path is not None


def chapter_title(root: Path, chapter: str) -> str:
    doc = ast.get_docstring(ast.parse((root / "snippets" / chapter / "__init__.py").read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0].strip().rstrip(".") if doc.strip() else chapter


def snippet_code(path: Path) -> str:
    """The snippet's source without include markers and without its script entry point."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not MARKER.match(line)]
    text = "\n".join(lines)
    text = re.split(r'^if __name__ == "__main__":', text, flags=re.M)[0]
    return re.sub(r"\n{3,}", "\n\n\n", text).strip() + "\n"


def in_page_order(page: Path, outcomes: list) -> list:
    """The chapter's snippets in the order its page first mentions them (the notebook follows
    the chapter); a snippet the page never names goes last, by id."""
    text = page.read_text(encoding="utf-8") if page.is_file() else ""

    def first_mention(outcome) -> tuple[int, str]:
        found = [i for i in (text.find(f"[[{outcome.snippet.id}:"), text.find(f" {outcome.snippet.id}:"),
                             text.find(f"/{outcome.snippet.id}.py")) if i >= 0]
        return (min(found) if found else len(text) + 1, outcome.snippet.id)

    return sorted(outcomes, key=first_mention)


def build(
    root: Path, chapter: str, snippets: list[Snippet], records: dict[str, Path] | None = None, fill=lambda text: text
):
    """The chapter's notebook; with ``records`` (snippet id -> cache entry folder) it carries
    that run's outputs: the printed claim verdicts and the light-palette figures. ``fill``
    fills the measured values into the exercises' questions."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    title = chapter_title(root, chapter)
    cells = [
        new_markdown_cell(
            f"# Run it yourself: {title}\n\n"
            "This notebook holds the chapter's code as it is in the book's repository; the outputs below "
            "are those of the run that built the site, and running the notebook top to bottom gives the same "
            "numbers. To run it, clone the repository, install it (`make test` does, into `.venv`), and open "
            f"this notebook from anywhere inside the clone. Each experiment measures at seed {BUILD_SEED}, "
            "checks its claims and draws its figures; change the arguments of `measure` to explore."
        ),
        new_code_cell(SETUP),
    ]
    for snippet in snippets:
        module_doc = ast.get_docstring(ast.parse(snippet.path.read_text(encoding="utf-8"))) or snippet.id
        heading, _, body = module_doc.partition("\n")
        measure_cell = new_code_cell(
            f"make_deterministic({BUILD_SEED})\n"
            f"results = measure(seed={BUILD_SEED})\n"
            f"results_by_snippet[{snippet.id!r}] = results\n"
            "for claim in CLAIMS:\n"
            f"    print(claim.evaluate(results, seed={BUILD_SEED}).describe({snippet.id!r}))"
        )
        plot_cell = new_code_cell("figures = plot(results)  # each figure is shown below")
        entry = (records or {}).get(snippet.id)
        if entry is not None:
            record = _read_json(entry / "result.json")
            printed = "".join(line + "\n" for line in record["printed"])
            measure_cell.outputs = [new_output("stream", name="stdout", text=printed)]
            figures = list(record["figures"].values())
            plot_cell.outputs = [
                new_output(
                    "display_data",
                    data={
                        "image/svg+xml": (entry / Path(figure["light"]).name).read_text(encoding="utf-8"),
                        "text/plain": f"<Figure: {figure['alt']}>",
                    },
                )
                for figure in figures
            ]
            # Where the site publishes each output figure (light and dark), for the notebook's page.
            plot_cell.metadata[FIGURES_METADATA] = [_published(figure, entry) for figure in figures]
        cells += [
            new_markdown_cell(f"## {heading.strip()}\n\nSource: `{snippet.source_relpath(root)}`"),
            new_code_cell(snippet_code(snippet.path)),
            measure_cell,
            plot_cell,
        ]
    page = root / "docs" / f"{chapter}.md"
    # The page's exercises (book.render.markdown), their answers left out.
    questions = exercises(page.read_text(encoding="utf-8")) if page.is_file() else []
    if questions:
        cells.append(
            new_markdown_cell(
                "## Exercises: predict, then measure\n\n"
                "Each question is on the chapter's page too, with its answer measured when the site was built. "
                "Write down your prediction, then change and run the code above (or use the empty cell) to check it."
            )
        )
        for exercise in questions:
            # Links between the book's pages do not resolve inside a notebook: keep their text.
            text = MARKDOWN_LINK.sub(lambda m: m.group(1), fill(exercise.question))
            cells += [new_markdown_cell(f"### {exercise.title}\n\n{text}"), new_code_cell("# Your measurement here\n")]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"  # nbformat's default ids are random: keep the file reproducible
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return notebook


def _published(figure: dict, entry: Path) -> dict:
    """A figure as the site publishes it: its light and dark files' site paths, alt text and size."""
    from book.render.figures import svg_size

    size = svg_size(entry / Path(figure["light"]).name)
    published = {"light": figure["light"], "dark": figure["dark"], "alt": figure["alt"]}
    return published | ({"width": size[0], "height": size[1]} if size else {})


def published_figures(notebook: dict) -> dict[str, list[dict]]:
    """Cell id → the site's files of the figures its outputs show, in order (see :func:`build`)."""
    return {cell["id"]: cell["metadata"][FIGURES_METADATA] for cell in notebook.get("cells", [])
            if FIGURES_METADATA in cell.get("metadata", {})}


def _read_json(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def execute(notebook, root: Path, timeout: float):
    """Run a notebook top to bottom in a fresh kernel (what a reader does with the download)."""
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


def ensure_notebooks(root: Path, outcomes: list[Outcome], options: Options) -> list[Notebook]:
    """Assemble every chapter's notebook from its snippets' records; a chapter with a snippet
    without a result gets none. Written under the cache only when its content changed."""
    import nbformat

    from book.render.directives import fill_values
    from book.render.views import views_of

    root = Path(root).resolve()
    views = views_of(outcomes, root)
    folder = options.cache_root(root) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    chapters: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        chapters.setdefault(outcome.snippet.path.parent.name, []).append(outcome)
    notebooks = []
    for chapter, chapter_outcomes in sorted(chapters.items()):
        chapter_outcomes = in_page_order(root / "docs" / f"{chapter}.md", chapter_outcomes)
        if not all(o.ok for o in chapter_outcomes):
            notebooks.append(Notebook(chapter, error="not assembled: a snippet of this chapter has no result",
                                      snippet_failed=True))
            continue
        records = {o.snippet.id: o.entry.path for o in chapter_outcomes}
        try:
            notebook = build(
                root, chapter, [o.snippet for o in chapter_outcomes], records, lambda text: fill_values(text, views)
            )
        except Exception as exc:  # noqa: BLE001 - e.g. an exercise naming an unknown result key
            notebooks.append(Notebook(chapter, error=f"not assembled: {exc}"))
            continue
        text = nbformat.writes(notebook) + "\n"
        target = folder / f"{chapter}.ipynb"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        notebooks.append(Notebook(chapter, path=target))
    return notebooks
