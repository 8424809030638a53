"""Vanishing gradients meet float16: how much of the gradient cannot be stored

float16 has 5 exponent bits: its smallest normal number is 2⁻¹⁴ ≈ 6.1e-5 and its
smallest subnormal 2⁻²⁴ ≈ 6.0e-8; anything smaller rounds to zero. bfloat16 keeps
float32's 8 exponent bits (smallest normal ≈ 1.2e-38) and pays with fewer mantissa bits.
We take a 12-layer sigmoid network of width 64 (Xavier initialisation), whose gradients
vanish toward the input by roughly the sigmoid's slope of 1/4 per layer, compute the
weight gradients of a mean-squared-error loss in float32, and count per layer how many
entries become zero or subnormal when stored in float16, and how many become zero in
bfloat16. We then run the same forward and backward pass in float16 itself (under
``torch.autocast``), where the gradient flowing back between layers is rounded too, and
count again. The format limits come from ``torch.finfo`` at run time.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, mlp, new_figure, rounded

# --8<-- [start:measure]
F16, BF16 = torch.finfo(torch.float16), torch.finfo(torch.bfloat16)
F32 = torch.finfo(torch.float32)
F16_SUBNORMAL = F16.tiny * F16.eps  # 2⁻¹⁴ · 2⁻¹⁰ = 2⁻²⁴: the last step above zero
BF16_SUBNORMAL = BF16.tiny * BF16.eps  # 2⁻¹²⁶ · 2⁻⁷ = 2⁻¹³³
F32_SUBNORMAL = F32.tiny * F32.eps  # 2⁻¹²⁶ · 2⁻²³ = 2⁻¹⁴⁹


def flushes_below(dtype, smallest_subnormal: float, source=torch.float32) -> dict:
    """Where storing a number of type ``source`` in ``dtype`` starts returning zero,
    measured: half the smallest subnormal rounds to zero (a tie, to the even neighbour
    0), the next ``source`` number above it does not."""
    half = torch.tensor(smallest_subnormal / 2, dtype=source)
    above = torch.nextafter(half, torch.tensor(1.0, dtype=source))
    subnormal = torch.tensor(smallest_subnormal, dtype=source)
    return {
        "threshold": float(half),
        "half_is_zero": bool(half.to(dtype) == 0),
        "above_is_subnormal": float(above.to(dtype)) == smallest_subnormal,
        "subnormal_is_kept": float(subnormal.to(dtype)) == smallest_subnormal,
    }


def format_bits(info) -> dict:
    """Exponent and mantissa bits of a format, from its finfo: eps = 2^−mantissa."""
    mantissa = round(-np.log2(info.eps))
    return {"exponent": info.bits - 1 - mantissa, "mantissa": mantissa}


def layers_to_reach(start: float, floor: float, per_layer: float = 4.0) -> float:
    """How many layers that shrink a gradient by ``per_layer`` take it from ``start`` to
    ``floor``: log_4(start / floor)."""
    return float(np.log(start / floor) / np.log(per_layer))


def weight_gradients(
    depth: int, width: int, batch: int, seed: int, autocast: bool
) -> list:
    model = mlp(depth, width, activation="sigmoid", init="xavier", bias=True, seed=seed)
    rng = generator(seed + 1)
    x, y = torch.randn(batch, width, generator=rng), torch.randn(
        batch, width, generator=rng
    )
    with torch.autocast("cpu", dtype=torch.float16, enabled=autocast):
        # matmuls (and their gradients) in float16
        loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    # float32 tensors either way
    return [block[0].weight.grad.detach() for block in model]


def share(mask: torch.Tensor) -> float:
    return float(mask.float().mean())


def measure(depth: int = 12, width: int = 64, batch: int = 64, seed: int = 0) -> dict:
    exact = weight_gradients(depth, width, batch, seed, autocast=False)
    computed = weight_gradients(depth, width, batch, seed, autocast=True)
    layers = []
    for g, g16 in zip(exact, computed):
        magnitude = g.abs()
        layers.append(
            {
                "median": float(magnitude.median()),
                "p05": float(
                    magnitude.flatten().kthvalue(max(1, magnitude.numel() // 20)).values
                ),
                "p95": float(
                    magnitude.flatten().kthvalue(magnitude.numel() * 19 // 20).values
                ),
                "float32_zero": share(g == 0),
                "cast_float16_zero": share(g.half() == 0),
                "cast_float16_subnormal": share(
                    (g.half() != 0) & (g.half().abs() < F16.tiny)
                ),
                "cast_bfloat16_zero": share(g.bfloat16() == 0),
                "computed_float16_zero": share(g16 == 0),
            }
        )
    column = lambda key: rounded([layer[key] for layer in layers])  # noqa: E731
    cast16, computed16 = column("cast_float16_zero"), column("computed_float16_zero")
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "float16_smallest_normal": F16.tiny,
        "float16_smallest_subnormal": F16_SUBNORMAL,
        "float16_eps": F16.eps,
        "bfloat16_smallest_normal": BF16.tiny,
        "bfloat16_smallest_subnormal": BF16_SUBNORMAL,
        "float32_smallest_normal": F32.tiny,
        "float32_smallest_subnormal": F32_SUBNORMAL,
        "format_bits": {
            "float16": format_bits(F16),
            "bfloat16": format_bits(BF16),
            "float32": format_bits(F32),
        },
        "flush": {
            "float16": flushes_below(torch.float16, F16_SUBNORMAL),
            "bfloat16": flushes_below(torch.bfloat16, BF16_SUBNORMAL),
            "float32": flushes_below(torch.float32, F32_SUBNORMAL, torch.float64),
        },
        # the derivation's example: a gradient entry of 10⁻³ that shrinks 4× per layer
        "example_gradient": 1e-3,
        "layers_to_flush": {
            "float16": rounded(layers_to_reach(1e-3, F16_SUBNORMAL / 2)),
            "float32": rounded(layers_to_reach(1e-3, F32_SUBNORMAL / 2)),
            "float32_normal": rounded(layers_to_reach(1e-3, F32.tiny)),
        },
        "bfloat16_eps": BF16.eps,
        "median": column("median"),
        "p05": column("p05"),
        "p95": column("p95"),
        "float32_zero": column("float32_zero"),
        "cast_float16_zero": cast16,
        "cast_float16_subnormal": column("cast_float16_subnormal"),
        "cast_bfloat16_zero": column("cast_bfloat16_zero"),
        "computed_float16_zero": computed16,
        "first_layer_median": layers[0]["median"],
        "last_layer_median": layers[-1]["median"],
        "decades_spanned": rounded(np.log10(layers[-1]["median"] / layers[0]["median"])),
        "layers_wiped_cast": sum(v == 1.0 for v in cast16),  # every entry lost
        "layers_wiped_computed": sum(v == 1.0 for v in computed16),
        "overall_cast_float16_zero": rounded(np.mean(cast16)),
        "overall_computed_float16_zero": rounded(np.mean(computed16)),
        "max_bfloat16_zero": max(column("cast_bfloat16_zero")),
        "max_float32_zero": max(column("float32_zero")),
        "exercise": {
            "layer": 5,
            "layer_5_cast": cast16[4],
            "layer_5_computed": computed16[4],
            "layer_5_median_over_subnormal": rounded(layers[4]["median"] / F16_SUBNORMAL),
        },
        "computed_minus_cast": rounded(np.mean(computed16) - np.mean(cast16)),
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    layers = np.arange(1, results["depth"] + 1)
    fig, ax = new_figure(width=6.6, height=3.4)
    ax.fill_between(
        layers,
        results["p05"],
        results["p95"],
        color="C0",
        alpha=0.2,
        lw=0,
        label="5th–95th percentile",
    )
    ax.semilogy(
        layers,
        results["median"],
        "o-",
        color="C0",
        label="median (float32)",
    )
    ax.axhline(
        results["float16_smallest_normal"],
        color="C1",
        ls="--",
        label="float16 smallest normal",
    )
    ax.axhline(
        results["float16_smallest_subnormal"],
        color="C5",
        ls="-",
        label="float16 smallest subnormal",
    )
    ax.set(xlabel="layer", ylabel="|gradient entry|")
    ax.legend(fontsize=9, loc="lower right")
    ax.minorticks_off()
    alt = (
        "Log-scale plot over the twelve layers of a sigmoid network: the median "
        "size of a weight-gradient entry rises by about a factor of four per layer,"
        " from around 1e-10 at the first layer to about 1e-3 at the last, with a "
        "shaded band for the 5th to 95th percentiles. Two horizontal lines mark "
        "float16's smallest normal number, 6.1e-5, and its smallest subnormal, "
        "6e-8; the first several layers lie entirely below the lower line."
    )
    fig2, ax2 = new_figure(width=6.6, height=3.2)
    width = 0.28
    ax2.bar(
        layers - width, results["cast_float16_zero"], width, label="float32 → float16"
    )
    ax2.bar(
        layers,
        results["computed_float16_zero"],
        width,
        label="computed in float16 (autocast)",
    )
    ax2.bar(
        layers + width,
        results["cast_bfloat16_zero"],
        width,
        label="float32 → bfloat16 (all 0 — no bar)",
    )
    ax2.set(xlabel="layer", ylabel="share of entries that become 0", ylim=(0, 1.05))
    ax2.legend(fontsize=9, loc="upper right")
    alt2 = (
        "Bar chart of the share of each layer's weight-gradient entries that "
        "become exactly zero. Cast from float32 to float16, all entries of the "
        "first layers are lost and the share falls to zero by the middle layers; "
        "computed in float16 under autocast the loss reaches one layer further. In"
        " bfloat16 no entry of any layer is lost."
    )
    return {"magnitudes": (fig, alt), "flushed": (fig2, alt2)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "float16_wipes_first_layers",
        "Stored in float16, every gradient entry of at least the first two layers "
        "becomes 0 (number of layers wiped out).",
        lambda r: r["layers_wiped_cast"],
        at_least=2,
        fmt="d",
    ),
    Claim(
        "computing_in_float16_loses_more",
        "Computing the backward pass in float16 loses more entries than storing the "
        "float32 result in float16 (difference of the shares lost, over all layers).",
        lambda r: r["computed_minus_cast"],
        at_least=0.01,
        fmt=".3f",
    ),
    Claim(
        "float32_keeps_every_entry",
        "In float32 the same gradients are tiny but none is zero (largest share of "
        "zeros in a layer).",
        lambda r: r["max_float32_zero"],
        at_most=0,
        fmt=".2f",
    ),
    Claim(
        "float16_flushes_below_half_its_smallest_subnormal",
        "Storing in float16 returns zero from half its smallest subnormal down, "
        "$2^{-25}$, and a subnormal just above it: measured by casting both numbers.",
        lambda r: r["flush"]["float16"]["half_is_zero"]
        and r["flush"]["float16"]["above_is_subnormal"],
    ),
    Claim(
        "bfloat16_has_subnormals",
        "bfloat16 keeps subnormal numbers down to $2^{-133}$ (stored and read back "
        "unchanged), and flushes from half of it down.",
        lambda r: r["flush"]["bfloat16"]["subnormal_is_kept"]
        and r["flush"]["bfloat16"]["half_is_zero"]
        and r["flush"]["bfloat16"]["above_is_subnormal"],
    ),
    Claim(
        "bfloat16_keeps_every_entry",
        "Stored in bfloat16, with float32's exponent range, no entry of any layer "
        "becomes 0 (largest share of zeros in a layer).",
        lambda r: r["max_bfloat16_zero"],
        at_most=0,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
