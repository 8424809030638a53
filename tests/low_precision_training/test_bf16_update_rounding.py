"""Tests for snippets/low_precision_training/bf16_update_rounding.py."""

import torch

from book.testing import measured
from snippets.low_precision_training import bf16_update_rounding as snippet


def test_half_gap_against_nextafter_in_float64():
    # an independent reference: the neighbours found by stepping the bit pattern
    w = torch.tensor([1.0, 1.5, -1.0, 0.75, 3.0], dtype=torch.bfloat16)
    bits = w.view(torch.int16)
    up = (bits + 1).view(torch.bfloat16).double()  # one step away from zero
    down = (bits - 1).view(torch.bfloat16).double()  # one step toward zero
    away = torch.sign(w.float())
    toward = -away
    assert torch.equal(snippet.half_gap(w, torch.bfloat16, away), (up - w.double()).abs() / 2)
    assert torch.equal(snippet.half_gap(w, torch.bfloat16, toward), (w.double() - down).abs() / 2)


def test_bf16_threshold_is_eight_bits():
    assert snippet.stored_mantissa_bits(torch.bfloat16) == 7
    assert snippet.stored_mantissa_bits(torch.float16) == 10
    one = torch.tensor([1.0], dtype=torch.bfloat16)
    # just below half an ulp above 1 is lost, just above is kept
    assert snippet.apply_update(one, torch.tensor([2.0**-8 * 0.99]), torch.bfloat16) == one
    assert snippet.apply_update(one, torch.tensor([2.0**-8 * 1.01]), torch.bfloat16) != one


def test_loss_share_falls_monotonically_for_bf16():
    lost = measured(snippet.__name__, 0)["by_format"]["bfloat16"]["share_lost"]
    assert all(a >= b for a, b in zip(lost, lost[1:]))
