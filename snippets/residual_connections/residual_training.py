"""A deep plain network that does not train next to its residual twin that does

Both networks have the same 30 hidden linear layers of width 32 with PyTorch's default
initialisation (uniform, variance 1/(3·fan_in)) and ReLU. The plain network stacks them;
the residual twin groups them in pairs into 15 blocks h + W₂ ReLU(W₁ ReLU(h)). The task is
a small synthetic regression, y = sin(2 wᵀx / √d) from d = 8 Gaussian inputs, trained by
SGD with momentum for a few hundred steps. With the default scale every plain layer shrinks
the signal, forward and backward, so the plain network's output — and the gradient reaching
its early layers — is nearly zero; the residual twin's identity paths carry both.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, mlp, new_figure, residual_mlp, rounded

# --8<-- [start:measure]
def make_data(samples: int, dim: int, rng: torch.Generator):
    inputs = torch.randn(samples, dim, generator=rng)
    teacher = torch.randn(dim, 1, generator=rng)
    return inputs, torch.sin(2 * inputs @ teacher / math.sqrt(dim))


def train(model, inputs, targets, order, lr):
    """SGD with momentum on the given minibatches; returns per-step losses, initial grads."""
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, foreach=True)
    linears = [m for m in model[1].modules() if isinstance(m, nn.Linear)]
    losses, first_grads = [], None
    for step, rows in enumerate(order):
        loss = nn.functional.mse_loss(model(inputs[rows]), targets[rows])
        optimiser.zero_grad()
        loss.backward()
        if step == 0:  # per-layer weight-gradient norms at initialisation, input → output
            first_grads = [float(m.weight.grad.norm()) for m in linears]
        optimiser.step()
        losses.append(float(loss.detach()))
    return losses, first_grads


def he_plain_ensemble(runs, layers, width, dim, inputs, targets, order, lr, rng):
    """``runs`` plain ReLU nets with He-initialised hidden layers, trained side by side
    (one batched matrix product per layer); returns each run's final MSE (inf: diverged)
    and the median over runs of the training loss at each step."""
    def uniform(*shape, fan_in):  # nn.Linear's default, for the input and output layers
        return (torch.rand(runs, *shape, generator=rng) * 2 - 1) / math.sqrt(fan_in)

    params = [uniform(dim, width, fan_in=dim), uniform(1, width, fan_in=dim),
              uniform(width, 1, fan_in=width), uniform(1, 1, fan_in=width)]
    params += [torch.randn(runs, width, width, generator=rng) * math.sqrt(2 / width)
               for _ in range(layers)]
    for p in params:
        p.requires_grad_(True)

    def forward(x):  # x: (runs, batch, dim)
        h = x @ params[0] + params[1]
        for weight in params[4:]:
            h = torch.relu(h) @ weight
        return torch.relu(h) @ params[2] + params[3]

    optimiser = torch.optim.SGD(params, lr=lr, momentum=0.9, foreach=True)
    medians = []
    for rows in order:
        per_run = ((forward(inputs[rows].expand(runs, -1, -1)) - targets[rows]) ** 2).mean((1, 2))
        optimiser.zero_grad()
        per_run.nan_to_num(0.0, 0.0, 0.0).sum().backward()  # a diverged run stops contributing
        optimiser.step()
        medians.append(float(per_run.detach().nan_to_num(math.inf, math.inf).median()))
    with torch.no_grad():
        final = ((forward(inputs.expand(runs, -1, -1)) - targets) ** 2).mean((1, 2))
    return final.nan_to_num(math.inf, math.inf, math.inf).tolist(), medians


def measure(blocks: int = 15, width: int = 32, dim: int = 8, samples: int = 512, batch: int = 64,
            steps: int = 250, lr: float = 0.05, he_lr: float = 0.01, he_steps: int = 500,
            runs: int = 4, seed: int = 0) -> dict:
    rng = generator(seed)
    inputs, targets = make_data(samples, dim, rng)
    baseline = float(targets.var(unbiased=False))  # MSE of always predicting the mean
    order = torch.randint(0, samples, (max(steps, he_steps), batch), generator=rng)  # shared
    results = {}
    for kind in ("plain", "residual"):
        torch.manual_seed(seed)  # same default-initialised weights, drawn in the same order
        body = mlp(2 * blocks, width, activation="relu", init="default") if kind == "plain" \
            else residual_mlp(blocks, width, activation="relu", init="default")
        model = nn.Sequential(nn.Linear(dim, width), body, nn.Linear(width, 1))
        losses, first_grads = train(model, inputs, targets, order[:steps], lr)
        with torch.no_grad():
            final = float(nn.functional.mse_loss(model(inputs), targets))
        results[kind] = {
            "loss_curve": rounded(np.convolve(losses, np.ones(10) / 10, mode="valid")[::5]),
            "init_weight_grads": rounded(first_grads),
            "final_mse": rounded(final),
            "final_over_baseline": rounded(final / baseline),
            "grad_log10_mean": rounded(float(np.mean(np.log10(first_grads)))),
        }
    # The plain network again, with the matched (He) initialisation, `runs` runs each (the
    # outcome has odds): at a lower learning rate for `he_steps` steps, and at the residual
    # twin's learning rate for its number of steps.
    for name, rate, n in (("plain_he", he_lr, he_steps), ("plain_he_fast", lr, steps)):
        finals, medians = he_plain_ensemble(runs, 2 * blocks, width, dim, inputs, targets,
                                            order[:n], rate, generator(seed + 1))
        ratios = [f / baseline for f in finals]
        curve = np.convolve(np.minimum(medians, 1e6), np.ones(10) / 10, mode="valid")[::5]
        results[name] = {
            "lr": rate,
            "steps": n,
            "trained_runs": sum(r < 0.5 for r in ratios),  # ended below half the baseline
            "failed_runs": sum(not r < 0.5 for r in ratios),  # at the baseline, or diverged
            "diverged_runs": sum(not math.isfinite(r) for r in ratios),
            # capped at 1e6 for the JSON when more than half the runs diverged
            "median_final_over_baseline": rounded(min(float(np.median(ratios)), 1e6)),
            "median_loss_curve": rounded(curve),
            "final_over_baseline": [rounded(min(r, 1e6)) for r in ratios],
        }
    return {"blocks": blocks, "layers": 2 * blocks, "width": width, "steps": steps, "lr": lr,
            "he_lr": he_lr, "he_steps": he_steps, "runs": runs, "baseline_mse": rounded(baseline), **results,
            "grad_gap_decades": rounded(results["residual"]["grad_log10_mean"]
                                        - results["plain"]["grad_log10_mean"])}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    for kind, label in (("plain", "plain, 30 layers"), ("residual", "residual twin, 15 blocks")):
        curve = results[kind]["loss_curve"]
        left.semilogy(9 + 5 * np.arange(len(curve)), curve, label=label)
        grads = results[kind]["init_weight_grads"]
        right.semilogy(np.arange(1, len(grads) + 1), grads, label=label)
    for name, style in (("plain_he", "--"), ("plain_he_fast", "-.")):
        curve = results[name]["median_loss_curve"]
        left.semilogy(9 + 5 * np.arange(len(curve)), curve, ls=style,
                      label=f"plain, He, lr {results[name]['lr']:g} "
                            f"(median of {results['runs']})")
    left.axhline(results["baseline_mse"], ls=":", color="0.5", lw=1.2, label="predict the mean")
    left.set(xlabel="SGD step", ylabel="training MSE (10-step average)", title="training")
    right.set(xlabel="hidden linear layer", ylabel=r"$\|\partial L/\partial W\|$ at step 0",
              title="weight gradients at initialisation")
    handles, labels = left.get_legend_handles_labels()  # one legend, in the right panel's gap
    right.legend(handles, labels, fontsize=9, loc="center")
    alt = (
        "First panel: training loss against SGD step on a log scale. The plain 30-layer network with PyTorch's "
        "default initialisation stays on the grey line of predicting the mean; its residual twin falls about "
        "two decades below it. The same plain network with He initialisation (median of several runs) also "
        "trains at learning rate 0.01 given twice the steps, but stays at the baseline (or diverges) at the "
        "residual twin's learning rate 0.05. Second panel: weight-gradient "
        "norms at initialisation for each of the 30 hidden layers; the plain network's sit many decades below "
        "the residual network's at every layer."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "plain_network_stays_at_baseline",
        "The plain [[results.layers]]-layer network ends at the error of predicting the mean: final MSE / baseline MSE.",
        lambda r: r["plain"]["final_over_baseline"],
        at_least=0.9,
    ),
    Claim(
        "residual_twin_trains",
        "Its residual twin, with the same layers and steps, ends far below the baseline: final MSE / baseline MSE.",
        lambda r: r["residual"]["final_over_baseline"],
        at_most=0.15,
    ),
    Claim(
        "plain_he_trains_at_lower_lr",
        "The plain network with He initialisation trains at learning rate [[setup.he_lr|g]] given [[setup.he_steps]] steps: "
        "runs ending below half the baseline error.",
        lambda r: r["plain_he"]["trained_runs"],
        at_least=3,
        out_of=4,
    ),
    Claim(
        "plain_he_fails_at_residual_lr",
        "At the residual twin's learning rate [[setup.lr|g]] and [[setup.steps]] steps it does not: runs ending below half "
        "the baseline error.",
        lambda r: r["plain_he_fast"]["trained_runs"],
        at_most=1,
        out_of=4,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
