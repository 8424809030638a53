"""Tests for snippets/weight_scale/mean_field_factor.py."""

import pytest

from book.testing import measured
from snippets.weight_scale import mean_field_factor as snippet


def test_theory_below_critical_is_sigma_squared():
    q_star, chi = snippet.theory_chi(0.7)
    assert q_star < 1e-6
    assert chi == pytest.approx(0.49, rel=1e-4)


def test_theory_chi_grows_above_critical():
    chis = [snippet.theory_chi(s)[1] for s in (1.5, 2.0, 3.0, 4.0)]
    assert all(1 < a < b for a, b in zip(chis, chis[1:]))


def test_depth_scale_is_longest_near_critical():
    by_scale = measured(snippet.__name__, 0)["by_scale"]
    near = max(by_scale["s100"]["depth_scale"], by_scale["s120"]["depth_scale"])
    assert near > 3 * max(by_scale["s050"]["depth_scale"], by_scale["s300"]["depth_scale"])
