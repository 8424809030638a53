"""Output-logit drift and the z-loss

The cross-entropy does not change when the same constant is added to every output logit,
so nothing in the loss holds the log-partition function log Z = log Σ exp(z_j) of the
output in place; at high learning rates it drifts far from zero, which Wortsman et al.
(2023) found to precede the loss's divergence in small models trained long enough. PaLM
(Chowdhery et al. 2022) added the z-loss, 10⁻⁴ · log²Z per token, to pull it back. We
train the copying Transformers of the first experiment with QK-LayerNorm (so the attention
logits stay bounded) at learning rate 0.1 for 80 AdamW steps, four initial networks each
with no z-loss, PaLM's weight 10⁻⁴ and a weight of 10⁻² (12 runs, one batched program),
and record the mean log Z of the output at every step.
"""

import numpy as np
import torch

from snippets.common import Claim, new_figure, rounded
from snippets.training_instabilities._model import train

Z_LOSS_WEIGHTS = (0.0, 1e-4, 1e-2)


# --8<-- [start:measure]
def measure(replicas: int = 4, lr: float = 0.1, steps: int = 80, d: int = 32,
            heads: int = 2, vocab: int = 16, half: int = 4, batch: int = 8,
            eps: float = 1e-8, solved: float = 0.5, seed: int = 0) -> dict:
    weights = torch.tensor([w for w in Z_LOSS_WEIGHTS for _ in range(replicas)])
    members = len(weights)
    record = train(torch.full((members,), lr), torch.ones(members, dtype=torch.bool),
                   weights, torch.full((members,), eps), replicas=replicas, steps=steps,
                   layers=2, d=d, heads=heads, vocab=vocab, half=half, batch=batch, seed=seed)
    log_z, loss = record["log_z"], record["loss"]  # (steps, members)
    group = {name: slice(i * replicas, (i + 1) * replicas)
             for i, name in enumerate(("none", "palm", "strong"))}
    final_log_z = log_z[-10:].mean(0)  # mean of the last 10 steps
    final_loss = np.minimum(loss[-10:].mean(0), loss[0])  # non-finite counts as the start
    return {
        "weights": {"none": 0.0, "palm": Z_LOSS_WEIGHTS[1], "strong": Z_LOSS_WEIGHTS[2]},
        "runs_per_weight": replicas,
        "learning_rate": lr,
        "initial_log_z": rounded(float(log_z[0].mean())),
        "log_z_curves": {name: rounded(np.median(log_z[:, s], 1)[::2]) for name, s in group.items()},
        "log_z_runs": {name: rounded(log_z[::2, s].T) for name, s in group.items()},
        "final_log_z": {name: rounded(final_log_z[s]) for name, s in group.items()},
        "median_final_log_z": {name: rounded(float(np.median(final_log_z[s])))
                               for name, s in group.items()},
        "final_loss": {name: rounded(final_loss[s]) for name, s in group.items()},
        "smallest_drift_without": rounded(float(final_log_z[group["none"]].min())),
        "largest_abs_log_z_strong": rounded(float(np.abs(final_log_z[group["strong"]]).max())),
        "median_abs_log_z_strong": rounded(float(np.median(np.abs(final_log_z[group["strong"]])))),
        "palm_lower_pairs": int((final_log_z[group["palm"]] < final_log_z[group["none"]]).sum()),
        "solved": {name: int((final_loss[s] < solved).sum()) for name, s in group.items()},
        # PaLM's z-loss term per token at the median drift without it: λ · log²Z
        "exercise": {"palm_term": rounded(Z_LOSS_WEIGHTS[1] * float(np.median(final_log_z[group["none"]])) ** 2)},
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.4, height=3.4)
    labels = {"none": "no z-loss", "palm": f"z-loss {results['weights']['palm']:g} (PaLM)",
              "strong": f"z-loss {results['weights']['strong']:g}"}
    for colour, (name, label) in zip(("C3", "C1", "C0"), labels.items()):
        runs = results["log_z_runs"][name]
        steps = 1 + 2 * np.arange(len(runs[0]))
        for i, run in enumerate(runs):
            ax.plot(steps, run, color=colour, lw=1, alpha=0.8, label=label if i == 0 else None)
    ax.axhline(0, color="C6", lw=0.8, ls=":")
    ax.set(xlabel="AdamW step", ylabel="mean log Z of the output",
           title=f"lr {results['learning_rate']:g}, QK-LayerNorm; each line a run")
    ax.legend(fontsize=9)
    alt = ("The mean log-partition function of the output against the training step, one "
           "line per run. Without z-loss it climbs from about three to above twenty; with "
           "PaLM's weight it climbs more slowly; with the hundred-times heavier weight it "
           "falls back to about zero and stays there.")
    return {"log_z": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "log_z_drifts_without_z_loss",
        "Without the z-loss, the median run's log Z ends above [[at_least|g]] (it starts near "
        "the log of the vocabulary size).",
        lambda r: r["median_final_log_z"]["none"],
        at_least=6,
    ),
    Claim(
        "strong_z_loss_holds_log_z_near_zero",
        "With the z-loss at weight [[results.weights.strong|g]], the median run's |log Z| ends "
        "below [[at_most|g]].",
        lambda r: r["median_abs_log_z_strong"],
        at_most=2,
    ),
    Claim(
        "z_loss_costs_no_accuracy",
        "With the z-loss at weight [[results.weights.strong|g]] the runs still learn the task "
        "(final loss below [[setup.solved|g]]).",
        lambda r: r["solved"]["strong"],
        at_least=2,
        out_of=4,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
