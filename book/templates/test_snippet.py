"""Tests for snippets/my_chapter/my_chapter_example.py.

Its CLAIMS are checked by tests/test_claims.py at every seed and under both numeric
backends; this module holds hand-written checks only. TODO: replace the example check.
"""

from book.testing import measured
from snippets.my_chapter import my_chapter_example as snippet


def test_one_gradient_norm_per_layer():
    results = measured(snippet.__name__, 0)  # from the build cache, or measured now
    assert len(results["hidden"]) == results["depth"]
