"""Saturated units and growing gradients: sigmoid and tanh networks with large weights

The "σ' ≤ 1/4, so the gradient shrinks like (1/4)^L" argument leaves out the weights: each
layer multiplies the backward signal by W_lᵀ diag(φ'(z_l)), and W_l can be large. We take
tanh and sigmoid networks with weights N(0, σ_w²/n), at σ_w = 1 and at a large σ_w, and
measure per layer the fraction of saturated units — those whose derivative is below a tenth
of the function's largest derivative (|z| > 1.82 for tanh, |z| > 3.63 for sigmoid) — and
the gradient ‖∂L/∂h_l‖. With large weights most units saturate, and yet the gradient grows
toward the input: the few unsaturated units pass it on multiplied by a large weight.
"""

import numpy as np
import torch

from snippets.common import (
    PALETTE,
    Claim,
    generator,
    label_gradient_profile,
    layer_gradient_norms,
    mlp,
    new_figure,
    rounded,
)

# --8<-- [start:measure]
# |z| beyond which φ'(z) < 0.1 · max φ': tanh' = 1 − tanh² and σ' = σ(1 − σ).
SATURATION_EDGE = {"tanh": float(np.arccosh(np.sqrt(10.0))), "sigmoid": 2 * float(np.arccosh(np.sqrt(10.0)))}
#: The first layer counted as deep: past the first few layers the statistics have settled.
SETTLED_FROM = 6
CASES = {
    "tanh_1": ("tanh", 1.0),
    "tanh_3": ("tanh", 3.0),
    "sigmoid_1": ("sigmoid", 1.0),
    "sigmoid_16": ("sigmoid", 16.0),
}


def measure(depth: int = 30, width: int = 128, batch: int = 64, cases=CASES, seed: int = 0) -> dict:
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    targets = torch.randn(batch, width, generator=rng)
    by_case = {}
    for index, (name, (activation, sigma_w)) in enumerate(cases.items()):
        model = mlp(depth, width, activation=activation, sigma_w=sigma_w, seed=seed * 1000 + index)
        saturated = []
        hooks = [
            block[0].register_forward_hook(
                lambda layer, x, z: saturated.append(float((z.abs() > SATURATION_EDGE[activation]).float().mean()))
            )
            for block in model
        ]
        norms = layer_gradient_norms(model, inputs, lambda out: torch.nn.functional.mse_loss(out, targets))
        for hook in hooks:
            hook.remove()
        hidden = norms["hidden"]
        by_case[name] = {
            "activation": activation,
            "sigma_w": sigma_w,
            "hidden": rounded(hidden),
            "saturated": rounded(saturated, 4),
            "saturated_deep": rounded(float(np.mean(saturated[SETTLED_FROM - 1:]))),
            "first_over_last": rounded(hidden[0] / hidden[-1]),
        }
    return {
        "depth": depth,
        "width": width,
        "quarter_power": rounded(0.25 ** (depth - 1)),
        "by_case": by_case,
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for entry in results["by_case"].values():
        label = f"{entry['activation']}, $\\sigma_w$ = {entry['sigma_w']:g}"
        style = {"ls": "-" if entry["sigma_w"] > 1 else "--", "color": PALETTE[entry["activation"] == "tanh"]}
        left.plot(layers, entry["saturated"], label=label, **style)
        right.semilogy(layers, entry["hidden"], label=label, **style)
    left.set(xlabel="layer l", ylabel="fraction of saturated units", title="saturation per layer", ylim=(-0.02, 1))
    label_gradient_profile(right, "hidden")
    left.legend(fontsize=8)
    alt = (
        "First panel: fraction of saturated units per layer. At σ_w = 1 no unit of the tanh or sigmoid network is "
        "saturated; at σ_w = 3 about half the tanh units and at σ_w = 16 about three quarters of the sigmoid "
        "units are. Second panel: per-layer gradient norms on a log axis. The large-weight networks, though mostly "
        "saturated, have gradients that grow toward the input layer; the sigmoid network at σ_w = 1 falls by "
        "about eighteen decades and the tanh network at σ_w = 1 slightly."
    )
    return {"saturation": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "no_saturation_at_unit_scale",
        "At $\\sigma_w = 1$ essentially no unit of the tanh or sigmoid network is saturated (larger fraction of the two).",
        lambda r: max(r["by_case"][name]["saturated_deep"] for name in ("tanh_1", "sigmoid_1")),
        at_most=0.01,
    ),
    Claim(
        "large_weights_saturate_tanh",
        "With $\\sigma_w = 3$, a large share of a deep tanh network's units are saturated (fraction in layers [[setup.SETTLED_FROM]]–[[setup.depth]]).",
        lambda r: r["by_case"]["tanh_3"]["saturated_deep"],
        at_least=0.4,
        at_most=0.55,
    ),
    Claim(
        "saturated_tanh_gradient_grows",
        "Yet at $\\sigma_w = 3$ the tanh network's gradient grows toward the input: $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$.",
        lambda r: r["by_case"]["tanh_3"]["first_over_last"],
        at_least=1000,
        fmt=".0f",
    ),
    Claim(
        "saturated_sigmoid_gradient_grows",
        "A sigmoid network with $\\sigma_w = 16$ also has a growing gradient, not $(1/4)^{L-1}$: $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$.",
        lambda r: r["by_case"]["sigmoid_16"]["first_over_last"],
        at_least=50,
        fmt=".0f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
