"""The checks of test_browser_pages.py on the chapters' notebook pages, in a module of its own so that
pytest-xdist runs it beside the others."""

from tests.book.test_browser_pages import *  # noqa: F403 (the same fixture and tests)

PAGES = "notebooks"
