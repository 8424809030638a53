"""Deep linear networks: orthogonal initialisation trains in a depth-independent time

A deep linear network y = W_L ⋯ W_1 x computes only a linear map, but its learning
dynamics are those of a deep network: each layer's gradient is the error sandwiched
between the products of the layers above and below it (Saxe, McClelland & Ganguli 2014).
We train it, by full-batch gradient descent on whitened inputs, to match a random linear
teacher A of width 32: loss ½‖W_L ⋯ W_1 − A‖²_F / n. The learning rate is η₀/L, so that
at the first step the product moves by the same amount at every depth. We count the
steps until the loss falls to a tenth of its initial value, for orthogonal and for
Gaussian N(0, 1/n) initialisation, at depths 4, 16 and 48, four networks each (all
of them one batched computation).
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
        layers.append(w)
    return layers


def train(weights: dict, teacher: torch.Tensor, eta0: float, steps: int):
    """Train every network in ``weights`` ({(init, depth): its layers}) as one batched
    program. Returns the (init, depth) of each block of members, each member's loss
    relative to its initial loss at every step (steps × members), and which did not diverge."""
    networks, n, _ = teacher.shape
    # Deepest first: then layer l belongs to the first networks only (those deeper than l),
    # and each layer position is one stacked tensor.
    configs = sorted(weights, key=lambda config: -config[1])
    slots = [
        torch.cat([weights[c][l] for c in configs if c[1] > l]).requires_grad_()
        for l in range(configs[0][1])
    ]
    eta = torch.tensor([eta0 / depth for _, depth in configs for _ in range(networks)], dtype=torch.float64)
    eta = eta.to(teacher.dtype).view(-1, 1, 1)
    teachers = teacher.repeat(len(configs), 1, 1)
    # a diverged network stops being updated
    alive = torch.ones(len(eta), dtype=torch.bool)
    curve = []
    for step in range(steps):
        product, complete = slots[0], []
        for w in slots[1:]:
            if len(w) < len(product):  # the shallower networks' products are complete
                complete.append(product[len(w):])
                product = product[: len(w)]
            product = w @ product
        product = torch.cat([product, *reversed(complete)])
        # whitened inputs: exact
        loss = 0.5 * ((product - teachers) ** 2).sum((1, 2)) / n
        alive &= torch.isfinite(loss)
        if step == 0:
            initial = loss.detach().clone()
        grads = torch.autograd.grad(loss[alive].sum(), slots)
        with torch.no_grad():
            for w, g in zip(slots, grads):
                k = len(w)
                w -= torch.where(alive[:k, None, None], eta[:k] * g, 0.0)
        curve.append((loss.detach() / initial).tolist())
    return configs, np.array(curve), alive.numpy()


def outcome(curve: np.ndarray, alive: np.ndarray, target: float) -> dict:
    """One (init, depth)'s networks: curve (steps × networks) of loss / initial loss."""
    # the first step at which a network, not diverged so far, is at the target
    hit = (curve <= target) & np.cumprod(np.isfinite(curve), axis=0).astype(bool)
    done = [int(np.argmax(column)) for column in hit.T if column.any()]
    return {
        "reached": len(done),
        "diverged": int((~alive).sum()),
        "steps_to_target": done,
        "mean_steps": rounded(np.mean(done)) if done else 0.0,
        "median_curve": rounded(
            np.nanmedian(np.where(np.isfinite(curve), curve, np.nan), axis=1)[::2]
        ),
        "final_relative_loss": (
            rounded(float(np.median(curve[-1][alive]))) if alive.any() else 0.0
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
    weights = {
        (init, d): init_layers(init, d, networks, width, rng)
        for init in ("orthogonal", "gaussian")
        for d in depths
    }
    configs, curve, alive = train(weights, teacher, eta0, steps)
    outcomes = {}
    for index, config in enumerate(configs):  # each (init, depth) is a block of members
        mine = slice(index * networks, (index + 1) * networks)
        outcomes[config] = outcome(curve[:, mine], alive[mine], target)
    runs = {
        init: {f"depth_{d}": outcomes[(init, d)] for d in depths}
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
