"""What batch normalisation does to a deep sigmoid network, forward and in training

Eight sigmoid layers of width 32 with W ~ N(0, 1/fan_in), with and without BatchNorm between
each linear layer and its sigmoid, learn a synthetic binary classification (labels from a
random two-layer teacher) with SGD and momentum. We record three things:

* at initialisation, how much each layer's sigmoid input varies from example to example
  (its standard deviation over the batch, averaged over units) — without BN it collapses
  with depth, so deep units see nearly the same input for every example;
* during training, the 15th, 50th and 85th percentiles of one unit's sigmoid input in the
  last hidden layer on a fixed probe batch, as in Ioffe & Szegedy's (2015) figure 1;
* the training loss and the held-out accuracy.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, growth_per_layer, init_linear_, new_figure, rounded

# --8<-- [start:measure]
def sigmoid_net(depth: int, width: int, inputs: int, batch_norm: bool, rng: torch.Generator) -> nn.Sequential:
    layers = []
    for index in range(depth):
        linear = nn.Linear(inputs if index == 0 else width, width, bias=not batch_norm)  # BN has its own shift
        init_linear_(linear, "scaled_normal", 1.0, rng)
        layers += [linear, nn.BatchNorm1d(width) if batch_norm else nn.Identity(), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def sigmoid_inputs(model: nn.Sequential, x: torch.Tensor) -> list:
    """The input of every sigmoid, layer by layer, for the batch x."""
    captured, h = [], x
    for module in model:
        if isinstance(module, nn.Sigmoid):
            captured.append(h.detach())
        h = module(h)
    return captured


def probe_without_updating(model: nn.Sequential, x: torch.Tensor) -> list:
    """sigmoid_inputs with BN on the probe batch's own statistics, leaving the running averages alone."""
    norms = [m for m in model if isinstance(m, nn.BatchNorm1d)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 0.0  # running = (1 − momentum) · running + momentum · batch: unchanged
    with torch.no_grad():
        captured = sigmoid_inputs(model, x)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    return captured


def make_task(samples: int, inputs: int, rng: torch.Generator):
    x = torch.randn(samples, inputs, generator=rng)
    teacher_in = torch.randn(inputs, 16, generator=rng)
    teacher_out = torch.randn(16, 1, generator=rng)
    return x, (torch.tanh(x @ teacher_in / math.sqrt(inputs)) @ teacher_out > 0).float()


def measure(depth: int = 8, width: int = 32, inputs: int = 10, train: int = 1536, test: int = 512,
            batch: int = 64, steps: int = 300, lr: float = 0.1, seed: int = 0) -> dict:
    rng = generator(seed)
    x, y = make_task(train + test, inputs, rng)
    order = torch.randint(0, train, (steps, batch), generator=rng)  # the same mini-batches for both
    probe = x[:256]
    majority = float(max(y[train:].mean(), 1 - y[train:].mean()))
    runs = {}
    for name, batch_norm in (("plain", False), ("batch_norm", True)):
        model = sigmoid_net(depth, width, inputs, batch_norm, generator(seed + 1))
        with torch.no_grad():
            at_init = sigmoid_inputs(model, probe)  # training mode: BN uses the batch's statistics
        spread = [float(z.std(dim=0).mean()) for z in at_init]  # variation across examples, per layer
        slope_last = torch.sigmoid(at_init[-1]) * (1 - torch.sigmoid(at_init[-1]))  # sigmoid'(z)
        optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        losses, percentiles = [], []
        for step in range(steps):
            if step % 10 == 0:
                unit = probe_without_updating(model, probe)[-1][:, 0]
                percentiles.append(rounded(np.percentile(unit.numpy(), [15, 50, 85])))
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[order[step]]), y[order[step]])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        model.eval()
        with torch.no_grad():
            accuracy = float(((model(x[train:]) > 0).float() == y[train:]).float().mean())
        runs[name] = {
            "init_spread": rounded(spread),
            "init_spread_last": rounded(spread[-1]),
            "spread_factor_per_layer": rounded(growth_per_layer(spread)),
            # saturation check: the last sigmoid's mean slope (at most 1/4) and the share of
            # its inputs where the slope is below a tenth of that (|z| > 3.6)
            "init_mean_slope_last": rounded(float(slope_last.mean())),
            "init_saturated_fraction_last": rounded(float((slope_last < 0.025).float().mean())),
            "percentiles": percentiles,
            "loss_curve": rounded(np.convolve(losses, np.ones(10) / 10, mode="valid")[::5]),
            "test_accuracy": rounded(accuracy),
            "accuracy_over_majority": rounded(accuracy - majority),
        }
    return {"depth": depth, "width": width, "steps": steps, "lr": lr, "batch": batch,
            "majority_accuracy": rounded(majority), **runs}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    names = {"plain": "without BN", "batch_norm": "with BN"}
    fig, axes = new_figure(ncols=3, width=7.6, height=3.0)
    layers = np.arange(1, results["depth"] + 1)
    for name, label in names.items():
        axes[0].semilogy(layers, results[name]["init_spread"], "o-", label=label)
    axes[0].set(xlabel="layer", ylabel="std over examples of sigmoid input", title="at initialisation")
    axes[0].legend(fontsize=8)
    steps = 10 * np.arange(len(results["plain"]["percentiles"]))
    for name, label in names.items():
        p = np.array(results[name]["percentiles"])
        (line,) = axes[1].plot(steps, p[:, 1], label=label)
        axes[1].fill_between(steps, p[:, 0], p[:, 2], color=line.get_color(), alpha=0.2, lw=0)
    axes[1].set(xlabel="SGD step", ylabel="sigmoid input, last layer, unit 0", title="15th–50th–85th percentile")
    for name, label in names.items():
        curve = results[name]["loss_curve"]
        axes[2].plot(9 + 5 * np.arange(len(curve)), curve, label=label)
    axes[2].set(xlabel="SGD step", ylabel="training loss", title="training")
    alt = (
        "Three panels comparing an eight-layer sigmoid network with and without batch normalisation. First panel: at "
        "initialisation the spread of each layer's sigmoid input across examples falls by orders of magnitude "
        "with depth without BN and stays at one with BN. Second panel: percentile bands of one unit's sigmoid input "
        "over training; without BN the band is a thin line that drifts, with BN it stays wide and near zero. "
        "Third panel: the training loss stays flat at about 0.69 without BN and falls with BN."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "plain_spread_collapses",
        "Without BN, each sigmoid layer shrinks the spread of the next layer's input across examples by "
        "about the sigmoid's slope at zero, ¼: fitted factor per layer at initialisation.",
        lambda r: r["plain"]["spread_factor_per_layer"],
        at_least=0.18,
        at_most=0.26,
    ),
    Claim(
        "plain_not_saturated",
        "Without BN the last sigmoid is not saturated at initialisation: its inputs sit near zero, "
        "where its mean slope is close to the largest possible, ¼.",
        lambda r: r["plain"]["init_mean_slope_last"],
        at_least=0.22,
        at_most=0.25,
    ),
    Claim(
        "no_saturated_inputs",
        "Without BN, the share of the last sigmoid's inputs at initialisation where its slope is "
        "below a tenth of the largest (¼).",
        lambda r: r["plain"]["init_saturated_fraction_last"],
        at_most=0.01,
    ),
    Claim(
        "plain_stays_at_chance",
        "Without BN the network learns nothing in the given steps: held-out accuracy minus the "
        "majority-class accuracy.",
        lambda r: r["plain"]["accuracy_over_majority"],
        at_most=0.05,
    ),
    Claim(
        "batch_norm_trains",
        "With BN the same network, steps and mini-batches reach a high held-out accuracy.",
        lambda r: r["batch_norm"]["test_accuracy"],
        at_least=0.85,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
