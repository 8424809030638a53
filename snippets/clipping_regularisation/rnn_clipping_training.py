"""An exploding recurrent network: training diverges without gradient clipping and trains with it

A tanh RNN whose recurrent matrix starts with spectral radius 2 is trained with plain SGD
to recall (the sum of) the first three inputs of a 20-step sequence at its last step.
Large recurrent weights make the loss surface steep in places — Pascanu, Mikolov & Bengio
(2013) call them cliffs — and one step off a cliff sends the weights so far that the loss
becomes infinite. The same run, same data, same batches, with
torch.nn.utils.clip_grad_norm_(max_norm=1) between backward() and step() trains.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, new_figure, rounded


# --8<-- [start:model]
def recall_task(rng: torch.Generator, samples: int, steps: int, features: int = 4):
    """Random sequences; the target is the sum of channel 0 over the first three steps (unit variance)."""
    x = torch.randn(samples, steps, features, generator=rng)
    y = (x[:, :3, 0].sum(dim=1) / math.sqrt(3)).unsqueeze(1)
    return x, y


def tanh_rnn(hidden: int, radius: float, rng: torch.Generator, features: int = 4):
    """nn.RNN with recurrent weights rescaled to spectral radius ``radius``, and a linear readout."""
    rnn, head = nn.RNN(features, hidden, batch_first=True), nn.Linear(hidden, 1)
    with torch.no_grad():
        w = torch.randn(hidden, hidden, generator=rng) / math.sqrt(hidden)
        rnn.weight_hh_l0.copy_(w * radius / torch.linalg.eigvals(w).abs().max())
        rnn.weight_ih_l0.normal_(0.0, 1 / math.sqrt(features), generator=rng)
        head.weight.normal_(0.0, 1 / math.sqrt(hidden), generator=rng)
        for bias in (rnn.bias_ih_l0, rnn.bias_hh_l0, head.bias):
            bias.zero_()
    return rnn, head
# --8<-- [end:model]


# --8<-- [start:train]
def train(rnn, head, x, y, order, lr: float, max_norm: float | None) -> dict:
    params = list(rnn.parameters()) + list(head.parameters())
    optimiser = torch.optim.SGD(params, lr=lr)
    losses, grad_norms = [], []
    for index in order:  # the same mini-batches for every run
        out, _ = rnn(x[index])
        loss = nn.functional.mse_loss(head(out[:, -1]), y[index])
        optimiser.zero_grad()
        loss.backward()
        limit = max_norm if max_norm is not None else math.inf  # inf: measure the norm, clip nothing
        norm = float(torch.nn.utils.clip_grad_norm_(params, limit))
        if not (math.isfinite(float(loss.detach())) and math.isfinite(norm)):
            return {"losses": losses, "grad_norms": grad_norms, "diverged": True, "diverged_at": len(losses)}
        losses.append(float(loss.detach()))
        grad_norms.append(norm)
        optimiser.step()
    return {"losses": losses, "grad_norms": grad_norms, "diverged": False, "diverged_at": -1}
# --8<-- [end:train]


# --8<-- [start:measure]
def measure(hidden: int = 32, radius: float = 2.0, seq_len: int = 20, samples: int = 256, batch: int = 32,
            steps: int = 150, lr: float = 0.2, max_norm: float = 1.0, loose_norm: float = 10.0,
            seed: int = 0) -> dict:
    rng = generator(seed)
    x, y = recall_task(rng, samples, seq_len)
    order = [torch.randint(0, samples, (batch,), generator=rng) for _ in range(steps)]
    state = generator(seed + 1).get_state()
    runs = {}
    for name, limit in (("unclipped", None), ("clipped", max_norm), ("loose", loose_norm)):
        init_rng = torch.Generator().set_state(state)  # identical initial weights for both runs
        rnn, head = tanh_rnn(hidden, radius, init_rng)
        run = train(rnn, head, x, y, order, lr, limit)
        losses = run["losses"]
        tail = losses[-20:] if len(losses) >= 20 else losses
        runs[name] = {
            "losses": rounded(losses),
            "grad_norms": rounded(run["grad_norms"]),
            "diverged": run["diverged"],
            "diverged_at": run["diverged_at"],
            "steps_run": len(losses),
            "first_loss": rounded(losses[0]),
            "final_loss": rounded(float(np.mean(tail))),
            "max_loss": rounded(max(losses)),
            "max_grad_norm": rounded(max(run["grad_norms"])),
            "share_clipped": rounded(float(np.mean([n > (limit or math.inf) for n in run["grad_norms"]]))),
        }
    clipped, unclipped = runs["clipped"], runs["unclipped"]
    return {
        "hidden": hidden,
        "radius": radius,
        "seq_len": seq_len,
        "steps": steps,
        "lr": lr,
        "max_norm": max_norm,
        "loose_norm": loose_norm,
        "runs": runs,
        "unclipped_blew_up": unclipped["diverged"] or unclipped["max_loss"] > 100 * unclipped["first_loss"],
        "unclipped_loss_jump_log10": rounded(math.log10(unclipped["max_loss"] / unclipped["first_loss"])),
        "clipped_loss_ratio": rounded(clipped["final_loss"] / clipped["first_loss"]),
        "loose_loss_ratio": rounded(runs["loose"]["final_loss"] / runs["loose"]["first_loss"]),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    labels = (
        ("unclipped", "no clipping"),
        ("clipped", f"clip_grad_norm_({results['max_norm']:g})"),
        ("loose", f"clip_grad_norm_({results['loose_norm']:g})"),
    )
    for name, label in labels:
        run = results["runs"][name]
        steps = np.arange(1, run["steps_run"] + 1)
        (line,) = left.semilogy(steps, run["losses"], label=label)
        right.semilogy(steps, run["grad_norms"], color=line.get_color(), label=label)
        if run["diverged"]:
            left.plot(steps[-1], run["losses"][-1], "x", ms=9, mew=2, color=line.get_color())
            left.annotate("loss becomes inf", (steps[-1], run["losses"][-1]), textcoords="offset points",
                          xytext=(6, -4), fontsize=8)
    for limit in (results["max_norm"], results["loose_norm"]):
        right.axhline(limit, ls=":", lw=1, color="0.5")
    left.set(xlabel="SGD step", ylabel="training loss (MSE)", title="loss")
    right.set(xlabel="SGD step", ylabel="‖g‖ before clipping", title="gradient norm")
    left.legend(fontsize=8)
    alt = (
        "Left: training loss of a tanh RNN with recurrent spectral radius 2 on a log axis. Without clipping the "
        "loss jumps by many orders of magnitude partway through training and then becomes infinite (marked with a "
        "cross); with clip_grad_norm_ at 1 it falls steadily for all 150 steps, and at 10 it stays finite but does "
        "not fall below its starting level. Right: the gradient norm before "
        "clipping; without clipping it explodes, with clipping it stays within a modest range around the "
        "thresholds, drawn dotted."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


# Measured over seeds 0–19: without clipping the loss rose 10^14.0…10^37.1-fold above its first
# value (in some seeds to inf) in every seed; with clip_grad_norm_(1) the final loss was 0.14…0.61
# of the first. Bounds leave a wide margin.
CLAIMS = (
    Claim(
        "unclipped_training_blows_up",
        "Without clipping, the loss jumps by many orders of magnitude or becomes infinite "
        "(log₁₀ of the largest finite loss over the first).",
        lambda r: r["unclipped_loss_jump_log10"],
        at_least=8,
        fmt=".1f",
    ),
    Claim(
        "clipped_training_trains",
        "With clip_grad_norm_(max_norm=1), the same run trains: final loss over first loss.",
        lambda r: r["clipped_loss_ratio"],
        at_most=0.8,
    ),
    Claim(
        "clipped_run_stays_finite",
        "With clip_grad_norm_(max_norm=1), no step produces an infinite loss or gradient.",
        lambda r: not r["runs"]["clipped"]["diverged"],
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
