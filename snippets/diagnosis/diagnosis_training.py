"""The update-to-weight ratio over a short training run, left on for every step

A GradientFlowRecorder stays attached, with the optimizer's step hooks, for a short training
run on a synthetic regression task (a fixed random teacher network). Three runs: a deep
sigmoid MLP and a He-initialised ReLU MLP trained with plain SGD, and the same sigmoid MLP
trained with Adam. The update-to-weight ratio ‖ΔW‖/‖W‖ of each layer at each step shows which
layers learn; the Adam run shows the rule of thumb's main caveat: an optimizer that normalises
each coordinate gives every layer a similar update ratio, whatever its gradient.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, mlp, new_figure, rounded
from gradient_flow import GradientFlowRecorder

# --8<-- [start:train]
RUNS = {  # name: (activation, initialisation, optimizer, learning rate)
    "sigmoid_sgd": ("sigmoid", "xavier", "sgd", 0.1),
    "relu_sgd": ("relu", "he", "sgd", 0.01),
    "sigmoid_adam": ("sigmoid", "xavier", "adam", 1e-3),
}


def train(activation, init, optimizer_name, lr, depth, width, batch, steps, seed):
    rng = generator(seed)
    teacher = torch.randn(width, width, generator=rng) / width**0.5
    inputs = torch.randn(batch, width, generator=rng)
    targets = torch.tanh(inputs @ teacher)
    model = mlp(depth, width, activation=activation, init=init, seed=seed)
    optimizer = (torch.optim.SGD if optimizer_name == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    start = [p.detach().clone() for p in model.parameters()]
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        recorder.record()
        optimizer.step()
        losses.append(float(loss.detach()))
    recorder.detach()
    names = [n for n, p in model.named_parameters() if p.dim() >= 2]
    updates = {n: [u[n] for u in recorder.updates] for n in names}  # per layer, per step
    moved = [float((p.detach() - p0).norm() / p0.norm()) for p, p0 in zip(model.parameters(), start)]
    return recorder, names, updates, moved, losses
# --8<-- [end:train]


def first_layer_moved_float64(activation, init, lr, depth, width, batch, steps, seed):
    """The SGD run again in float64 (same data, same initial weights, no recorder): how far
    the first layer moves when its updates are not rounded away by float32."""
    rng = generator(seed)
    teacher = torch.randn(width, width, generator=rng) / width**0.5
    inputs = torch.randn(batch, width, generator=rng).double()
    targets = torch.tanh(inputs @ teacher.double())
    model = mlp(depth, width, activation=activation, init=init, seed=seed).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    first = next(model.parameters())
    start = first.detach().clone()
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float((first.detach() - start).norm() / start.norm())


RULE_OF_THUMB = 1e-3  # the update-to-weight ratio per step often called healthy (CS231n), drawn dashed


def measure(depth: int = 16, width: int = 64, batch: int = 64, steps: int = 30, seed: int = 0) -> dict:
    runs = {}
    for name, (activation, init, optimizer_name, lr) in RUNS.items():
        recorder, names, updates, moved, losses = train(activation, init, optimizer_name, lr, depth, width,
                                                       batch, steps, seed)
        median = [float(np.median(updates[n])) for n in names]
        diagnosis = recorder.diagnose()  # at the last recorded step
        runs[name] = {
            "lr": lr,
            "loss_first": rounded(losses[0]),
            "loss_last": rounded(losses[-1]),
            "median_update": rounded(median),  # per layer, input → output
            "first_over_last_update": rounded(median[0] / median[-1]),
            "moved_first": rounded(moved[0]),  # ‖W_end − W_start‖ / ‖W_start‖ of the first layer
            "moved_last": rounded(moved[-1]),
            "updates_first": rounded(updates[names[0]]),
            "updates_last": rounded(updates[names[-1]]),
            "grad_first": rounded(recorder.history(names[0])),
            "grad_last": rounded(recorder.history(names[-1])),
            "last_step_flags": sorted({f.kind for f in diagnosis["flags"]}),
            "last_step_trend": rounded(diagnosis["trends"]["gradient-to-weight ratio"]["trend_decades"], 4),
            "report": recorder.report().splitlines(),
        }
    activation, init, _, lr = RUNS["sigmoid_sgd"]
    runs["sigmoid_sgd"]["moved_first_float64"] = rounded(
        first_layer_moved_float64(activation, init, lr, depth, width, batch, steps, seed))
    return {"depth": depth, "width": width, "steps": steps, "runs": runs}


def plot(results: dict) -> dict:
    fig, axes = new_figure(ncols=3, height=3.0)
    titles, not_drawn = {}, []
    for ax, (name, run) in zip(axes, results["runs"].items()):
        steps = np.arange(len(run["updates_first"]))
        title = name.replace("_", " + ").replace("sgd", "SGD").replace("adam", "Adam")
        first = np.asarray(run["updates_first"], dtype=float)
        # A log axis cannot show an update of exactly 0: say so instead of drawing nothing.
        zero = not (first > 0).any()
        if zero:
            not_drawn.append(title)
        ax.semilogy(steps, np.where(first > 0, first, np.nan), color="C0")
        ax.semilogy(steps, run["updates_last"], color="C1")
        if zero:
            ax.text(0.04, 0.06, "first layer: exactly 0,\nnot drawn on a log axis", transform=ax.transAxes,
                    color="C0", fontsize=9)
        ax.axhline(RULE_OF_THUMB, ls="--", lw=1, color=ax.xaxis.label.get_color())
        ax.set(xlabel="optimizer step", title=title)
        ax.minorticks_off()
    axes[0].set_ylabel(r"$\|\Delta W\| \,/\, \|W\|$ per step")
    fig.legend(["first layer", "last layer"], loc="outside lower center", ncols=2)
    zero_text = (
        f" In {', '.join(not_drawn)} the first layer's update is exactly zero in float32, which a log axis "
        "cannot show; the panel says so in words."
        if not_drawn else ""
    )
    alt = (
        "Three log-scale panels of the update-to-weight ratio per optimizer step for the first and last layer, "
        "with a dashed line at one thousandth. Sigmoid with SGD: the last layer's ratio sits near the line while "
        "the first layer's is far below it. ReLU with He initialisation and SGD: both layers' ratios are "
        "close together. Sigmoid with Adam: both layers' ratios are close together near the line, although the "
        "gradients still vanish." + zero_text
    )
    return {"updates": (fig, alt)}


CLAIMS = (
    Claim("sigmoid_sgd_first_layer_moves_in_float64",
          "The same sigmoid SGD run in float64: the first layer does move, by a tiny relative amount.",
          lambda r: r["runs"]["sigmoid_sgd"]["moved_first_float64"], at_least=1e-13, at_most=1e-9,
          fmt=".1e"),
    Claim("sigmoid_sgd_first_layer_never_moves",
          "Sigmoid MLP with SGD: after the run the first layer has moved by ‖W_end − W_start‖/‖W_start‖ of…",
          lambda r: r["runs"]["sigmoid_sgd"]["moved_first"], at_most=1e-7, fmt=".1e"),
    Claim("sigmoid_sgd_last_layer_moves",
          "…while its last layer has moved by a few per cent.",
          lambda r: r["runs"]["sigmoid_sgd"]["moved_last"], at_least=0.02, fmt=".3f"),
    Claim("relu_sgd_layers_learn_alike",
          "He-initialised ReLU MLP with SGD: first layer's median update-to-weight ratio over the last layer's.",
          lambda r: r["runs"]["relu_sgd"]["first_over_last_update"], at_least=0.3, at_most=4.0, fmt=".2f"),
    Claim("adam_does_not_rescue_first_layer",
          "Sigmoid MLP with Adam: the first layer still barely moves (relative change over the run).",
          lambda r: r["runs"]["sigmoid_adam"]["moved_first"], at_most=1e-4, fmt=".1e"),
    Claim("adam_run_still_flagged",
          "Sigmoid MLP with Adam: at the last step the recorder still flags vanishing (trend in decades).",
          lambda r: r["runs"]["sigmoid_adam"]["last_step_trend"], at_most=-5.0, fmt=".1f"),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
