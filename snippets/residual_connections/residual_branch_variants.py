"""Naive residual blocks blow up; scaled, zero-initialised or normalised branches do not

With He-initialised weights the branch F(h) = W₂ ReLU(W₁ ReLU(h)) has the same mean
square as its input, so the naive block h + F(h) doubles the mean square at every block:
activations grow like 2^(l/2), and so do the gradients on the way back, because the
block's Jacobian I + ∂F/∂h doubles the mean square of a backward vector too. Three ways
to keep a deep residual network stable at initialisation, measured here at 100 blocks:

* scale the branch by α = 1/√L, so the per-block factor is 1 + 1/L and the total stays near e;
* start the branch's last layer at zero (as in Fixup), so every block starts as the identity;
* normalise inside the branch (BatchNorm before each ReLU), so the branch adds a term of
  fixed size and the mean square grows only linearly in depth instead of exponentially.

Float64 keeps the naive network's 10³⁰-sized numbers finite.
"""

import math

import numpy as np
import torch

from snippets.common import (
    Claim,
    generator,
    gradient_factor_per_layer,
    growth_per_layer,
    layer_gradient_norms,
    new_figure,
    residual_mlp,
    rounded,
)

# --8<-- [start:measure]
VARIANTS = {
    "naive": {"alpha": 1.0},
    "scaled": {"alpha": "1/sqrt(L)"},
    "zero_init": {"alpha": 1.0, "zero_last": True},
    "batch_norm": {"alpha": 1.0, "norm": "batch"},
}


def measure(depth: int = 100, width: int = 64, batch: int = 32, seed: int = 0) -> dict:
    """One forward/backward pass per variant, loss ⟨h_L, v⟩ / batch (its gradient ignores the output's size)."""
    rng = generator(seed)
    inputs = torch.randn(batch, width, generator=rng, dtype=torch.float64)
    direction = torch.randn(batch, width, generator=rng, dtype=torch.float64)
    by_variant = {}
    for index, (name, options) in enumerate(VARIANTS.items()):
        options = dict(options)
        if options["alpha"] == "1/sqrt(L)":
            options["alpha"] = 1 / math.sqrt(depth)
        model = residual_mlp(depth, width, activation="relu", init="he", seed=seed * 100 + index, **options).double()
        norms = layer_gradient_norms(model, inputs, lambda out: (out * direction).sum() / batch)
        activation = np.array(norms["activation"]) / float(inputs.norm())  # ‖h_l‖ / ‖h_0‖
        hidden = np.array(norms["hidden"]) / norms["hidden"][-1]  # ‖∂L/∂h_l‖ / ‖∂L/∂h_L‖
        by_variant[name] = {
            "activation": rounded(activation),
            "gradient": rounded(hidden),
            "activation_last": rounded(activation[-1]),
            "gradient_first_over_last": rounded(hidden[0]),
            # fitted factor per block, forward (‖h_l‖) and backward (‖∂L/∂h_l‖ toward the input)
            "activation_factor": rounded(growth_per_layer(activation)),
            "gradient_factor": rounded(gradient_factor_per_layer(hidden)),
        }
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "by_variant": by_variant,
        "naive_theory_factor": rounded(math.sqrt(2)),
        "naive_theory_total": rounded(math.sqrt(2) ** (depth - 1)),
        "scaled_theory_total": rounded(math.sqrt((1 + 1 / depth) ** (depth - 1))),
        "zero_init_deviation": rounded(abs(by_variant["zero_init"]["gradient_first_over_last"] - 1)),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    blocks = np.arange(1, results["depth"] + 1)
    labels = {
        "naive": "naive, α = 1",
        "scaled": "scaled, α = 1/√L",
        "zero_init": "last layer zero (Fixup-style)",
        "batch_norm": "BatchNorm in the branch",
    }
    for name, label in labels.items():
        entry = results["by_variant"][name]
        left.semilogy(blocks, entry["activation"], label=label)
        right.semilogy(blocks, entry["gradient"], label=label)
    left.set(
        xlabel="block l",
        ylabel="$\\|h_l\\|$ / $\\|h_0\\|$",
        title="forward: activations",
    )
    right.set(
        xlabel="block l",
        ylabel="$\\|\\partial L/\\partial h_l\\|$ / $\\|\\partial L/\\partial h_L\\|$",
        title="backward: gradients",
    )
    left.legend(fontsize=8)
    alt = (
        "Two log-scale panels over 100 residual blocks. First panel, activation size: the naive network's grows "
        "as a straight line by about fourteen decades; the scaled, zero-initialised and BatchNorm variants stay "
        "within a factor of about ten. Second panel, gradient size relative to the last block: the naive network's "
        "grows toward the input by a similar number of decades; the other three stay near one, BatchNorm "
        "rising slowly toward the input."
    )
    return {"profiles": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "naive_block_multiplies_by_sqrt2",
        "In the naive network each block multiplies the activations' size by $\\sqrt{2} \\approx 1.41$ (fitted factor per block).",
        lambda r: r["by_variant"]["naive"]["activation_factor"],
        at_least=1.25,
        at_most=1.5,
    ),
    Claim(
        "naive_gradient_explodes",
        "In the naive network the first block receives a gradient at least [[at_least|sci1]] times the last block's.",
        lambda r: r["by_variant"]["naive"]["gradient_first_over_last"],
        at_least=1e10,
    ),
    Claim(
        "scaled_branch_stays_order_one",
        "With $\\alpha = 1/\\sqrt{L}$ the ratio $\\|\\partial\\mathcal{L}/\\partial h_1\\| / \\|\\partial\\mathcal{L}/\\partial h_L\\|$ stays of order one (theory $\\sqrt{e} \\approx 1.6$).",
        lambda r: r["by_variant"]["scaled"]["gradient_first_over_last"],
        at_least=0.5,
        at_most=3.0,
    ),
    Claim(
        "zero_init_is_identity",
        "With the branch's last layer at zero every block passes the gradient on unchanged: |ratio − 1|.",
        lambda r: r["zero_init_deviation"],
        at_most=1e-9,
        shows=("ratio", lambda r: r["by_variant"]["zero_init"]["gradient_first_over_last"], ".6g"),
    ),
    Claim(
        "batch_norm_branch_grows_slowly",
        "With BatchNorm inside the branch the gradient ratio over [[setup.depth]] blocks stays far below the naive "
        "network's (polynomial, not exponential, growth).",
        lambda r: r["by_variant"]["batch_norm"]["gradient_first_over_last"],
        at_most=200,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
