"""Tests for snippets/weight_scale/forward_histograms.py."""

import numpy as np

from book.testing import measured
from snippets.weight_scale import forward_histograms as snippet


def test_histograms_are_distributions():
    results = measured(snippet.__name__, 0)
    for entry in results["by_scale"].values():
        sums = np.array(entry["histograms"]).sum(axis=1)
        assert np.allclose(sums, 1, atol=1e-3)
        assert len(sums) == results["depth"]


def test_small_scale_spread_shrinks_like_sigma_power():
    # Deep in the σ_w = 0.5 network tanh is linear, so the spread halves at each layer.
    std = measured(snippet.__name__, 0)["by_scale"]["small"]["std"]
    ratios = np.array(std[11:]) / np.array(std[10:-1])
    assert np.allclose(ratios, 0.5, rtol=0.1)
