"""Tests for snippets/pretraining/greedy_pretraining.py."""

import torch

from book.testing import measured
from snippets.common import generator
from snippets.pretraining import greedy_pretraining as snippet


def test_random_and_pretrained_start_from_the_same_weights():
    x, _ = snippet.make_task(generator(0), 64)
    arms, _ = snippet.build_arms(3, 8, 16, x, 0, 1e-2, seed=0)  # zero pretraining steps
    for a, b in zip(arms["random"].parameters(), arms["pretrained"].parameters()):
        assert torch.equal(a, b)


def test_pretraining_changes_only_the_hidden_layers():
    x, _ = snippet.make_task(generator(0), 64)
    arms, errors = snippet.build_arms(3, 8, 16, x, 5, 1e-2, seed=0)
    assert len(errors) == 3
    assert torch.equal(arms["random"].head.weight, arms["pretrained"].head.weight)
    assert not torch.equal(arms["random"].layers[0].weight, arms["pretrained"].layers[0].weight)


def test_one_gradient_per_layer():
    results = measured(snippet.__name__, 0)
    for entry in results["by_arm"].values():
        assert len(entry["weight"]) == len(entry["hidden"]) == results["depth"]
