"""The "Run it yourself" box at the top of a chapter: where its notebook is, and how to run it."""

from __future__ import annotations

from book.render.labels import LABELS


def box(chapter: str, up: str, repo: str, language: str, notebook_dir: str = "notebooks") -> str:
    """The box's Markdown (folded on a phone) in the page's language: the chapter's notebook
    to read on the site and to download (``up``: the way to the site's root)."""
    download = f"{up}{notebook_dir}/{chapter}/{chapter}.ipynb"
    return LABELS[language]["run_it"].format(up=up, notebook_dir=notebook_dir, chapter=chapter,
                                             download=download, repo=repo)
