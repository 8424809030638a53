"""MkDocs hook: the book's build, wired to MkDocs's events.

Registered in mkdocs.yml under ``hooks:``. MkDocs imports this file once per process and calls
its ``on_…`` functions as a plugin's, at every build (and every rebuild under ``mkdocs serve``).
They are the methods of one :class:`book.site.plugin.BookPlugin`, which holds the build's typed
state and does the work; this file only connects the two.
"""

from __future__ import annotations

import sys
from pathlib import Path

# MkDocs puts only this file's folder on sys.path while loading it; the project root
# (which holds the ``book`` and ``snippets`` packages) is one level up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from book.site.plugin import BookPlugin  # noqa: E402

_book = BookPlugin()

on_startup = _book.on_startup
on_config = _book.on_config
on_env = _book.on_env
on_build_error = _book.on_build_error
on_serve = _book.on_serve
on_pre_build = _book.on_pre_build
on_files = _book.on_files
on_page_markdown = _book.on_page_markdown
on_page_content = _book.on_page_content
on_page_context = _book.on_page_context
on_post_page = _book.on_post_page
on_post_template = _book.on_post_template
on_post_build = _book.on_post_build
