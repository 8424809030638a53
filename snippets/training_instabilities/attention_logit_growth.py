"""Attention-logit growth at high learning rates, and QK-LayerNorm

Wortsman et al. (2023) reproduced two instabilities of large Transformer training in small
models by raising the learning rate; the first is the growth of the attention logits
q·k/√d_head until the softmax puts all its weight on one key and training stalls
(Dehghani et al. 2023 met it training ViT-22B). A LayerNorm on the queries and on the keys
(QK-LayerNorm) caps every logit at √d_head. We train 2-layer pre-LN Transformer language
models (d_model 32, 2 heads) to copy a sequence of 4 tokens, with AdamW for 80 steps at
five learning rates, with and without QK-LayerNorm, from two initial networks each: 20
runs, as one batched program. We record each run's largest attention logit and mean
attention entropy at every step, and its final loss (the mean of the last 10 steps).
"""

import math

import numpy as np
import torch

from snippets.common import Claim, new_figure, rounded
from snippets.training_instabilities._model import train

LEARNING_RATES = (0.003, 0.01, 0.03, 0.1, 0.3)


# --8<-- [start:measure]
def measure(replicas: int = 2, steps: int = 80, layers: int = 2, d: int = 32, heads: int = 2,
            vocab: int = 16, half: int = 4, batch: int = 8, eps: float = 1e-8,
            solved: float = 0.5, seed: int = 0) -> dict:
    settings = [(qk, lr) for qk in (False, True) for lr in LEARNING_RATES for _ in range(replicas)]
    qk_norm = torch.tensor([qk for qk, _ in settings])
    lr = torch.tensor([lr for _, lr in settings])
    members = len(settings)
    record = train(lr, qk_norm, torch.zeros(members), torch.full((members,), eps),
                   replicas=replicas, steps=steps, layers=layers, d=d, heads=heads, vocab=vocab,
                   half=half, batch=batch, seed=seed)
    initial_loss = record["loss"][0]
    # a run whose loss turned non-finite counts at its initial loss (as Wortsman et al. clip)
    final = np.minimum(record["loss"][-10:].mean(0), initial_loss)
    logits = record["max_attention_logit"]  # (steps, members)
    by = lambda qk: {f"{rate:g}": [i for i, s in enumerate(settings) if s == (qk, rate)]
                     for rate in LEARNING_RATES}
    runs = {"plain": by(False), "qk_norm": by(True)}
    high = LEARNING_RATES[-2:]  # the two highest rates
    pick = lambda name, rates: [i for rate in rates for i in runs[name][f"{rate:g}"]]
    final_by = {name: {rate: rounded(final[ids]) for rate, ids in group.items()}
                for name, group in runs.items()}
    median_by = {name: [float(np.median(final[ids])) for ids in group.values()]
                 for name, group in runs.items()}
    # Wortsman et al.'s learning-rate sensitivity: the mean excess of the final loss over
    # the best final loss of the sweep, over the rates
    best = min(min(m) for m in median_by.values())
    sensitivity = {name: float(np.mean(m) - best) for name, m in median_by.items()}
    growth = logits[-1] / logits[0]
    entropy = record["attention_entropy"][-10:].mean(0)  # nats, mean of the last 10 steps
    failed = lambda name, rates: int((final[pick(name, rates)] > solved).sum())
    return {
        "learning_rates": list(LEARNING_RATES),
        "runs_per_setting": replicas,
        "high_rates_runs": replicas * len(high),
        "head_dim": d // heads,
        "logit_bound": rounded(math.sqrt(d // heads)),
        "logit_curves": {name: {rate: rounded(np.median(logits[:, ids], 1)[::2])
                                for rate, ids in group.items()} for name, group in runs.items()},
        "final_loss": final_by,
        "median_final_loss": {name: rounded(m) for name, m in median_by.items()},
        "initial_loss": rounded(float(initial_loss.mean())),
        "chance_loss": rounded(math.log(vocab - 1)),
        "sensitivity": {name: rounded(s) for name, s in sensitivity.items()},
        "sensitivity_ratio": rounded(sensitivity["qk_norm"] / sensitivity["plain"]),
        "failed_high": {"plain": failed("plain", high), "qk_norm": failed("qk_norm", high)},
        "failed_at": {name: [failed(name, [rate]) for rate in LEARNING_RATES] for name in runs},
        "smallest_growth_high_plain": rounded(float(growth[pick("plain", high)].min())),
        "largest_logit_high_plain": rounded(float(logits[:, pick("plain", high)].max())),
        "largest_logit_qk_norm": rounded(float(logits[:, qk_norm.numpy()].max())),
        "largest_attention_logit_qk_norm_over_bound": rounded(
            float(logits[:, qk_norm.numpy()].max()) / math.sqrt(d // heads)),
        "uniform_entropy": rounded(float(np.mean([math.log(i + 1) for i in range(2 * half)]))),
        "initial_entropy": rounded(float(record["attention_entropy"][0].mean())),
        "entropy_high": {"plain": rounded(float(np.median(entropy[pick("plain", high)]))),
                         "qk_norm": rounded(float(np.median(entropy[pick("qk_norm", high)])))},
        "largest_entropy_high_plain": rounded(float(entropy[pick("plain", high)].max())),
        "smallest_entropy_high_qk_norm": rounded(float(entropy[pick("qk_norm", high)].min())),
        "qk_norm_lower_high": int((final[pick("qk_norm", high)] < final[pick("plain", high)]).sum()),
        "nonfinite_runs": int((~np.isfinite(record["loss"][-1])).sum()),
        "exercise": {  # the middle rate, without QK-LayerNorm: median over its runs
            "logit_start": rounded(float(np.median(logits[0, runs["plain"][f"{LEARNING_RATES[2]:g}"]]))),
            "logit_mid_plain": rounded(float(np.median(logits[-1, runs["plain"][f"{LEARNING_RATES[2]:g}"]]))),
        },
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    rates = results["learning_rates"]
    fig, ax = new_figure(width=6.4, height=3.4)
    steps = 1 + 2 * np.arange(len(results["logit_curves"]["plain"][f"{rates[0]:g}"]))
    for colour, rate in zip(("C0", "C1", "C3"), (rates[0], rates[-2], rates[-1])):
        ax.plot(steps, results["logit_curves"]["plain"][f"{rate:g}"], color=colour,
                label=f"lr {rate:g}")
        ax.plot(steps, results["logit_curves"]["qk_norm"][f"{rate:g}"], color=colour, ls="--",
                label=f"lr {rate:g}, QK-LayerNorm")
    ax.axhline(results["logit_bound"], color="C6", lw=0.8, ls=":")
    ax.set(yscale="log", xlabel="AdamW step", ylabel="largest logit q·k/√d_head",
           title="median of the runs")
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)
    alt = ("The largest attention logit against the training step, on a logarithmic scale, for "
           "the lowest learning rate and the two highest, with and without QK-LayerNorm. "
           "Without it the logit climbs from a few units to thousands at the high rates; with "
           "it every curve stays just under the dotted line at the square root of the head "
           "dimension.")
    logits = (fig, alt)

    fig, ax = new_figure(width=6.4, height=3.4)
    for colour, (name, label) in zip(("C0", "C1"), (("plain", "pre-LN"),
                                                   ("qk_norm", "pre-LN + QK-LayerNorm"))):
        for rate, values in results["final_loss"][name].items():
            ax.plot([float(rate)] * len(values), values, "o", color=colour, ms=4, alpha=0.6)
        ax.plot(rates, results["median_final_loss"][name], color=colour, label=label)
    ax.axhline(results["chance_loss"], color="C6", lw=0.8, ls=":")
    ax.set(xscale="log", xlabel="learning rate (AdamW)", ylabel="final loss")
    ax.legend(fontsize=9)
    alt = ("Final loss against the learning rate, on a logarithmic axis, for pre-LN "
           "Transformers with and without QK-LayerNorm, each run a dot and the median a line. "
           "Both reach near-zero loss at moderate rates; at the higher rates the runs without "
           "QK-LayerNorm end at high loss first, so their curve turns up one rate earlier.")
    return {"logits": logits, "sensitivity": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "attention_logits_grow_at_high_rates",
        "Without QK-LayerNorm, at the two highest learning rates the largest attention logit "
        "of every run ends at least [[at_least|g]] times its initial value.",
        lambda r: r["smallest_growth_high_plain"],
        at_least=30,
    ),
    Claim(
        "qk_layernorm_caps_logits",
        "With QK-LayerNorm no attention logit of any run, at any step, exceeds "
        "√d_head = [[results.logit_bound|g]].",
        lambda r: r["largest_attention_logit_qk_norm_over_bound"],
        at_most=1.0,
    ),
    Claim(
        "attention_entropy_collapses_at_high_rates",
        "Without QK-LayerNorm, at the two highest learning rates the mean attention entropy of "
        "every run ends below [[at_most|g]] nats (attention spread evenly over the keys would have "
        "[[results.uniform_entropy|.2f]]).",
        lambda r: r["largest_entropy_high_plain"],
        at_most=0.5,
    ),
    Claim(
        "qk_layernorm_ends_lower_at_high_rates",
        "At the two highest learning rates, the run with QK-LayerNorm ends at a lower loss than "
        "the same initial network without it.",
        lambda r: r["qk_norm_lower_high"],
        at_least=2,
        out_of=4,
    ),
    Claim(
        "runs_stall_at_high_rates_without_qk_layernorm",
        "Without QK-LayerNorm, runs at the two highest learning rates fail to learn the task "
        "(final loss above [[setup.solved|g]]).",
        lambda r: r["failed_high"]["plain"],
        at_least=2,
        out_of=4,
    ),
    Claim(
        "runs_stall_rather_than_overflow",
        "No run of the sweep ends with a non-finite loss: the runs that fail stall at a finite "
        "loss instead of overflowing.",
        lambda r: r["nonfinite_runs"],
        at_most=0,
    ),
    Claim(
        "qk_layernorm_flattens_sensitivity",
        "QK-LayerNorm lowers the learning-rate sensitivity (the mean excess of the final loss "
        "over the best, across the rates) below its value without (a ratio under [[at_most|g]]).",
        lambda r: r["sensitivity_ratio"],
        at_most=1.0,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
