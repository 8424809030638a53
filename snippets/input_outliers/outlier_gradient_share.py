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

from snippets.common import Claim, generator, log_log_slope, new_figure, rounded

# --8<-- [start:measure]
MAGNITUDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
QUOTED_MAGNITUDE = 100  # the outlier size at which shares and stable-rate factors are quoted
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
            slope = log_log_slope(np.array(magnitudes)[big], np.array(own)[big], log=np.log10)
            cases[f"{where}_{loss_name}"] = {
                "own": rounded(own),
                "share": rounded(share, 4),
                "slope": round(slope, 4) + 0.0,  # + 0.0 turns a rounded −0.0 into 0.0
                "share_at_100": rounded(share[magnitudes.index(QUOTED_MAGNITUDE)]),
                "growth_1_to_1000": rounded(own[magnitudes.index(1000)] / own[0]),
            }
    curvature = stable_lr_factors(model, inputs, rng)
    return {"magnitudes": list(magnitudes), "fit_from": fit_from, "batch": batch, "cases": cases,
            "curvature": curvature}
# --8<-- [end:measure]


# --8<-- [start:curvature]
CURVATURE_BATCHES = (16, 64, 256)
CURVATURE_MAGNITUDES = (1, 3, 10, 30, 100, 300, 1000)
QUOTED_BATCH = 64  # the batch size at which the stable-rate factor is quoted


def top_curvature(model, x: torch.Tensor) -> float:
    """Largest eigenvalue of the MSE loss's Hessian in the first-layer weights.

    With zero biases and ReLU the output is linear in W₁ within a region, so the Hessian
    is (2/B) JᵀJ, with row i of J the gradient of f(x_i): (w₂ ⊙ active_i) x_iᵀ."""
    active = (model[0](x) > 0).to(x.dtype)
    jacobian = (active * model[2].weight[0])[:, :, None] * x[:, None, :]
    jacobian = jacobian.reshape(x.shape[0], -1)
    gram = jacobian @ jacobian.T  # B × B, same nonzero eigenvalues as JᵀJ
    return 2 / x.shape[0] * float(torch.linalg.eigvalsh(gram)[-1])


def stable_lr_factors(model, inputs, rng, batches=CURVATURE_BATCHES,
                      magnitudes=CURVATURE_MAGNITUDES) -> dict:
    """By how much an input outlier x₀ → m·x₀ divides the largest stable learning rate
    of gradient descent, 2 / (top curvature), in batches of growing size that all hold
    the same x₀ (the batch of the measurement first, then more clean samples)."""
    extra = torch.randn(max(batches) - inputs.shape[0], inputs.shape[1], generator=rng)
    pool = torch.cat([inputs, extra])
    with torch.no_grad():
        by_batch, clean_curvature = {}, {}
        for size in batches:
            x = pool[:size].clone()
            clean = top_curvature(model, x)
            clean_curvature[f"b{size}"] = rounded(clean)
            factors = []
            for m in magnitudes:
                x[0] = pool[0] * m
                factors.append(top_curvature(model, x) / clean)
            by_batch[f"b{size}"] = rounded(factors)
    at_100 = {size: by_batch[f"b{size}"][magnitudes.index(QUOTED_MAGNITUDE)] - 1 for size in batches}
    big = [i for i, m in enumerate(magnitudes) if m >= QUOTED_MAGNITUDE]
    excess = np.array(by_batch[f"b{QUOTED_BATCH}"])[big] - 1
    return {
        "batches": list(batches),
        "magnitudes": list(magnitudes),
        "lr_factor": by_batch,
        "clean_curvature": clean_curvature,
        "lr_factor_64_at_100": by_batch[f"b{QUOTED_BATCH}"][magnitudes.index(QUOTED_MAGNITUDE)],
        "m_squared_over_batch_64_at_100": rounded(QUOTED_MAGNITUDE**2 / QUOTED_BATCH),
        # slope of log(factor − 1) against log m for m ≥ 100: 2 if it grows like m²
        "slope_in_m": rounded(log_log_slope(np.array(magnitudes)[big], excess, log=np.log10)),
        # how much a 4× larger batch shrinks the excess at m = 100 (1/B would give 4)
        "batch_x4_shrinks": [rounded(at_100[a] / at_100[b])
                             for a, b in zip(batches[:-1], batches[1:])],
    }
# --8<-- [end:curvature]


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
        "First panel: log-log plot of the outlier's first-layer gradient norm against its magnitude "
        "m from 1 to 10 000, "
        "for input and target outliers under MSE and Huber loss. Straight lines: slope about 2 for an input "
        "outlier under MSE, about 1 for a target outlier under MSE and for an input outlier under Huber, and "
        "flat for a target outlier under Huber. Second panel: the outlier's share of the batch gradient rises toward 1 "
        "for every case except the Huber target outlier, which levels off at a small share."
    )
    curvature = results["curvature"]
    fig2, ax = new_figure(width=5.2, height=3.2)
    m = np.array(curvature["magnitudes"], dtype=float)
    for size in curvature["batches"]:
        (line,) = ax.loglog(m, curvature["lr_factor"][f"b{size}"], "o-", ms=3,
                            label=f"batch {size}")
        ax.loglog(m, 1 + m**2 / size, ":", lw=1.2, color=line.get_color())
    ax.set(xlabel="outlier magnitude m", ylabel="clean stable lr / stable lr",
           title="largest stable learning rate, divided by")
    ax.minorticks_off()
    ax.legend(fontsize=9, title="solid: measured; dotted: 1 + m²/B", title_fontsize=9)
    alt2 = (
        "Log-log plot of the factor by which one input outlier of magnitude m divides the largest "
        "stable learning rate of gradient descent, for batches of 16, 64 and 256. Each measured curve "
        "starts at 1 and then rises as a straight line of slope 2, lower for larger batches; the dotted "
        "lines 1 + m squared over B run parallel to them, several times lower."
    )
    return {"share": (fig, alt), "curvature": (fig2, alt2)}
# --8<-- [end:plot]


# Measured over seeds 0–19 (slopes fitted for m = 1000…10 000): target/MSE 0.998…1.002; input/MSE
# 1.84…2.003 (it approaches 2 from below once m·f(x₀) dominates y₀; the seed whose x₀ has the smallest
# prediction gets there last); target/Huber |slope| < 1e-15; input/Huber 1.000; share of an input outlier
# at m = 100 under MSE 0.940…0.9997. Stable-learning-rate factor: slope in m 2.000…2.001; a 4× larger
# batch shrinks (factor − 1) at m = 100 by 1.59…3.19 (16 → 64 and 64 → 256); factor at m = 100, batch
# 64: 755…3885 (m²/B = 156); the clean top curvature fell from batch 16 to 64 to 256 at all 20 seeds.
def curvature_falls(clean: dict) -> bool:
    values = list(clean.values())
    return all(a > b for a, b in zip(values, values[1:]))


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
        "stable_lr_falls_like_m_squared",
        "An input outlier divides the largest stable learning rate of gradient descent by a factor "
        "that grows like m² (log-log slope of the factor minus 1, m = [[setup.QUOTED_MAGNITUDE]]…[[setup.CURVATURE_MAGNITUDES.-1]], batch [[setup.QUOTED_BATCH]]).",
        lambda r: r["curvature"]["slope_in_m"],
        at_least=1.98,
        at_most=2.02,
        fmt=".3f",
    ),
    Claim(
        "larger_batch_dilutes_the_outlier",
        "A four times larger batch shrinks that factor (minus 1, at m = [[setup.QUOTED_MAGNITUDE]]): smallest shrink over "
        "[[setup.CURVATURE_BATCHES.0]] → [[setup.CURVATURE_BATCHES.1]] → [[setup.CURVATURE_BATCHES.2]].",
        lambda r: min(r["curvature"]["batch_x4_shrinks"]),
        at_least=1.3,
        fmt=".2f",
    ),
    Claim(
        "dilution_at_most_one_over_batch",
        "…but by little more than the fourfold a 1/B law gives: largest shrink.",
        lambda r: max(r["curvature"]["batch_x4_shrinks"]),
        at_most=4.5,
        fmt=".2f",
    ),
    Claim(
        "clean_curvature_falls_with_batch",
        "…because the clean batch's own top curvature falls as the batch grows ([[setup.CURVATURE_BATCHES.0]] > [[setup.CURVATURE_BATCHES.1]] > [[setup.CURVATURE_BATCHES.2]]).",
        lambda r: curvature_falls(r["curvature"]["clean_curvature"]),
    ),
    Claim(
        "outlier_owns_the_batch",
        "Under MSE an input outlier [[setup.QUOTED_MAGNITUDE]]× the normal size owns most of the batch gradient of [[setup.batch]] samples (share).",
        lambda r: r["cases"]["input_mse"]["share_at_100"],
        at_least=0.9,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
