"""Tests for snippets/activation_functions/saturation_large_weights.py."""

import pytest

from book.testing import measured
from snippets.activation_functions import saturation_large_weights as snippet


def test_saturation_edges_are_a_tenth_of_the_peak_derivative():
    import math

    edge = snippet.SATURATION_EDGE
    assert 1 - math.tanh(edge["tanh"]) ** 2 == pytest.approx(0.1)
    s = 1 / (1 + math.exp(-edge["sigmoid"]))
    assert s * (1 - s) == pytest.approx(0.025)


def test_growth_is_not_the_quarter_law():
    results = measured(snippet.__name__, 0)
    sigmoid = results["by_case"]["sigmoid_16"]["first_over_last"]
    assert sigmoid > 1e10 * results["quarter_power"]
