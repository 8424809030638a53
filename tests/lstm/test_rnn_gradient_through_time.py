"""Tests for snippets/lstm/rnn_gradient_through_time.py."""

import pytest

from book.testing import measured
from snippets.lstm import rnn_gradient_through_time as snippet


def test_factor_grows_with_sigma():
    factors = [entry["factor_per_step"] for entry in measured(snippet.__name__, 0)["by_sigma"].values()]
    assert factors == sorted(factors)


def test_gap_zero_is_the_unit_direction():
    # ∂L/∂h_T = v, a unit vector: log10 of its size is 0.
    for entry in measured(snippet.__name__, 0)["by_sigma"].values():
        assert entry["log10_grad"][0] == pytest.approx(0.0, abs=1e-9)
