"""FP8 round trips of real gradient tensors, with and without per-tensor scaling

The weight gradients of the mixed-precision chapter's 12-layer sigmoid network (float32,
one batch) are cast to PyTorch's two 8-bit float formats and back: float8_e4m3fn (4
exponent bits, 3 mantissa bits, largest 448, no infinity: out-of-range values saturate)
and float8_e5m2 (5 and 2, largest 57344, with infinity). Cast as they are, most of the
early layers' entries are below either format's smallest subnormal and become zero. With
per-tensor scaling (Micikevicius et al. 2022), each tensor is multiplied by
scale = largest representable / amax before the cast and divided by it after, so that its
largest entry lands on the format's largest number. We count, per layer, the entries that
become zero, those that saturate or overflow, and the relative error of the round trip.
"""

import numpy as np
import torch

from snippets.common import Claim, new_figure, rounded
from snippets.mixed_precision.float16_underflow import weight_gradients

# --8<-- [start:measure]
FORMATS = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}


STALE_FACTOR = 4  # a delayed scale, set when the tensor's amax was 4 times smaller


def round_trip(gradient: torch.Tensor, dtype: torch.dtype, scaled: bool, stale: float = 1.0) -> dict:
    largest = torch.finfo(dtype).max
    amax = gradient.abs().max() / stale
    scale = largest / amax if scaled else torch.tensor(1.0)
    stored = (gradient * scale).to(dtype)  # what an FP8 kernel would read
    back = stored.float() / scale
    nonzero = gradient != 0
    # beyond what round to nearest brings back to the largest number: saturated to it
    # (e4m3fn) or infinite (e5m2); half the gap below the largest number past it
    top_half_gap = torch.finfo(dtype).eps * 2.0 ** np.floor(np.log2(largest)) / 2
    scaled_values = (gradient * scale).abs()
    return {
        "underflow": float(((back == 0) & nonzero).float().mean()),
        "saturated": float((scaled_values >= largest + top_half_gap).float().mean()),
        # entries that land above the largest number by less: float32's rounding of s
        "just_above": int(((scaled_values > largest) & (scaled_values < largest + top_half_gap)).sum()),
        "finite": bool(torch.isfinite(back).all()),
        "relative_error": float((back - gradient).norm() / gradient.norm())
        if torch.isfinite(back).all() else None,
    }


def measure(depth: int = 12, width: int = 64, batch: int = 64, seed: int = 0) -> dict:
    gradients = weight_gradients(depth, width, batch, seed, autocast=False)
    by_case, just_above = {}, 0
    for name, dtype in FORMATS.items():
        for scaled in (False, True):
            rows = [round_trip(g, dtype, scaled) for g in gradients]
            if scaled:
                just_above += sum(row["just_above"] for row in rows)
            by_case[f"{name}_{'scaled' if scaled else 'unscaled'}"] = {
                key: rounded([row[key] for row in rows]) if key != "finite"  # finite here
                else all(row[key] for row in rows)
                for key in rows[0] if key != "just_above"
            }
        rows = [round_trip(g, dtype, True, stale=STALE_FACTOR) for g in gradients]
        by_case[f"{name}_stale"] = {
            "saturated": rounded([row["saturated"] for row in rows]),
            "finite": all(row["finite"] for row in rows),
            # an infinite entry has no finite error: recorded as None
            "relative_error": [
                rounded(row["relative_error"]) if row["finite"] else None for row in rows
            ],
        }
    info = {name: torch.finfo(dtype) for name, dtype in FORMATS.items()}
    # the spread inside each tensor: largest over smallest nonzero entry, in powers of two
    spread = [float(torch.log2(g.abs().max() / g.abs()[g != 0].min())) for g in gradients]
    every_entry = torch.cat([g.flatten() for g in gradients]).abs()
    overall_spread = float(torch.log2(every_entry.max() / every_entry[every_entry != 0].min()))
    subnormal = {n: i.smallest_normal * i.eps for n, i in info.items()}
    return {
        "depth": depth,
        "by_case": by_case,
        "layer_amax": rounded([float(g.abs().max()) for g in gradients]),
        "largest": {n: i.max for n, i in info.items()},
        "smallest_subnormal": subnormal,
        # e4m3fn: 2^-6 · 2^-3; e5m2: 2^-14 · 2^-2
        "range_log2": {n: rounded(float(np.log2(info[n].max / subnormal[n]))) for n in info},
        "max_spread_log2": rounded(max(spread)),
        # over the whole network: largest entry over smallest nonzero one, in powers of two
        "overall_spread_log2": rounded(overall_spread),
        "unscaled_e4m3_layers_mostly_lost": sum(
            v > 0.5 for v in by_case["e4m3_unscaled"]["underflow"]
        ),
        "unscaled_e5m2_layers_mostly_lost": sum(
            v > 0.5 for v in by_case["e5m2_unscaled"]["underflow"]
        ),
        "unscaled_e4m3_all_underflow": rounded(
            float(np.mean(by_case["e4m3_unscaled"]["underflow"]))
        ),
        "scaled_max_underflow": {
            n: max(by_case[f"{n}_scaled"]["underflow"]) for n in FORMATS
        },
        "scaled_max_error": {n: max(by_case[f"{n}_scaled"]["relative_error"]) for n in FORMATS},
        "scaled_median_error": {
            n: rounded(float(np.median(by_case[f"{n}_scaled"]["relative_error"])))
            for n in FORMATS
        },
        "scaled_max_saturated": max(
            max(by_case[f"{n}_scaled"]["saturated"]) for n in FORMATS
        ),
        "unscaled_max_saturated": max(
            max(by_case[f"{n}_unscaled"]["saturated"]) for n in FORMATS
        ),
        # scaled casts whose largest entry lands a float32 rounding above the largest number
        "scaled_just_above": just_above,
        "scaled_casts": 2 * depth,
        "stale_min_saturated": rounded(min(by_case["e4m3_stale"]["saturated"])),
        "stale_e4m3_finite": by_case["e4m3_stale"]["finite"],
        "stale_e5m2_finite": by_case["e5m2_stale"]["finite"],
        "stale_e4m3_median_error": rounded(
            float(np.median(by_case["e4m3_stale"]["relative_error"]))
        ),
        # e4m3 keeps one more mantissa bit: is it the more accurate at every layer?
        "e4m3_better_everywhere": all(
            a < b
            for a, b in zip(
                by_case["e4m3_scaled"]["relative_error"],
                by_case["e5m2_scaled"]["relative_error"],
            )
        ),
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    layers = np.arange(1, results["depth"] + 1)
    fig, (lost_ax, error_ax) = new_figure(ncols=2, width=7.4, height=3.3)
    styles = {
        "e4m3_unscaled": ("C0", "o--", "e4m3, as is"),
        "e5m2_unscaled": ("C1", "s--", "e5m2, as is"),
        "e4m3_scaled": ("C0", "o-", "e4m3, per-tensor scale"),
        "e5m2_scaled": ("C1", "s-", "e5m2, per-tensor scale"),
    }
    for case, (colour, style, label) in styles.items():
        entry = results["by_case"][case]
        lost_ax.plot(layers, entry["underflow"], style, color=colour, label=label, ms=4)
        error_ax.semilogy(layers, entry["relative_error"], style, color=colour, label=label, ms=4)
    for ax in (lost_ax, error_ax):
        ax.set_xticks(layers[::2])
    lost_ax.set(xlabel="layer", ylabel="share of entries flushed to 0", ylim=(-0.03, 1.05))
    error_ax.set(xlabel="layer", ylabel="relative error of the round trip")
    lost_ax.legend(fontsize=9)
    alt = (
        "First panel: per layer, the share of weight-gradient entries that become zero in a"
        " round trip through 8-bit floats. Cast as they are, nearly every entry of the early"
        " layers is lost in both formats, e4m3 losing more layers than e5m2; with a "
        "per-tensor scale almost none are lost. Second panel: the relative error of the round"
        " trip on a log axis: about one where the entries are lost, a few percent with "
        "scaling, e4m3 below e5m2."
    )
    return {"round_trip": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "unscaled_e4m3_loses_layers",
        "Cast as they are, most layers lose most of their gradient entries in e4m3 (layers"
        " losing more than half).",
        lambda r: r["unscaled_e4m3_layers_mostly_lost"],
        at_least=9,
        fmt="d",
    ),
    Claim(
        "network_spread_exceeds_both_ranges",
        "The network's gradient entries span more powers of two than either format's whole "
        "range: no single scale fits them all (the network's span over e5m2's range).",
        lambda r: r["overall_spread_log2"] / r["range_log2"]["e5m2"],
        at_least=1.0,
        fmt=".2f",
    ),
    Claim(
        "scaled_e4m3_keeps_entries",
        "With a per-tensor scale no layer loses more than [[at_most|.0%]] of its entries in"
        " e4m3 (largest share lost).",
        lambda r: r["scaled_max_underflow"]["e4m3"],
        at_most=0.01,
        fmt=".4f",
    ),
    Claim(
        "scaled_e4m3_error_small",
        "…and every layer's round trip is within [[at_most|.0%]] of the float32 gradient "
        "(largest relative error, e4m3).",
        lambda r: r["scaled_max_error"]["e4m3"],
        at_most=0.05,
        fmt=".3f",
    ),
    Claim(
        "e4m3_beats_e5m2_when_scaled",
        "With scaling, e4m3's extra mantissa bit makes it the more accurate format at every "
        "layer of this network.",
        lambda r: r["e4m3_better_everywhere"],
    ),
    Claim(
        "nothing_saturates",
        "No gradient entry saturates or overflows, scaled or not (largest share beyond what "
        "round to nearest brings back to the format's largest number).",
        lambda r: max(r["scaled_max_saturated"], r["unscaled_max_saturated"]),
        at_most=0.0,
        fmt=".4f",
    ),
    Claim(
        "stale_scale_saturates_e4m3_overflows_e5m2",
        "A scale [[setup.STALE_FACTOR]] times too large pushes entries of every layer past "
        "the largest number: e4m3fn saturates them (finite), e5m2 turns them into infinity.",
        lambda r: r["stale_min_saturated"] > 0 and r["stale_e4m3_finite"]
        and not r["stale_e5m2_finite"],
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
