"""An exploding recurrent network: how often training diverges, with and without gradient clipping

A tanh RNN whose recurrent matrix starts with spectral radius 2 is trained with plain SGD
to recall (the sum of) the first three inputs of a 20-step sequence at its last step.
Large recurrent weights make the loss surface steep in places — Pascanu, Mikolov & Bengio
(2013) call them cliffs — and one step off a cliff sends the weights so far that the loss
explodes. Whether a given run steps off a cliff is chaotic: it can change with the last bit
of one float, so on another CPU (other vector kernels) the same seed may go the other way.
So the experiment trains an ensemble of 16 independently initialised networks side by side
and counts outcomes, in three arms: no clipping, torch.nn.utils.clip_grad_norm_(max_norm=1)
at the same learning rate, and no clipping at a ten times smaller learning rate (the control).
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


# --8<-- [start:ensemble]
def stack_ensemble(models) -> dict:
    """The weights of K (nn.RNN, nn.Linear) pairs stacked along a leading run axis.

    Run k computes what its nn.RNN would: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
    then the readout. Stacking lets all K runs train as one batched program.
    """
    def stack(get):
        return torch.stack([get(rnn, head).detach().clone() for rnn, head in models]).requires_grad_()

    return {
        "w_ih": stack(lambda rnn, head: rnn.weight_ih_l0.T),  # (K, features, hidden)
        "w_hh": stack(lambda rnn, head: rnn.weight_hh_l0.T),  # (K, hidden, hidden)
        "b_ih": stack(lambda rnn, head: rnn.bias_ih_l0[None]),  # (K, 1, hidden)
        "b_hh": stack(lambda rnn, head: rnn.bias_hh_l0[None]),  # two biases, as nn.RNN has
        "w_out": stack(lambda rnn, head: head.weight.T),  # (K, hidden, 1)
        "b_out": stack(lambda rnn, head: head.bias[None]),  # (K, 1, 1)
    }


def ensemble_forward(params: dict, x: torch.Tensor) -> torch.Tensor:
    """x: (K, batch, steps, features) -> predictions (K, batch, 1)."""
    h = x.new_zeros(x.shape[0], x.shape[1], params["w_hh"].shape[1])
    for t in range(x.shape[2]):
        h = torch.tanh(x[:, :, t] @ params["w_ih"] + params["b_ih"] + h @ params["w_hh"] + params["b_hh"])
    return h @ params["w_out"] + params["b_out"]
# --8<-- [end:ensemble]


# --8<-- [start:train]
def train_ensemble(params: dict, x, y, order, lr: float, max_norm: float | None) -> dict:
    """Plain SGD on every run at once; ``max_norm`` clips each run's gradient like clip_grad_norm_.

    A run whose loss or gradient becomes non-finite is stopped there (its weights frozen).
    """
    runs = x.shape[0]
    alive = torch.ones(runs, dtype=torch.bool)
    run_axis = torch.arange(runs).unsqueeze(1)
    losses, norms = [], []
    for index in order:  # index: (K, batch) — each run draws its own mini-batches
        batch_x, batch_y = x[run_axis, index], y[run_axis, index]
        loss = ((ensemble_forward(params, batch_x) - batch_y) ** 2).mean(dim=(1, 2))  # (K,)
        grads = torch.autograd.grad(loss.sum(), list(params.values()))
        # One norm per run over all of its parameters, as clip_grad_norm_ computes it.
        norm = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()
        alive &= torch.isfinite(loss.detach()) & torch.isfinite(norm)
        scale = torch.ones(runs) if max_norm is None else (max_norm / (norm + 1e-6)).clamp(max=1.0)
        with torch.no_grad():
            for p, g in zip(params.values(), grads):
                step = (lr * scale).view(-1, *[1] * (g.dim() - 1)) * g
                p -= torch.where(alive.view(-1, *[1] * (g.dim() - 1)), step, torch.zeros_like(step))
        losses.append(torch.where(alive, loss.detach(), torch.full_like(loss, math.inf)))
        norms.append(torch.where(alive, norm, torch.full_like(norm, math.inf)))
    return {"losses": torch.stack(losses).T, "grad_norms": torch.stack(norms).T}  # (K, steps)
# --8<-- [end:train]


def summarise_runs(losses: torch.Tensor, norms: torch.Tensor, max_norm: float | None, blow_up: float) -> dict:
    """Per-run outcomes of one arm: blew up (non-finite, or loss above ``blow_up`` × its first), trained."""
    first = losses[:, 0]
    finite = torch.isfinite(losses)
    worst = torch.where(finite, losses, torch.zeros_like(losses)).max(dim=1).values
    blew_up = ~finite.all(dim=1) | (worst > blow_up * first)
    tail = losses[:, -20:]
    final = torch.where(torch.isfinite(tail).all(dim=1), tail.mean(dim=1), torch.full_like(first, math.inf))
    ratio = final / first
    trained = ~blew_up & (ratio < 0.5)
    finite_norms = norms[torch.isfinite(norms)]
    clipped = float((finite_norms > max_norm).float().mean()) if max_norm is not None else 0.0
    # Median curve over the runs, with a run that blew up counted at +inf from then on.
    median = losses.nan_to_num(posinf=math.inf).median(dim=0).values
    shown = torch.isfinite(median)
    return {
        "blew_up": int(blew_up.sum()),
        "trained": int(trained.sum()),
        "jump_log10": rounded([float(math.log10(w / f)) for w, f in zip(worst, first)], 4),
        "final_ratio_median": rounded(float(ratio[~blew_up].median())) if (~blew_up).any() else 0.0,
        "finished_runs": int((~blew_up).sum()),
        "share_clipped": rounded(clipped),
        "curves": [rounded([v for v in run.tolist() if math.isfinite(v)], 4) for run in losses],
        "median_curve": rounded(median[shown].tolist(), 4),
    }


# --8<-- [start:measure]
def measure(runs: int = 16, hidden: int = 32, radius: float = 2.0, seq_len: int = 20, samples: int = 256,
            batch: int = 32, steps: int = 150, lr: float = 0.2, max_norm: float = 1.0,
            control_lr: float = 0.02, blow_up: float = 100.0, seed: int = 0) -> dict:
    rng = generator(seed)
    tasks = [recall_task(rng, samples, seq_len) for _ in range(runs)]
    x, y = torch.stack([t[0] for t in tasks]), torch.stack([t[1] for t in tasks])
    order = [torch.randint(0, samples, (runs, batch), generator=rng) for _ in range(steps)]
    init_state = generator(seed + 1).get_state()
    arms = {}
    for name, arm_lr, limit in (("unclipped", lr, None), ("clipped", lr, max_norm), ("small_lr", control_lr, None)):
        init_rng = torch.Generator().set_state(init_state)  # the same K initial networks in every arm
        params = stack_ensemble([tanh_rnn(hidden, radius, init_rng) for _ in range(runs)])
        run = train_ensemble(params, x, y, order, arm_lr, limit)
        arms[name] = {"lr": arm_lr, "max_norm": limit,
                      **summarise_runs(run["losses"], run["grad_norms"], limit, blow_up)}
    return {"runs": runs, "hidden": hidden, "radius": radius, "seq_len": seq_len, "steps": steps, "lr": lr,
            "max_norm": max_norm, "control_lr": control_lr, "blow_up": blow_up, "arms": arms,
            "unclipped_jump_log10_median": rounded(float(np.median(arms["unclipped"]["jump_log10"])))}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, axes = new_figure(ncols=3, width=7.2, height=2.9)
    titles = {"unclipped": f"no clipping, lr {results['lr']:g}",
              "clipped": f"clip_grad_norm_({results['max_norm']:g}), lr {results['lr']:g}",
              "small_lr": f"no clipping, lr {results['control_lr']:g}"}
    for ax, (name, title), colour in zip(axes, titles.items(), ("C1", "C0", "C2")):
        arm = results["arms"][name]
        for curve in arm["curves"]:
            ax.semilogy(np.arange(1, len(curve) + 1), curve, color=colour, alpha=0.25, lw=0.8)
        median = arm["median_curve"]
        ax.semilogy(np.arange(1, len(median) + 1), median, color=colour, lw=2.2, label="median run")
        ax.set_title(f"{title}\n{arm['blew_up']} of {results['runs']} runs blow up", fontsize=9)
        ax.set_xlabel("SGD step")
    axes[0].set_ylabel("training loss (MSE)")
    axes[0].legend(fontsize=9, loc="upper left")
    runs = results["runs"]
    alt = (
        f"Three panels of training-loss curves on a log axis, one faint line per run of {runs} tanh RNNs with "
        f"recurrent spectral radius {results['radius']:g}, and the median run in bold. First panel, no clipping at "
        f"learning rate {results['lr']:g}: {results['arms']['unclipped']['blew_up']} of {runs} runs blow up, their "
        "loss jumping by many orders of magnitude (a line ends where the loss became infinite). Second panel, "
        f"clip_grad_norm_ at {results['max_norm']:g} with the same learning rate: "
        f"{results['arms']['clipped']['blew_up']} runs blow up and the losses fall. Third panel, no clipping at the "
        f"smaller learning rate {results['control_lr']:g}: {results['arms']['small_lr']['blew_up']} runs blow up "
        "and the losses fall more slowly."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "unclipped_runs_blow_up",
        "Without clipping, at learning rate [[setup.lr|g]], most runs blow up: the loss rises above [[setup.blow_up|g]] times its first "
        "value or becomes infinite.",
        lambda r: r["arms"]["unclipped"]["blew_up"],
        at_least=10,
        out_of=16,
    ),
    Claim(
        "clipped_runs_never_blow_up",
        "With clip_grad_norm_(max_norm=1) at the same learning rate, no run blows up.",
        lambda r: r["arms"]["clipped"]["blew_up"],
        at_most=0,
        out_of=16,
    ),
    Claim(
        "clipped_runs_train",
        "With clipping, runs train: their final loss is below half of their first.",
        lambda r: r["arms"]["clipped"]["trained"],
        at_least=11,
        out_of=16,
    ),
    Claim(
        "small_lr_never_blows_up",
        "Without clipping but at a ten times smaller learning rate, no run blows up.",
        lambda r: r["arms"]["small_lr"]["blew_up"],
        at_most=0,
        out_of=16,
    ),
    Claim(
        "clipping_is_normalised_descent",
        "With clipping at 1, nearly every step is clipped: share of steps whose gradient norm exceeded 1.",
        lambda r: r["arms"]["clipped"]["share_clipped"],
        at_least=0.9,
        fmt=".0%",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
