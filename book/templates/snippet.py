"""Gradient through a deep linear network (example: replace this title)

TODO: say in a few sentences what this experiment measures and why. This example
measures ‖∂L/∂h_l‖, the gradient arriving at each layer's output, in a linear network
h_l = W_l h_{l−1} with W_l ~ N(0, σ²/n): toward the input it is multiplied by about σ
per layer. Keep measure() tiny: the build runs it at five seeds, each in well under 2 s.
"""

import torch

from snippets.common import (Claim, generator, layer_gradient_norms, mlp, new_figure,
                             rounded)

# --8<-- [start:measure]
# TODO: replace with your experiment. Every size is a parameter with a default, every
# random draw uses generator(seed), and the result holds plain numbers, lists and dicts.
def measure(depth: int = 12, width: int = 32, batch: int = 16, sigma: float = 0.8,
            seed: int = 0) -> dict:
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng)
    model = mlp(depth, width, activation="linear", sigma_w=sigma, seed=seed)
    norms = layer_gradient_norms(model, inputs, lambda out: out.sum(dim=1).mean())
    return {
        "depth": depth,
        "sigma": sigma,
        "hidden": rounded(norms["hidden"]),
        "first_over_last": rounded(norms["hidden"][0] / norms["hidden"][-1]),
        "theory_first_over_last": rounded(sigma ** (depth - 1)),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
# TODO: replace with your figure. Draw from the results only, with new_figure().
def plot(results: dict) -> dict:
    fig, ax = new_figure()
    layers = range(1, results["depth"] + 1)
    label = f"σ = {results['sigma']:g}"
    ax.semilogy(layers, results["hidden"], marker="o", label=label)
    ax.set(xlabel="layer l", ylabel=r"$\|\partial L/\partial h_l\|$")
    ax.legend()
    # The alt text says what the figure shows, for readers who cannot see it.
    alt = (
        "Gradient norm against layer index on a log axis: "
        "a straight line rising from the input to the output."
    )
    return {"profile": (fig, alt)}
# --8<-- [end:plot]


# TODO: replace this placeholder claim. Its id starts with TODO_, so `make serve` shows
# a warning on the page and the strict build (`make site`, `make test`, CI) refuses it.
# Choose the bound from a sweep over 20 seeds (see CONTRIBUTING.md), write the
# measured 20-seed range here, and record the sweep with `--write`.
CLAIMS = (
    Claim(
        "TODO_replace_this_claim",
        "TODO: a sentence a reader understands: the gradient shrinks toward the input.",
        lambda r: r["first_over_last"],
        at_most=1.0,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
