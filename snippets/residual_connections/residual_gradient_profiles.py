"""Per-layer gradients of plain and residual MLPs from 10 to 200 layers

A plain block maps h to φ(W h), so the gradient toward the input is multiplied by one
Jacobian diag(φ′) W per layer. A residual block maps h to h + α F(h), whose Jacobian is
I + α ∂F/∂h: the identity term gives the gradient a direct path through every block,
and the branch only adds a perturbation to it. We build three networks at each depth —
plain tanh (W ~ N(0, 1/n)), plain ReLU with He initialisation, and residual ReLU blocks
with branches scaled by α = 1/√L — run one forward/backward pass and compare
‖∂L/∂h_l‖ across layers.
"""

import math

import numpy as np
import torch

from snippets.common import Claim, generator, layer_gradient_norms, mlp, new_figure, residual_mlp, rounded

# --8<-- [start:measure]
DEPTHS = (10, 50, 200)


def build(kind: str, depth: int, width: int, seed: int):
    if kind == "plain_tanh":
        return mlp(depth, width, activation="tanh", sigma_w=1.0, seed=seed)
    if kind == "plain_relu":
        return mlp(depth, width, activation="relu", init="he", seed=seed)
    return residual_mlp(depth, width, activation="relu", alpha=1 / math.sqrt(depth), init="he", seed=seed)


def measure(depths=DEPTHS, width: int = 64, batch: int = 32, seed: int = 0) -> dict:
    """One forward/backward pass per network; the loss is linear in the output, ⟨h_L, v⟩ / batch,
    so the gradient arriving at the last layer does not depend on the output's size."""
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    direction = torch.randn(batch, width, generator=rng)
    by_depth = {}
    for depth in depths:
        entry = {}
        for index, kind in enumerate(("plain_tanh", "plain_relu", "residual")):
            model = build(kind, depth, width, seed * 1000 + 10 * depth + index)
            norms = layer_gradient_norms(model, inputs, lambda out: (out * direction).sum() / batch)
            hidden = np.array(norms["hidden"])
            entry[kind] = {
                # ‖∂L/∂h_l‖ relative to the last layer's, at each layer l = 1..L
                "relative": rounded(hidden / hidden[-1]),
                "first_over_last": rounded(hidden[0] / hidden[-1]),
            }
        # Each residual block multiplies the mean square by 1 + α² = 1 + 1/L (derivation on the page).
        theory = math.sqrt((1 + 1 / depth) ** (depth - 1))
        entry["residual"]["theory"] = rounded(theory)
        entry["residual"]["error"] = rounded(abs(entry["residual"]["first_over_last"] / theory - 1))
        by_depth[f"depth_{depth}"] = {"depth": depth, **entry}
    deepest = by_depth[f"depth_{max(depths)}"]
    residual_ratios = [d["residual"]["first_over_last"] for d in by_depth.values()]
    return {
        "depths": list(depths),
        "width": width,
        "batch": batch,
        "by_depth": by_depth,
        "deepest": max(depths),
        "plain_tanh_deepest": deepest["plain_tanh"]["first_over_last"],
        "plain_relu_deepest": deepest["plain_relu"]["first_over_last"],
        "residual_min": min(residual_ratios),
        "residual_max": max(residual_ratios),
        "residual_max_error": max(d["residual"]["error"] for d in by_depth.values()),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, axes = new_figure(ncols=3, width=7.6, height=3.0)
    names = {"plain_tanh": "plain tanh", "plain_relu": "plain ReLU (He)", "residual": "residual, α = 1/√L"}
    for ax, kind in zip(axes, names):
        for entry in results["by_depth"].values():
            depth = entry["depth"]
            layers = np.arange(1, depth + 1) / depth
            ax.semilogy(layers, entry[kind]["relative"], label=f"L = {depth}")
        ax.set(xlabel="relative depth l / L", title=names[kind])
        ax.set_ylim(1e-3, 1e1)
        ax.minorticks_off()  # fewer SVG elements: the figure stays small
    axes[0].set_ylabel(
        "$\\|\\partial L/\\partial h_l\\|$ / $\\|\\partial L/\\partial h_L\\|$",
    )
    axes[0].legend()
    # The residual network's three depths draw one line; the legend says so.
    axes[2].legend(title="the three depths coincide", loc="lower center")
    alt = (
        "Three log-scale panels of the gradient at each layer relative to the last layer, against relative "
        "depth, for 10, 50 and 200 layers. Plain tanh: the gradient falls toward the input, more the deeper "
        "the network. Plain ReLU with He initialisation: about level on average but wandering more with depth. "
        "Residual: nearly flat at every depth, ending close to one."
    )
    return {"profiles": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "residual_gradient_matches_theory",
        "In the residual networks ($\\alpha = 1/\\sqrt{L}$), $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$ matches $\\sqrt{(1 + 1/L)^{L-1}}$ at every "
        "depth from [[setup.depths.0]] to [[setup.depths.-1]]: worst relative error.",
        lambda r: r["residual_max_error"],
        at_most=0.15,
    ),
    Claim(
        "residual_gradient_reaches_input",
        "…so the first layer receives at least as much gradient as the last: smallest ratio over depths.",
        lambda r: r["residual_min"],
        at_least=1.0,
    ),
    Claim(
        "plain_tanh_vanishes_at_depth",
        "In the plain tanh network of [[setup.depths.-1]] layers the first layer receives a small fraction of the last "
        "layer's gradient: $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$.",
        lambda r: r["plain_tanh_deepest"],
        at_most=0.25,
    ),
)

if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
