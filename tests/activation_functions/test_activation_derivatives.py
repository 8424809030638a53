"""Tests for snippets/activation_functions/activation_derivatives.py."""

import math

import pytest

from book.testing import measured
from snippets.activation_functions import activation_derivatives as snippet


def test_maxima_sit_at_zero():
    by_name = measured(snippet.__name__, 0)["by_name"]
    assert by_name["sigmoid"]["argmax"] == 0.0
    assert by_name["tanh"]["argmax"] == 0.0


def test_saturated_derivatives_match_closed_form():
    by_name = measured(snippet.__name__, 0)["by_name"]
    sigmoid = 1 / (1 + math.exp(-4.0))
    assert by_name["sigmoid"]["at_4"] == pytest.approx(sigmoid * (1 - sigmoid), rel=1e-5)
    assert by_name["tanh"]["at_4"] == pytest.approx(1 - math.tanh(4.0) ** 2, rel=1e-5)
    assert by_name["relu"]["at_4"] == 1.0


def test_wider_spread_means_smaller_factor():
    by_name = measured(snippet.__name__, 0)["by_name"]
    for name in ("sigmoid", "tanh"):
        assert by_name[name]["mean_square_q9"] < by_name[name]["mean_square_q1"]
