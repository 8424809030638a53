"""Tests for snippets/residual_connections/residual_gradient_profiles.py."""

import pytest

from book.testing import measured
from snippets.residual_connections import residual_gradient_profiles as snippet


def test_plain_tanh_vanishes_more_with_depth():
    results = measured(snippet.__name__, 0)
    ratios = [results["by_depth"][f"depth_{d}"]["plain_tanh"]["first_over_last"] for d in results["depths"]]
    assert ratios == sorted(ratios, reverse=True)


def test_profiles_have_one_value_per_layer_and_end_at_one():
    for entry in measured(snippet.__name__, 0)["by_depth"].values():
        for kind in ("plain_tanh", "plain_relu", "residual"):
            assert len(entry[kind]["relative"]) == entry["depth"]
            assert entry[kind]["relative"][-1] == pytest.approx(1.0)
