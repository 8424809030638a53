"""Dead ReLU units: at initialisation, and after training at different learning rates

A ReLU unit whose pre-activation is negative for every input passes no gradient at all:
nothing below it learns through it, and its own incoming weights stop changing. We count
such units — "never fires on any of the inputs" — in two settings.

1. At initialisation, per layer of a 20-layer ReLU MLP: PyTorch's default nn.Linear (its
   weights shrink the signal by about √(1/6) per layer, so deep pre-activations are
   dominated by the bias, and a unit with a negative bias is off for every input) against
   He initialisation with zero biases.
2. After 200 Adam steps on a small synthetic regression task, at learning rates from 10⁻³
   to 10⁻¹, for ReLU; and LeakyReLU and ELU at one of the larger rates. The source note says
   a small learning rate partly avoids dying units; this is the check.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import ACTIVATIONS, Claim, generator, new_figure, rounded


def never_fire_fraction(pre_activation: torch.Tensor) -> float:
    """Fraction of units (columns) whose pre-activation is ≤ 0 for every input (row)."""
    return float((pre_activation <= 0).all(dim=0).double().mean())


# --8<-- [start:init]
def dead_at_init(scheme: str, depth: int, width: int, inputs: torch.Tensor, rng: torch.Generator) -> list:
    h, fractions = inputs, []
    for _ in range(depth):
        layer = nn.Linear(width, width)
        with torch.no_grad():
            if scheme == "default":  # what nn.Linear.reset_parameters does, on our generator
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
                layer.bias.uniform_(-1 / math.sqrt(width), 1 / math.sqrt(width), generator=rng)
            else:  # He: N(0, 2/n), zero bias
                layer.weight.normal_(0.0, math.sqrt(2 / width), generator=rng)
                layer.bias.zero_()
            z = layer(h)
        fractions.append(never_fire_fraction(z))
        h = torch.relu(z)
    return fractions
# --8<-- [end:init]


# --8<-- [start:train]
def small_net(activation: str, inputs: int, width: int, depth: int, rng: torch.Generator) -> nn.Sequential:
    """``depth`` hidden layers with nn.Linear's own (default) initialisation, drawn from ``rng``."""
    layers, fan_in = [], inputs
    for _ in range(depth):
        layer = nn.Linear(fan_in, width)
        with torch.no_grad():
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
            layer.bias.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=rng)
        layers += [layer, ACTIVATIONS[activation]()]
        fan_in = width
    head = nn.Linear(fan_in, 1)
    with torch.no_grad():
        nn.init.kaiming_uniform_(head.weight, a=math.sqrt(5), generator=rng)
        head.bias.zero_()
    return nn.Sequential(*layers, head)


def hidden_never_fire(model: nn.Sequential, x: torch.Tensor) -> float:
    """Fraction of all hidden units whose pre-activation is ≤ 0 on every training input."""
    off, total, h = 0.0, 0, x
    with torch.no_grad():
        for module in model[:-1]:
            if isinstance(module, nn.Linear):
                z = module(h)
                off += never_fire_fraction(z) * z.shape[1]
                total += z.shape[1]
            else:
                h = module(z)
    return off / total


def train(activation: str, lr: float, x, y, rng, steps: int, batch: int, width: int, depth: int) -> dict:
    model = small_net(activation, x.shape[1], width, depth, rng)
    before = hidden_never_fire(model, x)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=True)  # fused: same maths, faster
    for _ in range(steps):
        index = torch.randint(0, x.shape[0], (batch,), generator=rng)
        loss = nn.functional.mse_loss(model(x[index]), y[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        final = float(nn.functional.mse_loss(model(x), y))
    return {
        "lr": lr,
        "never_fire_before": rounded(before),
        "never_fire_after": rounded(hidden_never_fire(model, x)),
        "final_loss": rounded(final) if math.isfinite(final) else 1e30,
        "loss_relative": rounded(final / float(y.var())) if math.isfinite(final) else 1e30,
    }
# --8<-- [end:train]


# --8<-- [start:measure]
LEARNING_RATES = (1e-3, 1e-2, 3e-2, 1e-1)


def measure(
    init_depth: int = 20,
    width: int = 64,
    samples: int = 512,
    features: int = 16,
    depth: int = 4,
    steps: int = 200,
    batch: int = 64,
    learning_rates=LEARNING_RATES,
    other_lr: float = 3e-2,
    probes: int = 256,
    seed: int = 0,
) -> dict:
    rng = generator(seed)
    probe = torch.randn(probes, width, generator=rng)
    at_init = {scheme: rounded(dead_at_init(scheme, init_depth, width, probe, rng)) for scheme in ("default", "he")}
    half = init_depth // 2
    # A synthetic regression task: a smooth function of a random projection plus a quadratic term.
    x = torch.randn(samples, features, generator=rng)
    direction = torch.randn(features, generator=rng)
    y = (torch.sin(x @ direction / 2) + 0.5 * (x[:, 0] ** 2 - 1)).unsqueeze(1)
    relu = {f"lr_{i}": train("relu", lr, x, y, rng, steps, batch, width, depth) for i, lr in enumerate(learning_rates)}
    others = {name: train(name, other_lr, x, y, rng, steps, batch, width, depth) for name in ("leaky_relu", "elu")}
    runs = list(relu.values())
    return {
        "init_depth": init_depth,
        "width": width,
        "samples": samples,
        "depth": depth,
        "steps": steps,
        "at_init": at_init,
        "default_deep_dead": rounded(float(np.mean(at_init["default"][half:]))),
        "he_deep_dead": rounded(float(np.mean(at_init["he"][half:]))),
        "deep_dead_default_minus_he": rounded(
            float(np.mean(at_init["default"][half:]) - np.mean(at_init["he"][half:]))
        ),
        "relu": relu,
        "others": others,
        "other_lr": other_lr,
        "relu_at_other_lr": relu[f"lr_{list(learning_rates).index(other_lr)}"],
        "smallest_lr_change": rounded(runs[0]["never_fire_after"] - runs[0]["never_fire_before"]),
        "largest_lr_change": rounded(runs[-1]["never_fire_after"] - runs[-1]["never_fire_before"]),
        "smallest_over_middle_loss": rounded(runs[0]["final_loss"] / runs[1]["final_loss"]),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["init_depth"] + 1)
    left.plot(layers, results["at_init"]["default"], "o-", ms=3, label="PyTorch default (biases U(±1/√n))")
    left.plot(layers, results["at_init"]["he"], "s-", ms=3, label="He, zero biases")
    left.set(xlabel="layer l", ylabel="fraction of units never firing", title="at initialisation", ylim=(-0.02, 1))
    left.legend(fontsize=7)

    runs = list(results["relu"].values())
    lrs = [run["lr"] for run in runs]
    right.semilogx(lrs, [run["never_fire_after"] for run in runs], "o-", label="ReLU, after training")
    right.semilogx(lrs, [run["never_fire_before"] for run in runs], ":", color="0.5", label="ReLU, at initialisation")
    for name, marker in (("leaky_relu", "^"), ("elu", "v")):
        entry = results["others"][name]
        label = {"leaky_relu": "LeakyReLU (still passes 0.01)", "elu": "ELU (still passes exp z)"}[name]
        right.semilogx([entry["lr"]], [entry["never_fire_after"]], marker, ms=7, label=label)
    right.set(xlabel="Adam learning rate", ylabel="fraction never positive", title="after training", ylim=(-0.02, 1))
    right.legend(fontsize=7)
    alt = (
        "First panel: fraction of ReLU units that never fire on 256 random inputs, per layer of a 20-layer network at "
        "initialisation; under PyTorch's default it climbs to about one half within five layers, under He with "
        "zero biases it grows more slowly to about a quarter. Second panel: after 200 Adam steps, the fraction of a "
        "small ReLU network's units that never fire rises steeply with the learning rate, from the initial level "
        "at 0.001 to well over half at 0.1; LeakyReLU and ELU points at one learning rate for comparison."
    )
    return {"dead_units": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "default_init_kills_half_the_deep_units",
        "At initialisation under PyTorch's default, about half the units of the deeper half of its [[setup.init_depth]] layers never fire (mean fraction).",
        lambda r: r["default_deep_dead"],
        at_least=0.38,
        at_most=0.62,
    ),
    Claim(
        "he_init_has_fewer_dead_units",
        "He initialisation with zero biases leaves fewer never-firing units in the deeper half than the default "
        "(difference of the mean fractions).",
        lambda r: r["deep_dead_default_minus_he"],
        at_least=0.1,
    ),
    Claim(
        "large_lr_kills_units",
        "Training at learning rate [[setup.learning_rates.-1|g]] raises the fraction of never-firing units (change from initialisation).",
        lambda r: r["largest_lr_change"],
        at_least=0.4,
    ),
    Claim(
        "small_lr_kills_few_units",
        "Training at learning rate [[setup.learning_rates.0|g]] changes the fraction of never-firing units little (|change| from init).",
        lambda r: abs(r["smallest_lr_change"]),
        at_most=0.06,
    ),
    Claim(
        "small_lr_costs_progress",
        "The small learning rate pays for it: after the same [[setup.steps]] steps its training loss is several times "
        "that at [[setup.learning_rates.1|g]] (ratio).",
        lambda r: r["smallest_over_middle_loss"],
        at_least=1.5,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
