"""Tests for snippets/width_depth_scaling/lr_transfer.py."""

import numpy as np
import torch

from book.testing import measured
from snippets.width_depth_scaling import lr_transfer as snippet
from snippets.width_depth_scaling._mlp import BatchedAdam, forward, init_weights, lr_multipliers


def test_each_learning_rate_trains_as_if_alone():
    # The sweep trains all rates side by side from one initial draw; each must be what a
    # single network trained alone at that rate computes.
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    y = torch.randn(6, 1, generator=torch.Generator().manual_seed(1))
    lrs = torch.tensor([1e-3, 1e-2])
    together = snippet.final_losses(10, "muP", x, y, lrs, steps=7, base_width=5, seed=3)
    for i, lr in enumerate(lrs):
        start = init_weights(10, 4, 2, 1, "muP", 5, torch.Generator().manual_seed(3 * 7919 + 10))
        optimiser = BatchedAdam(start, lr.reshape(1), lr_multipliers(10, 2, "muP", 5))
        history = []
        for _ in range(7):
            loss = (forward(start, x.unsqueeze(0))[-1] - y).pow(2).mean()
            loss.backward()
            optimiser.step()
            history.append(float(loss.detach()))
        assert np.isclose(together[i], np.mean(history[-5:]), rtol=1e-5)


def test_vertex_finds_a_parabolas_minimum_between_grid_points():
    k = np.array(snippet.LOG2_LRS, dtype=float)
    assert np.isclose(snippet.vertex((k + 6.3) ** 2), -6.3)
    assert snippet.vertex(k) == snippet.LOG2_LRS[0]  # at the grid's end: the end


def test_every_width_has_a_best_rate_on_the_grid():
    r = measured(snippet.__name__, 0)
    for parametrisation in ("SP", "muP"):
        assert len(r[parametrisation]["best_log2_lr"]) == len(r["widths"])
        assert all(k in snippet.LOG2_LRS for k in r[parametrisation]["best_log2_lr"])
