"""A deep plain network that does not train next to its residual twin that does

Both networks have the same 30 hidden linear layers of width 32 with PyTorch's default
initialisation (uniform, variance 1/(3·fan_in)) and ReLU. The plain network stacks them;
the residual twin groups them in pairs into 15 blocks h + W₂ ReLU(W₁ ReLU(h)). The task is
a small synthetic regression, y = sin(2 wᵀx / √d) from d = 8 Gaussian inputs, trained by
SGD with momentum for a few hundred steps. With the default scale every plain layer shrinks
the signal, forward and backward, so the plain network's output — and the gradient reaching
its early layers — is nearly zero; the residual twin's identity paths carry both.
"""

import itertools
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


def default_twins(blocks: int, width: int, dim: int, seed: int) -> dict:
    """The plain network and its residual twin as nn.Sequential models, with PyTorch's
    default initialisation: the same weights, drawn in the same order."""
    twins = {}
    for kind in ("plain", "residual"):
        torch.manual_seed(seed)
        body = mlp(2 * blocks, width, activation="relu", init="default") if kind == "plain" \
            else residual_mlp(blocks, width, activation="relu", init="default")
        twins[kind] = nn.Sequential(nn.Linear(dim, width), body, nn.Linear(width, 1))
    return twins


def stack_models(models) -> list:
    """The weights of K such models stacked along a leading member axis, transposed so that
    member k computes x @ W: [input weight, input bias, hidden weights…, output weight, bias]."""
    def stack(get):
        return torch.stack([get(model).detach() for model in models])

    hidden = lambda model: [m for m in model[1].modules() if isinstance(m, nn.Linear)]
    layers = len(hidden(models[0]))
    return [stack(lambda m: m[0].weight.T), stack(lambda m: m[0].bias[None]),
            *[stack(lambda m, i=i: hidden(m)[i].weight.T) for i in range(layers)],
            stack(lambda m: m[2].weight.T), stack(lambda m: m[2].bias[None])]


def he_plain_weights(runs: int, layers: int, width: int, dim: int, rng) -> list:
    """``runs`` plain ReLU networks with He-initialised hidden layers, stacked the same way
    (the input and output layers keep nn.Linear's default, uniform initialisation)."""
    def uniform(*shape, fan_in):
        return (torch.rand(runs, *shape, generator=rng) * 2 - 1) / math.sqrt(fan_in)

    ends = [uniform(dim, width, fan_in=dim), uniform(1, width, fan_in=dim),
            uniform(width, 1, fan_in=width), uniform(1, 1, fan_in=width)]
    hidden = [torch.randn(runs, width, width, generator=rng) * math.sqrt(2 / width) for _ in range(layers)]
    return [*ends[:2], *hidden, *ends[2:]]


# How each kind of network is wired: (an identity path around each pair of hidden layers,
# a ReLU on the input layer's output, a ReLU before the output layer).
WIRING = {
    "plain": (False, False, True),  # Linear, [Linear, ReLU] × L, Linear: mlp()'s layout
    "residual": (True, True, False),  # Linear, [h + W₂ ReLU(W₁ ReLU(h))] × L/2, Linear
    "plain_he": (False, True, True),  # Linear, [ReLU, Linear] × L, ReLU, Linear
}


def ensemble_forward(params: list, wiring, x: torch.Tensor) -> torch.Tensor:
    """x: (batch, dim), the same for every member -> predictions (K, batch, 1)."""
    skip, relu_first, relu_last = wiring  # (K, 1, 1) booleans
    h = x.expand(len(params[0]), -1, -1) @ params[0] + params[1]
    hidden = params[2:-2]
    for index, (w1, w2) in enumerate(zip(hidden[0::2], hidden[1::2])):
        inner = torch.relu(h) if index else torch.where(relu_first, torch.relu(h), h)
        branch = torch.relu(inner @ w1) @ w2
        h = torch.where(skip, h + branch, branch)
    return torch.where(relu_last, torch.relu(h), h) @ params[-2] + params[-1]


def sgd_momentum_(params, grads, buffers, lr: list, momentum: float) -> None:
    """torch.optim.SGD's step with momentum, member k at learning rate lr[k]. Consecutive
    members with the same rate are updated by one fused p − lr·buffer, as SGD does, so
    that each member's weights are bit for bit those its own optimiser would give."""
    groups, start = [], 0
    for rate, run in itertools.groupby(lr):
        groups.append((start, start + len(list(run)), rate))
        start = groups[-1][1]
    torch._foreach_mul_(buffers, momentum)
    torch._foreach_add_(buffers, grads)
    for start, stop, rate in groups:
        torch._foreach_add_([p[start:stop] for p in params], [b[start:stop] for b in buffers], alpha=-rate)


def train_ensemble(params: list, wiring, lr: list, steps: torch.Tensor, inputs, targets, order,
                   momentum: float = 0.9) -> dict:
    """SGD with momentum on every member at once: member k at learning rate lr[k] for
    steps[k] steps (then it leaves the ensemble), each on the same mini-batches. One loss,
    summed over the members, so that each member's gradient is its own. Returns each
    member's loss at every step (NaN after its last), its hidden-weight gradient norms at
    step 0 (input → output), and its final MSE on all samples (inf: diverged)."""
    members = len(lr)
    active = torch.arange(members)
    losses = torch.full((int(steps.max()), members), math.nan, dtype=params[0].dtype)
    final = torch.empty(members, dtype=params[0].dtype)
    buffers = [torch.zeros_like(p) for p in params]

    def leave(done: torch.Tensor) -> None:  # record the final MSE of members ``done`` (a mask)
        with torch.no_grad():
            out = ensemble_forward([p[done] for p in params], [w[done] for w in wiring], inputs)
            final[active[done]] = ((out - targets) ** 2).mean((1, 2)).nan_to_num(math.inf, math.inf, math.inf)

    for step, rows in enumerate(order[:int(steps.max())]):
        done = steps[active] <= step
        if done.any():
            leave(done)
            keep = ~done
            params = [p[keep].detach().requires_grad_() for p in params]
            buffers, wiring, active = [b[keep] for b in buffers], [w[keep] for w in wiring], active[keep]
        per_member = ((ensemble_forward(params, wiring, inputs[rows]) - targets[rows]) ** 2).mean((1, 2))
        # a diverged member's loss stops contributing
        grads = torch.autograd.grad(per_member.nan_to_num(0.0, 0.0, 0.0).sum(), params)
        if step == 0:
            first_grads = torch.stack([g.flatten(1).norm(dim=1) for g in grads[2:-2]], dim=1)
        with torch.no_grad():
            sgd_momentum_(params, grads, buffers, [lr[k] for k in active.tolist()], momentum)
        losses[step, active] = per_member.detach()
    leave(torch.ones(len(active), dtype=torch.bool))
    return {"losses": losses, "first_grads": first_grads, "final_mse": final}


def measure(blocks: int = 15, width: int = 32, dim: int = 8, samples: int = 512, batch: int = 64,
            steps: int = 250, lr: float = 0.05, he_lr: float = 0.01, he_steps: int = 500,
            runs: int = 4, seed: int = 0) -> dict:
    rng = generator(seed)
    inputs, targets = make_data(samples, dim, rng)
    baseline = float(targets.var(unbiased=False))  # MSE of always predicting the mean
    order = torch.randint(0, samples, (max(steps, he_steps), batch), generator=rng)  # shared
    # All the networks train as one batched program: the plain network and its residual
    # twin; then the plain network with the matched (He) initialisation, `runs` runs each
    # (the outcome has odds), at a lower learning rate for `he_steps` steps and at the
    # residual twin's learning rate for its number of steps (the same initial weights).
    twins = stack_models(list(default_twins(blocks, width, dim, seed).values()))
    he = he_plain_weights(runs, 2 * blocks, width, dim, generator(seed + 1))
    params = [torch.cat([twin, h, h]).requires_grad_() for twin, h in zip(twins, he)]
    arms = [("plain", "plain", lr, steps, 1), ("residual", "residual", lr, steps, 1),
            ("plain_he_fast", "plain_he", lr, steps, runs), ("plain_he", "plain_he", he_lr, he_steps, runs)]
    members = [arm for arm in arms for _ in range(arm[-1])]  # in the order of `params`
    wiring = [torch.tensor([WIRING[m[1]][i] for m in members]).view(-1, 1, 1) for i in range(3)]
    trained = train_ensemble(params, wiring, [m[2] for m in members], torch.tensor([m[3] for m in members]),
                             inputs, targets, order)
    results, start = {}, 0
    for name, _, rate, n, count in arms:
        arm = slice(start, start + count)
        start += count
        losses, final = trained["losses"][:n, arm], trained["final_mse"][arm]
        if count == 1:
            grads = trained["first_grads"][arm][0].tolist()
            results[name] = {
                "loss_curve": rounded(np.convolve(losses[:, 0].tolist(), np.ones(10) / 10, mode="valid")[::5]),
                "init_weight_grads": rounded(grads),
                "final_mse": rounded(float(final[0])),
                "final_over_baseline": rounded(float(final[0]) / baseline),
                "grad_log10_mean": rounded(float(np.mean(np.log10(grads)))),
            }
            continue
        ratios = [f / baseline for f in final.tolist()]
        medians = losses.nan_to_num(math.inf, math.inf).median(dim=1).values.tolist()
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
