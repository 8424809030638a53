"""Tests for snippets/activation_functions/activation_depth_gradients.py."""


from book.testing import measured
from snippets.activation_functions import activation_depth_gradients as snippet


def test_profiles_have_one_value_per_layer():
    results = measured(snippet.__name__, 0)
    for entry in results["by_activation"].values():
        assert len(entry["hidden"]) == len(entry["mean_square_slope"]) == results["depth"]


def test_sigmoid_slope_is_at_most_a_quarter_everywhere():
    # σ' ≤ 1/4 pointwise, so the mean square of σ'(z) can never exceed 1/16.
    sigmoid = measured(snippet.__name__, 0)["by_activation"]["sigmoid"]
    assert max(sigmoid["mean_square_slope"]) <= 1 / 16


def test_relu_mean_square_slope_is_about_half():
    # φ'(z)² is 1 on active units and 0 otherwise; about half the units are active.
    relu = measured(snippet.__name__, 0)["by_activation"]["relu"]
    assert all(0.35 < v < 0.65 for v in relu["mean_square_slope"])
