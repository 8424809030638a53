"""Zero and constant initialisation never break the symmetry between hidden units

Two hidden units of a layer whose incoming weights are equal and whose outgoing weights are
equal compute the same output and receive the same gradient, so every step keeps them
equal: the layer behaves as a single unit, however wide it is (Goodfellow, Bengio & Courville
2016, §8.4; d2l.ai, "Numerical Stability and Initialization"). We train small MLP
classifiers (two hidden layers, tanh or ReLU) with SGD and with Adam on a synthetic 4-class
task, from three initialisations — random (Xavier for tanh, He for ReLU), every weight of
a layer one constant, and everything zero — all as one batched program, and measure after
training how much the incoming weight vectors of a layer's hidden units differ.
"""

import math

import torch
from torch.nn import functional as F

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
INITS = ("random", "constant", "zero")
ACTIVATIONS = ("tanh", "relu")
OPTIMIZERS = {"sgd": (torch.optim.SGD, 0.1), "adam": (torch.optim.Adam, 0.01)}  # (class, learning rate)


def make_task(samples: int, dim: int, classes: int, rng: torch.Generator):
    means = torch.randn(classes, dim, generator=rng)
    labels = torch.randint(0, classes, (samples,), generator=rng)
    return means[labels] + torch.randn(samples, dim, generator=rng), labels


def init_members(dim: int, width: int, classes: int, rng: torch.Generator) -> tuple[list, list]:
    """One member per (initialisation, activation), stacked on a leading axis: weights
    (members, fan_in, fan_out), each member computes x @ W + b; biases start at zero."""
    sizes = [(dim, width), (width, width), (width, classes)]
    members = [(init, act) for init in INITS for act in ACTIVATIONS]
    weights = []
    for fan_in, fan_out in sizes:
        layer = []
        for init, act in members:
            if init == "random":
                std = math.sqrt(2 / fan_in) if act == "relu" else math.sqrt(2 / (fan_in + fan_out))
                layer.append(torch.randn(fan_in, fan_out, generator=rng) * std)
            else:  # one value for the whole layer: 1/fan_in (constant), or 0
                layer.append(torch.full((fan_in, fan_out), 1 / fan_in if init == "constant" else 0.0))
        weights.append(torch.stack(layer))
    biases = [torch.zeros(len(members), 1, fan_out) for _, fan_out in sizes]
    return [p for pair in zip(weights, biases) for p in pair], members


def forward(params: list, is_relu: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    w1, b1, w2, b2, w3, b3 = params
    act = lambda z: torch.where(is_relu, torch.relu(z), torch.tanh(z))  # noqa: E731 - per member
    return act(act(x @ w1 + b1) @ w2 + b2) @ w3 + b3


def row_spread(weights: torch.Tensor) -> torch.Tensor:
    """How much the incoming weight vectors of a layer's units differ, relative to their
    size: max over units i, j of max|w_i − w_j| / max|w| (0 when all rows are equal; weights
    (members, fan_in, units): unit i's incoming weights are column i)."""
    spread = (weights.amax(dim=2) - weights.amin(dim=2)).amax(dim=1)
    size = weights.abs().flatten(1).amax(dim=1)
    return torch.where(size > 0, spread / size.clamp_min(1e-30), torch.zeros_like(size))


def train(optimizer_name: str, dim: int, width: int, classes: int, samples: int, steps: int, batch: int,
          seed: int) -> dict:
    rng = generator(seed)
    inputs, labels = make_task(samples, dim, classes, rng)
    params, members = init_members(dim, width, classes, rng)
    params = [p.requires_grad_() for p in params]
    is_relu = torch.tensor([act == "relu" for _, act in members]).view(-1, 1, 1)
    optimizer_class, lr = OPTIMIZERS[optimizer_name]
    optimizer = optimizer_class(params, lr=lr)  # elementwise: each member steps as on its own
    hidden_gradient = torch.zeros(len(members), dtype=torch.float64)  # Σ over steps of ‖∂L/∂W_hidden‖
    losses = []
    for rows in torch.randint(0, samples, (steps, batch), generator=rng):
        out = forward(params, is_relu, inputs[rows])
        loss = F.cross_entropy(out.reshape(-1, classes), labels[rows].repeat(len(members)),
                               reduction="none").view(len(members), -1).mean(1)
        optimizer.zero_grad()
        loss.sum().backward()  # each member's gradient is its own
        hidden_gradient += sum(p.grad.double().flatten(1).norm(dim=1) for p in params[:4:2])
        optimizer.step()
        losses.append(loss.detach())
    with torch.no_grad():
        accuracy = (forward(params, is_relu, inputs).argmax(-1) == labels).float().mean(1)
        spreads = torch.stack([row_spread(w) for w in params[:4:2]], dim=1).amax(dim=1)  # both hidden layers
    curves = torch.stack(losses).T
    return {f"{init}_{act}": {
        "row_spread": float(spreads[k]),
        "hidden_gradient_sum": float(hidden_gradient[k]),
        "hidden_weights_max": float(max(params[i][k].detach().abs().max() for i in (0, 2))),
        "accuracy": rounded(float(accuracy[k])),
        "loss_curve": rounded(curves[k, ::5].tolist()),
    } for k, (init, act) in enumerate(members)}


def measure(dim: int = 8, width: int = 32, classes: int = 4, samples: int = 1024, steps: int = 300,
            batch: int = 64, seed: int = 0) -> dict:
    runs = {name: train(name, dim, width, classes, samples, steps, batch, seed) for name in OPTIMIZERS}
    flat = {f"{opt}_{key}": entry for opt, entries in runs.items() for key, entry in entries.items()}
    by_init = lambda init: [e for key, e in flat.items() if f"_{init}_" in key]  # noqa: E731
    return {
        "runs": runs,
        "steps": steps,
        "constant_largest_spread": max(e["row_spread"] for e in by_init("constant")),
        "random_smallest_spread": rounded(min(e["row_spread"] for e in by_init("random"))),
        "zero_hidden_gradient": max(e["hidden_gradient_sum"] for e in by_init("zero")),
        "zero_hidden_weights": max(e["hidden_weights_max"] for e in by_init("zero")),
        "constant_moved": rounded(min(e["hidden_weights_max"] for e in by_init("constant"))),
        "random_worst_accuracy": min(e["accuracy"] for e in by_init("random")),
        "constant_best_accuracy": max(e["accuracy"] for e in by_init("constant")),
        "zero_best_accuracy": max(e["accuracy"] for e in by_init("zero")),
        "chance": rounded(1 / classes),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    steps = [5 * i for i in range(len(results["runs"]["adam"]["random_tanh"]["loss_curve"]))]
    for index, init in enumerate(INITS):
        for act, style in zip(ACTIVATIONS, ("-", "--")):
            left.plot(steps, results["runs"]["adam"][f"{init}_{act}"]["loss_curve"], ls=style, color=f"C{index}",
                      label=f"{init}, {act}")
    left.set(xlabel="Adam step", ylabel="batch cross-entropy", title="training (Adam)")
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize=8)
    labels, values = [], []
    for opt in OPTIMIZERS:
        for init in INITS:
            for act in ACTIVATIONS:
                labels.append(f"{init}, {act}, {opt}")
                values.append(results["runs"][opt][f"{init}_{act}"]["row_spread"])
    floor = 1e-9  # an exact zero is drawn at the floor and marked
    positions = range(len(values))
    right.barh(positions, [max(v, floor) for v in values], color=[f"C{INITS.index(lab.split(',')[0])}" for lab in labels])
    for y, v in zip(positions, values):
        if v == 0:
            right.text(floor * 2, y, "exactly 0", va="center", fontsize=8)
    right.set(xscale="log", xlim=(floor, 10), yticks=list(positions), yticklabels=labels,
              xlabel="max difference between units", title="after training")
    right.tick_params(axis="y", labelsize=8)
    alt = (
        "First panel: batch cross-entropy against the Adam step for MLPs initialised randomly, with one constant "
        "per layer and with zeros, tanh solid and ReLU dashed. The random ones fall furthest; the constant ones "
        "fall less; the zero ones level off at the loss of predicting the class frequencies. Second panel: "
        "horizontal bars on a log axis of the largest relative difference between the incoming weights of a "
        "layer's hidden units after training, for each initialisation, activation and optimizer: the random "
        "runs' bars reach about one, the constant and zero runs are exactly zero."
    )
    return {"symmetry": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "constant_init_rows_stay_identical",
        "After [[setup.steps]] steps of SGD or Adam, the hidden units of a constant-initialised tanh or ReLU network "
        "still have identical incoming weights: largest relative difference between units.",
        lambda r: r["constant_largest_spread"],
        at_most=0,
    ),
    Claim(
        "random_init_rows_differ",
        "Randomly initialised, the same units end with clearly different weights: smallest relative difference.",
        lambda r: r["random_smallest_spread"],
        at_least=0.5,
    ),
    Claim(
        "zero_init_no_hidden_gradient",
        "With every weight and bias zero, the hidden weights of a tanh or ReLU network get no gradient at any step: "
        "largest sum of hidden-weight gradient norms over training.",
        lambda r: r["zero_hidden_gradient"],
        at_most=0,
    ),
    Claim(
        "constant_init_learns_less",
        "The symmetric networks learn less than the random ones: best accuracy of a constant-initialised network "
        "minus worst accuracy of a random one.",
        lambda r: r["constant_best_accuracy"] - r["random_worst_accuracy"],
        at_most=0,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
