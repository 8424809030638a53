"""Tests for snippets/low_precision_training/fp8_gradients.py."""

import torch

from book.testing import measured
from snippets.low_precision_training import fp8_gradients as snippet


def test_formats_are_what_the_page_says():
    assert torch.finfo(torch.float8_e4m3fn).max == 448
    assert torch.finfo(torch.float8_e5m2).max == 57344
    results = measured(snippet.__name__, 0)
    assert results["smallest_subnormal"] == {"e4m3": 2.0**-9, "e5m2": 2.0**-16}


def test_round_trip_counts_a_known_tensor():
    # 1e-4 is below e4m3's smallest subnormal (2^-9) and rounds to zero; 1 and 0.5 do not
    g = torch.tensor([1e-4, 0.5, 1.0, 1e-4])
    row = snippet.round_trip(g, torch.float8_e4m3fn, scaled=False)
    assert row["underflow"] == 0.5 and row["saturated"] == 0.0
    scaled = snippet.round_trip(g, torch.float8_e4m3fn, scaled=True)
    assert scaled["underflow"] == 0.0  # 1e-4 · 448 is well inside e4m3's range


def test_scaling_helps_wherever_entries_underflow():
    # where nothing underflows, both are limited by the mantissa alone (equal to a few %)
    cases = measured(snippet.__name__, 0)["by_case"]
    for name in ("e4m3", "e5m2"):
        raw = cases[f"{name}_unscaled"]
        for lost, error, scaled in zip(raw["underflow"], raw["relative_error"],
                                       cases[f"{name}_scaled"]["relative_error"]):
            if lost > 0.01:
                assert scaled < error
            else:
                assert abs(scaled - error) < 0.1 * error


def test_a_rounded_scale_can_land_above_the_largest_number_and_is_brought_back():
    # what the page says "may" happen: s = 448 / amax rounded in float32, amax · s > 448
    for amax in torch.linspace(0.5, 1.0, 2001):
        if float(amax * (448.0 / amax)) > 448.0:
            break
    else:
        raise AssertionError("no amax in the range lands above 448 after scaling")
    g = torch.stack([amax, amax / 3])
    row = snippet.round_trip(g, torch.float8_e4m3fn, scaled=True)
    assert row["just_above"] == 1 and row["saturated"] == 0.0 and row["finite"]
