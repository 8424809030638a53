"""Tests for snippets/residual_connections/residual_training.py."""

import pytest

from book.testing import measured
from snippets.residual_connections import residual_training as snippet


def test_plain_weight_gradients_are_decades_smaller_at_initialisation():
    assert measured(snippet.__name__, 0)["grad_gap_decades"] > 5


def test_baseline_is_the_target_variance():
    from snippets.residual_connections.residual_training import make_data

    from snippets.common import generator

    _, targets = make_data(512, 8, generator(0))
    assert measured(snippet.__name__, 0)["baseline_mse"] == pytest.approx(float(targets.var(unbiased=False)), rel=1e-5)
