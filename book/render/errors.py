"""The error of a directive that cannot be filled."""

from __future__ import annotations


class PageError(Exception):
    """A directive that cannot be filled. ``kind`` says why; ``snippet`` names the snippet
    it concerns, if any ("no-result" errors are the snippet's fault, not the page's)."""

    def __init__(self, message: str, kind: str = "directive", snippet: str | None = None):
        super().__init__(message)
        self.kind, self.snippet = kind, snippet
