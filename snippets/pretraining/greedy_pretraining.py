"""Greedy layer-wise autoencoder pretraining of a deep sigmoid MLP, and the gradient at the start of fine-tuning

The historical remedy (Hinton, Osindero & Teh 2006; Bengio et al. 2007): train the first
layer as the encoder of an autoencoder that reconstructs the input, freeze it, train the
second layer to reconstruct the first layer's output, and so on; then put a classifier on
top and fine-tune everything with backpropagation. We build a 6-layer sigmoid MLP on a
small synthetic classification task, pretrain it this way, and measure the per-layer
gradient of the classification loss at the start of fine-tuning against the same network
with PyTorch's default random initialisation, and against a modern recipe that needs no
pretraining (tanh with Xavier initialisation, Glorot & Bengio 2010).
"""

import copy
import math

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, new_figure, rounded


# --8<-- [start:helpers]
def make_task(rng: torch.Generator, samples: int, features: int = 16, latent: int = 4):
    """Inputs near a 4-dimensional subspace of R^16; the label is a nonlinear function of the latent code."""
    z = torch.randn(samples, latent, generator=rng)
    mixing = torch.randn(latent, features, generator=rng) / math.sqrt(latent)
    x = z @ mixing + 0.1 * torch.randn(samples, features, generator=rng)
    y = (z[:, 0] * z[:, 1] + torch.sin(2 * z[:, 2]) > 0).long()
    return x, y


class DeepNet(nn.Module):
    """``depth`` Linear → activation layers and a linear 2-class head."""

    def __init__(self, depth: int, width: int, features: int, activation: str, init: str, rng: torch.Generator):
        super().__init__()
        self.act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
        sizes = [features] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.head = nn.Linear(width, 2)
        with torch.no_grad():
            for layer in list(self.layers) + [self.head]:
                if init == "default":  # nn.Linear's own: U(±1/√fan_in) for weights and biases
                    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
                    bound = 1 / math.sqrt(layer.in_features)
                    layer.bias.uniform_(-bound, bound, generator=rng)
                else:  # Xavier / Glorot normal, zero bias
                    nn.init.xavier_normal_(layer.weight, generator=rng)
                    layer.bias.zero_()

    def forward(self, x, keep: list | None = None):
        h = x
        for layer in self.layers:
            h = self.act(layer(h))
            if keep is not None:
                h.retain_grad()
                keep.append(h)
        return self.head(h)
# --8<-- [end:helpers]


# --8<-- [start:pretrain]
def pretrain_greedily(net: DeepNet, x: torch.Tensor, steps: int, lr: float, rng: torch.Generator) -> list:
    """Train each layer as an autoencoder's encoder on the previous layer's (frozen) output."""
    errors, h = [], x
    for layer in net.layers:
        decoder = nn.Linear(layer.out_features, layer.in_features)
        with torch.no_grad():
            nn.init.xavier_normal_(decoder.weight, generator=rng)
            decoder.bias.zero_()
        parameters = list(layer.parameters()) + list(decoder.parameters())
        # fused: the same update in fewer kernel calls
        optimiser = torch.optim.Adam(parameters, lr=lr, fused=True)
        before = None
        for _ in range(steps):
            loss = nn.functional.mse_loss(decoder(net.act(layer(h))), h)  # full batch
            before = float(loss.detach()) if before is None else before
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            after = float(nn.functional.mse_loss(decoder(net.act(layer(h))), h))
            errors.append({"before": before, "after": after, "input_variance": float(h.var())})
            h = net.act(layer(h))  # the next layer learns to reconstruct this
    return errors
# --8<-- [end:pretrain]


def build_arms(depth, width, features, x, pretrain_steps, pretrain_lr, seed,
               separate: bool = True):
    """The networks compared in this chapter, from the same seed. ``separate`` adds the
    two one-change arms: sigmoid with Xavier init, and tanh with the default init."""
    arms = {
        "random": DeepNet(depth, width, features, "sigmoid", "default", generator(seed + 100)),
        "pretrained": DeepNet(depth, width, features, "sigmoid", "default", generator(seed + 100)),
        "modern": DeepNet(depth, width, features, "tanh", "xavier", generator(seed + 100)),
    }
    if separate:
        for name, activation, init in (("sigmoid_xavier", "sigmoid", "xavier"),
                                       ("tanh_default", "tanh", "default")):
            rng = generator(seed + 100)
            arms[name] = DeepNet(depth, width, features, activation, init, rng)
    errors = pretrain_greedily(arms["pretrained"], x, pretrain_steps, pretrain_lr, generator(seed + 200))
    return arms, errors


def weight_gradients(net: DeepNet, x, y, hidden: list | None = None) -> list:
    """‖∂L/∂W_l‖ of the classification loss, one per layer."""
    loss = nn.functional.cross_entropy(net(x, keep=hidden), y)
    net.zero_grad()
    loss.backward()
    return [float(layer.weight.grad.norm()) for layer in net.layers]


def data_alignment(weight: torch.Tensor, x: torch.Tensor, k: int) -> float:
    """Share of the energy of the weights' k strongest input directions (top right
    singular vectors) lying in the data's k principal directions: 1 if they coincide,
    about k/d for random weights in d dimensions."""
    data_directions = torch.linalg.svd(x - x.mean(dim=0), full_matrices=False).Vh[:k]
    weight_directions = torch.linalg.svd(weight.detach(), full_matrices=False).Vh[:k]
    return float((data_directions @ weight_directions.T).pow(2).sum()) / k


# --8<-- [start:ablate]
#: The ablations: which part of the pretrained weights does the lifting?
ABLATIONS = ("rescaled", "spectrum_random_directions", "directions_random_spectrum")


def ablated(random_net: DeepNet, pretrained: DeepNet, kind: str) -> DeepNet:
    """The random network with one property of each pretrained layer's weights W = U S Vᵀ:
    ``rescaled``: the random weights scaled so that their largest singular value is the pretrained one's;
    ``spectrum_random_directions``: the pretrained singular values S in the random weights' directions;
    ``directions_random_spectrum``: the pretrained directions U, V with the random weights' singular values.
    Biases and the head stay the random network's."""
    net = copy.deepcopy(random_net)
    with torch.no_grad():
        for layer, trained in zip(net.layers, pretrained.layers):
            u, s, vh = torch.linalg.svd(layer.weight, full_matrices=False)
            u_p, s_p, vh_p = torch.linalg.svd(trained.weight, full_matrices=False)
            if kind == "rescaled":
                layer.weight.mul_(s_p[0] / s[0])
            elif kind == "spectrum_random_directions":
                layer.weight.copy_(u @ torch.diag(s_p) @ vh)
            elif kind == "directions_random_spectrum":
                layer.weight.copy_(u_p @ torch.diag(s) @ vh_p)
            else:
                raise ValueError(f"unknown ablation {kind!r} (known: {', '.join(ABLATIONS)})")
    return net


def log_ratio(net: DeepNet, x, y) -> float:
    """log₁₀ of the first layer's weight gradient over the last one's."""
    weight = weight_gradients(net, x, y)
    return math.log10(weight[0] / weight[-1])
# --8<-- [end:ablate]


# --8<-- [start:measure]
def measure(depth: int = 6, width: int = 32, features: int = 16, samples: int = 512, pretrain_steps: int = 50,
            pretrain_lr: float = 1e-2, runs: int = 5, latent: int = 4, seed: int = 0) -> dict:
    x, y = make_task(generator(seed), samples, features, latent)
    arms, errors = build_arms(depth, width, features, x, pretrain_steps, pretrain_lr, seed)
    by_arm = {}
    for name, net in arms.items():
        hidden = []
        weight = weight_gradients(net, x, y, hidden)
        by_arm[name] = {
            "weight": rounded(weight),
            "hidden": rounded([float(h.grad.norm()) for h in hidden]),
            "first_over_last": rounded(weight[0] / weight[-1]),
            "first_over_last_log10": rounded(math.log10(weight[0] / weight[-1])),
            # √(n·Var[w]) per layer: the weights' part of the per-layer factor
            "weight_gain": rounded([float(layer.weight.detach().std()) * math.sqrt(layer.in_features)
                                    for layer in net.layers]),
            # largest singular value per layer: the gain along the weights' strongest direction
            "spectral_norm": rounded([float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2))
                                      for layer in net.layers]),
            # mean |φ'(z)| per layer: the activation's part
            "mean_slope": rounded([float((1 - h.detach() ** 2).mean()) if net.act is torch.tanh
                                   else float((h.detach() * (1 - h.detach())).mean()) for h in hidden]),
            # do layer 1's `latent` strongest input directions lie where the data vary? (chance: latent/features)
            "data_alignment": rounded(data_alignment(net.layers[0].weight, x, latent)),
        }
    # The gain from pretraining varies a lot between runs: repeat it on `runs` fresh tasks and nets,
    # and in each run measure the ablations' gains too (same random network, same data).
    random_log10 = by_arm["random"]["first_over_last_log10"]
    gains = [by_arm["pretrained"]["first_over_last_log10"] - random_log10]
    ablation_gains = {kind: [log_ratio(ablated(arms["random"], arms["pretrained"], kind), x, y) - random_log10]
                      for kind in ABLATIONS}
    # How much larger the uniformly rescaled matrices are than the pretrained ones (Frobenius norm).
    rescaled = ablated(arms["random"], arms["pretrained"], "rescaled")
    rescaled_size = float(np.mean([float(a.weight.detach().norm() / b.weight.detach().norm())
                                   for a, b in zip(rescaled.layers, arms["pretrained"].layers)]))
    for run in range(1, runs):
        run_seed = 10_000 + seed * 64 + run
        x_run, y_run = make_task(generator(run_seed), samples, features, latent)
        pair, _ = build_arms(depth, width, features, x_run, pretrain_steps, pretrain_lr,
                             run_seed, separate=False)
        random_run = log_ratio(pair["random"], x_run, y_run)
        gains.append(log_ratio(pair["pretrained"], x_run, y_run) - random_run)
        for kind in ABLATIONS:
            net = ablated(pair["random"], pair["pretrained"], kind)
            ablation_gains[kind].append(log_ratio(net, x_run, y_run) - random_run)
    # Exercise: the same first network, pretrained with a fifth of the steps.
    short, _ = build_arms(depth, width, features, x, pretrain_steps // 5, pretrain_lr, seed,
                          separate=False)
    short_w = weight_gradients(short["pretrained"], x, y)
    exercise = {
        "short_steps": pretrain_steps // 5,
        "short_gain": rounded(math.log10(short_w[0] / short_w[-1]) - random_log10),
    }
    return {
        "depth": depth,
        "width": width,
        "features": features,
        "latent": latent,
        "samples": samples,
        "pretrain_steps": pretrain_steps,
        "exercise": exercise,
        "reconstruction": [{k: rounded(v) for k, v in e.items()} for e in errors],
        "by_arm": by_arm,
        "pretraining_gain_decades": rounded(gains[0]),
        "runs": runs,
        "gain_runs": rounded(gains),
        "gain_median": rounded(float(np.median(gains))),
        "gain_min": rounded(min(gains)),
        "gain_max": rounded(max(gains)),
        "runs_lifted": sum(g > 0 for g in gains),
        "worst_reconstruction_gain": rounded(min(e["before"] / e["after"] for e in errors)),
        "spectral_norm_ratio": rounded(
            float(np.mean(by_arm["pretrained"]["spectral_norm"]) / np.mean(by_arm["random"]["spectral_norm"]))
        ),
        "alignment_chance": rounded(latent / features),
        "ablation": {kind: {"gain_runs": rounded(g), "gain_median": rounded(float(np.median(g))),
                            "share_of_pretrained": rounded(float(np.median(g)) / float(np.median(gains)))}
                     for kind, g in ablation_gains.items()},
        "rescaled_frobenius_over_pretrained": rounded(rescaled_size),
    }
# --8<-- [end:measure]


LABELS = {"random": "sigmoid, default init", "pretrained": "sigmoid, pretrained",
          "sigmoid_xavier": "sigmoid, Xavier init", "tanh_default": "tanh, default init",
          "modern": "tanh, Xavier init"}


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for name, entry in results["by_arm"].items():
        style = "o-" if name in ("random", "pretrained", "modern") else "s--"
        left.semilogy(layers, entry["weight"], style, ms=4, lw=1.4, label=LABELS[name])
    left.set(xlabel="layer l", ylabel=r"$\|\partial L/\partial W_l\|$",
             title="gradient at the start of fine-tuning")
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=3,
               fontsize=9)
    before = [e["before"] for e in results["reconstruction"]]
    after = [e["after"] for e in results["reconstruction"]]
    right.bar(layers - 0.2, before, width=0.4, label="before pretraining")
    right.bar(layers + 0.2, after, width=0.4, label="after pretraining")
    right.set(xlabel="layer l", ylabel="reconstruction MSE", title="each layer's autoencoder", yscale="log")
    right.set_ylim(top=max(before) * 30)  # headroom for the legend
    right.legend(fontsize=9, loc="upper right")
    alt = (
        "First panel: per-layer weight-gradient norms of a 6-layer network on a log axis at the start of fine-tuning. "
        "The randomly initialised sigmoid network's gradient falls by several decades from the top layer to the "
        "first; the pretrained sigmoid network's falls much less; the tanh network with Xavier initialisation is "
        "nearly level. Dashed: the two one-change networks; the sigmoid network with Xavier initialisation still "
        "falls by several decades, the tanh network with the default initialisation falls by about "
        "one to two. Second panel: each layer's autoencoder reconstruction error before and after its pretraining, "
        "lower after for every layer."
    )
    return {"gradients": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "random_sigmoid_lower_layers_starve",
        "With default initialisation, the first sigmoid layer's weight gradient is thousands of times below the "
        "sixth's at the start of fine-tuning (log₁₀ of the ratio).",
        lambda r: r["by_arm"]["random"]["first_over_last_log10"],
        at_most=-2.8,
        fmt=".2f",
    ),
    Claim(
        "pretraining_lifts_in_every_run",
        "Greedy pretraining lifts the first layer's gradient relative to the sixth's in every run of the "
        "ensemble (fresh task and network per run).",
        lambda r: r["runs_lifted"],
        at_least=5,
        out_of=5,
    ),
    Claim(
        "pretraining_gain_median",
        "Median gain over the runs, in decades of the first/last ratio.",
        lambda r: r["gain_median"],
        at_least=1.0,
        fmt=".1f",
    ),
    Claim(
        "modern_init_is_level",
        "A tanh network with Xavier initialisation needs no pretraining: log₁₀ of its first/last ratio is near 0.",
        lambda r: r["by_arm"]["modern"]["first_over_last_log10"],
        at_least=-1.0,
        at_most=1.0,
        fmt=".2f",
    ),
    Claim(
        "xavier_alone_does_not_rescue_sigmoid",
        "Xavier initialisation alone does not rescue the sigmoid network: its first/last ratio stays "
        "decades below 1 (log₁₀).",
        lambda r: r["by_arm"]["sigmoid_xavier"]["first_over_last_log10"],
        at_most=-2.0,
        fmt=".2f",
    ),
    Claim(
        "tanh_alone_does_most",
        "Tanh with the default initialisation already has most of the modern network's level gradient "
        "(log₁₀ of its first/last ratio).",
        lambda r: r["by_arm"]["tanh_default"]["first_over_last_log10"],
        at_least=-1.5,
        fmt=".2f",
    ),
    Claim(
        "pretrained_directions_follow_the_data",
        "After pretraining, layer 1's four strongest input directions lie mostly in the data's four principal "
        "directions (share of their energy; chance [[results.alignment_chance|g]]).",
        lambda r: r["by_arm"]["pretrained"]["data_alignment"],
        at_least=0.6,
    ),
    Claim(
        "pretraining_grows_the_strong_directions",
        "Pretraining enlarges each layer's largest singular value: mean over layers, pretrained over random.",
        lambda r: r["spectral_norm_ratio"],
        at_least=2.0,
    ),
    Claim(
        "ablation_spectrum_alone_falls_short",
        "The pretrained singular values put in random directions give a small part of pretraining's gain "
        "(median gain of the ablation over median gain of pretraining).",
        lambda r: r["ablation"]["spectrum_random_directions"]["share_of_pretrained"],
        at_most=0.6,
        fmt=".2f",
    ),
    Claim(
        "ablation_directions_alone_fall_short",
        "The pretrained directions with the random weights' singular values give a small part of pretraining's "
        "gain (median gain of the ablation over median gain of pretraining).",
        lambda r: r["ablation"]["directions_random_spectrum"]["share_of_pretrained"],
        at_most=0.6,
        fmt=".2f",
    ),
    Claim(
        "ablation_gain_in_every_direction_does_most",
        "Random weights scaled up in every direction to the pretrained largest singular value give most of "
        "pretraining's gain (median gain of the ablation over median gain of pretraining).",
        lambda r: r["ablation"]["rescaled"]["share_of_pretrained"],
        at_least=0.5,
        fmt=".2f",
    ),
    Claim(
        "ablation_rescaled_matrices_are_larger",
        "The random weights scaled up in every direction are larger matrices than the pretrained ones "
        "(Frobenius norm, mean ratio over layers).",
        lambda r: r["rescaled_frobenius_over_pretrained"],
        at_least=1.2,
    ),
    Claim(
        "each_autoencoder_learns",
        "Every layer's autoencoder reduces its reconstruction error (smallest before/after factor).",
        lambda r: r["worst_reconstruction_gain"],
        at_least=10,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
