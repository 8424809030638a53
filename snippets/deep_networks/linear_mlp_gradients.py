"""Per-layer gradients of a deep linear MLP below, at and above the critical weight scale

A linear network h_l = W_l h_{l-1} with W_l ~ N(0, σ²/n) has no activation function to
blame, so whatever happens to its gradients comes from the chain rule alone. We measure
both kinds of per-layer gradient after one backward pass of a loss that reads each sample's
output through a fixed random vector r_b, L = mean over the batch of r_b·h_L (so ∂L/∂h_L does
not depend on the network's own output):

* ∂L/∂h_l, the gradient arriving at layer l's output, is multiplied by W_{l+1}ᵀ ⋯ W_Lᵀ,
  so it scales like σ^(L−l): it shrinks toward the input when σ < 1, grows when σ > 1;
* ∂L/∂W_l = ∂L/∂h_l · h_{l−1}ᵀ also carries the forward signal h_{l−1}, which scales like
  σ^(l−1). The two trends cancel, so every layer's weight gradient has about the same size.
"""

import numpy as np
import torch

from snippets.common import (
    Claim,
    generator,
    gradient_factor_per_layer,
    label_gradient_profile,
    layer_gradient_norms,
    log10_slope,
    mlp,
    new_figure,
    rounded,
)

# --8<-- [start:measure]
SCALES = {"below": 0.85, "critical": 1.0, "above": 1.15}


def measure(depth: int = 50, width: int = 64, batch: int = 128, scales=SCALES, seed: int = 0) -> dict:
    """One forward/backward pass per weight scale on the same random batch and readout."""
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    readouts = torch.randn(batch, width, generator=rng) / width**0.5  # one r_b per sample
    by_scale = {}
    for index, (name, sigma) in enumerate(scales.items()):
        model = mlp(depth, width, activation="linear", sigma_w=sigma, seed=seed * 1000 + index)
        norms = layer_gradient_norms(model, inputs, lambda out: (out * readouts).sum(dim=1).mean())
        hidden_factor = gradient_factor_per_layer(norms["hidden"])
        weight_decades = np.log10(norms["weight"])
        by_scale[name] = {
            "sigma": sigma,
            "hidden": rounded(norms["hidden"]),
            "weight": rounded(norms["weight"]),
            # Going one layer toward the input multiplies ‖∂L/∂h‖ by this factor (theory: σ).
            "hidden_factor_per_layer": rounded(hidden_factor),
            "hidden_factor_error": rounded(abs(hidden_factor / sigma - 1)),
            "hidden_first_over_last": rounded(norms["hidden"][0] / norms["hidden"][-1]),
            "hidden_spread_decades": rounded(float(np.ptp(np.log10(norms["hidden"])))),
            "weight_spread_decades": rounded(float(np.ptp(weight_decades))),
            "weight_slope_decades_per_layer": rounded(log10_slope(norms["weight"])),
            "theory_first_over_last": rounded(sigma ** (depth - 1)),
        }
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "by_scale": by_scale,
        "max_hidden_factor_error": max(s["hidden_factor_error"] for s in by_scale.values()),
        "max_weight_spread_decades": max(s["weight_spread_decades"] for s in by_scale.values()),
        "max_weight_slope": max(abs(s["weight_slope_decades_per_layer"]) for s in by_scale.values()),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for scale in results["by_scale"].values():
        label = f"σ = {scale['sigma']:g} (×{scale['hidden_factor_per_layer']:.3f} per layer)"
        left.semilogy(layers, scale["hidden"], label=label)
        right.semilogy(layers, scale["weight"], label=f"σ = {scale['sigma']:g}")
    label_gradient_profile(left, "hidden")
    label_gradient_profile(right, "weight")
    # Below the panels: inside them, the legends would cover the σ = 1.15 lines.
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    alt = (
        "Two log-scale panels against layer index for σ = 0.85, 1 and 1.15. First panel: the gradient at each "
        "layer's output is a straight line on the log axis, falling toward the input for σ below 1 and "
        "rising for σ above 1. Second panel: the weight gradients are flat across layers at every σ, at "
        "levels far apart from one σ to another."
    )
    return {"profiles": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "hidden_gradient_factor_is_sigma",
        "Toward the input, $\\|\\partial\\mathcal{L}/\\partial h_l\\|$ is multiplied by σ per layer: worst relative error of the fitted factor.",
        lambda r: r["max_hidden_factor_error"],
        at_most=0.05,
    ),
    Claim(
        "hidden_gradient_vanishes_below_critical",
        "Below critical ($\\sigma = [[setup.scales.below|g]]$), $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$ is tiny, as $\\sigma^{L-1}$ predicts.",
        lambda r: r["by_scale"]["below"]["hidden_first_over_last"],
        at_most=2e-3,
    ),
    Claim(
        "weight_gradients_stay_level",
        "At every σ the weight gradients $\\|\\partial\\mathcal{L}/\\partial W_l\\|$ stay level across layers: steepest fitted slope, "
        "in decades per layer (while the hidden gradients' slope is |log₁₀ σ|).",
        lambda r: r["max_weight_slope"],
        at_most=0.015,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
