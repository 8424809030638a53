"""Deep linear networks: orthogonal initialisation trains in a depth-independent time

A deep linear network y = W_L ⋯ W_1 x computes only a linear map, but its learning
dynamics are those of a deep network: each layer's gradient is the error sandwiched
between the products of the layers above and below it (Saxe, McClelland & Ganguli 2014).
We train it, by full-batch gradient descent on whitened inputs, to match a random linear
teacher A of width 32: loss ½‖W_L ⋯ W_1 − A‖²_F / n. The learning rate is η₀/L, so that
at the first step the product moves by the same amount at every depth. We count the
steps until the loss falls to a tenth of its initial value, for orthogonal and for
Gaussian N(0, 1/n) initialisation, at depths 4, 16 and 48, four networks each (one
batched computation).
"""

import math

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
DEPTHS = (4, 16, 48)


def init_layers(init: str, depth: int, networks: int, n: int, rng) -> list:
    """``depth`` weight tensors of shape (networks, n, n)."""
    layers = []
    for _ in range(depth):
        w = torch.empty(networks, n, n)
        if init == "orthogonal":
            for k in range(networks):
                torch.nn.init.orthogonal_(w[k], generator=rng)
        else:
            w.normal_(0.0, 1.0 / math.sqrt(n), generator=rng)
        layers.append(w.requires_grad_())
    return layers


def train(
    init: str,
    depth: int,
    teacher: torch.Tensor,
    rng,
    eta0: float,
    steps: int,
    target: float,
) -> dict:
    networks, n, _ = teacher.shape
    layers = init_layers(init, depth, networks, n, rng)
    eta = eta0 / depth
    # a diverged network stops being updated
    alive = torch.ones(networks, dtype=torch.bool)
    reached = [None] * networks
    curve = []
    for step in range(steps):
        product = layers[0]
        for w in layers[1:]:
            product = w @ product
        # whitened inputs: exact
        loss = 0.5 * ((product - teacher) ** 2).sum((1, 2)) / n
        alive &= torch.isfinite(loss)
        if step == 0:
            initial = loss.detach().clone()
        grads = torch.autograd.grad(loss[alive].sum(), layers)
        with torch.no_grad():
            for w, g in zip(layers, grads):
                w[alive] -= eta * g[alive]
        relative = (loss.detach() / initial).tolist()
        for k in range(networks):
            if reached[k] is None and alive[k] and relative[k] <= target:
                reached[k] = step
        curve.append(relative)
    curve = np.array(curve)
    done = [s for s in reached if s is not None]
    return {
        "reached": len(done),
        "diverged": int((~alive).sum()),
        "steps_to_target": done,
        "mean_steps": rounded(np.mean(done)) if done else 0.0,
        "median_curve": rounded(
            np.nanmedian(np.where(np.isfinite(curve), curve, np.nan), axis=1)[::2]
        ),
        "final_relative_loss": (
            rounded(float(np.median(curve[-1][alive.numpy()]))) if alive.any() else 0.0
        ),
    }


def measure(
    width: int = 32,
    depths=DEPTHS,
    networks: int = 4,
    eta0: float = 1.0,
    steps: int = 200,
    target: float = 0.1,
    seed: int = 0,
) -> dict:
    rng = generator(seed)
    teacher = torch.randn(networks, width, width, generator=rng) / math.sqrt(width)
    runs = {
        init: {
            f"depth_{d}": train(init, d, teacher, rng, eta0, steps, target)
            for d in depths
        }
        for init in ("orthogonal", "gaussian")
    }
    ortho = runs["orthogonal"]
    deep = [runs["gaussian"][f"depth_{d}"] for d in depths[1:]]
    return {
        "width": width,
        "depths": list(depths),
        "networks": networks,
        "eta0": eta0,
        "steps": steps,
        "target": target,
        "runs": runs,
        "orthogonal_reached": sum(r["reached"] for r in ortho.values()),
        "orthogonal_runs": networks * len(depths),
        "orthogonal_slowdown": rounded(
            ortho[f"depth_{depths[-1]}"]["mean_steps"]
            / ortho[f"depth_{depths[0]}"]["mean_steps"]
        ),
        "gaussian_deep_reached": sum(r["reached"] for r in deep),
        "gaussian_deep_runs": networks * len(deep),
        "gaussian_shallow_reached": runs["gaussian"][f"depth_{depths[0]}"]["reached"],
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.4, height=3.4)
    for colour, init in (("C1", "orthogonal"), ("C0", "gaussian")):
        for style, depth in zip(("-", "--", ":"), results["depths"]):
            curve = results["runs"][init][f"depth_{depth}"]["median_curve"]
            ax.semilogy(
                2 * np.arange(len(curve)),
                curve,
                style,
                color=colour,
                label=f"{init}, depth {depth}",
            )
    ax.axhline(results["target"], color="C6", lw=0.8)
    ax.set(
        xlabel="gradient-descent step",
        ylabel="loss / initial loss (median of 4)",
        title=r"deep linear network, learning rate $\eta_0 / L$",
    )
    ax.legend(fontsize=9, ncols=2)
    ax.minorticks_off()
    alt = (
        "Log-scale training curves of the loss relative to its initial value for "
        "deep linear networks of depth 4, 16 and 48. The three orthogonal curves "
        "fall almost together and cross the one-tenth line within a similar number "
        "of steps. The Gaussian curves fall more slowly the deeper the network: at "
        "depth 4 it crosses the line later than the orthogonal ones, at depths 16 "
        "and 48 it stays well above it for the whole run."
    )
    return {"training": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "orthogonal_always_learns",
        "With orthogonal initialisation every network, at depths [[setup.depths.0]], [[setup.depths.1]] and [[setup.depths.-1]], brings "
        "the loss to a tenth of its initial value within the budget.",
        lambda r: r["orthogonal_reached"],
        at_least=12,
        out_of=12,
    ),
    Claim(
        "orthogonal_time_depth_independent",
        "At depth [[setup.depths.-1]] instead of [[setup.depths.0]], the orthogonal network needs at most [[at_most|g]] times as many"
        " steps: mean steps at depth [[setup.depths.-1]] over mean steps at depth [[setup.depths.0]].",
        lambda r: r["orthogonal_slowdown"],
        at_most=2.0,
        fmt=".2f",
    ),
    Claim(
        "gaussian_deep_stalls",
        "With Gaussian initialisation on the critical line, the networks of depth [[setup.depths.1]] "
        "and [[setup.depths.-1]] do not reach a tenth of the initial loss within the same budget.",
        lambda r: r["gaussian_deep_reached"],
        at_most=1,
        out_of=8,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
