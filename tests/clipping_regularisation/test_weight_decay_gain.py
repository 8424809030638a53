"""Tests for snippets/clipping_regularisation/weight_decay_gain.py."""

import pytest
import torch
from torch import nn

from book.testing import measured
from snippets.clipping_regularisation import weight_decay_gain as snippet


def test_l2_penalty_is_tf_l2_loss_over_weights_only():
    layer = nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[3.0, 4.0]]))
        layer.bias.fill_(10.0)
    assert float(snippet.l2_penalty(layer).detach()) == pytest.approx(12.5)  # (9 + 16) / 2, bias excluded
    assert float(snippet.l1_penalty(layer).detach()) == pytest.approx(7.0)


def test_decay_groups_leave_biases_alone():
    groups = snippet.decay_groups(nn.Linear(3, 2), 0.1)
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    assert [p.dim() for p in groups[0]["params"]] == [2] and [p.dim() for p in groups[1]["params"]] == [1]


def test_decay_strengths_order_the_spectral_norms():
    by_decay = measured(snippet.__name__, 0)["by_decay"]
    norms = [by_decay[k]["final_spectral_norm"] for k in ("none", "weak", "strong")]
    assert norms == sorted(norms, reverse=True)
