"""LayerNorm against BatchNorm: no coupling across the batch, no explosion with depth

BatchNorm standardises each unit over the examples of a batch; LayerNorm standardises
each example over its units. Two consequences, measured here on plain (no skip
connection) deep networks of blocks Linear → norm → ReLU, He-initialised, width 64:

* coupling: we change every example of a batch except the first and measure how much the
  first example's output moves. Under BatchNorm it moves; under LayerNorm it cannot;
* gradients at initialisation: the batch-norm chapter found that BatchNorm makes the
  weight gradients of a plain deep network grow geometrically toward the input. With
  LayerNorm in the same place they stay level.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import (
    Claim,
    generator,
    gradient_factor_per_layer,
    init_linear_,
    layer_gradient_norms,
    new_figure,
    rounded,
)

# --8<-- [start:measure]
BATCHES = (4, 16, 64)
NORMS = {
    "batch": nn.BatchNorm1d,
    "layer": nn.LayerNorm,
    "none": lambda width: nn.Identity(),
}


def plain_net(depth: int, width: int, norm: str, seed: int) -> nn.Sequential:
    rng = generator(seed)
    blocks = []
    for _ in range(depth):
        linear = nn.Linear(width, width, bias=False)
        init_linear_(linear, "he", 1.0, rng)
        blocks.append(nn.Sequential(linear, NORMS[norm](width), nn.ReLU()))
    return nn.Sequential(*blocks)


def first_example_shift(model: nn.Module, batch: int, width: int, rng) -> float:
    """Relative change of example 0's output when every other example is redrawn."""
    x = torch.randn(batch, width, generator=rng)
    other = x.clone()
    other[1:] = torch.randn(batch - 1, width, generator=rng)
    with torch.no_grad():  # training mode: BatchNorm uses the batch's statistics
        a, b = model(x)[0], model(other)[0]
    return float((a - b).norm() / a.norm())


def measure(
    depth: int = 30,
    width: int = 64,
    batches=BATCHES,
    gradient_batch: int = 32,
    seed: int = 0,
) -> dict:
    rng = generator(seed + 1)
    shift = {
        norm: {
            f"batch_{b}": rounded(
                first_example_shift(plain_net(depth, width, norm, seed), b, width, rng)
            )
            for b in batches
        }
        for norm in ("batch", "layer")
    }
    inputs = torch.randn(gradient_batch, width, generator=rng)
    direction = torch.randn(gradient_batch, width, generator=rng)
    profiles = {}
    for norm in NORMS:
        norms = layer_gradient_norms(
            plain_net(depth, width, norm, seed),
            inputs,
            lambda out: (out * direction).sum() / gradient_batch,
        )
        weight = np.array(norms["weight"])
        profiles[norm] = {
            "weight_grad": rounded(weight / weight[-1]),  # relative to the last layer
            "first_over_last": rounded(weight[0] / weight[-1]),
            "factor_per_layer": rounded(gradient_factor_per_layer(weight[3:-3])),
        }
    return {
        "depth": depth,
        "width": width,
        "batches": list(batches),
        "gradient_batch": gradient_batch,
        "shift": shift,
        "profiles": profiles,
        "layer_max_shift": max(shift["layer"].values()),
        "batch_min_shift": min(shift["batch"].values()),
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.2, height=3.3)
    layers = np.arange(1, results["depth"] + 1)
    labels = {"batch": "BatchNorm", "layer": "LayerNorm", "none": "no norm (He)"}
    for norm, label in labels.items():
        entry = results["profiles"][norm]
        ax.semilogy(
            layers,
            entry["weight_grad"],
            label=f"{label} (×{entry['factor_per_layer']:.2f} per layer)",
        )
    ax.set(
        xlabel="layer l",
        ylabel=r"$\|\partial L/\partial W_l\| \,/\, \|\partial L/\partial W_L\|$",
        title=f"plain Linear → norm → ReLU, batch {results['gradient_batch']}",
    )
    ax.legend(fontsize=9)
    ax.minorticks_off()
    alt = (
        "Log-scale weight-gradient norms per layer relative to the last layer, for "
        "a plain 30-layer network with BatchNorm, with LayerNorm and without "
        "normalisation. The BatchNorm line rises by over two decades toward the "
        "input; the LayerNorm and unnormalised lines stay level near one."
    )
    fig2, ax2 = new_figure(width=6.2, height=3.1)
    batches = results["batches"]
    positions = np.arange(len(batches))
    bn = [results["shift"]["batch"][f"batch_{b}"] for b in batches]
    ln = [results["shift"]["layer"][f"batch_{b}"] for b in batches]
    ax2.bar(positions - 0.2, bn, 0.4, label="BatchNorm")
    ax2.bar(positions + 0.2, ln, 0.4, label="LayerNorm (0 — no bar)")
    ax2.set_xticks(positions, [f"batch {b}" for b in batches])
    ax2.set(
        ylabel="relative change of example 0's output",
        title="the other examples of the batch are redrawn",
    )
    ax2.legend(fontsize=9)
    alt2 = (
        "Bar chart at batch sizes 4, 16 and 64 of how much the first example's "
        "output changes, relative to its size, when every other example of the "
        "batch is replaced. With BatchNorm it changes by about as much as its own "
        "size at every batch size; with LayerNorm it does not change at all."
    )
    return {"gradients": (fig, alt), "coupling": (fig2, alt2)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "layernorm_ignores_the_batch",
        "Under LayerNorm, redrawing every other example of the batch leaves the first "
        "example's output unchanged (largest relative change over batch sizes [[setup.batches.0]], "
        "[[setup.batches.1]], [[setup.batches.2]]).",
        lambda r: r["layer_max_shift"],
        at_most=1e-6,
        fmt=".1e",
    ),
    Claim(
        "batchnorm_couples_the_batch",
        "Under BatchNorm the first example's output changes by a large fraction of its "
        "size (smallest relative change over the batch sizes).",
        lambda r: r["batch_min_shift"],
        at_least=0.3,
        fmt=".2f",
    ),
    Claim(
        "batchnorm_plain_net_explodes",
        "In the plain [[setup.depth]]-layer network with BatchNorm the first layer's weight gradient"
        " is over [[at_least|g]] times the last layer's.",
        lambda r: r["profiles"]["batch"]["first_over_last"],
        at_least=100,
        fmt=".3g",
    ),
    Claim(
        "layernorm_plain_net_stays_level",
        "With LayerNorm in the same place, the same ratio stays between [[at_least|g]] and [[at_most|g]] — "
        "level up to finite-width noise, where BatchNorm's is in the hundreds.",
        lambda r: r["profiles"]["layer"]["first_over_last"],
        at_least=0.1,
        at_most=10,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
