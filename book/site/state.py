"""What one `mkdocs build` (or one rebuild under `mkdocs serve`) knows between its events."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from book.options import Options
from book.site.notebook_pages import NotebookPages
from book.translations import LANGUAGES


@dataclass
class BuildState:
    #: The project's folder (mkdocs.yml's), and the build's options, read once from the
    #: environment (or why they could not be: reported when the snippets are run).
    root: Path = Path(".")
    options: Options | None = None
    options_error: str = ""
    #: Under `mkdocs serve` a failure is shown on its page instead of stopping the build.
    serving: bool = False
    #: The editions being built, innermost last (mkdocs-static-i18n builds the others from
    #: inside the English build's post-build event).
    editions: list[str] = field(default_factory=list)
    #: The book's terms were added to jieba's dictionary (once per process).
    terms_learned: bool = False
    #: The snippets' outcomes (book.runner.Outcome) and their views for the pages, by id.
    outcomes: list = field(default_factory=list)
    views: dict[str, Any] = field(default_factory=dict)
    #: Each snippet's Chinese texts, loaded on first use.
    texts: dict[str, Any] = field(default_factory=dict)
    #: Chapter → its assembled notebook (in the cache).
    notebooks: dict[str, Path] = field(default_factory=dict)
    #: Snippet id → the warning about its placeholder claims.
    placeholders: dict[str, str] = field(default_factory=dict)
    #: Wall time of the snippets and of assembling the notebooks, in seconds.
    wall: tuple[float, float] = (0.0, 0.0)
    notebook_pages: NotebookPages = field(default_factory=NotebookPages)
    #: Under `mkdocs serve`: the thread running the other claim seeds of the snippets the
    #: first view showed from the build seed alone.
    background: threading.Thread | None = None
    #: A provisional entry's folder → why its other seeds failed in the background, each time.
    failed_checks: dict[str, list[str]] = field(default_factory=dict)
    #: The English edition's 404 page and sitemap, which the other editions' are merged into.
    english_templates: dict[str, str] = field(default_factory=dict)

    def language(self, configured: str | None) -> str:
        """The edition being built: mkdocs-static-i18n builds the English site, then, from its
        post-build event, the Chinese one (``theme.language`` set per language in mkdocs.yml).
        After the nested build the shared config still says "zh", so the edition of the build
        in progress is kept on a stack: pushed at pre-build, popped at post-build."""
        if self.editions:
            return self.editions[-1]
        return configured or LANGUAGES[0]
