"""Tests for snippets/clipping_regularisation/rnn_clipping_training.py."""

import math

import pytest
import torch
from torch import nn

from book.testing import measured
from snippets.clipping_regularisation import rnn_clipping_training as snippet
from snippets.common import generator


def test_recurrent_matrix_has_the_requested_spectral_radius():
    rnn, _ = snippet.tanh_rnn(16, 2.0, generator(0))
    radius = torch.linalg.eigvals(rnn.weight_hh_l0.detach()).abs().max()
    assert float(radius) == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("max_norm", [None, 0.5])
def test_ensemble_training_equals_nn_rnn_with_clip_grad_norm(max_norm):
    """Each run of the batched ensemble computes what its own nn.RNN + clip_grad_norm_ + SGD would."""
    torch.manual_seed(0)
    rng = generator(3)
    models = [snippet.tanh_rnn(8, 1.5, rng) for _ in range(3)]
    params = snippet.stack_ensemble(models)
    x, y = torch.randn(3, 20, 6, 4, dtype=torch.float32), torch.randn(3, 20, 1)
    order = [torch.randint(0, 20, (3, 5)) for _ in range(4)]
    batched = snippet.train_ensemble(params, x, y, order, lr=0.1, max_norm=max_norm)
    for k, (rnn, head) in enumerate(models):
        weights = list(rnn.parameters()) + list(head.parameters())
        optimiser = torch.optim.SGD(weights, lr=0.1)
        for step, index in enumerate(order):
            out, _ = rnn(x[k, index[k]])
            loss = nn.functional.mse_loss(head(out[:, -1]), y[k, index[k]])
            optimiser.zero_grad()
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(weights, max_norm if max_norm is not None else math.inf)
            optimiser.step()
            assert float(batched["losses"][k, step]) == pytest.approx(float(loss), rel=1e-4)
            assert float(batched["grad_norms"][k, step]) == pytest.approx(float(norm), rel=1e-4)
        assert torch.allclose(params["w_hh"][k], rnn.weight_hh_l0.T, atol=1e-5)


def test_a_run_that_blows_up_is_counted_and_frozen():
    losses = torch.tensor([[1.0, 2.0, math.inf, math.inf], [1.0, 0.5, 0.4, 0.3], [1.0, 500.0, 0.9, 0.9]])
    summary = snippet.summarise_runs(losses, torch.ones_like(losses), None, blow_up=100.0)
    assert summary["blew_up"] == 2 and summary["finished_runs"] == 1
    assert summary["curves"][0] == [1.0, 2.0]


def test_all_arms_start_from_the_same_networks():
    arms = measured(snippet.__name__, 0)["arms"]
    firsts = {name: [curve[0] for curve in arm["curves"]] for name, arm in arms.items()}
    assert firsts["unclipped"] == firsts["clipped"] == firsts["small_lr"]
