"""Batch normalisation makes gradients explode with depth at initialisation — unless there is a skip connection

A plain deep network of blocks Linear → BatchNorm → ReLU keeps its forward signal at unit
scale by construction, yet its gradients at initialisation grow geometrically toward the
input (Yang et al. 2019). Normalising by statistics of the batch couples the examples, and
the backward pass through every BatchNorm layer amplifies the gradient; for ReLU and large
batches the mean square grows by π/(π − 1) per layer, and smaller batches make it worse.
We measure the per-layer growth of ‖∂L/∂W_l‖ at several batch sizes, in the plain BN network,
in the same network without BN (He initialisation), and in residual blocks with BN inside the
branch.
"""

import math

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
    residual_mlp,
    rounded,
)

# --8<-- [start:measure]
BATCHES = (8, 32, 128)


def bn_mlp(depth: int, width: int, *, batch_norm: bool = True, seed: int = 0) -> nn.Sequential:
    """``depth`` blocks Linear (He, no bias) → BatchNorm1d (or nothing) → ReLU."""
    rng = generator(seed)
    blocks = []
    for _ in range(depth):
        linear = nn.Linear(width, width, bias=False)
        init_linear_(linear, "he", 1.0, rng)
        blocks.append(nn.Sequential(linear, nn.BatchNorm1d(width) if batch_norm else nn.Identity(), nn.ReLU()))
    return nn.Sequential(*blocks)


def measure(depth: int = 50, width: int = 64, batches=BATCHES, seed: int = 0) -> dict:
    """One forward/backward pass (training mode: batch statistics) per network and batch size."""
    by_batch = {}
    for batch in batches:
        rng = generator(seed * 1000 + batch)
        inputs = torch.randn(batch, width, generator=rng)
        direction = torch.randn(batch, width, generator=rng)
        entry = {"batch": batch}
        networks = {
            "plain_bn": bn_mlp(depth, width, seed=seed),
            "plain_no_bn": bn_mlp(depth, width, batch_norm=False, seed=seed),
            "residual_bn": residual_mlp(depth, width, activation="relu", norm="batch", seed=seed),
        }
        for name, model in networks.items():
            norms = layer_gradient_norms(model, inputs, lambda out: (out * direction).sum() / batch)
            weight = np.array(norms["weight"])
            entry[name] = {
                "weight_grad": rounded(weight / weight[-1]),  # ‖∂L/∂W_l‖ relative to the last layer's
                # growth per layer toward the input, fitted away from both ends
                "factor_per_layer": rounded(gradient_factor_per_layer(weight[5:-5])),
                "first_over_last": rounded(weight[0] / weight[-1]),
            }
        by_batch[f"batch_{batch}"] = entry
    largest = by_batch[f"batch_{max(batches)}"]["plain_bn"]["factor_per_layer"]
    theory = math.sqrt(math.pi / (math.pi - 1))
    return {
        "depth": depth,
        "width": width,
        "batches": list(batches),
        "by_batch": by_batch,
        "theory_factor": rounded(theory),
        "large_batch_error": rounded(abs(largest / theory - 1)),
        "small_minus_large": rounded(by_batch[f"batch_{min(batches)}"]["plain_bn"]["factor_per_layer"] - largest),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for entry in results["by_batch"].values():
        left.semilogy(layers, entry["plain_bn"]["weight_grad"],
                      label=f"batch {entry['batch']} (×{entry['plain_bn']['factor_per_layer']:.2f} per layer)")
    left.set(
        xlabel="layer l",
        ylabel="$\\|\\partial L/\\partial W_l\\|$ / $\\|\\partial L/\\partial W_L\\|$",
        title="plain Linear → BN → ReLU",
    )
    left.legend(fontsize=8)
    middle = results["by_batch"][f"batch_{results['batches'][1]}"]
    right.semilogy(layers, middle["plain_bn"]["weight_grad"], label="plain, with BN")
    right.semilogy(layers, middle["plain_no_bn"]["weight_grad"], label="plain, no BN (He)")
    right.semilogy(layers, middle["residual_bn"]["weight_grad"], label="residual, BN in branch")
    right.set(xlabel="layer or block l", title=f"batch {middle['batch']}: three networks")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.minorticks_off()  # fewer SVG elements: the figure stays small
    alt = (
        "Two log-scale panels of weight-gradient norms relative to the last layer, over 50 layers. First panel: in the "
        "plain network with batch normalisation the gradients grow as straight lines toward the input, "
        "steeper for smaller batches. Second panel, at one batch size: the plain network with BN grows by several "
        "decades, the same network without BN stays level, and residual blocks with BN inside the branch grow "
        "only by about one decade."
    )
    return {"explosion": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "large_batch_rate_matches_theory",
        "At batch [[setup.batches.-1]] the gradient grows per layer toward the input by $\\sqrt{\\pi/(\\pi - 1)} \\approx 1.21$, the large-batch "
        "rate for ReLU: relative error of the fitted factor.",
        lambda r: r["large_batch_error"],
        at_most=0.03,
        shows=("fitted factor per layer", lambda r: r["by_batch"]["batch_128"]["plain_bn"]["factor_per_layer"], ".3f"),
    ),
    Claim(
        "smaller_batches_explode_faster",
        "At batch [[setup.batches.0]] the per-layer factor is larger than at batch [[setup.batches.-1]] (difference of the factors).",
        lambda r: r["small_minus_large"],
        at_least=0.03,
    ),
    Claim(
        "plain_bn_explodes",
        "At batch [[setup.batches.1]] the first layer's weight gradient is over [[at_least|g]] times the last layer's.",
        lambda r: r["by_batch"]["batch_32"]["plain_bn"]["first_over_last"],
        at_least=1e3,
    ),
    Claim(
        "residual_bn_is_tamed",
        "With BN inside residual branches the same ratio stays below [[at_most|g]] at batch [[setup.batches.1]].",
        lambda r: r["by_batch"]["batch_32"]["residual_bn"]["first_over_last"],
        at_most=100,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
