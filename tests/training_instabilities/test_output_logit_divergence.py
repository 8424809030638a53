"""Tests for snippets/training_instabilities/output_logit_divergence.py."""

import torch

from book.testing import measured
from snippets.training_instabilities import output_logit_divergence as snippet
from snippets.training_instabilities._model import train


def test_z_loss_leaves_the_first_step_unchanged_but_not_the_second():
    """The z-loss enters the gradient only: the first recorded loss is the same, later ones differ."""
    setup = dict(steps=3, layers=1, d=16, heads=2, vocab=8, half=3, batch=4, seed=0, replicas=1)
    ones = torch.ones(2, dtype=torch.bool)
    record = train(torch.full((2,), 0.05), ones, torch.tensor([0.0, 1.0]), torch.full((2,), 1e-8), **setup)
    assert record["loss"][0, 0] == record["loss"][0, 1]
    assert record["loss"][2, 0] != record["loss"][2, 1]


def test_log_z_starts_near_log_vocabulary():
    results = measured(snippet.__name__, 0)
    assert 2.0 < results["initial_log_z"] < 5.0  # ln 16 ≈ 2.8 plus the logits' spread
