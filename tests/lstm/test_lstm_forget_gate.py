"""Tests for snippets/lstm/lstm_forget_gate.py."""

import math

import pytest

from book.testing import measured
from snippets.lstm import lstm_forget_gate as snippet


def test_forget_gates_sit_at_sigmoid_of_the_bias():
    # With small default weights the forget gate's pre-activation is close to its bias.
    results = measured(snippet.__name__, 0)
    for name in ("default", "bias_1", "bias_3"):
        bias = results[name]["forget_bias"]
        assert results[name]["mean_forget_gate"] == pytest.approx(1 / (1 + math.exp(-bias)), abs=0.03)


def test_full_gradient_is_at_least_the_cell_path():
    # The paths through h add to the cell path: the full gradient decays no faster than ∏ f.
    results = measured(snippet.__name__, 0)
    for name in ("default", "bias_1", "bias_3"):
        assert results[name]["log10_grad_at_50"] >= results[name]["log10_cell_path_at_50"] - 0.1


def test_manual_step_matches_pytorch_cell():
    import torch

    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 5)
    x, h, c = torch.randn(2, 3), torch.randn(2, 5), torch.randn(2, 5)
    h_manual, c_manual, _ = snippet.lstm_step(cell, x, h, c)
    h_torch, c_torch = cell(x, (h, c))
    assert torch.allclose(h_manual, h_torch, atol=1e-6) and torch.allclose(c_manual, c_torch, atol=1e-6)
