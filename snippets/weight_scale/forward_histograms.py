"""Forward activations layer by layer: collapse, a healthy spread, and saturation

A tanh network of fixed depth is run forward at three weight scales σ_w: too small (0.5),
the critical Xavier scale (1) and too large (3). At every layer we histogram the outputs
h_l of all units over the batch, and record their spread and the share of units pinned
near ±1. What the forward pass does to the activations is what the backward pass does to
the gradient, since each unit's factor φ'(z) = 1 − h² is read off its output.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, mlp, new_figure, rounded

# --8<-- [start:measure]
#: |h| above this counts as pinned near ±1 (tanh′ = 1 − h² below 0.19).
PINNED = 0.9
SCALES = {"small": 0.5, "critical": 1.0, "large": 3.0}


def measure(depth: int = 30, width: int = 128, batch: int = 128, bins: int = 41, scales=SCALES, seed: int = 0) -> dict:
    rng = generator(seed)
    h = inputs = torch.randn(batch, width, generator=rng)
    edges = np.linspace(-1, 1, bins + 1)
    by_scale = {}
    for index, (name, sigma_w) in enumerate(scales.items()):
        model = mlp(depth, width, activation="tanh", sigma_w=sigma_w, seed=seed * 1000 + index)
        histograms, spread, pinned = [], [], []
        with torch.no_grad():
            h = inputs
            for block in model:
                h = block(h)
                values = h.flatten().numpy()
                histograms.append(np.histogram(values, bins=edges)[0] / values.size)
                spread.append(float(values.std()))
                pinned.append(float((np.abs(values) > PINNED).mean()))  # tanh' = 1 − h² < 0.19
        by_scale[name] = {
            "sigma_w": sigma_w,
            "histograms": rounded(np.array(histograms).tolist(), 4),
            "std": rounded(spread),
            "pinned": rounded(pinned, 4),
            "std_last": rounded(spread[-1]),
            "pinned_last": rounded(pinned[-1]),
        }
    return {"depth": depth, "width": width, "batch": batch, "edges": rounded(edges.tolist()), "by_scale": by_scale}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, axes = new_figure(ncols=3, width=7.6, height=3.0)
    for ax, entry in zip(axes, results["by_scale"].values()):
        data = np.array(entry["histograms"])
        shown = np.log10(data + 1e-4)
        image = ax.imshow(shown, aspect="auto", origin="lower", cmap="viridis", vmin=-4, vmax=0,
                  extent=(-1, 1, 0.5, results["depth"] + 0.5))
        ax.grid(False)
        ax.set(xlabel="activation h", title=f"$\\sigma_w$ = {entry['sigma_w']:g}")
    axes[0].set_ylabel("layer l")
    fig.colorbar(image, ax=axes[-1], label="log₁₀ share of units")
    alt = (
        "Three heat maps of the distribution of tanh activations (horizontal, −1 to 1) at each layer "
        "(vertical, 1 to 30), on a log colour scale. At σ_w = 0.5 the distribution narrows to a spike at zero "
        "within a few layers. At σ_w = 1 it stays spread over the middle of the range, narrowing slowly. "
        "At σ_w = 3 most of the mass sits in the two outermost bins at −1 and +1."
    )
    return {"histograms": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "small_scale_collapses",
        "At σ_w = [[setup.scales.small|g]] the activations collapse to 0: their spread at layer [[setup.depth]] is below [[at_most|sci1]].",
        lambda r: r["by_scale"]["small"]["std_last"],
        at_most=1e-7,
        fmt=".2g",
    ),
    Claim(
        "critical_scale_keeps_a_spread",
        "At σ_w = 1 the activations keep a spread at layer [[setup.depth]] (standard deviation), shrinking only slowly.",
        lambda r: r["by_scale"]["critical"]["std_last"],
        at_least=0.08,
        at_most=0.2,
    ),
    Claim(
        "large_scale_saturates",
        "At σ_w = [[setup.scales.large|g]] more than half the activations at layer [[setup.depth]] are pinned near ±1: share with |h| > [[setup.PINNED|g]].",
        lambda r: r["by_scale"]["large"]["pinned_last"],
        at_least=0.5,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
