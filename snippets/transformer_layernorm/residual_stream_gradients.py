"""Why the profiles look as they do: the residual stream's gradient and its size

The first experiment measured the gradient of every layer's second FFN matrix. Here we
follow the mechanism behind it, in the same encoders (d_model 64, 4 heads, 24 layers,
Xavier weights, an ensemble of networks side by side).

Pre-LN: the stream x_l between blocks is never normalised. The final LN divides the
gradient by σ(x_L); going down, every branch adds J_lᵀ g to the gradient, with J_l, the
branch's Jacobian, carrying the factor 1/σ(x_l) of the LN in front of it. When the
branches are balanced the gradient at the stream is about σ(x_L)/σ(x_l) times the one at
the top, so ‖∂L/∂x_l‖ · σ(x_l) is level, and the second FFN matrix's gradient
a_lᵀ ∂L/∂x_{l+1} is ∝ 1/σ(x_l). We record, per block boundary l = 0 … L, ‖∂L/∂x_l‖ and
σ(x_l) (the per-token standard deviation over the features, averaged over tokens).

Post-LN: each sub-layer computes u = x + F(x), then x' = LN(u). Backwards, the LN
divides the gradient by σ(u) (its Jacobian is a projection over σ(u)), and the residual
sum multiplies it by (I + J_F)ᵀ. We record both factors, sub-layer by sub-layer, with σ(u):
they cancel, which is why the post-LN profile is level.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, log_log_slope, new_figure, rounded
from snippets.transformer_layernorm._transformer import Encoder, layer_norm


# --8<-- [start:measure]
def token_std(h: torch.Tensor) -> torch.Tensor:
    """σ(x) of every token over its features, averaged over tokens: one per network."""
    return h.std(-1, unbiased=False).mean((1, 2))


def stream_gradients(
    kind: str,
    layers: int,
    d: int,
    heads: int,
    tokens,
    targets,
    vocab: int,
    seed: int,
) -> dict:
    """The forward pass of ``Encoder`` step by step, keeping every stream tensor."""
    model = Encoder(
        kind, layers, ensemble=tokens.shape[0], d=d, heads=heads, vocab=vocab,
        length=tokens.shape[-1], seed=seed,
    )
    h = torch.stack([e[t] for e, t in zip(model.embed, tokens)]) + model.position
    stream, sums = [h], []  # x_0 … x_L; post-LN: (u, LN(u)) of every sub-layer
    for block in model.blocks:
        if kind == "pre":
            h = h + block.attention(layer_norm(h, *block.ln1))
            h = h + block.ffn(layer_norm(h, *block.ln2))
        else:
            for branch, ln in ((block.attention, block.ln1), (block.ffn, block.ln2)):
                u = h + branch(h)
                h = layer_norm(u, *ln)
                sums.append((u, h))
        stream.append(h)
    top = layer_norm(h, *model.final) if kind == "pre" else h
    E, B, T, _ = top.shape
    logits = (top.reshape(E, B * T, d) @ model.head).reshape(E, B, T, vocab)
    loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
    # the sum of the networks' own mean losses, differentiated for the tensors we read only
    wanted = stream + [t for pair in sums for t in pair] + [b.w2 for b in model.blocks]
    grads = dict(zip(map(id, wanted), torch.autograd.grad(loss * E, wanted)))

    def norm(t):  # ‖∂L/∂t‖ of each network
        return grads[id(t)].pow(2).sum((1, 2, 3)).sqrt()

    out = {
        "grad": torch.stack([norm(x) for x in stream]),  # (L + 1, networks)
        "std": torch.stack([token_std(x) for x in stream]).detach(),
        "w2": torch.stack([grads[id(b.w2)].pow(2).sum((1, 2)).sqrt() for b in model.blocks]),
        "logits": logits.detach(),
    }
    if sums:  # per sub-layer: the LN's factor ‖∂L/∂u‖/‖∂L/∂x'‖ and the residual's
        inputs = [stream[0]] + [after for _, after in sums[:-1]]
        out["ln_gain"] = torch.stack([norm(u) / norm(after) for u, after in sums])
        out["residual_gain"] = torch.stack(
            [norm(x) / norm(u) for x, (u, _) in zip(inputs, sums)]
        )
        out["sum_std"] = torch.stack([token_std(u) for u, _ in sums]).detach()
    return out


def measure(
    d: int = 64,
    heads: int = 4,
    layers: int = 24,
    networks: int = 8,
    batch: int = 16,
    length: int = 8,
    vocab: int = 10,
    seed: int = 0,
) -> dict:
    rng = generator(seed + 1)  # the same batches as the first experiment
    tokens = torch.randint(0, vocab, (networks, batch, length), generator=rng)
    targets = torch.randint(0, vocab, (networks, batch, length), generator=rng)
    pre = stream_gradients("pre", layers, d, heads, tokens, targets, vocab, seed)
    post = stream_gradients("post", layers, d, heads, tokens, targets, vocab, seed)
    # pre-LN, per network: the law ‖∂L/∂x_l‖ ≈ σ(x_L)/σ(x_l) · ‖∂L/∂x_L‖
    grad, std = pre["grad"].numpy(), pre["std"].numpy()
    growth = grad[0] / grad[-1]  # input over top, measured
    predicted = std[-1] / std[0]  # σ(x_L)/σ(x_0)
    level = grad * std / (grad[-1] * std[-1])  # 1 at every l if the law holds
    w2 = pre["w2"].numpy()
    # post-LN, per sub-layer and network
    ln_gain, residual_gain = post["ln_gain"].numpy(), post["residual_gain"].numpy()
    sum_std = post["sum_std"].numpy()
    post_grad = post["grad"].numpy()
    return {
        "d": d,
        "layers": layers,
        "networks": networks,
        "pre": {
            "grad": rounded(grad.mean(1)),  # mean over networks, l = 0 … L
            "std": rounded(std.mean(1)),
            "grad_times_std": rounded(level.mean(1)),
            "w2_times_std": rounded((w2 * std[1:] / (w2[-1] * std[-1])).mean(1)),
        },
        "pre_growth": rounded(float(np.exp(np.log(growth).mean()))),
        "pre_std_ratio": rounded(float(np.exp(np.log(predicted).mean()))),
        # the law's error: measured growth over σ(x_L)/σ(x_0), geometric mean
        "pre_growth_over_law": rounded(float(np.exp(np.log(growth / predicted).mean()))),
        # slope of log ‖∂L/∂x_l‖ against log σ(x_l), all l and networks: the law says −1
        "pre_stream_slope": rounded(log_log_slope(std.flatten(), grad.flatten())),
        # slope of log ‖∂L/∂W2_l‖ against log σ of the stream block l writes to: −1
        "pre_w2_slope": rounded(log_log_slope(std[1:].flatten(), w2.flatten())),
        "pre_level_spread": rounded(float(level.mean(1).max() / level.mean(1).min())),
        "post": {
            "grad": rounded(post_grad.mean(1)),
            "ln_gain": rounded(ln_gain.mean(1)),
            "residual_gain": rounded(residual_gain.mean(1)),
            "sum_std": rounded(sum_std.mean(1)),
        },
        # the LN's factor against 1/σ(u): largest relative deviation over sub-layers
        "post_ln_times_std": rounded(ln_gain.mean(1) * sum_std.mean(1)),
        "post_ln_worst": rounded(float(np.abs(ln_gain * sum_std - 1).max())),
        # the residual sum's factor against σ(u), FFN sub-layers (every other one)
        "post_ffn_worst": rounded(
            float(np.abs(residual_gain[1::2] / sum_std[1::2] - 1).max())
        ),
        "post_attention_residual_over_std": rounded(
            (residual_gain[0::2] / sum_std[0::2]).mean(1)
        ),
        "post_ln_gain": rounded(float(np.exp(np.log(ln_gain).mean()))),
        "post_residual_gain": rounded(float(np.exp(np.log(residual_gain).mean()))),
        "post_sum_std": rounded(float(np.exp(np.log(sum_std).mean()))),
        # both factors together, per sub-layer: geometric mean over the stack
        "post_sublayer_gain": rounded(
            float(np.exp(np.log(ln_gain * residual_gain).mean()))
        ),
        "post_stream_spread": rounded(
            float(post_grad.mean(1).max() / post_grad.mean(1).min())
        ),
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2, width=7.6, height=3.3)
    pre = results["pre"]
    boundary = np.arange(len(pre["grad"]))
    grad, std = np.array(pre["grad"]), np.array(pre["std"])
    left.semilogy(boundary, grad / grad[-1], "o-", ms=3, color="C1",
                  label=r"$\|\partial L/\partial x_l\|$ / top")
    left.semilogy(boundary, std[-1] / std, "--", color="C6",
                  label=r"$\sigma(x_L)/\sigma(x_l)$")
    left.semilogy(boundary, pre["grad_times_std"], ":", color="C2",
                  label=r"$\|\partial L/\partial x_l\|\,\sigma(x_l)$ / top")
    left.set(xlabel="block boundary l", title="pre-LN: the stream")
    left.legend(fontsize=9)
    post = results["post"]
    sub = np.arange(1, len(post["ln_gain"]) + 1)
    right.semilogy(sub, post["ln_gain"], "o", ms=3, color="C0", label="LN's factor")
    right.semilogy(sub, 1 / np.array(post["sum_std"]), "-", color="C0", lw=0.8,
                   label=r"$1/\sigma(u)$")
    right.semilogy(sub, post["residual_gain"], "s", ms=3, color="C3",
                   label=r"$(I + J_F)^\top$'s factor")
    right.semilogy(sub, post["sum_std"], "-", color="C3", lw=0.8, label=r"$\sigma(u)$")
    right.semilogy(
        sub, np.array(post["ln_gain"]) * np.array(post["residual_gain"]), "^", ms=3,
        color="C2", label="product",
    )
    right.set(xlabel="sub-layer", title="post-LN: each sub-layer")
    right.legend(fontsize=8, ncols=2, loc="lower center")
    for ax in (left, right):
        ax.minorticks_off()
    alt = (
        "Two log-scale panels. First panel, for the 24-layer pre-LN encoder: the gradient at "
        "the residual stream between blocks, relative to the top, rises from the output "
        "toward the input, and follows the ratio of the stream's size at the top to its "
        "size at that boundary; their product with the stream's size stays close to "
        "level. Second panel, for the post-LN encoder, sub-layer by sub-layer: the factor by "
        "which the LayerNorm shrinks the gradient sits on one over the size of its "
        "input, the factor by which the residual sum grows it sits on that size, and "
        "their product is close to one."
    )
    return {"mechanism": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "preln_stream_gradient_follows_inverse_std",
        "In the pre-LN encoder the residual stream's gradient is inversely proportional "
        "to the stream's size: fitted slope of $\\log \\|\\partial L/\\partial x_l\\|$ "
        "against $\\log \\sigma(x_l)$ over every block boundary (the law says −1).",
        lambda r: r["pre_stream_slope"],
        at_least=-1.3,
        at_most=-0.75,
        fmt=".2f",
    ),
    Claim(
        "preln_growth_matches_std_ratio",
        "The stream's gradient grows from the top to the input by about "
        "$\\sigma(x_L)/\\sigma(x_0)$: the measured growth over that ratio.",
        lambda r: r["pre_growth_over_law"],
        at_least=0.8,
        at_most=1.8,
        fmt=".2f",
        shows=("$\\sigma(x_L)/\\sigma(x_0)$", lambda r: r["pre_std_ratio"], ".2f"),
    ),
    Claim(
        "preln_ffn_gradient_follows_inverse_std",
        "The second FFN matrix's gradient is inversely proportional to the size of the "
        "stream it writes to: fitted slope of $\\log \\|\\partial L/\\partial W_2\\|$ "
        "against $\\log \\sigma(x_{l+1})$ (the law says −1).",
        lambda r: r["pre_w2_slope"],
        at_least=-1.3,
        at_most=-0.75,
        fmt=".2f",
    ),
    Claim(
        "postln_layernorm_divides_by_std",
        "In the post-LN encoder every LayerNorm divides the gradient by the size of its "
        "input $u = x + F(x)$: largest relative deviation of its factor from "
        "$1/\\sigma(u)$, over every sub-layer and network.",
        lambda r: r["post_ln_worst"],
        at_most=0.3,
        fmt=".3f",
    ),
    Claim(
        "postln_residual_multiplies_by_std",
        "…and in every FFN sub-layer the residual sum's $(I + J_F)^\\top$ multiplies it "
        "by that same $\\sigma(u)$: largest relative deviation of its factor from "
        "$\\sigma(u)$.",
        lambda r: r["post_ffn_worst"],
        at_most=0.3,
        fmt=".3f",
    ),
    Claim(
        "postln_factors_cancel",
        "The two factors cancel over the stack: geometric mean of their product per "
        "sub-layer.",
        lambda r: r["post_sublayer_gain"],
        at_least=0.95,
        at_most=1.05,
        fmt=".3f",
        shows=("$\\sigma(u)$, geometric mean", lambda r: r["post_sum_std"], ".2f"),
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
