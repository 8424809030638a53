"""Tests for snippets/weight_scale/initial_loss.py."""

import math

import torch
from torch import nn
from torch.nn import functional as F

from book.testing import measured
from snippets.common import generator
from snippets.weight_scale import initial_loss as snippet


def one_member(params, k: int) -> nn.Sequential:
    layers = [nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)]
    with torch.no_grad():
        for layer, w, b in zip(layers[::2], params[0::2], params[1::2]):
            layer.weight.copy_(w[k].T)
            layer.bias.copy_(b[k, 0])
    return nn.Sequential(*layers)


def test_the_batched_program_computes_what_one_model_at_a_time_computes():
    rng = generator(5)
    inputs, labels = snippet.make_task(10, 128, 16, rng)
    params = snippet.init_classifiers(2, 10, 16, 64, rng)
    singles = [one_member(params, k) for k in range(len(params[0]))]
    # before any step: the batched losses are the models' own, against a float64 reference
    batched = snippet.member_losses(params, inputs, labels)
    for k, model in enumerate(singles):
        assert abs(float(batched[k]) - float(F.cross_entropy(model(inputs), labels))) < 1e-5
        double = model.double()
        reference = F.cross_entropy(double(inputs.double()), labels)
        assert abs(float(batched[k]) - float(reference)) < 1e-5 * float(reference)
        model.float()
    # a few Adam steps: each member as its own optimiser would train it
    params = [p.clone().requires_grad_() for p in params]
    optimizer = torch.optim.Adam(params, lr=0.003)
    single_opts = [torch.optim.Adam(m.parameters(), lr=0.003) for m in singles]
    for rows in torch.randint(0, 128, (5, 32), generator=rng):
        optimizer.zero_grad()
        snippet.member_losses(params, inputs[rows], labels[rows]).sum().backward()
        optimizer.step()
        for model, opt in zip(singles, single_opts):
            opt.zero_grad()
            F.cross_entropy(model(inputs[rows]), labels[rows]).backward()
            opt.step()
    for k, model in enumerate(singles):
        torch.testing.assert_close(params[4][k].detach(), model[4].weight.detach().T, rtol=1e-4, atol=1e-5)


def test_the_heads_share_their_hidden_layers_and_the_zero_head_gives_ln_c():
    params = snippet.init_classifiers(3, 10, 16, 64, generator(0))
    assert torch.equal(params[0][0], params[0][3]) and torch.equal(params[2][1], params[2][7])
    results = measured(snippet.__name__, 0)
    for c in results["classes"]:
        for loss in results["initial"][f"c{c}"]["zero"]["losses"]:
            assert abs(loss - math.log(c)) < 1e-5


def test_the_over_confident_runs_reach_ln_c_later_than_the_default_ones():
    training = measured(snippet.__name__, 0)["training"]
    assert min(training["randn"]["steps_to_ln_c"]) > max(training["default"]["steps_to_ln_c"])
