"""Tests for snippets/width_depth_scaling/coordinate_check.py (and the shared _mlp.py)."""

import torch
from torch import nn

from book.testing import measured
from snippets.width_depth_scaling import coordinate_check as snippet
from snippets.width_depth_scaling._mlp import (BatchedAdam, forward, init_weights,
                                               lr_multipliers, regression_batch)


def one_network(weights, member):
    """Member ``member`` of the stacked weights as an ordinary nn.Sequential of nn.Linear."""
    layers = []
    for i, w in enumerate(weights):
        linear = nn.Linear(*w.shape[1:], bias=False)
        with torch.no_grad():
            linear.weight.copy_(w[member].T)
        layers += [linear] + ([nn.ReLU()] if i < len(weights) - 1 else [])
    return nn.Sequential(*layers)


def test_batched_adam_trains_each_network_as_torch_adam_alone():
    # Reference: each network alone, nn.Linear layers and torch.optim.Adam with one
    # parameter group per layer at lr · multiplier (μP's per-layer rates).
    x, y = regression_batch(8, 5, torch.Generator().manual_seed(0))
    for parametrisation in ("SP", "muP"):
        weights = init_weights(12, 5, 2, 3, parametrisation, 4, torch.Generator().manual_seed(1))
        models = [one_network(weights, m) for m in range(3)]
        lrs, multipliers = torch.tensor([1e-3, 1e-2, 3e-2]), lr_multipliers(12, 2, parametrisation, 4)
        optimiser = BatchedAdam(weights, lrs, multipliers)
        references = [
            torch.optim.Adam([{"params": [layer.weight], "lr": float(lr) * k}
                              for layer, k in zip(model[0::2], multipliers)])
            for model, lr in zip(models, lrs)
        ]
        for _ in range(4):
            (forward(weights, x.expand(3, -1, -1))[-1] - y).pow(2).mean((1, 2)).sum().backward()
            optimiser.step()
            for model, reference in zip(models, references):
                reference.zero_grad()
                (model(x) - y).pow(2).mean().backward()
                reference.step()
        for m, model in enumerate(models):
            for w, layer in zip(weights, model[0::2]):
                assert torch.allclose(w[m].T, layer.weight, atol=1e-6)


def test_mup_differs_from_sp_only_in_readout_init_and_rates():
    sp = init_weights(256, 4, 2, 1, "SP", 64, torch.Generator().manual_seed(0))
    mup = init_weights(256, 4, 2, 1, "muP", 64, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(sp[:-1], mup[:-1]))
    assert torch.allclose(mup[-1], sp[-1] * (64 / 256) ** 0.5)  # variance ∝ 1/n²
    assert lr_multipliers(256, 2, "muP", 64) == [1.0, 0.25, 0.25]
    assert lr_multipliers(64, 2, "muP", 64) == lr_multipliers(64, 2, "SP", 64)


def test_no_learning_rate_no_change():
    # The changes are measured against the initial outputs: at η = 0 they are exactly 0.
    x, y = regression_batch(8, 5, torch.Generator().manual_seed(0))
    still = snippet.coordinate_check(16, "SP", x, y, networks=2, steps=2, lr=0.0, base_width=16, seed=0)
    moved = snippet.coordinate_check(16, "SP", x, y, networks=2, steps=2, lr=1e-2, base_width=16, seed=0)
    assert still["change"] == [[0.0] * 3] * 2 and still["readout_update"] == [0.0] * 2
    assert all(c > 0 for c in moved["change"][-1]) and moved["readout_update"][-1] > 0


def test_sp_change_grows_and_mup_change_does_not():
    r = measured(snippet.__name__, 0)
    sp, mup = r["SP"]["change"][-1][1], r["muP"]["change"][-1][1]  # hidden layer, last step
    assert sp[-1] > 3 * sp[0]
    assert max(mup) < 1.5 * min(mup)
