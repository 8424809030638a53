"""Tests for snippets/training_instabilities/attention_logit_growth.py and the batched model."""

import math

import torch

from book.testing import measured
from snippets.training_instabilities import attention_logit_growth as snippet
from snippets.training_instabilities._model import TinyLM, train

SETUP = dict(steps=12, layers=2, d=16, heads=2, vocab=8, half=3, batch=4, seed=3)


def test_batched_runs_equal_one_at_a_time():
    """Three settings trained side by side equal each trained alone (same initial network)."""
    lr = torch.tensor([0.003, 0.03, 0.01])
    qk = torch.tensor([False, True, False])
    z = torch.tensor([0.0, 0.0, 1e-2])
    eps = torch.tensor([1e-8, 1e-8, 1e-6])
    together = train(lr, qk, z, eps, replicas=1, rms=True, **SETUP)
    for i in range(3):
        alone = train(lr[i:i + 1], qk[i:i + 1], z[i:i + 1], eps[i:i + 1], replicas=1, rms=True, **SETUP)
        for key, values in alone.items():
            assert torch.allclose(torch.from_numpy(together[key][:, i]), torch.from_numpy(values[:, 0]),
                                  rtol=1e-4, atol=1e-6), key


def test_qk_layernorm_caps_logits_even_for_huge_weights():
    model = TinyLM(2, layers=1, d=16, heads=2, vocab=8, length=6, seed=0)
    with torch.no_grad():
        model.blocks[0].wq.mul_(1e3)
        model.blocks[0].wk.mul_(1e3)
    tokens = torch.randint(0, 8, (2, 5, 6), generator=torch.Generator().manual_seed(0))
    _, largest = model(tokens, torch.tensor([True, False]))
    assert largest[0] <= math.sqrt(16 // 2)
    assert largest[1] > 100 * math.sqrt(16 // 2)  # the same weights without it


def test_runs_start_near_chance():
    results = measured(snippet.__name__, 0)
    assert abs(results["initial_loss"] - results["chance_loss"]) < 1.0
