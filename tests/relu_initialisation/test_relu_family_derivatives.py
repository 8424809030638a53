"""Tests for snippets/relu_initialisation/relu_family_derivatives.py."""

import pytest

from book.testing import measured
from snippets.relu_initialisation import relu_family_derivatives as snippet


def test_he_gain_is_two_for_relu():
    # 1 / E[ReLU'(z)²] is the weight variance n·Var[w] that keeps gradients level: He's 2.
    assert measured(snippet.__name__, 0)["by_name"]["relu"]["critical_variance"] == pytest.approx(2.0, rel=0.02)


def test_elu_slope_on_negative_side_is_exp():
    elu = measured(snippet.__name__, 0)["by_name"]["elu"]
    assert elu["slope_at_minus_2"] == pytest.approx(0.1353, abs=1e-3)  # exp(−2)


def test_every_curve_covers_the_grid():
    results = measured(snippet.__name__, 0)
    for entry in results["by_name"].values():
        assert len(entry["value"]) == len(entry["slope"]) == len(results["grid"])
