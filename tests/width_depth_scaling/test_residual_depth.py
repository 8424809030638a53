"""Tests for snippets/width_depth_scaling/residual_depth.py."""

import math

import torch
from torch import nn

from book.testing import measured
from snippets.width_depth_scaling import residual_depth as snippet


def test_stacked_stream_is_each_network_run_alone():
    # Reference: one network at a time, nn.Linear and nn.LayerNorm, float64.
    g = torch.Generator().manual_seed(0)
    networks, depth, d = 3, 5, 6
    x0 = torch.randn(networks, 4, d, generator=g)
    w1, w2 = torch.randn(depth, networks, d, d, generator=g), torch.randn(depth, networks, d, d, generator=g) / 3
    for layer_norm in (True, False):
        measured_sizes = snippet.stream_rms(x0, w1, w2, 0.5, layer_norm)
        squares = torch.zeros(depth + 1, dtype=torch.float64)
        for n in range(networks):
            x = x0[n].double()
            squares[0] += x.pow(2).sum()
            for l in range(depth):
                first, second = nn.Linear(d, d, bias=False).double(), nn.Linear(d, d, bias=False).double()
                with torch.no_grad():
                    first.weight.copy_(w1[l, n].T)
                    second.weight.copy_(w2[l, n].T)
                norm = nn.LayerNorm(d, elementwise_affine=False).double()
                h = norm(x) if layer_norm else x
                x = x + 0.5 * second(torch.relu(first(h)))
                squares[l + 1] += x.pow(2).sum()
        reference = (squares / (networks * 4 * d)).sqrt()
        assert torch.allclose(torch.tensor(measured_sizes, dtype=torch.float64), reference, rtol=1e-4)


def test_branch_multipliers():
    assert snippet.branch_multiplier("gpt2", 8) == 0.25
    assert snippet.branch_multiplier("depth_mup", 16) == 0.25
    assert snippet.branch_multiplier("unscaled", 64) == 1.0


def test_preln_unscaled_stream_follows_the_variance_sum():
    # Each pre-LN branch adds variance ≈ 1 (He in, 1/√d out): RMS² ≈ 1 + L.
    r = measured(snippet.__name__, 0)
    for L, size in zip(r["depths"], r["pre_ln"]["top"]["unscaled"]):
        assert math.isclose(size, math.sqrt(1 + L), rel_tol=0.25)
