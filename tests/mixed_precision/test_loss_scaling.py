"""Tests for snippets/mixed_precision/loss_scaling.py."""


from book.testing import measured
from snippets.mixed_precision import loss_scaling as snippet


def test_scaling_only_helps_up_to_overflow():
    by_scale = measured(snippet.__name__, 0)["by_scale"]
    lost = [sum(by_scale[f"s{k}"]["lost"]) for k in (0, 8, 16)]
    assert lost[0] > lost[1] > lost[2]


def test_scale_never_exceeds_float16_range_for_long():
    # The scaler only keeps a scale after a good step: the peak is below 2**30.
    results = measured(snippet.__name__, 0)
    assert results["largest_scale"] <= 2.0**30
    assert results["runs"]["scaled"]["scale"][0] == 2.0**16


def test_without_scaling_the_first_layer_never_gets_a_gradient():
    assert measured(snippet.__name__, 0)["runs"]["float16"]["first_layer_lost"] == 1.0
