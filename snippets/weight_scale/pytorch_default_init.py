"""What PyTorch's default nn.Linear initialisation is, and what it does to a deep network

nn.Linear.reset_parameters calls kaiming_uniform_(weight, a=√5). With the leaky-ReLU gain
√(2 / (1 + a²)) = √(1/3) and the bound √3 · gain / √fan_in, that is U(−1/√fan_in, 1/√fan_in):
variance 1 / (3 fan_in), i.e. σ_w = 1/√3 ≈ 0.577 in the notation of this chapter. The bias
is drawn from the same interval. We check the variance and the bound on freshly built
layers, then build deep tanh and ReLU networks straight from nn.Linear (with biases, as
the default is) and compare their per-layer gradients with the matched initialisations.
"""

import math

import numpy as np
import torch

from snippets.common import (
    PALETTE,
    Claim,
    generator,
    gradient_factor_per_layer,
    layer_gradient_norms,
    mlp,
    new_figure,
    rounded,
)

# --8<-- [start:measure]
FAN_INS = (64, 256, 1024)
NETWORKS = {
    "tanh_default": ("tanh", "default"),
    "tanh_xavier": ("tanh", "xavier"),
    "relu_default": ("relu", "default"),
    "relu_he": ("relu", "he"),
}


def measure(fan_ins=FAN_INS, fan_out: int = 256, depth: int = 30, width: int = 128, batch: int = 32, seed: int = 0) -> dict:
    torch.manual_seed(seed)  # nn.Linear draws its default initialisation from the global generator
    layers = {}
    for fan_in in fan_ins:
        layer = torch.nn.Linear(fan_in, fan_out)
        weight, bias = layer.weight.detach(), layer.bias.detach()
        layers[f"fan_in_{fan_in}"] = {
            "fan_in": fan_in,
            "weight_var_times_fan_in": rounded(float(weight.var()) * fan_in),  # theory 1/3
            "bias_var_times_fan_in": rounded(float(bias.var()) * fan_in),  # theory 1/3
            "max_abs_times_sqrt_fan_in": rounded(float(weight.abs().max()) * math.sqrt(fan_in)),  # ≤ 1
        }
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    readout = torch.randn(batch, width, generator=rng)  # L = Σ r ⊙ h_L
    networks = {}
    for index, (name, (activation, init)) in enumerate(NETWORKS.items()):
        model = mlp(depth, width, activation=activation, init=init, bias=True, seed=seed * 1000 + index)
        hidden = layer_gradient_norms(model, inputs, lambda out: (out * readout).sum())["hidden"]
        networks[name] = {
            "hidden": rounded(hidden),
            "first_over_last": rounded(hidden[0] / hidden[-1]),
            "decades": rounded(np.log10(hidden[0] / hidden[-1])),
            "factor_per_layer": rounded(gradient_factor_per_layer(hidden)),
        }
    return {
        "depth": depth,
        "width": width,
        "layers": layers,
        "worst_weight_variance_error": rounded(max(abs(3 * v["weight_var_times_fan_in"] - 1) for v in layers.values())),
        "largest_bound_ratio": max(v["max_abs_times_sqrt_fan_in"] for v in layers.values()),
        "networks": networks,
        "sigma_w_default": rounded(1 / math.sqrt(3)),
        "theory_factor_relu_default": rounded(math.sqrt(1 / 6)),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    fan_ins = [v["fan_in"] for v in results["layers"].values()]
    left.plot(fan_ins, [v["weight_var_times_fan_in"] for v in results["layers"].values()], "o-", label="weights")
    left.plot(fan_ins, [v["bias_var_times_fan_in"] for v in results["layers"].values()], "s--", label="biases")
    left.axhline(1 / 3, lw=0.8, ls=":", color="0.5", label="1/3")
    left.set(xscale="log", xlabel="fan-in n", ylabel="variance × n", title="nn.Linear default", ylim=(0, 0.6))
    left.legend(fontsize=8)
    layers = np.arange(1, results["depth"] + 1)
    for name, entry in results["networks"].items():
        activation, init = NETWORKS[name]
        style = {"ls": "--" if init == "default" else "-", "color": PALETTE[2 + (activation == "relu")]}
        right.semilogy(layers, entry["hidden"], label=f"{activation}, {init}", **style)
    right.set(
        xlabel="layer l",
        ylabel="$\\|\\partial L/\\partial h_l\\|$",
        title="deep networks built from nn.Linear",
    )
    right.legend(fontsize=8)
    alt = (
        "First panel: weight and bias variance times fan-in for freshly built nn.Linear layers with fan-in 64, 256 and "
        "1024; all points lie near the dotted line at one third. Second panel: per-layer gradient "
        "norms on a log axis for "
        "30-layer tanh and ReLU networks. With the default initialisation (dashed) both fall steeply toward the "
        "input, ReLU more steeply; with Xavier for tanh and He for ReLU (solid) they stay roughly level."
    )
    return {"default_init": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "default_variance_is_a_third",
        "nn.Linear's default weights have variance $1/(3 n)$ ($n$ = fan_in): worst relative error of $3 n \\operatorname{Var}(W)$.",
        lambda r: r["worst_weight_variance_error"],
        at_most=0.03,
    ),
    Claim(
        "default_bound_is_one_over_sqrt_fan_in",
        "No default weight exceeds 1/√fan_in: largest |W| · √n.",
        lambda r: r["largest_bound_ratio"],
        at_least=0.99,
        at_most=1.0,
        fmt=".4f",
    ),
    Claim(
        "default_tanh_vanishes",
        "A [[setup.depth]]-layer tanh network with the default initialisation loses over six decades of gradient (log₁₀ first/last).",
        lambda r: r["networks"]["tanh_default"]["decades"],
        at_most=-6,
        fmt=".1f",
    ),
    Claim(
        "default_relu_vanishes_faster",
        "A [[setup.depth]]-layer ReLU network with the default initialisation loses even more (log₁₀ first/last).",
        lambda r: r["networks"]["relu_default"]["decades"],
        at_most=-10,
        fmt=".1f",
    ),
    Claim(
        "default_tanh_factor_is_sigma_w",
        "Each layer of the default tanh network multiplies the gradient by about $\\sigma_w = 1/\\sqrt{3} \\approx 0.577$ (fitted factor).",
        lambda r: r["networks"]["tanh_default"]["factor_per_layer"],
        at_least=0.55,
        at_most=0.6,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
