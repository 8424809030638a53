"""Deep ReLU MLPs under He, Xavier and PyTorch's default initialisation

One backward pass through a 100-layer ReLU MLP, at three initialisations of the same
architecture. He et al.'s (2015) variance recursion says that, going one layer toward the
input, the mean square of ∂L/∂h is multiplied by n·Var[w]·E[ReLU'(z)²] = n·Var[w]/2, so the
norm is multiplied by

    He      (Var[w] = 2/n):            √(2/2)  = 1
    Xavier  (Var[w] = 2/(n+n) = 1/n):  √(1/2)  ≈ 0.707
    default (U(±1/√n), Var = 1/(3n)):  √(1/6)  ≈ 0.408   (nn.Linear's kaiming_uniform_(a=√5))

per layer. The default also draws biases from U(±1/√n). We fit the measured factor and
compare. The run uses float64, because 0.408⁹⁹ ≈ 10⁻³⁹ is below float32's normal range.

The He and Xavier weights are drawn with the source note's own NumPy-style formulas
(randn · √(2/n_in), randn · √(2/(n_in + n_out))); the snippet first checks those formulas
against torch.nn.init.kaiming_normal_ and xavier_normal_ on a rectangular matrix.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import (
    Claim,
    generator,
    gradient_factor_per_layer,
    label_gradient_profile,
    layer_gradient_norms,
    new_figure,
    rounded,
)
from snippets.weight_scale.mean_field_factor import NODES, WEIGHTS, theory_chi


# --8<-- [start:formulas]
def note_formulas(fan_out: int, fan_in: int, rng: torch.Generator) -> dict:
    """The note's initialisation formulas, written with torch instead of NumPy."""
    randn = lambda: torch.randn(fan_out, fan_in, generator=rng, dtype=torch.float64)  # noqa: E731
    return {
        "relu": randn() * math.sqrt(2 / fan_in),  # note: ReLU
        "tanh_fan_in": randn() * math.sqrt(1 / fan_in),  # note: tanh, first option
        "tanh_glorot": randn() * math.sqrt(2 / (fan_in + fan_out)),  # note: tanh, second option
    }


def torch_initialisers(fan_out: int, fan_in: int, rng: torch.Generator) -> dict:
    """What torch.nn.init draws for the same shape."""
    empty = lambda: torch.empty(fan_out, fan_in, dtype=torch.float64)  # noqa: E731
    return {
        "kaiming_relu": nn.init.kaiming_normal_(empty(), nonlinearity="relu", generator=rng),
        "kaiming_tanh": nn.init.kaiming_normal_(empty(), nonlinearity="tanh", generator=rng),
        "xavier": nn.init.xavier_normal_(empty(), generator=rng),
        "pytorch_default": nn.init.kaiming_uniform_(empty(), a=math.sqrt(5), generator=rng),
    }
# --8<-- [end:formulas]


# --8<-- [start:measure]
def init_layer_(layer: nn.Linear, scheme: str, rng: torch.Generator) -> None:
    fan_out, fan_in = layer.weight.shape
    with torch.no_grad():
        if scheme == "he":  # the note's randn · √(2/n)
            layer.weight.copy_(torch.randn(fan_out, fan_in, generator=rng) * math.sqrt(2 / fan_in))
            layer.bias.zero_()
        elif scheme == "xavier":  # the note's randn · √(2/(n_in + n_out))
            layer.weight.copy_(torch.randn(fan_out, fan_in, generator=rng) * math.sqrt(2 / (fan_in + fan_out)))
            layer.bias.zero_()
        elif scheme == "default":  # exactly what nn.Linear.reset_parameters does, on our generator
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
            layer.bias.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=rng)


def relu_mlp(depth: int, width: int, scheme: str, rng: torch.Generator) -> nn.Sequential:
    blocks = []
    for _ in range(depth):
        layer = nn.Linear(width, width, dtype=torch.float64)
        init_layer_(layer, scheme, rng)
        blocks.append(nn.Sequential(layer, nn.ReLU()))
    return nn.Sequential(*blocks)


# --8<-- [start:tanh_gain]
def tanh_net(depth: int, width: int, sigma_w: float, rng: torch.Generator):
    """A bias-free tanh MLP with W ~ N(0, σ_w²/n), in float64."""
    blocks = []
    for _ in range(depth):
        layer = nn.Linear(width, width, bias=False, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.normal_(0.0, sigma_w / math.sqrt(width), generator=rng)
        blocks.append(nn.Sequential(layer, nn.Tanh()))
    return nn.Sequential(*blocks)


def tanh_gain(width: int, batch: int, depths, gains, rng: torch.Generator) -> dict:
    """σ_w = 1 (the note's √(1/n)) against 5/3 (PyTorch's calculate_gain('tanh')):
    one backward pass per depth, and the forward RMS of every h_l."""
    by_gain = {}
    for name, sigma_w in gains.items():
        # mean-field fixed point q* and per-layer factor χ of the squared gradient norm
        q_star, chi = theory_chi(sigma_w)
        entry = {"sigma_w": rounded(sigma_w), "q_star": rounded(q_star),
                 "chi_theory": rounded(chi)}
        for depth in depths:
            model = tanh_net(depth, width, sigma_w, rng)
            x = torch.randn(batch, width, generator=rng, dtype=torch.float64)
            readout = torch.randn(batch, width, generator=rng, dtype=torch.float64)
            norms = layer_gradient_norms(model, x, lambda h: (h * readout).sum())
            hidden = np.array(norms["hidden"])
            # measured factor of ‖∂L/∂h‖² per layer: geometric mean past layer 10
            chi_measured = (hidden[9] / hidden[-1]) ** (2 / (depth - 10))
            rms = [a / math.sqrt(batch * width) for a in norms["activation"]]
            entry[f"depth_{depth}"] = {
                "first_over_last_log10": rounded(math.log10(hidden[0] / hidden[-1])),
                "chi_measured": rounded(float(chi_measured)),
                "rms": rounded(rms),
                "profile": rounded(list(hidden / hidden[-1])),
            }
        by_gain[name] = entry
    return by_gain
# --8<-- [end:tanh_gain]


SCHEMES = {"he": 2.0, "xavier": 1.0, "default": 1 / 3}  # n·Var[w] for a square layer


def measure(depth: int = 100, width: int = 128, batch: int = 64, check_shape=(512, 256),
            tanh_depths=(30, 100), tanh_gains=None, seed: int = 0) -> dict:
    rng = generator(seed)
    # 1. The note's formulas against torch.nn.init: ratio of empirical standard deviations.
    note = note_formulas(*check_shape, rng)
    ours = torch_initialisers(*check_shape, rng)
    std = lambda t: float(t.std())  # noqa: E731
    formulas = {
        "relu_vs_kaiming": rounded(std(note["relu"]) / std(ours["kaiming_relu"])),
        "glorot_vs_xavier": rounded(std(note["tanh_glorot"]) / std(ours["xavier"])),
        "tanh_fan_in_vs_xavier": rounded(std(note["tanh_fan_in"]) / std(ours["xavier"])),
        "tanh_fan_in_vs_kaiming_tanh": rounded(std(note["tanh_fan_in"]) / std(ours["kaiming_tanh"])),
        "default_var_times_fan_in": rounded(float(ours["pytorch_default"].var()) * check_shape[1]),
    }
    formulas["max_mismatch"] = rounded(max(abs(formulas[k] - 1) for k in ("relu_vs_kaiming", "glorot_vs_xavier")))
    # 2. One backward pass through a deep ReLU MLP per initialisation.
    inputs = torch.randn(batch, width, generator=rng, dtype=torch.float64)
    targets = torch.randn(batch, width, generator=rng, dtype=torch.float64)
    by_scheme = {}
    for scheme, gain in SCHEMES.items():
        model = relu_mlp(depth, width, scheme, rng)
        norms = layer_gradient_norms(model, inputs, lambda out: nn.functional.mse_loss(out, targets))
        factor = gradient_factor_per_layer(norms["hidden"])
        theory = math.sqrt(gain / 2)
        by_scheme[scheme] = {
            "hidden": rounded(norms["hidden"]),
            "weight": rounded(norms["weight"]),
            "activation": rounded(norms["activation"]),
            "factor": rounded(factor),
            "theory_factor": rounded(theory),
            "factor_error": rounded(abs(factor / theory - 1)),
            "first_over_last_log10": rounded(math.log10(norms["hidden"][0] / norms["hidden"][-1])),
            "weight_first_over_last_log10": rounded(math.log10(norms["weight"][0] / norms["weight"][-1])),
        }
    # 3. What the tanh gain 5/3 does in a deep bias-free tanh network.
    gains = tanh_gains or {"one": 1.0, "five_thirds": 5 / 3}
    tanh = tanh_gain(width, batch, tanh_depths, gains, rng)
    # 5/3 ≈ 1/std(tanh(u)), u ~ N(0, 1): the gain that restores a unit input's spread after tanh
    tanh_std = math.sqrt(float(WEIGHTS @ np.tanh(NODES) ** 2))
    # Exercises: Xavier at half the depth; tanh at σ_w = 1.2, between the two gains.
    xavier_half = layer_gradient_norms(
        relu_mlp(depth // 2, width, "xavier", rng), inputs,
        lambda out: nn.functional.mse_loss(out, targets))["hidden"]
    tanh_12_depth = max(tanh_depths)
    tanh_12 = tanh_gain(width, batch, (tanh_12_depth,), {"g": 1.2}, rng)["g"]
    exercise = {
        "xavier_half_depth": depth // 2,
        "xavier_half_log10": rounded(math.log10(xavier_half[0] / xavier_half[-1])),
        "xavier_half_theory": rounded((depth // 2 - 1) * math.log10(math.sqrt(0.5))),
        "tanh_12_depth": tanh_12_depth,
        "tanh_12_log10": tanh_12[f"depth_{tanh_12_depth}"]["first_over_last_log10"],
        "tanh_12_chi": tanh_12["chi_theory"],
        "tanh_12_theory_log10": rounded((tanh_12_depth - 1) * 0.5 * math.log10(tanh_12["chi_theory"])),
    }
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "check_shape": list(check_shape),
        "tanh": tanh,
        "tanh_depths": list(tanh_depths),
        "tanh_unit_std": rounded(tanh_std),
        "tanh_unit_gain": rounded(1 / tanh_std),
        # how far that reading of PyTorch's tanh gain falls from 5/3 (relative)
        "tanh_unit_gain_off_five_thirds": rounded(1 - (1 / tanh_std) / (5 / 3)),
        # layers over which the gradient's norm grows by e at σ_w = 5/3 (mean-field: 2 / ln χ)
        "tanh_gain_e_folding": rounded(2 / math.log(tanh["five_thirds"]["chi_theory"])),
        "exercise": exercise,
        "formulas": formulas,
        "by_scheme": by_scheme,
        "max_factor_error": max(s["factor_error"] for s in by_scheme.values()),
    }
# --8<-- [end:measure]


LABELS = {"he": "He", "xavier": "Xavier", "default": "PyTorch default"}


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for scheme, entry in results["by_scheme"].items():
        (line,) = left.semilogy(layers, entry["hidden"], label=f"{LABELS[scheme]}  (×{entry['factor']:.3f}/layer)")
        ends = layers[[0, -1]]  # the recursion is a straight line on the log axis: two points draw it
        theory = entry["hidden"][-1] * entry["theory_factor"] ** (layers[-1] - ends)
        left.semilogy(ends, theory, ls=":", lw=1.2, color=line.get_color())
        right.semilogy(layers, entry["weight"], label=LABELS[scheme])
    label_gradient_profile(left, "hidden")
    label_gradient_profile(right, "weight")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    alt = (
        "Two log-scale panels against layer index for a 100-layer ReLU network. First panel: under He "
        "initialisation the gradient at each layer's output is flat; under Xavier it falls by about 15 "
        "decades toward the input and under PyTorch's default by about 38, each along its dotted variance-"
        "recursion line. Second panel: the weight gradients; He and Xavier are flat, Xavier's far lower, while the "
        "default's fall toward the input."
    )
    fig2, (grad, rms) = new_figure(ncols=2)
    deepest = f"depth_{max(results['tanh_depths'])}"
    for name, short, label in (
        ("one", r"$\sigma_w = 1$", r"$\sigma_w = 1$ (the note's $\sqrt{1/n}$)"),
        ("five_thirds", r"$\sigma_w = 5/3$", r"$\sigma_w = 5/3$ (PyTorch's tanh gain)"),
    ):
        entry = results["tanh"][name][deepest]
        layers = np.arange(1, len(entry["rms"]) + 1)
        grad.semilogy(layers, entry["profile"], label=short)
        rms.plot(layers, entry["rms"], label=label)
    grad.set(xlabel="layer l", ylabel=r"$\|\partial L/\partial h_l\|$ / last layer's",
             title="100 bias-free tanh layers")
    rms.set(xlabel="layer l", ylabel=r"RMS of $h_l$", title="forward signal",
            ylim=(0, None))
    grad.legend(fontsize=9, loc="upper right")
    rms.legend(fontsize=9, loc="center right")
    alt2 = (
        "Two panels for a 100-layer bias-free tanh network. First panel, log scale: the gradient at each layer's "
        "output relative to the last layer's. At sigma_w = 1 it falls gently toward the input, by about one "
        "decade; at sigma_w = 5/3 it rises steadily toward the input, by about four decades. Second panel: the "
        "root-mean-square activation per layer. At sigma_w = 1 it decays from about 0.6 towards zero; at "
        "sigma_w = 5/3 it settles within a few layers near 0.65 and stays there."
    )
    return {"profiles": (fig, alt), "tanh_gain": (fig2, alt2)}
# --8<-- [end:plot]


# Measured over seeds 0–19: He factor 0.986…1.031; worst factor error 0.003…0.031; Xavier
# first/last log10 −15.4…−14.0 (theory 99·log10 √½ = −14.9); default weight-gradient first/last
# log10 −38.1…−36.9 (He and Xavier: −0.27…+0.82); note-vs-torch std mismatch up to 0.0065
# (sampling error of a std over 131 072 draws). Bounds: 1.5–2 times the worst seed's distance.
# Bias-free tanh, 100 layers: σ_w = 5/3 first/last log10 +3.88…+4.30 (theory 99·½·log10 1.2098 =
# +4.09), measured χ 1.200…1.226; σ_w = 1: −1.07…−0.69. Over 30 layers: +1.08…+1.28 and −0.71…−0.59.
# RMS of h_30 / h_1: 0.840…0.878 at 5/3, 0.172…0.219 at σ_w = 1.
def rms_ratio(rms: list) -> float:
    """RMS activation of the last layer over that of the first."""
    return rms[-1] / rms[0]


CLAIMS = (
    Claim(
        "he_keeps_gradient_level",
        "Under He initialisation the per-layer factor of $\\|\\partial\\mathcal{L}/\\partial h_l\\|$ is 1 (fitted over [[setup.depth]] layers).",
        lambda r: r["by_scheme"]["he"]["factor"],
        at_least=0.95,
        at_most=1.05,
    ),
    Claim(
        "factors_match_variance_recursion",
        "For He, Xavier and the default, the fitted factor matches $\\sqrt{n \\operatorname{Var}[w]/2}$: worst relative error.",
        lambda r: r["max_factor_error"],
        at_most=0.06,
    ),
    Claim(
        "xavier_loses_decades",
        "Under Xavier, $\\|\\partial\\mathcal{L}/\\partial h_1\\|$ is many decades below $\\|\\partial\\mathcal{L}/\\partial h_L\\|$ "
        "(log₁₀ of the ratio; theory $(L - 1) \\log_{10} \\sqrt{1/2}$).",
        lambda r: r["by_scheme"]["xavier"]["first_over_last_log10"],
        at_least=-17.0,
        at_most=-12.5,
        fmt=".1f",
    ),
    Claim(
        "default_weight_gradients_vanish",
        "Under PyTorch's default (with its biases), even the weight gradient of layer 1 is below layer "
        "[[setup.depth]]'s by a factor under $10^{[[at_most|.0f]]}$ (log₁₀ of the ratio).",
        lambda r: r["by_scheme"]["default"]["weight_first_over_last_log10"],
        at_most=-30.0,
        fmt=".1f",
    ),
    Claim(
        "tanh_gain_grows_gradient",
        "In a [[setup.tanh_depths.-1]]-layer bias-free tanh network at $\\sigma_w = 5/3$, $\\|\\partial\\mathcal{L}/\\partial h_1\\|$ is thousands of times $\\|\\partial\\mathcal{L}/\\partial h_{100}\\|$ "
        "(log₁₀ of the ratio; mean-field theory $\\tfrac{L - 1}{2} \\log_{10} \\chi$).",
        lambda r: r["tanh"]["five_thirds"]["depth_100"]["first_over_last_log10"],
        at_least=3.0,
        at_most=5.2,
        fmt=".1f",
    ),
    Claim(
        "tanh_gain_matches_chi",
        "…growing by the mean-field $\\chi = [[results.tanh.five_thirds.chi_theory|.3g]]$ per layer in squared norm (measured factor past the first ten layers).",
        lambda r: r["tanh"]["five_thirds"]["depth_100"]["chi_measured"],
        at_least=1.15,
        at_most=1.27,
    ),
    Claim(
        "tanh_unit_gain_vanishes_gently",
        "At $\\sigma_w = 1$ (the note's $\\sqrt{1/n}$) the same network's gradient falls toward the input instead "
        "(log₁₀ of the ratio).",
        lambda r: r["tanh"]["one"]["depth_100"]["first_over_last_log10"],
        at_least=-2.0,
        at_most=-0.3,
        fmt=".1f",
    ),
    Claim(
        "tanh_gain_keeps_forward_signal",
        "What 5/3 buys: the RMS activation at layer [[setup.tanh_depths.0]] is still most of layer 1's (ratio) …",
        lambda r: rms_ratio(r["tanh"]["five_thirds"]["depth_30"]["rms"]),
        at_least=0.7,
    ),
    Claim(
        "tanh_unit_gain_loses_forward_signal",
        "… while at $\\sigma_w = 1$ it has shrunk to a fraction (ratio, layer [[setup.tanh_depths.0]] over layer 1).",
        lambda r: rms_ratio(r["tanh"]["one"]["depth_30"]["rms"]),
        at_most=0.35,
    ),
    Claim(
        "note_formulas_match_torch_init",
        "The note's $\\mathrm{randn} \\cdot \\sqrt{2/n}$ and $\\mathrm{randn} \\cdot \\sqrt{2/(n_{in}+n_{out})}$ have the standard deviations of "
        "kaiming_normal_(nonlinearity='relu') and xavier_normal_: worst |ratio − 1|.",
        lambda r: r["formulas"]["max_mismatch"],
        at_most=0.015,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
