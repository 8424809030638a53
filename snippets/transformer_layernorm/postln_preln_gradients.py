"""Post-LN against pre-LN Transformers: the gradient of every layer at initialisation

A Transformer encoder layer has two sub-layers, self-attention and a feed-forward
network (FFN), each wrapped in a residual connection. The original Transformer puts the
LayerNorm after the residual addition (post-LN); most recent models put it at the start
of the branch (pre-LN), leaving the residual path free of any normalisation. Xiong et
al. (2020) showed that at initialisation the post-LN gradient is largest near the
output, while pre-LN keeps it well-behaved across layers. We build both, plus DeepNorm
(Wang et al. 2022, a post-LN layer with an up-weighted residual and down-scaled branch
weights), with d_model 64, 4 heads and 6, 12 or 24 layers, and measure ‖∂L/∂W‖ of every
layer's second FFN matrix (the quantity in Xiong et al.'s analysis) after one backward
pass of a cross-entropy loss.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, log_log_slope, new_figure, rounded
from snippets.transformer_layernorm._transformer import Encoder

# --8<-- [start:measure]
DEPTHS = (6, 12, 24)
KINDS = ("post", "pre", "deep")


def ffn_gradients(
    kind: str,
    layers: int,
    d: int,
    heads: int,
    tokens,
    targets,
    vocab: int,
    networks: int,
    seed: int,
):
    """Root-mean-square over ``networks`` random networks of ‖∂L/∂W^FFN2_l‖, layer by
    layer.
    """
    model = Encoder(
        kind,
        layers,
        ensemble=networks,
        d=d,
        heads=heads,
        vocab=vocab,
        length=tokens.shape[-1],
        seed=seed,
    )
    # (networks, batch, length, vocab); each network its own batch
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
    # The sum of the networks' own mean losses, differentiated for the FFN2 matrices only:
    # the other weights' gradients are never computed.
    grads = torch.autograd.grad(loss * networks, [block.w2 for block in model.blocks])
    return [float(grad.pow(2).sum((1, 2)).mean().sqrt()) for grad in grads]


def measure(
    d: int = 64,
    heads: int = 4,
    depths=DEPTHS,
    networks: int = 8,
    batch: int = 16,
    length: int = 8,
    vocab: int = 10,
    seed: int = 0,
) -> dict:
    rng = generator(seed + 1)
    tokens = torch.randint(0, vocab, (networks, batch, length), generator=rng)
    targets = torch.randint(0, vocab, (networks, batch, length), generator=rng)
    by_kind = {kind: {} for kind in KINDS}
    for kind in KINDS:
        for layers in depths:
            norms = np.array(
                ffn_gradients(kind, layers, d, heads, tokens, targets, vocab, networks, seed)
            )
            # pre-LN: fitted exponent a of ‖∂L/∂W_l‖ ∝ l^a
            exponent = log_log_slope(np.arange(1, layers + 1), norms)
            by_kind[kind][f"depth_{layers}"] = {
                "norms": rounded(norms),
                "last_over_first": rounded(norms[-1] / norms[0]),
                "max_over_min": rounded(norms.max() / norms.min()),
                "power_law_exponent": rounded(exponent),
            }
    deepest = f"depth_{max(depths)}"
    return {
        "d": d,
        "heads": heads,
        "depths": list(depths),
        "networks": networks,
        "batch": batch,
        "length": length,
        "by_kind": by_kind,
        "post_growth": by_kind["post"][deepest]["last_over_first"],
        "pre_exponent": by_kind["pre"][deepest]["power_law_exponent"],
        "deep_spread": by_kind["deep"][deepest]["max_over_min"],
        # Xiong et al.: the last layer's gradient is O(1) in depth for post-LN, O(1/√L)
        # for pre-LN
        "post_over_pre_last": {
            f"depth_{n}": rounded(
                by_kind["post"][f"depth_{n}"]["norms"][-1]
                / by_kind["pre"][f"depth_{n}"]["norms"][-1]
            )
            for n in depths
        },
        "deepnorm_beta": rounded((8 * max(depths)) ** -0.25),
        "last_layer_deepest_over_shallowest": {
            kind: rounded(
                by_kind[kind][deepest]["norms"][-1]
                / by_kind[kind][f"depth_{min(depths)}"]["norms"][-1]
            )
            for kind in KINDS
        },
        "inverse_sqrt_depth_ratio": rounded((min(depths) / max(depths)) ** 0.5),
        "exercise": {
            "post_growth_6": by_kind["post"]["depth_6"]["last_over_first"],
            "post_growth_12": by_kind["post"]["depth_12"]["last_over_first"],
        },
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    labels = {"post": "post-LN", "pre": "pre-LN", "deep": "DeepNorm"}
    fig, axes = new_figure(ncols=3, width=7.6, height=3.2)
    for ax, depth in zip(axes, results["depths"]):
        layers = np.arange(1, depth + 1)
        for kind, label in labels.items():
            ax.semilogy(
                layers,
                results["by_kind"][kind][f"depth_{depth}"]["norms"],
                "o-",
                ms=3,
                label=label,
            )
        ax.set(xlabel="layer", title=f"{depth} layers")
        ax.minorticks_off()
    axes[0].set_ylabel(r"$\|\partial L/\partial W^{\mathrm{FFN2}}_l\|$")
    axes[0].legend(fontsize=9)
    alt = (
        "Three log-scale panels, for Transformer encoders of 6, 12 and 24 layers, "
        "of the gradient norm of each layer's second feed-forward weight matrix at "
        "initialisation. Post-LN is roughly level, at most tilting slightly up toward "
        "the output, and lies well above pre-LN at the last layers. Pre-LN is largest "
        "at the first layer and falls slowly toward the output. DeepNorm is flat and "
        "about ten times smaller, because its branch weights are scaled down."
    )
    fig2, ax2 = new_figure(width=5.6, height=3.2)
    depth = max(results["depths"])
    layers = np.arange(1, depth + 1)
    pre = np.array(results["by_kind"]["pre"][f"depth_{depth}"]["norms"])
    ax2.loglog(layers, pre, "o", color="C1", ms=4, label="pre-LN, measured")
    exponent = results["pre_exponent"]
    fit = pre[0] * layers**exponent
    ax2.loglog(layers, fit, "-", color="C6", label=f"fitted $l^{{{exponent:.2f}}}$")
    ax2.loglog(layers, pre[0] * layers**-0.5, ":", color="C1", label=r"$l^{-1/2}$")
    ax2.set(
        xlabel="layer l",
        ylabel=r"$\|\partial L/\partial W^{\mathrm{FFN2}}_l\|$",
        title=f"pre-LN, {depth} layers, log–log",
    )
    ax2.legend(fontsize=9)
    ax2.minorticks_off()
    alt2 = (
        "Log-log plot of the pre-LN gradient norms of a 24-layer encoder against "
        "the layer index, with a fitted power law and the line l to the minus one "
        "half; the measured points follow both lines closely."
    )
    return {"profiles": (fig, alt), "prenorm_power_law": (fig2, alt2)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "preln_falls_as_inverse_sqrt_depth",
        "In a [[setup.depths.-1]]-layer pre-LN encoder the gradient falls from the first layer to the "
        "last roughly as $l^{-1/2}$: fitted exponent of $\\|\\partial L/\\partial W_l\\|$ "
        "against the layer index $l$.",
        lambda r: r["pre_exponent"],
        at_least=-0.75,
        at_most=-0.25,
        fmt=".2f",
    ),
    Claim(
        "postln_does_not_fall",
        "In the [[setup.depths.-1]]-layer post-LN encoder it does not fall toward the output: last "
        "layer's gradient over the first layer's.",
        lambda r: r["post_growth"],
        at_least=0.5,
        fmt=".2f",
    ),
    Claim(
        "postln_last_layer_larger",
        "At [[setup.depths.-1]] layers the post-LN last layer's gradient is more than twice the pre-LN "
        "last layer's (ratio).",
        lambda r: r["post_over_pre_last"]["depth_24"],
        at_least=2,
        fmt=".2f",
    ),
    Claim(
        "deepnorm_is_level",
        "DeepNorm's gradient is level across the [[setup.depths.-1]] layers: largest over smallest "
        "layer.",
        lambda r: r["deep_spread"],
        at_most=1.2,
        fmt=".3f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
