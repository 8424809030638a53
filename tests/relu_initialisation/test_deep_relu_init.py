"""Tests for snippets/relu_initialisation/deep_relu_init.py."""

import math

import pytest

from book.testing import measured
from snippets.relu_initialisation import deep_relu_init as snippet


def test_default_shrinks_faster_than_xavier():
    schemes = measured(snippet.__name__, 0)["by_scheme"]
    assert schemes["default"]["factor"] < schemes["xavier"]["factor"] < schemes["he"]["factor"]


def test_note_tanh_fan_in_formula_is_not_pytorchs_tanh_gain():
    # randn·√(1/n) against kaiming_normal_(nonlinearity='tanh'), whose gain is 5/3: ratio 3/5.
    ratio = measured(snippet.__name__, 0)["formulas"]["tanh_fan_in_vs_kaiming_tanh"]
    assert ratio == pytest.approx(0.6, rel=0.02)


def test_pytorch_default_variance_is_one_third_over_fan_in():
    value = measured(snippet.__name__, 0)["formulas"]["default_var_times_fan_in"]
    assert value == pytest.approx(1 / 3, rel=0.02)
    assert snippet.SCHEMES["default"] == pytest.approx(1 / 3)
    assert math.sqrt(snippet.SCHEMES["xavier"] / 2) == pytest.approx(0.7071, abs=1e-4)
