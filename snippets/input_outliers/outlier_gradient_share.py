"""How one extreme sample's gradient grows with its size, and how much of the batch it owns

A small ReLU network and a clean regression batch; sample 0 is then made an outlier of
magnitude m, either in its input (x₀ → m·x₀) or in its target (y₀ → m·s, s the targets' spread).
For each m we read the per-sample gradient of the first-layer weights, g_i = δ_i x_iᵀ with
δ_i = ∂L/∂z_{1,i} (one backward pass: the batch gradient is Σ_i g_i), under mean-squared
error and under the Huber loss. We fit the log-log slope of ‖g₀‖ against m where m is large (the asymptotic rate) and record the
outlier's share of the batch gradient, ‖g₀‖ / (‖g₀‖ + ‖Σ_{i≠0} g_i‖).
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
MAGNITUDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
LOSSES = {"mse": nn.functional.mse_loss, "huber": nn.functional.huber_loss}  # Huber with δ = 1


def first_layer_gradients(model, inputs, targets, loss_fn):
    """(‖g₀‖, ‖Σ_{i≠0} g_i‖) for the first layer's weights, from a single backward pass."""
    model.zero_grad(set_to_none=True)
    z1 = model[0](inputs)
    z1.retain_grad()
    out = model[2](model[1](z1)).squeeze(1)
    loss_fn(out, targets).backward()
    delta = z1.grad  # row i: ∂L/∂z_{1,i}, already carrying the batch mean's 1/B
    own = float(delta[0].norm() * inputs[0].norm())  # ‖δ₀ x₀ᵀ‖ = ‖δ₀‖ ‖x₀‖
    rest = float((delta[1:].T @ inputs[1:]).norm())
    return own, rest


def measure(features: int = 16, hidden: int = 64, batch: int = 64, magnitudes=MAGNITUDES, fit_from: int = 1000, seed: int = 0) -> dict:
    rng = generator(seed)
    model = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    with torch.no_grad():  # He initialisation, zero biases
        for layer in (model[0], model[2]):
            layer.weight.normal_(0, (2 / layer.in_features) ** 0.5, generator=rng)
            layer.bias.zero_()
    inputs = torch.randn(batch, features, generator=rng)
    teacher = torch.randn(features, generator=rng) / features**0.5
    targets = inputs @ teacher + 0.1 * torch.randn(batch, generator=rng)
    spread = float(targets.std())
    cases = {}
    for where in ("input", "target"):
        for loss_name, loss_fn in LOSSES.items():
            own, share = [], []
            for m in magnitudes:
                x, y = inputs.clone(), targets.clone()
                if where == "input":
                    x[0] *= m
                else:
                    y[0] = m * spread
                g_own, g_rest = first_layer_gradients(model, x, y, loss_fn)
                own.append(g_own)
                share.append(g_own / (g_own + g_rest))
            big = [i for i, m in enumerate(magnitudes) if m >= fit_from]
            slope = np.polyfit(np.log10(np.array(magnitudes)[big]), np.log10(np.array(own)[big]), 1)[0]
            cases[f"{where}_{loss_name}"] = {
                "own": rounded(own),
                "share": rounded(share, 4),
                "slope": round(float(slope), 4) + 0.0,  # + 0.0 turns a rounded −0.0 into 0.0
                "share_at_100": rounded(share[magnitudes.index(100)]),
                "growth_1_to_1000": rounded(own[magnitudes.index(1000)] / own[0]),
            }
    return {"magnitudes": list(magnitudes), "fit_from": fit_from, "batch": batch, "cases": cases}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    m = results["magnitudes"]
    for name, case in results["cases"].items():
        where, loss = name.split("_")
        style = {"ls": "-" if loss == "mse" else "--", "lw": 1.5}
        label = f"{where}, {loss.upper() if loss == 'mse' else 'Huber'}: slope {case['slope']:.2f}"
        left.loglog(m, case["own"], label=label, marker="o" if where == "input" else "s", ms=3, **style)
        right.semilogx(m, case["share"], **style)
    left.set(xlabel="outlier magnitude m", ylabel="‖g₀‖ = ‖δ₀ x₀ᵀ‖", title="the outlier's first-layer gradient")
    right.set(xlabel="outlier magnitude m", ylabel="‖g₀‖ / (‖g₀‖ + ‖rest‖)", title="the outlier's share of the batch", ylim=(0, 1.02))
    for ax in (left, right):
        ax.minorticks_off()  # keeps the SVG small
    left.legend(fontsize=7)
    alt = (
        "Left: log-log plot of the outlier's first-layer gradient norm against its magnitude m from 1 to 10 000, "
        "for input and target outliers under MSE and Huber loss. Straight lines: slope about 2 for an input "
        "outlier under MSE, about 1 for a target outlier under MSE and for an input outlier under Huber, and "
        "flat for a target outlier under Huber. Right: the outlier's share of the batch gradient rises toward 1 "
        "for every case except the Huber target outlier, which levels off at a small share."
    )
    return {"share": (fig, alt)}
# --8<-- [end:plot]


# Measured over seeds 0–19 (slopes fitted for m = 1000…10 000): target/MSE 0.998…1.002; input/MSE
# 1.84…2.003 (it approaches 2 from below once m·f(x₀) dominates y₀; the seed whose x₀ has the smallest
# prediction gets there last); target/Huber |slope| < 1e-15; input/Huber 1.000; share of an input outlier
# at m = 100 under MSE 0.940…0.9997. Bounds: beyond the worst seed.
CLAIMS = (
    Claim(
        "target_outlier_grows_linearly",
        "Under MSE a target outlier's first-layer gradient grows linearly with its size: log-log slope.",
        lambda r: r["cases"]["target_mse"]["slope"],
        at_least=0.98,
        at_most=1.02,
    ),
    Claim(
        "input_outlier_grows_quadratically",
        "Under MSE an input outlier's gradient grows toward m²: δ₀ grows with the residual and x₀ with m (log-log slope).",
        lambda r: r["cases"]["input_mse"]["slope"],
        at_least=1.75,
        at_most=2.05,
    ),
    Claim(
        "huber_caps_target_outlier",
        "Under the Huber loss a target outlier's gradient stops growing: log-log slope.",
        lambda r: r["cases"]["target_huber"]["slope"],
        at_least=-0.01,
        at_most=0.01,
    ),
    Claim(
        "huber_does_not_cap_input_outlier",
        "The Huber loss does not cap an input outlier: its gradient δ₀x₀ᵀ still grows linearly with m (log-log slope).",
        lambda r: r["cases"]["input_huber"]["slope"],
        at_least=0.98,
        at_most=1.02,
    ),
    Claim(
        "outlier_owns_the_batch",
        "Under MSE an input outlier 100× the normal size owns most of the batch gradient of 64 samples (share).",
        lambda r: r["cases"]["input_mse"]["share_at_100"],
        at_least=0.9,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
