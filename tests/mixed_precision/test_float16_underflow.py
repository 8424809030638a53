"""Tests for snippets/mixed_precision/float16_underflow.py."""


from book.testing import measured
from snippets.mixed_precision import float16_underflow as snippet


def test_format_limits_are_the_ieee_values():
    results = measured(snippet.__name__, 0)
    assert results["float16_smallest_normal"] == 2.0**-14
    assert results["float16_smallest_subnormal"] == 2.0**-24
    assert results["bfloat16_smallest_normal"] == 2.0**-126


def test_half_of_the_smallest_subnormal_rounds_to_zero():
    import torch

    tiny = snippet.F16_SUBNORMAL
    assert torch.tensor(tiny).half().item() == tiny
    assert torch.tensor(tiny * 0.49).half().item() == 0.0
    assert torch.tensor(tiny * 0.49).bfloat16().item() > 0.0


def test_lost_share_falls_toward_the_output():
    lost = measured(snippet.__name__, 0)["cast_float16_zero"]
    assert lost[0] == 1.0 and lost[-1] == 0.0
    assert all(a >= b for a, b in zip(lost, lost[1:]))


def test_format_bits_and_flush_threshold_are_the_ieee_ones():
    import torch

    from snippets.mixed_precision import float16_underflow as snippet

    assert snippet.format_bits(torch.finfo(torch.float32)) == {"exponent": 8, "mantissa": 23}
    flush = snippet.flushes_below(torch.float16, snippet.F16_SUBNORMAL)
    assert flush["threshold"] == 2.0**-25 and flush["half_is_zero"] and flush["above_is_subnormal"]
    assert snippet.BF16_SUBNORMAL == 2.0**-133
