"""Tests for snippets/deep_networks/linear_mlp_gradients.py."""


from book.testing import measured
from snippets.deep_networks import linear_mlp_gradients as snippet


def test_explodes_above_critical():
    above = measured(snippet.__name__, 0)["by_scale"]["above"]
    # σ^(L−1) = 1.15^49 ≈ 940; one network's value scatters around it.
    assert above["hidden_first_over_last"] > 100


def test_profiles_have_one_value_per_layer():
    results = measured(snippet.__name__, 0)
    for scale in results["by_scale"].values():
        assert len(scale["hidden"]) == len(scale["weight"]) == results["depth"]
