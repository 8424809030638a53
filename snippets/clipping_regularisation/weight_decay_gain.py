"""Weight regularisation in PyTorch: the penalty, weight decay, and what they do to the recurrent gain

The source note computes an L2 penalty with TensorFlow 1 collections. In PyTorch there is
no collection: the penalty is a sum over the parameters you choose, added to the loss, or
the optimiser's ``weight_decay``. For plain SGD the two are the same update; for Adam they
are not, and AdamW's decoupled decay (Loshchilov & Hutter 2019) is a third thing. We check
all three on the recurrent network of the clipping experiment, then train it at three
decay strengths and follow the spectral norm of its recurrent matrix — an upper bound on
how much one time step can stretch a backward gradient, since tanh' ≤ 1 — and the loss.
"""

import numpy as np
import torch
from torch import nn

from snippets.clipping_regularisation.rnn_clipping_training import recall_task, tanh_rnn
from snippets.common import Claim, generator, new_figure, rounded


# --8<-- [start:penalties]
def l2_penalty(model: nn.Module) -> torch.Tensor:
    """tf.add_n([tf.nn.l2_loss(v) for v in weights]): tf.nn.l2_loss(v) is sum(v ** 2) / 2."""
    return sum((p**2).sum() / 2 for name, p in model.named_parameters() if "weight" in name)


def l1_penalty(model: nn.Module) -> torch.Tensor:
    return sum(p.abs().sum() for name, p in model.named_parameters() if "weight" in name)


def decay_groups(model: nn.Module, weight_decay: float) -> list:
    """Optimiser parameter groups: decay the weights, not the biases (as the penalty above)."""
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    others = [p for name, p in model.named_parameters() if "weight" not in name]
    return [{"params": weights, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


# Three ways to regularise the weights with strength alpha:
#   loss = task_loss + alpha * l2_penalty(model); torch.optim.SGD(model.parameters(), lr)
#   torch.optim.SGD(decay_groups(model, alpha), lr)        # the same update as the line above
#   torch.optim.AdamW(decay_groups(model, alpha), lr)      # decoupled: not the same as Adam + penalty
# and an L1 penalty: loss = task_loss + alpha * l1_penalty(model)
# --8<-- [end:penalties]


class Recurrent(nn.Module):
    def __init__(self, hidden: int, radius: float, rng: torch.Generator):
        super().__init__()
        self.rnn, self.head = tanh_rnn(hidden, radius, rng)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


# --8<-- [start:train]
def train(model, x, y, order, optimiser, penalty: float = 0.0, max_norm: float | None = None) -> dict:
    losses, spectral = [], []
    for index in order:
        loss = nn.functional.mse_loss(model(x[index]), y[index])
        objective = loss + penalty * l2_penalty(model) if penalty else loss
        optimiser.zero_grad()
        objective.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimiser.step()
        losses.append(float(loss.detach()))
        spectral.append(float(torch.linalg.matrix_norm(model.rnn.weight_hh_l0.detach(), ord=2)))
    return {"losses": losses, "spectral_norm": spectral}


def max_difference(a: nn.Module, b: nn.Module) -> float:
    return max(float((p - q).detach().abs().max()) for p, q in zip(a.parameters(), b.parameters()))
# --8<-- [end:train]


# --8<-- [start:measure]
DECAYS = {"none": 0.0, "weak": 0.01, "strong": 0.1}


def measure(hidden: int = 32, radius: float = 2.0, seq_len: int = 20, samples: int = 256, batch: int = 32,
            steps: int = 150, lr: float = 0.2, max_norm: float = 1.0, check_steps: int = 20,
            check_decay: float = 0.01, check_lr: float = 0.02,
            check_radius: float = 0.9, decays=DECAYS, seed: int = 0) -> dict:
    rng = generator(seed)
    x, y = recall_task(rng, samples, seq_len)
    order = [torch.randint(0, samples, (batch,), generator=rng) for _ in range(steps)]
    fresh = lambda: Recurrent(hidden, radius, generator(seed + 1))  # noqa: E731 - same initial weights each time

    # 1. Penalty in the loss versus the optimiser's weight decay, from identical starts and batches
    #    (a calm network: spectral radius 0.9, a small learning rate, no clipping), and once more for SGD
    #    with clipping.
    names = ("sgd_penalty", "sgd_decay", "adam_penalty", "adam_decay", "adamw", "sgd_penalty_clip", "sgd_decay_clip")
    # Not chaotic, so rounding differences stay small.
    calm = lambda: Recurrent(hidden, check_radius, generator(seed + 1))  # noqa: E731
    models = {name: calm() for name in names}
    optimisers = {
        name: torch.optim.SGD(models[name].parameters(), lr=check_lr) if name.startswith("sgd_penalty")
        else torch.optim.SGD(decay_groups(models[name], check_decay), lr=check_lr) if name.startswith("sgd_decay")
        else torch.optim.Adam(models[name].parameters(), lr=check_lr) if name == "adam_penalty"
        else torch.optim.Adam(decay_groups(models[name], check_decay), lr=check_lr) if name == "adam_decay"
        else torch.optim.AdamW(decay_groups(models[name], check_decay), lr=check_lr)
        for name in names
    }
    for name, model in models.items():
        penalty = check_decay if "penalty" in name else 0.0
        clip = max_norm if name.endswith("clip") else None
        train(model, x, y, order[:check_steps], optimisers[name], penalty=penalty, max_norm=clip)
    start = calm()
    equivalence = {
        "sgd_penalty_vs_decay": rounded(max_difference(models["sgd_penalty"], models["sgd_decay"])),
        "adam_penalty_vs_decay": rounded(max_difference(models["adam_penalty"], models["adam_decay"])),
        "adam_penalty_vs_adamw": rounded(max_difference(models["adam_penalty"], models["adamw"])),
        "sgd_clipped_penalty_vs_decay": rounded(max_difference(models["sgd_penalty_clip"], models["sgd_decay_clip"])),
        "sgd_moved": rounded(max_difference(models["sgd_decay"], start)),
        "adam_moved": rounded(max_difference(models["adam_decay"], start)),
    }
    for key, moved in (("sgd_penalty_vs_decay", "sgd_moved"), ("sgd_clipped_penalty_vs_decay", "sgd_moved"),
                       ("adam_penalty_vs_decay", "adam_moved"), ("adam_penalty_vs_adamw", "adam_moved")):
        equivalence[key + "_relative"] = rounded(equivalence[key] / equivalence[moved])

    # 2. Training with clipping at three decay strengths: the recurrent gain and the loss.
    by_decay = {}
    for name, decay in decays.items():
        model = fresh()
        run = train(model, x, y, order, torch.optim.SGD(decay_groups(model, decay), lr=lr), max_norm=max_norm)
        w = model.rnn.weight_hh_l0.detach()
        by_decay[name] = {
            "decay": decay,
            "losses": rounded(run["losses"]),
            "spectral_norm": rounded(run["spectral_norm"]),
            "final_spectral_norm": rounded(run["spectral_norm"][-1]),
            "final_spectral_radius": rounded(float(torch.linalg.eigvals(w).abs().max())),
            "final_loss": rounded(float(np.mean(run["losses"][-20:]))),
        }
    none, weak, strong = (by_decay[k] for k in ("none", "weak", "strong"))
    return {
        "hidden": hidden,
        "radius": radius,
        "steps": steps,
        "lr": lr,
        "check_steps": check_steps,
        "check_decay": check_decay,
        "check_lr": check_lr,
        "check_radius": check_radius,
        "target_variance": rounded(float(y.var())),
        "equivalence": equivalence,
        "by_decay": by_decay,
        "weak_norm_ratio": rounded(weak["final_spectral_norm"] / none["final_spectral_norm"]),
        "weak_loss_ratio": rounded(weak["final_loss"] / none["final_loss"]),
        "strong_norm_ratio": rounded(strong["final_spectral_norm"] / none["final_spectral_norm"]),
        "equivalent_worst_relative": max(equivalence["sgd_penalty_vs_decay_relative"],
                                         equivalence["adam_penalty_vs_decay_relative"]),
        "strong_loss_over_variance": rounded(strong["final_loss"] / float(y.var())),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    for name, entry in results["by_decay"].items():
        steps = np.arange(1, len(entry["losses"]) + 1)
        label = f"weight decay {entry['decay']:g}"
        left.plot(steps, entry["spectral_norm"], label=label)
        smooth = np.convolve(entry["losses"], np.ones(10) / 10, mode="valid")  # running mean of 10 steps
        right.plot(steps[9:], smooth, label=label)
    left.axhline(1.0, ls=":", lw=1, color="0.5")
    left.set(xlabel="SGD step", ylabel="‖W_hh‖₂", title="recurrent matrix: spectral norm", yscale="log")
    right.axhline(results["target_variance"], ls=":", lw=1, color="0.5")
    right.set(xlabel="SGD step", ylabel="training loss (MSE)", title="loss, running mean of 10 steps")
    left.legend(fontsize=8)
    alt = (
        "First panel: spectral norm of the recurrent matrix during training, on a log axis, for "
        "weight decay 0, 0.01 and "
        "0.1. Without decay it stays above 3; weak decay lowers it by about a quarter; strong decay drives it "
        "down to around 1, the dotted line, or below. Second panel: the training loss, averaged over 10 steps; the "
        "dotted line is the loss of predicting zero. No decay and weak decay both fall well below it; strong "
        "decay stays near it."
    )
    return {"decay": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "penalty_equals_weight_decay",
        "Without clipping, an L2 penalty in the loss and the optimiser's weight_decay give the same weights, "
        "for SGD and for Adam (largest difference, relative to how far the weights moved).",
        lambda r: r["equivalent_worst_relative"],
        at_most=1e-5,
        fmt=".1e",
    ),
    Claim(
        "adamw_is_not_adam_plus_penalty",
        "AdamW's decoupled decay ends somewhere else than Adam with the same L2 penalty (relative difference).",
        lambda r: r["equivalence"]["adam_penalty_vs_adamw_relative"],
        at_least=0.2,
    ),
    Claim(
        "clipping_separates_penalty_and_decay",
        "With clip_grad_norm_, SGD with the penalty and SGD with weight_decay part ways: the penalty's gradient "
        "is clipped, the decay is not (relative difference).",
        lambda r: r["equivalence"]["sgd_clipped_penalty_vs_decay_relative"],
        at_least=0.005,
    ),
    Claim(
        "weak_decay_lowers_recurrent_gain",
        "Weight decay [[setup.decays.weak|g]] lowers the recurrent matrix's spectral norm after training (ratio to no decay).",
        lambda r: r["weak_norm_ratio"],
        at_least=0.7,
        at_most=0.85,
    ),
    Claim(
        "strong_decay_costs_the_task",
        "Weight decay [[setup.decays.strong|g]] shrinks ‖W_hh‖₂ to [[at_most]] or less of its undecayed value (ratio)…",
        lambda r: r["strong_norm_ratio"],
        at_most=0.45,
    ),
    Claim(
        "strong_decay_forgets",
        "…and the network no longer beats predicting zero: final loss over Var(y).",
        lambda r: r["strong_loss_over_variance"],
        at_least=0.75,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
