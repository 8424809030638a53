"""Tests for snippets/batch_norm/bn_gradient_explosion.py."""

import pytest

from book.testing import measured
from snippets.batch_norm import bn_gradient_explosion as snippet


def test_factor_falls_as_batch_grows():
    results = measured(snippet.__name__, 0)
    factors = [results["by_batch"][f"batch_{b}"]["plain_bn"]["factor_per_layer"] for b in results["batches"]]
    assert factors == sorted(factors, reverse=True)


def test_without_bn_the_weight_gradients_stay_level():
    entry = measured(snippet.__name__, 0)["by_batch"]["batch_32"]["plain_no_bn"]
    assert entry["factor_per_layer"] == pytest.approx(1.0, abs=0.05)


def test_forward_signal_is_normalised():
    import torch

    model = snippet.bn_mlp(5, 16, seed=0)
    x = torch.randn(64, 16) * 30
    pre_activation = model[:4](x)  # through four blocks, then the fifth block's BN output
    out = model[4][1](model[4][0](pre_activation))
    assert out.std(dim=0, unbiased=False).mean().item() == pytest.approx(1.0, abs=1e-3)
