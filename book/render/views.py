"""What a page may use of each snippet: its result, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from book.render.errors import PageError
from book.render.figures import svg_size
from book.render.setup import snippet_setup


@dataclass
class SnippetView:
    """What a page may use of one snippet: its result, or why there is none."""

    id: str
    source: str  # project-relative path of the snippet file
    result: dict | None
    error: str = ""
    code: str | None = None  # the snippet's source text, for ``setup.`` values (read when first needed)
    #: Where each published file of the result is (site path -> file), to read figures' sizes.
    files: dict[str, Path] = field(default_factory=dict)

    def setup(self) -> dict:
        """The configuration the snippet ran with (see :func:`book.render.setup.snippet_setup`)."""
        if self.code is None:
            raise PageError(f"has no source text to read its setup from ({self.source})")
        return snippet_setup(self.code, self.id, self.source)

    def figure_size(self, site_path: str) -> tuple[int, int] | None:
        source = self.files.get(site_path)
        return svg_size(source) if source is not None else None


def views_of(outcomes, root: Path) -> dict[str, SnippetView]:
    """Each runner outcome's view, by snippet id (its snippet's file, result or error, source
    text and published files): what the pages and the notebooks' exercises are filled from."""
    return {
        outcome.snippet.id: SnippetView(
            outcome.snippet.id, outcome.snippet.source_relpath(root), outcome.result, outcome.error,
            outcome.snippet.path.read_text(encoding="utf-8"), outcome.files,
        )
        for outcome in outcomes
    }
