"""Tests for snippets/lstm/adding_problem.py."""

import pytest

from book.testing import measured
from snippets.lstm import adding_problem as snippet


def test_baseline_is_one_sixth():
    # Var(a + b) for two independent U(0, 1) values is 2/12; 1000 test sequences estimate it.
    results = measured(snippet.__name__, 0)
    assert results["baseline_mse"] == pytest.approx(1 / 6, rel=0.1)


def test_each_sequence_has_two_markers_one_per_half():
    from snippets.common import generator

    x, y = snippet.adding_batch(64, 50, generator(3))
    markers = x[..., 1]
    assert (markers.sum(dim=1) == 2).all()
    assert (markers[:, :25].sum(dim=1) == 1).all()
    assert ((x[..., 0] * markers).sum(dim=1, keepdim=True) == y).all()
