"""Tests for snippets/deep_networks/random_matrix_product.py."""

import math

import pytest

from book.testing import measured
from snippets.deep_networks import random_matrix_product as snippet


def test_theory_rate_is_log_sigma_minus_one_over_2n():
    # ψ(n/2) − log(n/2) = −1/n − 1/(3n²) + …, so λ ≈ log σ − 1/(2n).
    assert snippet.theory_rate(1.1, 10**6) == pytest.approx(math.log(1.1), abs=1e-6)
    assert snippet.theory_rate(1.0, 64) == pytest.approx(-1 / 128, rel=0.02)


def test_rate_falls_with_sigma_in_order():
    rates = [entry["rate_measured"] for entry in measured(snippet.__name__, 0)["by_sigma"].values()]
    assert rates == sorted(rates)
