"""How the first-to-last gradient ratio depends on the weight scale and the depth

For every weight scale σ_w (weights N(0, σ_w²/n)) and every depth L on a small grid we
build a tanh network and a linear network of that depth, backpropagate a fixed random
linear readout of the output (so the gradient arriving at the top does not depend on the
weights), and record log₁₀(‖∂L/∂h_1‖ / ‖∂L/∂h_L‖): how many decades the
gradient gains or loses between the last layer and the first. The linear network should
follow σ_w^(L−1) exactly; the tanh network follows it below σ_w = 1 and departs from it above.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, layer_gradient_norms, mlp, new_figure, rounded

# --8<-- [start:measure]
SCALES = (0.5, 0.75, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0)
DEPTHS = (5, 10, 15, 20, 25, 30)


def hidden_profile(activation: str, sigma_w: float, depth: int, inputs, readout, seed: int) -> list:
    """‖∂L/∂h_l‖ for l = 1..depth under a fixed random readout L = Σ r ⊙ h_L (so ∂L/∂h_L = r)."""
    model = mlp(depth, inputs.shape[1], activation=activation, sigma_w=sigma_w, seed=seed)
    if activation == "linear":  # at σ_w = 3 a deep linear network's gradients overflow float32
        model, inputs, readout = model.double(), inputs.double(), readout.double()
    return layer_gradient_norms(model, inputs, lambda out: (out * readout).sum())["hidden"]


def measure(width: int = 128, batch: int = 32, scales=SCALES, depths=DEPTHS, seed: int = 0) -> dict:
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    readout = torch.randn(batch, width, generator=rng)
    tanh, linear, theory = [], [], []
    for i, sigma_w in enumerate(scales):
        row_seed = seed * 1000 + i * (len(depths) + 1)
        # tanh: one network per depth, since the forward signal at a layer depends on how deep it sits.
        row = []
        for j, depth in enumerate(depths):
            hidden = hidden_profile("tanh", sigma_w, depth, inputs, readout, row_seed + j)
            row.append(float(np.log10(hidden[0] / hidden[-1])))
        tanh.append(row)
        # linear: the backward pass ignores the forward signal, so one deep network serves every depth:
        # the gradient L − 1 layers below the top of a depth-30 network is the first-layer gradient of depth L.
        hidden = hidden_profile("linear", sigma_w, max(depths), inputs, readout, row_seed + len(depths))
        linear.append([float(np.log10(hidden[-depth] / hidden[-1])) for depth in depths])
        theory.append([(depth - 1) * np.log10(sigma_w) for depth in depths])
    tanh, linear, theory = np.array(tanh), np.array(linear), np.array(theory)
    deepest = len(depths) - 1
    return {
        "scales": list(scales),
        "depths": list(depths),
        # log10(‖∂L/∂h_1‖ / ‖∂L/∂h_L‖); rows: scales, columns: depths.
        "tanh_log_ratio": rounded(tanh.tolist(), 4),
        "linear_log_ratio": rounded(linear.tolist(), 4),
        "theory_log_ratio": rounded(theory.tolist(), 4),
        "linear_max_error_decades": rounded(float(np.abs(linear - theory).max())),
        "deepest": {f"s{int(round(s * 100)):03d}": rounded(float(tanh[i, deepest])) for i, s in enumerate(scales)},
        "deepest_linear": {f"s{int(round(s * 100)):03d}": rounded(float(linear[i, deepest])) for i, s in enumerate(scales)},
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2, width=7.6, height=3.4)
    data = np.array(results["tanh_log_ratio"])
    limit = float(np.abs(data).max())
    image = left.imshow(data, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", origin="lower")
    left.set_xticks(range(len(results["depths"])), results["depths"])
    left.set_yticks(range(len(results["scales"])), [f"{s:g}" for s in results["scales"]])
    left.set(
        xlabel="depth L",
        ylabel="weight scale $\\sigma_w$",
        title="tanh: log₁₀ $\\|\\partial L/\\partial h_1\\|$"
        " / $\\|\\partial L/\\partial h_L\\|$",
    )
    left.grid(False)
    fig.colorbar(image, ax=left, label="decades")
    scales = np.array(results["scales"])
    right.plot(scales, np.array(results["linear_log_ratio"])[:, -1], "o", label="linear, measured")
    right.plot(
        scales,
        np.array(results["theory_log_ratio"])[:, -1],
        "--",
        label="(L − 1) log₁₀ $\\sigma_w$",
    )
    right.plot(scales, np.array(results["tanh_log_ratio"])[:, -1], "s-", label="tanh, measured")
    right.axvline(1.0, lw=0.8, color="0.5")
    right.set(
        xlabel="weight scale $\\sigma_w$",
        ylabel="decades",
        title=f"depth L = {results['depths'][-1]}",
    )
    right.legend(fontsize=8)
    alt = (
        "First panel: heat map of log10 of the first-to-last-layer gradient ratio of tanh networks, over weight scale "
        "(rows, 0.5 to 3) and depth (columns, 5 to 30). Below σ_w = 1 the ratio is strongly negative and more "
        "so with depth; at σ_w = 1 it is near zero; above it is positive and grows with depth. Second panel: at depth "
        "30, the linear network's measured ratio lies on the straight line (L − 1) log10 σ_w; the tanh network "
        "follows it below 1 and bends far below it above 1."
    )
    return {"heatmap": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "linear_follows_power_law",
        "A linear network's first/last gradient ratio is $\\sigma_w^{L-1}$ over the whole grid: worst deviation, in decades.",
        lambda r: r["linear_max_error_decades"],
        at_most=0.3,
    ),
    Claim(
        "tanh_vanishes_below_critical",
        "At $\\sigma_w = [[setup.scales.0|g]]$ and depth [[setup.depths.-1]] the tanh network's gradient ratio is below $10^{[[at_most|d]]}$ (log₁₀ shown).",
        lambda r: r["deepest"]["s050"],
        at_most=-8,
        fmt=".1f",
    ),
    Claim(
        "tanh_explodes_above_critical",
        "At $\\sigma_w = [[setup.scales.-1|g]]$ and depth [[setup.depths.-1]] the tanh network's gradient grows toward the input by over $10^{[[at_least|d]]}$ times (log₁₀ shown).",
        lambda r: r["deepest"]["s300"],
        at_least=3,
        fmt=".1f",
    ),
    Claim(
        "tanh_level_at_critical",
        "At $\\sigma_w = 1$ and depth [[setup.depths.-1]] the tanh network loses some gradient, but less than one decade (log₁₀ shown).",
        lambda r: r["deepest"]["s100"],
        at_least=-1,
        at_most=-0.3,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
