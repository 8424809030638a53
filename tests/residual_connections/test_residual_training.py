"""Tests for snippets/residual_connections/residual_training.py."""

import pytest
import torch

from book.testing import measured
from snippets.residual_connections import residual_training as snippet


def test_plain_weight_gradients_are_decades_smaller_at_initialisation():
    assert measured(snippet.__name__, 0)["grad_gap_decades"] > 5


def test_baseline_is_the_target_variance():
    from snippets.residual_connections.residual_training import make_data

    from snippets.common import generator

    _, targets = make_data(512, 8, generator(0))
    assert measured(snippet.__name__, 0)["baseline_mse"] == pytest.approx(float(targets.var(unbiased=False)), rel=1e-5)


# ------------------------------------------------ the batched program against one network at a time


def _one_at_a_time(model, inputs, targets, order, lr, steps):
    """The plain reference: one nn.Sequential, torch.optim.SGD, one mini-batch after another."""
    from torch import nn

    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    hidden = [m for m in model[1].modules() if isinstance(m, nn.Linear)] if isinstance(model[1], nn.Sequential) \
        else [m for m in model if isinstance(m, nn.Linear)][1:-1]
    losses, first_grads = [], None
    for step, rows in enumerate(order[:steps]):
        loss = nn.functional.mse_loss(model(inputs[rows]), targets[rows])
        optimiser.zero_grad()
        loss.backward()
        if step == 0:
            first_grads = [float(m.weight.grad.norm()) for m in hidden]
        optimiser.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        final = float(nn.functional.mse_loss(model(inputs), targets))
    return losses, first_grads, final


def _he_plain_model(weights, k):
    """Member k of he_plain_weights() as the nn.Sequential it stands for: Linear, [ReLU, Linear] × L, ReLU, Linear."""
    from torch import nn

    def linear(weight_t, bias=None):
        layer = nn.Linear(*weight_t.shape, bias=bias is not None).double()
        with torch.no_grad():
            layer.weight.copy_(weight_t.T)
            if bias is not None:
                layer.bias.copy_(bias.reshape(-1))
        return layer

    layers = [linear(weights[0][k], weights[1][k])]
    for w in weights[2:-2]:
        layers += [nn.ReLU(), linear(w[k])]
    return nn.Sequential(*layers, nn.ReLU(), linear(weights[-2][k], weights[-1][k]))


def test_batched_ensemble_computes_what_each_network_computes_alone():
    """Four networks (plain, residual twin, two He-initialised plain ones at two learning rates and
    step counts) trained as one batched program in float64 give each network's losses, step-0
    weight gradients and final error as its own nn.Sequential and torch.optim.SGD give them."""
    from snippets.common import generator

    blocks, width, dim, samples, batch = 3, 8, 4, 48, 8
    rng = generator(3)
    inputs, targets = snippet.make_data(samples, dim, rng)
    inputs, targets = inputs.double(), targets.double()
    order = torch.randint(0, samples, (8, batch), generator=rng)
    twins = {kind: model.double() for kind, model in snippet.default_twins(blocks, width, dim, seed=3).items()}
    he = [w.double() for w in snippet.he_plain_weights(2, 2 * blocks, width, dim, generator(4))]
    members = [("plain", 0.05, 5), ("residual", 0.05, 5), ("plain_he", 0.05, 5), ("plain_he", 0.01, 8)]
    stacked = snippet.stack_models(list(twins.values()))
    params = [torch.cat([t, h]).requires_grad_() for t, h in zip(stacked, he)]
    wiring = [torch.tensor([snippet.WIRING[kind][i] for kind, *_ in members]).view(-1, 1, 1) for i in range(3)]
    batched = snippet.train_ensemble(params, wiring, [lr for _, lr, _ in members],
                                     torch.tensor([n for *_, n in members]), inputs, targets, order)

    references = [twins["plain"], twins["residual"], _he_plain_model(he, 0), _he_plain_model(he, 1)]
    for k, (model, (kind, lr, steps)) in enumerate(zip(references, members)):
        losses, first_grads, final = _one_at_a_time(model, inputs, targets, order, lr, steps)
        assert batched["losses"][:steps, k].tolist() == pytest.approx(losses, rel=1e-12), kind
        assert batched["losses"][steps:, k].isnan().all()  # the member left after its steps
        assert batched["first_grads"][k].tolist() == pytest.approx(first_grads, rel=1e-12), kind
        assert float(batched["final_mse"][k]) == pytest.approx(final, rel=1e-12), kind
    # the losses fell: the comparison is of training, not of networks standing still
    assert (batched["losses"][4, :2] < batched["losses"][0, :2]).all()


def test_stacked_sgd_is_bit_identical_to_torch_sgd_in_float32():
    """Member by member, sgd_momentum_ gives the very bits torch.optim.SGD gives (so a chaotic
    run follows the same trajectory batched as alone)."""
    from snippets.common import generator

    rng = generator(5)
    weights = torch.randn(3, 6, 5, generator=rng)
    rates = [0.05, 0.05, 0.01]
    stacked, buffers = weights.clone(), [torch.zeros(3, 6, 5)]
    singles = [torch.nn.Parameter(weights[k].clone()) for k in range(3)]
    optimisers = [torch.optim.SGD([p], lr=lr, momentum=0.9) for p, lr in zip(singles, rates)]
    for _ in range(4):
        grads = torch.randn(3, 6, 5, generator=rng) * 10
        snippet.sgd_momentum_([stacked], [grads], buffers, rates, 0.9)
        for k, (p, optimiser) in enumerate(zip(singles, optimisers)):
            p.grad = grads[k].clone()
            optimiser.step()
    for k, p in enumerate(singles):
        assert torch.equal(stacked[k], p.detach())
