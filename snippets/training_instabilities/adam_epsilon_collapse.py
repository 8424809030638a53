"""AdamW's ε against the gradient's size: when ε dominates, the update collapses

Adam divides the gradient's running mean by the square root of its running mean square
plus ε (Kingma & Ba 2015): u = m̂/(√v̂ + ε). While the gradient's size |g| is far above ε
the update is about ±1 per parameter, whatever the gradient's scale — the property that
makes the learning rate the step size. When |g| falls toward ε, u ≈ m̂/ε and the update
shrinks with the gradient. Wortsman et al. (2023) found the gradient RMS of the largest
models' layers falling to ε's size, and the updates with it; Molybog et al. (2023) relate
Adam's loss spikes to its updates in layers whose gradient entries have become tiny. We reproduce the mechanism by scaling the loss (and
with it every gradient) of the copying Transformer by 1 down to 10⁻¹⁰, with PyTorch's
default ε = 10⁻⁸ and learning rate 0.01, six runs from the same initial network and the
same batches, in one batched program; at every step we record the RMS of each run's
gradient and of its update u (the step before the learning rate multiplies it).
"""

import numpy as np
import torch

from snippets.common import Claim, new_figure, rounded
from snippets.training_instabilities._model import train

LOSS_SCALES = (1.0, 1e-2, 1e-4, 1e-6, 1e-8, 1e-10)


# --8<-- [start:measure]
def measure(lr: float = 0.01, eps: float = 1e-8, steps: int = 80, d: int = 32,
            heads: int = 2, vocab: int = 16, half: int = 4, batch: int = 8,
            seed: int = 0) -> dict:
    scales = torch.tensor(LOSS_SCALES, dtype=torch.float32)
    members = len(scales)
    record = train(torch.full((members,), lr), torch.zeros(members, dtype=torch.bool),
                   torch.zeros(members), torch.full((members,), eps), replicas=1,
                   loss_scale=scales, rms=True, steps=steps, layers=2, d=d, heads=heads,
                   vocab=vocab, half=half, batch=batch, seed=seed)
    grad_over_eps = record["grad_rms"] / eps  # (steps, members)
    update = record["update_rms"]  # the update in units of the learning rate
    final_loss = record["loss"][-10:].mean(0)
    median_update = np.median(update, 0)
    return {
        "loss_scales": list(LOSS_SCALES),
        "eps": eps,
        "lr": lr,
        "grad_over_eps": rounded(grad_over_eps[::4].T),
        "update_over_lr": rounded(update[::4].T),
        "median_grad_over_eps": rounded(np.median(grad_over_eps, 0)),
        "median_update_over_lr": rounded(median_update),
        "loss_curves": rounded(record["loss"][::2].T),
        "final_loss": rounded(final_loss),
        "initial_loss": rounded(float(record["loss"][0, 0])),
        # the run whose gradient RMS sits about a hundred times below ε (scale 10⁻⁸)
        "collapse_ratio": rounded(float(median_update[4] / median_update[0])),
        "largest_update_below_eps": rounded(float(
            (update / np.maximum(grad_over_eps, 1e-30))[grad_over_eps < 0.1].max())),
        "scale_invariance_gap": rounded(float(abs(final_loss[2] - final_loss[0]))),
        "exercise": {  # the run whose gradient RMS is about ε (scale 10⁻⁶)
            "update_ratio": rounded(float(median_update[3] / median_update[0])),
            "predicted_ratio": rounded(float(np.median(grad_over_eps[:, 3] / (1 + grad_over_eps[:, 3])))),
        },
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2, width=7.6, height=3.3)
    for i, scale in enumerate(results["loss_scales"]):
        left.plot(results["grad_over_eps"][i], results["update_over_lr"][i], "o", ms=3,
                  color=f"C{i}", label=f"loss × {scale:g}")
        curve = results["loss_curves"][i]
        right.plot(1 + 2 * np.arange(len(curve)), curve, color=f"C{i}")
    x = np.logspace(-4, 7, 100)
    left.plot(x, x / (1 + x), color="C6", lw=0.8, ls=":")
    left.set(xscale="log", yscale="log", xlabel="gradient RMS / ε",
             ylabel="update RMS / learning rate", title="dotted: x/(1+x), a steady gradient")
    left.legend(fontsize=7)
    right.set(xlabel="AdamW step", ylabel="training loss", title="the same runs")
    alt = ("First panel: the RMS of Adam's update, in units of the learning rate, against the "
           "gradient's RMS in units of epsilon, on logarithmic axes, for losses scaled by one "
           "down to ten to the minus ten. Above epsilon the update stays between about a tenth "
           "and one whatever the scale; below it the update falls in proportion to the "
           "gradient, along the dotted line. Second panel: the training loss of the same runs: "
           "the runs whose gradients sit well above epsilon train alike; those below it hardly "
           "move from the start.")
    return {"epsilon": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "update_collapses_below_eps",
        "With the loss scaled by [[results.loss_scales.4|g]] (gradient RMS about a hundredth of "
        "ε), the median update is at most [[at_most|g]] of the unscaled run's.",
        lambda r: r["collapse_ratio"],
        at_most=0.1,
    ),
    Claim(
        "update_proportional_to_gradient_below_eps",
        "Wherever the gradient RMS is below a tenth of ε, the update RMS (in units of the "
        "learning rate) is at most [[at_most|g]] × the gradient RMS over ε: it is set by ε, "
        "not by the learning rate.",
        lambda r: r["largest_update_below_eps"],
        at_most=1.5,
    ),
    Claim(
        "adam_ignores_gradient_scale_above_eps",
        "Scaling the loss by [[results.loss_scales.2|g]] (gradient still far above ε) changes "
        "the final loss by less than [[at_most|g]].",
        lambda r: r["scale_invariance_gap"],
        at_most=0.1,
    ),
    Claim(
        "training_stalls_when_eps_dominates",
        "With the loss scaled by [[results.loss_scales.4|g]] the final loss stays above "
        "[[at_least|g]], where the unscaled run ends near zero.",
        lambda r: r["final_loss"][4],
        at_least=1.5,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
