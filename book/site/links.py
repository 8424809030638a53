"""Addresses the pages link to: a file's source in the repository."""

from __future__ import annotations

from typing import Callable


def source_url(extra: dict, repo_url: str | None) -> Callable[[str], str | None]:
    """path → its address in the repository (``extra.repository`` or ``repo_url``, on
    ``extra.source_branch``, default main), or None without a repository."""
    repo_url = (extra.get("repository") or repo_url or "").rstrip("/")
    branch = extra.get("source_branch", "main")

    def url(path: str) -> str | None:
        return f"{repo_url}/blob/{branch}/{path}" if repo_url else None

    return url
