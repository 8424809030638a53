"""Tests for snippets/batch_norm/bn_sigmoid_training.py."""

import pytest

from book.testing import measured
from snippets.batch_norm import bn_sigmoid_training as snippet


def test_batch_norm_keeps_unit_spread_at_every_layer():
    # In training mode BN normalises each unit over the batch: its std (biased → unbiased) is ~1.
    spread = measured(snippet.__name__, 0)["batch_norm"]["init_spread"]
    assert all(value == pytest.approx(1.0, abs=0.01) for value in spread)


def test_plain_percentile_band_is_thin():
    # Without BN the last layer's unit sees nearly the same input for every example.
    results = measured(snippet.__name__, 0)
    low, _, high = results["plain"]["percentiles"][-1]
    low_bn, _, high_bn = results["batch_norm"]["percentiles"][-1]
    assert high - low < 0.01 * (high_bn - low_bn)


def test_probe_leaves_running_statistics_alone():
    import torch

    from snippets.common import generator

    model = snippet.sigmoid_net(3, 8, 4, True, generator(0))
    before = [m.running_mean.clone() for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    snippet.probe_without_updating(model, torch.randn(32, 4) + 5)
    after = [m.running_mean for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
