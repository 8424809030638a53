"""Depth: the residual stream's size at initialisation, with and without branch scaling

A stack of L residual MLP blocks, x_{l+1} = x_l + α_L · W₂ ReLU(W₁ LN(x_l)) (pre-LN) or
without the LayerNorm (plain), at L = 4 … 64. Each branch adds a variance of its own that
does not shrink with depth, so with α = 1 the stream's variance grows by the same amount
per block (pre-LN: linearly, RMS ∝ √L) or by the same factor (plain: exponentially).
GPT-2 (Radford et al. 2019) scales the residual branches' output weights by 1/√(2L)
(two branches per block there, attention and MLP; one here), depth-μP (Yang et al. 2023;
Bordelon et al. 2023) multiplies each branch by 1/√L: either keeps the stream level in L.

An ensemble of networks side by side (stacked weights, torch.bmm), the same weights for
the three branch multipliers and for both block types at each depth.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, log_log_slope, new_figure, rounded

DEPTHS = (4, 8, 16, 32, 64)
SCALINGS = ("unscaled", "gpt2", "depth_mup")


def branch_multiplier(scaling: str, depth: int) -> float:
    return {"unscaled": 1.0, "gpt2": (2 * depth) ** -0.5, "depth_mup": depth ** -0.5}[scaling]


# --8<-- [start:measure]
def stream_rms(x0: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor, multiplier: float,
               layer_norm: bool) -> list[float]:
    """RMS of the residual stream x_0 … x_L over networks, examples and features.
    x0: (networks, batch, d); w1, w2: (L, networks, d, d)."""
    x, sizes = x0, [float(x0.pow(2).mean().sqrt())]
    for a, b in zip(w1, w2):
        h = torch.nn.functional.layer_norm(x, x.shape[-1:]) if layer_norm else x
        x = x + multiplier * torch.bmm(torch.relu(torch.bmm(h, a)), b)
        sizes.append(float(x.pow(2).mean().sqrt()))
    return sizes


def measure(d: int = 64, networks: int = 8, batch: int = 32, seed: int = 0) -> dict:
    rng = generator(seed)
    x0 = torch.randn(networks, batch, d, generator=rng)  # the embedded input, RMS ≈ 1
    out = {"depths": list(DEPTHS), "scalings": list(SCALINGS)}
    for block, layer_norm in (("pre_ln", True), ("plain", False)):
        out[block] = {"top": {s: [] for s in SCALINGS}, "profile": {}}
    for depth in DEPTHS:
        # He init into the ReLU, 1/√d out of it: each branch's output has RMS ≈ 1
        w1 = torch.randn(depth, networks, d, d, generator=rng) * (2 / d) ** 0.5
        w2 = torch.randn(depth, networks, d, d, generator=rng) * d ** -0.5
        for block, layer_norm in (("pre_ln", True), ("plain", False)):
            for scaling in SCALINGS:
                sizes = stream_rms(x0, w1, w2, branch_multiplier(scaling, depth), layer_norm)
                out[block]["top"][scaling].append(rounded(sizes[-1]))
                if depth == DEPTHS[-1]:
                    out[block]["profile"][scaling] = rounded(sizes)
    pre, plain = out["pre_ln"]["top"], out["plain"]["top"]
    # exponent a of RMS(x_L) ∝ L^a: ½ for a stream whose variance adds up, 0 if level
    out["pre_ln"]["slope"] = {s: rounded(log_log_slope(DEPTHS, pre[s])) for s in SCALINGS}
    # plain blocks, unscaled: growth of the stream's RMS per block, fitted from L = 4 … 64
    out["plain"]["growth_per_block"] = rounded(
        float(np.exp(np.polyfit(DEPTHS, np.log(plain["unscaled"]), 1)[0])))
    out["plain"]["slope"] = {s: rounded(log_log_slope(DEPTHS, plain[s])) for s in SCALINGS}
    out["pre_ln"]["sqrt_law"] = rounded([float(np.sqrt(1 + L)) for L in DEPTHS])  # RMS² = 1 + L
    out["pre_ln"]["sqrt_law_slope"] = rounded(log_log_slope(DEPTHS, out["pre_ln"]["sqrt_law"]))
    # plain blocks, α = 1/√L: (1 + 1/L)^(L/2) → √e; α = 1/√(2L): → e^(1/4)
    out["plain"]["limit"] = {"depth_mup": rounded(float(np.exp(0.5))),
                             "gpt2": rounded(float(np.exp(0.25)))}
    out["pre_ln"]["deepest_over_shallowest"] = {
        s: rounded(pre[s][-1] / pre[s][0]) for s in SCALINGS}
    return out
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    depths = results["depths"]
    fig, (first, second) = new_figure(ncols=2, width=7.6, height=3.3)
    labels = {"unscaled": "α = 1", "gpt2": "α = 1/√(2L) (GPT-2)", "depth_mup": "α = 1/√L (depth-μP)"}
    for i, scaling in enumerate(results["scalings"]):
        first.loglog(depths, results["pre_ln"]["top"][scaling], "o-", ms=4, color=f"C{i}",
                     label=labels[scaling])
        second.semilogy(depths, results["plain"]["top"][scaling], "o-", ms=4, color=f"C{i}",
                        label=labels[scaling])
    first.loglog(depths, results["pre_ln"]["sqrt_law"], ":", color="C6", label="√(1 + L)")
    first.set(xlabel="depth L (blocks)", ylabel=r"RMS of $x_L$ at initialisation",
              title="pre-LN blocks")
    second.set(xlabel="depth L (blocks)", title="plain residual blocks (no LN)")
    for ax in (first, second):
        ax.set_xticks(depths, [str(L) for L in depths])
        ax.minorticks_off()
    first.set_yticks([1, 2, 4, 8], ["1", "2", "4", "8"])
    first.legend(fontsize=8, loc="center right")
    alt = (
        "Two panels of the residual stream's size at the top of the stack against the "
        "number of blocks, 4 to 64. First panel, pre-LN blocks on log-log axes: with "
        "unscaled branches the size rises along the square-root law; with branches scaled "
        "by one over the square root of 2L or of L it is a level line. Second panel, plain "
        "residual blocks on a log scale: with unscaled branches the size rises "
        "exponentially, by many orders of magnitude; the two scaled versions stay level."
    )
    return {"depth": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "preln_unscaled_stream_grows_as_sqrt_depth",
        "With pre-LN blocks and unscaled branches the residual stream's RMS at "
        "initialisation grows like $\\sqrt{L}$: exponent of its RMS against depth, fitted "
        "on a log-log scale over the depths measured (the law $\\sqrt{1 + L}$ gives "
        "[[results.pre_ln.sqrt_law_slope|.2f]] there).",
        lambda r: r["pre_ln"]["slope"]["unscaled"],
        at_least=0.4,
        at_most=0.52,
        fmt=".2f",
    ),
    Claim(
        "gpt2_scaling_keeps_stream_level",
        "With GPT-2's $1/\\sqrt{2L}$ branch scaling the stream is level in depth: the same "
        "exponent, between [[at_least]] and [[at_most]].",
        lambda r: r["pre_ln"]["slope"]["gpt2"],
        at_least=-0.05,
        at_most=0.05,
        fmt=".3f",
    ),
    Claim(
        "depth_mup_keeps_stream_level",
        "With depth-μP's $1/\\sqrt{L}$ branch multiplier the stream is level too: the "
        "exponent, between [[at_least]] and [[at_most]].",
        lambda r: r["pre_ln"]["slope"]["depth_mup"],
        at_least=-0.05,
        at_most=0.05,
        fmt=".3f",
    ),
    Claim(
        "plain_unscaled_stream_grows_exponentially",
        "Without the LayerNorm and without scaling, each block multiplies the stream's RMS "
        "by about $\\sqrt{2}$ (its variance doubles): the fitted factor per block.",
        lambda r: r["plain"]["growth_per_block"],
        at_least=1.3,
        at_most=1.5,
        fmt=".3f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
