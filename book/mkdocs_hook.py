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
# MkDocs calls a hook's module-level ``on_…`` functions: each is the plugin's method of that name.
globals().update({name: getattr(_book, name) for name in dir(BookPlugin) if name.startswith("on_")})
