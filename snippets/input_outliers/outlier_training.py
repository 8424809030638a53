"""Training with one outlier: plain SGD under MSE, and three ways to keep it stable

A small ReLU network learns a noisy linear teacher from a few hundred synthetic samples
with plain minibatch SGD, at a learning rate that trains the clean data without trouble.
Then one sample's input is multiplied by a large factor (a unit mix-up, a sensor glitch)
and the same training is run again: under MSE, under the Huber loss, with the inputs
standardised (mean and standard deviation computed on the contaminated data, as a
pipeline would), robustly scaled (median and MAD, values clipped to ±3), and with each sample's gradient clipped to a fixed norm before averaging.
We track the MSE on a clean held-out set; a run whose loss passes 10⁶ counts as diverged.
"""

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
#: A run whose held-out loss passes this has diverged.
DIVERGED_LOSS = 1e6
STABLE = ("huber", "robust", "clipped")
RUNS = ("clean", "mse", "huber", "standardised", "robust", "clipped")


def make_model(features: int, hidden: int, rng: torch.Generator) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    with torch.no_grad():  # He initialisation, zero biases
        for layer in (model[0], model[2]):
            layer.weight.normal_(0, (2 / layer.in_features) ** 0.5, generator=rng)
            layer.bias.zero_()
    return model


def per_sample_clipped_gradient(model, x, y, max_norm: float) -> dict:
    """Mean over the batch of each sample's MSE gradient, each clipped to norm ≤ max_norm."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, xi, yi):
        return (functional_call(model, p, (xi.unsqueeze(0),)).squeeze() - yi) ** 2

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
    scale = (max_norm / (norms + 1e-12)).clamp(max=1.0)
    return {k: (g * scale.view(-1, *[1] * (g.dim() - 1))).mean(0) for k, g in grads.items()}


def measure(samples: int = 256, features: int = 8, hidden: int = 32, batch: int = 32, steps: int = 300,
            lr: float = 0.05, outlier_scale: float = 30.0, clip: float = 1.0, seed: int = 0) -> dict:
    rng = generator(seed)
    teacher = torch.randn(features, generator=rng) / features**0.5
    x = torch.randn(samples, features, generator=rng)
    y = x @ teacher + 0.1 * torch.randn(samples, generator=rng)
    x_test = torch.randn(1024, features, generator=rng)
    y_test = x_test @ teacher
    x_bad = x.clone()
    x_bad[0] *= outlier_scale  # one sample's input, blown up
    init_state = make_model(features, hidden, rng).state_dict()
    order = torch.stack([torch.randperm(samples, generator=rng)[:batch] for _ in range(steps)])
    by_run = {}
    for run in RUNS:
        model = make_model(features, hidden, generator(0))
        model.load_state_dict(init_state)
        inputs, test_inputs = (x if run == "clean" else x_bad), x_test
        if run == "standardised":  # z-scores with the contaminated data's mean and standard deviation
            mean, std = x_bad.mean(0), x_bad.std(0)
            inputs, test_inputs = (x_bad - mean) / std, (x_test - mean) / std
        if run == "robust":  # median and MAD, then every value clipped to ±3 robust standard deviations
            median = x_bad.median(0).values
            mad = 1.4826 * (x_bad - median).abs().median(0).values
            inputs, test_inputs = ((x_bad - median) / mad).clamp(-3, 3), ((x_test - median) / mad).clamp(-3, 3)
        loss_fn = nn.functional.huber_loss if run == "huber" else nn.functional.mse_loss
        curve, diverged_at, outlier_steps = [], None, 0
        for step in range(steps):
            idx = order[step]
            outlier_steps += int((idx == 0).any())
            if run == "clipped":
                grads = per_sample_clipped_gradient(model, inputs[idx], y[idx], clip)
            else:
                model.zero_grad(set_to_none=True)
                loss_fn(model(inputs[idx]).squeeze(1), y[idx]).backward()
                grads = {k: p.grad for k, p in model.named_parameters()}
            with torch.no_grad():
                for k, p in model.named_parameters():
                    p -= lr * grads[k]
                test_loss = float(nn.functional.mse_loss(model(test_inputs).squeeze(1), y_test))
            if not np.isfinite(test_loss) or test_loss > DIVERGED_LOSS:
                diverged_at = step + 1  # SGD steps counted from 1
                break
            curve.append(test_loss)
        by_run[run] = {
            "curve": rounded(curve, 4),
            "diverged": diverged_at is not None,
            "diverged_at": diverged_at,  # None: it never diverged (no number for prose to print)
            "final": rounded(curve[-1]) if diverged_at is None else None,
            "peak": rounded(max(curve)) if curve else None,
            "batches_with_outlier": outlier_steps,
        }
    clean_final = by_run["clean"]["final"]
    return {
        "steps": steps,
        "lr": lr,
        "outlier_scale": outlier_scale,
        "samples": samples,
        "batch": batch,
        # After standardising, the outlier is still this many standard deviations out (largest |z|).
        "outlier_z_after_standardising": rounded(float(((x_bad[0] - x_bad.mean(0)) / x_bad.std(0)).abs().max())),
        # Samuelson (1968): no point of n lies more than (n − 1)/√n sample standard deviations out
        "samuelson_bound": rounded((samples - 1) / samples**0.5),
        "by_run": by_run,
        "stable_worst_peak": max(by_run[r]["peak"] for r in STABLE),
        "stable_worst_final": max(by_run[r]["final"] if not by_run[r]["diverged"] else 1e9 for r in STABLE),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=7.2, height=3.4)
    for run, entry in results["by_run"].items():
        steps = np.arange(1, len(entry["curve"]) + 1)
        label = run + (f" (diverged at step {entry['diverged_at']})" if entry["diverged"] else "")
        (line,) = ax.semilogy(steps, entry["curve"], label=label, lw=1.4)
        if entry["diverged"]:
            ax.plot(steps[-1], entry["curve"][-1], "x", ms=9, color=line.get_color())
    ax.set(xlabel="SGD step", ylabel="MSE on clean held-out data", title=f"one input blown up ×{results['outlier_scale']:g}")
    ax.minorticks_off()  # keeps the SVG small
    ax.legend(fontsize=8)
    alt = (
        "Held-out loss against SGD step on a log axis for six runs. Clean data: the loss falls smoothly. With one "
        "input outlier under MSE the loss jumps by orders of magnitude within the first few dozen steps and the "
        "run diverges; with plain z-score standardisation it also diverges. Huber loss, robust scaling with "
        "clipping and per-sample gradient clipping stay stable: the Huber run shows brief spikes whenever the outlier is in a batch and recovers, the "
        "other two fall smoothly like the clean run."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "mse_with_outlier_diverges",
        "Under MSE, plain SGD with the outlier diverges (held-out loss above [[setup.DIVERGED_LOSS|sci1]]).",
        lambda r: r["by_run"]["mse"]["diverged"],
    ),
    Claim(
        "clean_run_trains",
        "Without the outlier, the same SGD trains: no divergence.",
        lambda r: not r["by_run"]["clean"]["diverged"],
    ),
    Claim(
        "remedies_stay_stable",
        "Huber loss, robust scaling and per-sample clipping all stay stable: highest held-out loss any of them reaches.",
        lambda r: r["stable_worst_peak"],
        at_most=10,
    ),
    Claim(
        "remedies_still_learn",
        "The three stable runs also learn: worst final held-out MSE of the three (the targets' variance is about 1).",
        lambda r: r["stable_worst_final"],
        at_most=0.6,
    ),
    Claim(
        "standardising_leaves_outlier_far_out",
        "After z-score standardisation the outlier is still far out: its largest |z| over the features.",
        lambda r: r["outlier_z_after_standardising"],
        at_least=12,
        fmt=".1f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
