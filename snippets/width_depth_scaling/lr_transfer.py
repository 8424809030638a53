"""The best learning rate against width: does it move?

Yang et al. (2022)'s μTransfer, in miniature. At three widths, MLPs are trained with Adam
on one fixed regression batch (full batch) for a few dozen steps at eight learning rates
on a grid of factors of two, under SP and under μP, and we read the final training loss
(the mean of the last five steps). Under SP the best learning rate falls as the width
grows (a one-step argument says ∝ 1/n: the hidden layer's and the readout's changes
are ∝ η·n); under μP it stays where it is.

Every learning rate of one width and parametrisation trains side by side (one program,
stacked weights, torch.bmm), all from the same initial weights.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded
from snippets.width_depth_scaling._mlp import (PARAMETRISATIONS, BatchedAdam, forward,
                                               init_weights, lr_multipliers)

WIDTHS = (32, 128, 512)
LOG2_LRS = tuple(range(-11, -3))  # η = 2^k: eight rates, a factor of two apart


# --8<-- [start:measure]
def vertex(log_loss: np.ndarray) -> float:
    """The best learning rate between grid points (log2 η): the vertex of the parabola
    through the lowest point of log loss and its two neighbours (at the grid's ends, the end)."""
    i = int(log_loss.argmin())
    if i in (0, len(log_loss) - 1):
        return float(LOG2_LRS[i])
    below, at, above = log_loss[i - 1:i + 2]
    return float(LOG2_LRS[i] + 0.5 * (below - above) / (below - 2 * at + above))


def final_losses(width: int, parametrisation: str, x, y, lrs: torch.Tensor, steps: int,
                 base_width: int, seed: int) -> np.ndarray:
    """Train one network per learning rate, side by side from the same initial weights;
    return each one's training loss averaged over the last five steps."""
    start = init_weights(width, x.shape[-1], 2, 1, parametrisation, base_width,
                         generator(seed * 7919 + width))
    weights = [w.detach().expand(len(lrs), -1, -1).clone().requires_grad_() for w in start]
    optimiser = BatchedAdam(weights, lrs, lr_multipliers(width, 2, parametrisation, base_width))
    inputs, history = x.expand(len(lrs), -1, -1), []
    for _ in range(steps):
        loss = (forward(weights, inputs)[-1] - y).pow(2).mean((1, 2))
        loss.sum().backward()  # each network's own loss: the sum's gradient is each one's
        optimiser.step()
        history.append(loss.detach())
    return torch.stack(history[-5:]).mean(0).numpy()


def measure(steps: int = 30, batch: int = 16, inputs: int = 16, base_width: int = 128,
            seed: int = 0) -> dict:
    rng = generator(seed)
    x = torch.randn(batch, inputs, generator=rng)
    direction = torch.randn(inputs, generator=rng) / inputs ** 0.5
    y = torch.tanh(3 * x @ direction).unsqueeze(-1)  # a fixed regression batch
    lrs = torch.tensor([2.0 ** k for k in LOG2_LRS])
    out = {"widths": list(WIDTHS), "log2_lrs": list(LOG2_LRS)}
    for parametrisation in PARAMETRISATIONS:
        loss = np.array([final_losses(w, parametrisation, x, y, lrs, steps, base_width, seed)
                         for w in WIDTHS])  # (width, learning rate)
        best = loss.argmin(1)
        out[parametrisation] = {
            "loss": rounded(loss),
            "best_log2_lr": [LOG2_LRS[i] for i in best],
            # grid steps from the narrowest width's best rate to the widest's (− = smaller)
            "shift": int(best[-1] - best[0]),
            "optimum_log2_lr": [rounded(vertex(np.log(row))) for row in loss],
            # the widest network trained at the rate that was best for the narrowest, over
            # its own best loss: what transferring the tuned rate would cost
            "optimum_shift": rounded(vertex(np.log(loss[-1])) - vertex(np.log(loss[0]))),
            "transfer_penalty": rounded(float(loss[-1, best[0]] / loss[-1].min())),
        }
    out["width_ratio_log2"] = int(np.log2(WIDTHS[-1] / WIDTHS[0]))
    out["inverse_width_shift"] = -out["width_ratio_log2"]  # η ∝ 1/n: this many grid steps
    return out
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    lrs = [2.0 ** k for k in results["log2_lrs"]]
    fig, axes = new_figure(ncols=2, width=7.6, height=3.3)
    names = {"SP": "standard parametrisation (SP)", "muP": "μP"}
    for ax, parametrisation in zip(axes, PARAMETRISATIONS):
        r = results[parametrisation]
        for i, width in enumerate(results["widths"]):
            ax.loglog(lrs, r["loss"][i], "o-", ms=3, color=f"C{i}", label=f"width {width}")
            best = results["log2_lrs"].index(r["best_log2_lr"][i])
            ax.loglog(lrs[best], r["loss"][i][best], "*", ms=11, color=f"C{i}")
        ax.set(xlabel="learning rate η", title=names[parametrisation])
        ax.minorticks_off()
    axes[0].set_ylabel("final training loss")
    axes[1].sharey(axes[0])
    axes[1].legend(fontsize=8)
    alt = (
        "Two log-log panels of the final training loss against the Adam learning rate, "
        "one curve per width (32, 128 and 512), a star on each curve's lowest point. "
        "Under the standard parametrisation the wider the network, the further left its "
        "best learning rate, and the widest network's loss rises steeply at the rates "
        "best for the narrowest. Under muP the three curves have their lowest points at "
        "about the same learning rate."
    )
    return {"lr_sweep": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "sp_best_lr_moves_with_width",
        "Under SP the best learning rate on the grid falls as the network widens: the "
        "shift from the narrowest width to the widest, in grid steps (factors of two), at "
        "most [[at_most|d]].",
        lambda r: r["SP"]["shift"],
        at_most=-2,
        fmt="d",
    ),
    Claim(
        "sp_optimum_falls_as_inverse_width",
        "Between grid points, SP's optimum falls about as $1/n$ predicts "
        "([[results.width_ratio_log2|d]] octaves): the parabola vertex's shift from the "
        "narrowest width to the widest, in octaves.",
        lambda r: r["SP"]["optimum_shift"],
        at_least=-7,
        at_most=-2.5,
        fmt=".2f",
    ),
    Claim(
        "mup_optimum_stays",
        "Under μP the optimum stays where it is: the vertex's shift from the narrowest "
        "width to the widest, in octaves, between [[at_least]] and [[at_most]].",
        lambda r: r["muP"]["optimum_shift"],
        at_least=-1.5,
        at_most=1.5,
        fmt=".2f",
    ),
    Claim(
        "sp_transferred_lr_costs",
        "Under SP the widest network, trained at the narrowest one's best learning rate, "
        "ends with a loss at least [[at_least|.0f]] times its own best: the ratio.",
        lambda r: r["SP"]["transfer_penalty"],
        at_least=5,
        fmt=".3g",
    ),
    Claim(
        "mup_transferred_lr_costs_little",
        "Under μP the same transfer costs little: the widest network's loss at the "
        "narrowest one's best rate, over its own best, at most [[at_most|.0f]].",
        lambda r: r["muP"]["transfer_penalty"],
        at_most=4,
        fmt=".3g",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
