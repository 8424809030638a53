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


def test_tanh_gain_is_about_one_over_std_of_tanh_of_a_unit_gaussian():
    # 5/3 ≈ 1 / std(tanh(u)), u ~ N(0, 1) ≈ 1.59; at 5/3 the mean-field χ is 1.21 (> 1: chaotic phase).
    results = measured(snippet.__name__, 0)
    assert results["tanh_unit_gain"] == pytest.approx(1.5925, abs=1e-3)
    assert results["tanh"]["five_thirds"]["chi_theory"] == pytest.approx(1.2098, abs=1e-3)
    assert results["tanh"]["five_thirds"]["q_star"] == pytest.approx(1.178, abs=1e-2)


def test_exercise_answers_follow_the_theory():
    exercise = measured(snippet.__name__, 0)["exercise"]
    assert exercise["xavier_half_log10"] == pytest.approx(exercise["xavier_half_theory"], abs=1.0)
    assert 0 < exercise["tanh_12_log10"] < 1.5
