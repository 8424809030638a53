"""Tests for snippets/deep_networks/linear_mlp_gradients.py."""

import pytest

from book.testing import assert_claim, claim_cases, measured
from snippets.deep_networks import linear_mlp_gradients as snippet


@pytest.mark.parametrize("claim, seed", claim_cases(snippet))
def test_claim(claim, seed):
    assert_claim(snippet, claim, seed)


def test_explodes_above_critical():
    above = measured(snippet.__name__, 0)["by_scale"]["above"]
    # σ^(L−1) = 1.15^49 ≈ 940; one network's value scatters around it.
    assert above["hidden_first_over_last"] > 100


def test_profiles_have_one_value_per_layer():
    results = measured(snippet.__name__, 0)
    for scale in results["by_scale"].values():
        assert len(scale["hidden"]) == len(scale["weight"]) == results["depth"]
