"""The initial loss of a classifier against ln C, and what an over-confident output layer costs

Before its first step a C-class classifier whose logits are small predicts nearly uniformly,
so its cross-entropy is close to ln C. We build small MLP classifiers (two He-initialised
ReLU hidden layers) on synthetic C-class tasks for C from 2 to 1000, with three output
layers: all zero, nn.Linear's default, and weights drawn with torch.randn (standard
deviation 1, the 1/√fan-in forgotten), and measure the initial loss of each run, judged by
gradient_flow.initial_loss_check. Then, at one C, the three train side by side with Adam
from the same hidden weights and the same batches: the over-confident runs first spend their
steps shrinking their logits — the "hockey stick" of the loss curve (Karpathy 2019, 2022).
"""

import math

import numpy as np
import torch
from torch.nn import functional as F

from gradient_flow import initial_loss_check
from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
HEADS = ("zero", "default", "randn")  # the output layer: all zero, nn.Linear's default, N(0, 1)


def make_task(num_classes: int, samples: int, dim: int, rng: torch.Generator):
    """A Gaussian mixture: one random mean per class, unit noise, standardised inputs."""
    means = 0.7 * torch.randn(num_classes, dim, generator=rng)
    labels = torch.randint(0, num_classes, (samples,), generator=rng)
    inputs = means[labels] + torch.randn(samples, dim, generator=rng)
    return (inputs - inputs.mean(0)) / inputs.std(0), labels


def init_classifiers(runs: int, num_classes: int, dim: int, width: int, rng: torch.Generator) -> list:
    """``runs`` classifiers per head, stacked on a leading member axis (head-major): the
    hidden layers are He-initialised and shared by the three heads of one run, so that the
    heads differ in their output layer only. Each member computes x @ W + b."""
    hidden = [torch.randn(runs, dim, width, generator=rng) * math.sqrt(2 / dim),
              torch.randn(runs, width, width, generator=rng) * math.sqrt(2 / width)]
    bound = 1 / math.sqrt(width)  # nn.Linear's default: U(−1/√fan_in, 1/√fan_in), weights and bias
    heads = {
        "zero": (torch.zeros(runs, width, num_classes), torch.zeros(runs, 1, num_classes)),
        "default": ((torch.rand(runs, width, num_classes, generator=rng) * 2 - 1) * bound,
                    (torch.rand(runs, 1, num_classes, generator=rng) * 2 - 1) * bound),
        "randn": (torch.randn(runs, width, num_classes, generator=rng), torch.zeros(runs, 1, num_classes)),
    }
    w1, w2 = (w.repeat(len(HEADS), 1, 1) for w in hidden)
    zeros = torch.zeros(len(HEADS) * runs, 1, width)
    return [w1, zeros, w2, zeros.clone(), torch.cat([heads[h][0] for h in HEADS]),
            torch.cat([heads[h][1] for h in HEADS])]


def logits(params: list, inputs: torch.Tensor) -> torch.Tensor:
    w1, b1, w2, b2, w3, b3 = params
    h = torch.relu(inputs @ w1 + b1)
    return torch.relu(h @ w2 + b2) @ w3 + b3  # (members, batch, classes)


def member_losses(params: list, inputs, labels) -> torch.Tensor:
    """The mean cross-entropy of every member on the same batch: (members,)."""
    out = logits(params, inputs)
    members, batch, classes = out.shape
    return F.cross_entropy(out.reshape(-1, classes), labels.repeat(members), reduction="none").view(members, batch).mean(1)


def measure(classes=(2, 10, 100, 1000), dim: int = 16, width: int = 64, batch: int = 512, runs: int = 8,
            train_classes: int = 100, train_runs: int = 4, samples: int = 2048, steps: int = 150,
            train_batch: int = 64, lr: float = 0.003, seed: int = 0) -> dict:
    rng = generator(seed)
    initial = {}
    for num_classes in classes:  # the check: every run's loss before any step
        inputs, labels = make_task(num_classes, batch, dim, rng)
        with torch.no_grad():
            losses = member_losses(init_classifiers(runs, num_classes, dim, width, rng), inputs, labels).view(len(HEADS), runs)
        initial[f"c{num_classes}"] = {"ln_c": rounded(math.log(num_classes)), **{head: {
            "losses": rounded(row.tolist()),
            "median": rounded(float(row.median())),
            "largest_gap": rounded(float((row - math.log(num_classes)).abs().max())),  # |loss − ln C|, nats
            "flagged": sum(not initial_loss_check(loss, num_classes).ok for loss in row.tolist()),
        } for head, row in zip(HEADS, losses)}}
    # Training: the three heads of `train_runs` runs, one batched program; Adam is elementwise,
    # so one Adam over the stacked members steps each member as its own Adam would.
    inputs, labels = make_task(train_classes, samples, dim, rng)
    params = [p.requires_grad_() for p in init_classifiers(train_runs, train_classes, dim, width, rng)]
    optimizer = torch.optim.Adam(params, lr=lr)
    order = torch.randint(0, samples, (steps, train_batch), generator=rng)
    curve = []
    for rows in order:
        losses = member_losses(params, inputs[rows], labels[rows])
        optimizer.zero_grad()
        losses.sum().backward()  # each member's gradient is its own
        optimizer.step()
        curve.append(losses.detach())
    curve = torch.stack(curve).T.reshape(len(HEADS), train_runs, steps)
    head_rms = params[4].detach().flatten(1).pow(2).mean(1).sqrt().view(len(HEADS), train_runs)
    with torch.no_grad():
        final = member_losses(params, inputs, labels).view(len(HEADS), train_runs)
        accuracy = (logits(params, inputs).argmax(-1) == labels).float().mean(1).view(len(HEADS), train_runs)
    ln_c = math.log(train_classes)
    training = {}
    for index, head in enumerate(HEADS):
        below = curve[index] < ln_c  # (runs, steps): the first step whose batch loss is below ln C
        training[head] = {
            "initial_loss": rounded(float(curve[index, :, 0].median())),
            "median_curve": rounded(curve[index].median(0).values.tolist()),
            "steps_to_ln_c": [int(row.nonzero()[0]) if row.any() else steps for row in below],
            "final_loss": rounded(final[index].tolist()),
            "final_accuracy": rounded(accuracy[index].tolist()),
            "median_final_loss": rounded(float(final[index].median())),
            "median_final_accuracy": rounded(float(accuracy[index].median())),
            "final_weight_rms": rounded(float(head_rms[index].median())),  # output weights after training
        }
    randn, default = training["randn"], training["default"]
    return {
        "classes": list(classes), "initial": initial,
        "train_classes": train_classes, "train_ln_c": rounded(ln_c), "steps": steps, "training": training,
        "default_within": max(initial[f"c{c}"]["default"]["largest_gap"] for c in classes),
        "zero_within": max(initial[f"c{c}"]["zero"]["largest_gap"] for c in classes),
        "randn_flagged": sum(initial[f"c{c}"]["randn"]["flagged"] for c in classes),
        "default_flagged": sum(initial[f"c{c}"]["default"]["flagged"] for c in classes),
        # the excess over ln C of the least over-confident run: at two classes (one logit difference,
        # which a random head can by chance align with the labels), and at ten classes or more
        "randn_least_excess_two_classes": rounded(min(initial["c2"]["randn"]["losses"]) - math.log(2)),
        "randn_least_excess_many_classes": rounded(min(min(initial[f"c{c}"]["randn"]["losses"]) - math.log(c)
                                                       for c in classes if c >= 10)),
        "randn_median_excess_two_classes": rounded(initial["c2"]["randn"]["median"] - math.log(2)),
        "randn_initial_over_ln_c": rounded(randn["initial_loss"] / ln_c),
        "randn_median_steps_to_ln_c": float(np.median(randn["steps_to_ln_c"])),
        "default_median_steps_to_ln_c": float(np.median(default["steps_to_ln_c"])),
        "randn_worse_runs": sum(r > d for r, d in zip(randn["final_loss"], default["final_loss"])),
        "final_loss_gap": rounded(randn["median_final_loss"] - default["median_final_loss"]),
        "accuracy_gap_points": rounded(100 * (default["median_final_accuracy"] - randn["median_final_accuracy"])),
        "randn_scale_over_default": rounded(math.sqrt(3 * width)),  # N(0, 1) against U(±1/√width): std ratio
        "randn_weight_rms_over_default": rounded(randn["final_weight_rms"] * math.sqrt(3 * width)),
        "checked_runs": len(classes) * runs,  # per output layer
    }
# --8<-- [end:measure]


LABELS = {"zero": "output layer zero", "default": "nn.Linear default", "randn": "output weights N(0, 1)"}


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    figures = {}
    fig, ax = new_figure(height=3.0)
    classes = results["classes"]
    ax.plot(classes, [math.log(c) for c in classes], color="0.5", ls=":", lw=2, label="ln C (uniform prediction)")
    for head, marker in zip(HEADS, "o^s"):
        for index, c in enumerate(classes):
            losses = results["initial"][f"c{c}"][head]["losses"]
            ax.scatter([c] * len(losses), losses, marker=marker, s=18, alpha=0.6, color=f"C{HEADS.index(head)}",
                       label=LABELS[head] if index == 0 else None)
    ax.set(xscale="log", yscale="log", xlabel="number of classes C", ylabel="cross-entropy before any step",
           title="the initial loss against ln C")
    ax.legend(fontsize=8)
    figures["initial_loss"] = (fig, (
        "Scatter of the initial cross-entropy of several runs against the number of classes C (2, 10, 100, 1000), "
        "both axes logarithmic, with a dotted line at ln C. The runs with a zero output layer lie exactly on the "
        "line and those with nn.Linear's default output layer just on it; the runs whose output weights were "
        "drawn from a standard normal sit far above it at every C, several times ln C."
    ))
    fig, ax = new_figure(height=3.0)
    steps = np.arange(1, results["steps"] + 1)
    for head in HEADS:
        ax.plot(steps, results["training"][head]["median_curve"], label=LABELS[head])
    ax.axhline(results["train_ln_c"], color="0.5", ls=":", lw=2, label="ln C")
    ax.set(ylim=(0, None), xlabel="Adam step", ylabel="cross-entropy (median run)",
           title=f"training, C = {results['train_classes']}")
    ax.legend(fontsize=8)
    figures["hockey_stick"] = (fig, (
        "Median training loss of several runs against the Adam step for a 100-class task, "
        "with a dotted line at ln C. The zero and default output layers start at ln C and fall "
        "from the first steps; the output layer with standard-normal weights starts several times higher, "
        "drops steeply for dozens of steps before it even reaches ln C — a hockey stick — and is still above "
        "the other two at the last step."
    ))
    return figures
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "default_head_starts_at_ln_c",
        "With nn.Linear's default output layer every run starts within [[at_most]] nats of $\\ln C$, at every $C$: "
        "largest $|\\text{loss} - \\ln C|$.",
        lambda r: r["default_within"],
        at_most=0.5,
    ),
    Claim(
        "randn_head_starts_far_above_ln_c",
        "With ten classes or more, an output layer drawn from $\\mathcal{N}(0, 1)$ starts far above $\\ln C$ in every "
        "run: smallest excess over $\\ln C$, in nats.",
        lambda r: r["randn_least_excess_many_classes"],
        at_least=4,
    ),
    Claim(
        "initial_loss_check_flags_the_fault",
        "gradient_flow.initial_loss_check flags the over-confident runs, at every $C$: runs flagged.",
        lambda r: r["randn_flagged"],
        at_least=30,
        out_of=32,
    ),
    Claim(
        "initial_loss_check_passes_the_default",
        "It flags none of the runs with nn.Linear's default output layer: runs flagged.",
        lambda r: r["default_flagged"],
        at_most=0,
        out_of=32,
    ),
    Claim(
        "over_confident_head_spends_its_first_steps",
        "In training, the over-confident runs need many Adam steps just to bring their loss down to $\\ln C$ "
        "(median first step below it).",
        lambda r: r["randn_median_steps_to_ln_c"],
        at_least=20,
    ),
    Claim(
        "over_confident_head_ends_worse",
        "After [[setup.steps]] steps each over-confident run still ends at a higher loss than its twin with the "
        "default output layer: runs worse.",
        lambda r: r["randn_worse_runs"],
        at_least=4,
        out_of=4,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
