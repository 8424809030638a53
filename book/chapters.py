"""One chapter at a time: ``make test CHAPTER=<slug>`` and ``make serve CHAPTER=<slug>``.

A chapter ``<slug>`` is ``docs/<slug>.md``, the package ``snippets/<slug>/`` and the tests in
``tests/<slug>/``. ``BOOK_CHAPTER=<slug>`` (set by ``make test CHAPTER=<slug>``) narrows the
book-wide tests — every claim at every seed (tests/test_claims.py), the snippet contract,
the recorded sweeps and the page check — to that chapter's snippets.

``python -m book.chapters only <slug>`` prints the chapter's snippet ids as a ``BOOK_ONLY``
value (``make serve CHAPTER=<slug>`` runs only them and takes the rest from the cache).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from book.snippets import Snippet, discover

ROOT = Path(__file__).resolve().parent.parent


def chapters(root: Path = ROOT) -> list[str]:
    """Every chapter: a folder of snippets with a page of the same name."""
    return sorted(
        p.name for p in (root / "snippets").iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and (root / "docs" / f"{p.name}.md").is_file()
    )


def check_chapter(chapter: str, root: Path = ROOT) -> str:
    """``chapter`` if it exists, else a ValueError that lists the chapters."""
    if chapter not in chapters(root):
        raise ValueError(
            f"no chapter {chapter!r}: a chapter is docs/<slug>.md with snippets/<slug>/ "
            f"(chapters: {', '.join(chapters(root))}); create one with "
            f"make chapter NAME=<slug> TITLE=\"<title>\""
        )
    return chapter


def selected_chapter(env: dict | None = None, root: Path = ROOT) -> str | None:
    """The chapter named by ``BOOK_CHAPTER``, or None (the whole book)."""
    chapter = (os.environ if env is None else env).get("BOOK_CHAPTER", "").strip()
    return check_chapter(chapter, root) if chapter else None


def chapter_snippets(chapter: str, root: Path = ROOT) -> list[Snippet]:
    return [s for s in discover(root) if s.path.parent.name == chapter]


def selected_snippets(root: Path = ROOT, env: dict | None = None) -> list[Snippet]:
    """Every snippet, or only those of the chapter named by ``BOOK_CHAPTER``."""
    chapter = selected_chapter(env, root)
    return discover(root) if chapter is None else chapter_snippets(chapter, root)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "only":
        print("usage: python -m book.chapters only <chapter>", file=sys.stderr)
        return 2
    try:
        chapter = check_chapter(argv[1])
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    ids = [s.id for s in chapter_snippets(chapter)]
    if not ids:
        print(f"chapter {chapter!r} has no snippet (snippets/{chapter}/*.py)", file=sys.stderr)
        return 2
    print(",".join(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
