"""The checks of test_browser_pages.py on the chapters' notebook pages, in a module of its own so that
pytest-xdist runs it beside the others."""

from tests.book.test_browser_pages import *  # noqa: F403 (the same fixture and tests)

PAGES = "notebooks"
# A notebook page is not a chapter: its weight is test_browser.py's test_notebook_pages_are_light.
del test_first_visit_to_a_chapter_downloads_at_most_500_kb  # noqa: F821
