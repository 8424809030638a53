"""Per-layer gradients of deep sigmoid, tanh and ReLU networks, each with its usual initialisation

Three MLPs of the same depth and width differ only in the activation function and the
initialisation that normally goes with it: Glorot/Xavier for sigmoid and tanh, He for ReLU.
One backward pass of a mean-squared-error loss gives ‖∂L/∂h_l‖ at every layer. We also
record, layer by layer, the mean square of the derivative φ'(z_l) over all units, since the
chain rule multiplies the backward signal by W_lᵀ diag(φ'(z_l)) at each layer.
"""

import numpy as np
import torch

from snippets.common import (
    Claim,
    generator,
    gradient_factor_per_layer,
    label_gradient_profile,
    layer_gradient_norms,
    mlp,
    new_figure,
    rounded,
)

# --8<-- [start:measure]
SETUPS = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}


def measure(depth: int = 30, width: int = 128, batch: int = 64, setups=SETUPS, seed: int = 0) -> dict:
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    targets = torch.randn(batch, width, generator=rng)
    by_activation = {}
    for index, (activation, init) in enumerate(setups.items()):
        model = mlp(depth, width, activation=activation, init=init, seed=seed * 1000 + index)
        slopes_squared = []  # mean of φ'(z_l)² over the batch and the units, per layer

        def record(block, block_inputs, output):
            z = block[0](block_inputs[0]).detach().requires_grad_(True)
            block[1](z).sum().backward()
            slopes_squared.append(float((z.grad**2).mean()))

        hooks = [block.register_forward_hook(record) for block in model]
        norms = layer_gradient_norms(model, inputs, lambda out: torch.nn.functional.mse_loss(out, targets))
        for hook in hooks:
            hook.remove()
        hidden = norms["hidden"]
        by_activation[activation] = {
            "init": init,
            "hidden": rounded(hidden),
            "mean_square_slope": rounded(slopes_squared),
            "first_over_last": rounded(hidden[0] / hidden[-1]),
            "decades": rounded(np.log10(hidden[0] / hidden[-1])),
            # Going one layer toward the input multiplies ‖∂L/∂h‖ by this fitted factor.
            "factor_per_layer": rounded(gradient_factor_per_layer(hidden)),
        }
    # Exercises: tanh + Xavier at 100 layers; sigmoid at σ_w = 4 and with He's σ_w = √2.
    def decades(model) -> float:
        loss = lambda out: torch.nn.functional.mse_loss(out, targets)  # noqa: E731
        hidden = layer_gradient_norms(model, inputs, loss)["hidden"]
        return float(np.log10(hidden[0] / hidden[-1]))

    exercise = {
        "tanh_deep_depth": 100,
        "tanh_deep_decades": rounded(decades(mlp(100, width, activation="tanh", init="xavier", seed=seed * 1000 + 7))),
        "sigmoid_4_decades": rounded(decades(mlp(depth, width, activation="sigmoid", sigma_w=4.0,
                                                 seed=seed * 1000 + 8))),
        "sigmoid_he_decades": rounded(decades(mlp(depth, width, activation="sigmoid", init="he",
                                                  seed=seed * 1000 + 9))),
    }
    return {"depth": depth, "width": width, "batch": batch, "by_activation": by_activation,
            "exercise": exercise}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    layers = np.arange(1, results["depth"] + 1)
    for name, entry in results["by_activation"].items():
        left.semilogy(layers, entry["hidden"], label=f"{name} + {entry['init']}")
        right.plot(layers, np.sqrt(entry["mean_square_slope"]), label=name)
    label_gradient_profile(left, "hidden")
    right.set(
        xlabel="layer l",
        ylabel="rms of $\\phi'(z_l)$",
        title="typical derivative per layer",
        ylim=(0, 1.05),
    )
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    alt = (
        "First panel: per-layer gradient norm on a log axis for sigmoid with Xavier, tanh with Xavier and ReLU with "
        "He initialisation. The sigmoid line falls steadily by about eighteen decades from the last layer to "
        "the first; tanh and ReLU stay within about one decade. Second panel: the root-mean-square derivative per "
        "layer: about 0.24 for sigmoid, near 1 for tanh, about 0.7 for ReLU."
    )
    return {"profiles": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "sigmoid_gradient_collapses",
        "With Xavier initialisation, a sigmoid network's $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$ is below $10^{[[at_most|d]]}$: log₁₀ of the ratio.",
        lambda r: r["by_activation"]["sigmoid"]["decades"],
        at_most=-16,
        fmt=".1f",
    ),
    Claim(
        "sigmoid_factor_below_a_quarter",
        "Each sigmoid layer multiplies $\\|\\partial\\mathcal{L}/\\partial h\\|$ by a fitted factor just under ¼.",
        lambda r: r["by_activation"]["sigmoid"]["factor_per_layer"],
        at_least=0.22,
        at_most=0.25,
    ),
    Claim(
        "tanh_and_relu_keep_their_gradient",
        "With their matched initialisations, tanh and ReLU keep $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$ within [[at_most|g]] decades of 1 "
        "(the larger |log₁₀| of the two).",
        lambda r: max(abs(r["by_activation"][name]["decades"]) for name in ("tanh", "relu")),
        at_most=1.5,
        fmt=".2f",
    ),
    Claim(
        "tanh_still_loses_some",
        "Tanh's slope below 1 still costs something: with Xavier initialisation its first layer gets a clearly "
        "smaller gradient than the last (log₁₀ of the ratio).",
        lambda r: r["by_activation"]["tanh"]["decades"],
        at_least=-1.2,
        at_most=-0.3,
        fmt=".2f",
    ),
    Claim(
        "tanh_still_loses_at_100_layers",
        "At [[results.exercise.tanh_deep_depth]] layers, tanh with Xavier initialisation still loses gradient toward the input (log₁₀ of the "
        "first/last ratio).",
        lambda r: r["exercise"]["tanh_deep_decades"],
        at_least=-1.8,
        at_most=-0.4,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
