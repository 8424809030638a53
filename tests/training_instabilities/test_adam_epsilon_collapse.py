"""Tests for snippets/training_instabilities/adam_epsilon_collapse.py."""

import torch

from book.testing import measured
from snippets.training_instabilities import adam_epsilon_collapse as snippet
from snippets.common import adam_step
from snippets.training_instabilities._model import BETAS


def test_constant_gradient_update_is_g_over_g_plus_eps():
    """The derivation's formula, |u| = |g| / (|g| + ε), for a gradient that never changes."""
    g = torch.tensor([[1e-6], [1e-8], [1e-10]], dtype=torch.float64)
    p = torch.zeros(3, 1, dtype=torch.float64)
    state = [(torch.zeros_like(p), torch.zeros_like(p))]
    eps = torch.full((3,), 1e-8, dtype=torch.float64)
    for step in range(1, 6):
        (update,) = adam_step([p], [g], state, torch.zeros(3, dtype=torch.float64), step, BETAS, eps)
    assert torch.allclose(update, g / (g.abs() + 1e-8), rtol=1e-9)


def test_every_scale_starts_from_the_same_loss():
    results = measured(snippet.__name__, 0)
    assert results["loss_curves"][0][0] == results["loss_curves"][-1][0]
