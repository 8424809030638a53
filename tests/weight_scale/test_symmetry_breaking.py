"""Tests for snippets/weight_scale/symmetry_breaking.py."""

import torch
from torch import nn
from torch.nn import functional as F

from book.testing import measured
from snippets.common import generator
from snippets.weight_scale import symmetry_breaking as snippet


def one_member(params, k: int, relu: bool) -> nn.Sequential:
    """Member k of the stacked ensemble as an ordinary nn.Sequential."""
    act = nn.ReLU if relu else nn.Tanh
    layers = [nn.Linear(8, 32), act(), nn.Linear(32, 32), act(), nn.Linear(32, 4)]
    with torch.no_grad():
        for layer, w, b in zip(layers[::2], params[0::2], params[1::2]):
            layer.weight.copy_(w[k].T)
            layer.bias.copy_(b[k, 0])
    return nn.Sequential(*layers)


def test_the_batched_program_trains_each_member_as_its_own_optimiser_would():
    rng = generator(3)
    inputs, labels = snippet.make_task(256, 8, 4, rng)
    params, members = snippet.init_members(8, 32, 4, rng)
    singles = [one_member(params, k, act == "relu") for k, (_, act) in enumerate(members)]
    params = [p.clone().requires_grad_() for p in params]
    is_relu = torch.tensor([act == "relu" for _, act in members]).view(-1, 1, 1)
    batched_opt = torch.optim.Adam(params, lr=0.01)
    single_opts = [torch.optim.Adam(m.parameters(), lr=0.01) for m in singles]
    for rows in torch.randint(0, 256, (5, 32), generator=rng):
        out = snippet.forward(params, is_relu, inputs[rows])
        loss = F.cross_entropy(out.reshape(-1, 4), labels[rows].repeat(len(members)), reduction="none").view(len(members), -1).mean(1)
        batched_opt.zero_grad()
        loss.sum().backward()
        batched_opt.step()
        for model, opt in zip(singles, single_opts):
            opt.zero_grad()
            F.cross_entropy(model(inputs[rows]), labels[rows]).backward()
            opt.step()
    for k, model in enumerate(singles):
        torch.testing.assert_close(params[2][k].detach(), model[2].weight.detach().T, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(params[4][k].detach(), model[4].weight.detach().T, rtol=1e-4, atol=1e-5)


def test_row_spread_is_zero_for_equal_rows_and_sees_one_changed_weight():
    weights = torch.full((1, 5, 3), 0.2)
    assert float(snippet.row_spread(weights)[0]) == 0
    weights[0, 2, 1] += 1e-6  # one unit's weight from one input nudged
    assert float(snippet.row_spread(weights)[0]) > 0
    assert float(snippet.row_spread(torch.zeros(1, 5, 3))[0]) == 0


def test_the_zero_networks_stay_at_the_majority_class_and_constant_ones_move():
    results = measured(snippet.__name__, 0)
    assert results["zero_hidden_weights"] == 0  # never left zero
    assert results["constant_moved"] > 0.1  # the constant weights did train, symmetrically
    assert results["zero_best_accuracy"] < results["chance"] + 0.05
