"""Updates rounded away: the share of a bfloat16 weight's updates that are lost

A bfloat16 number keeps 8 significant bits (7 stored, the leading 1 implied). For a
weight w with 2^e ≤ |w| < 2^(e+1) its neighbours are 2^(e-7) away (2^(e-8) below a power
of two), so w + Δ rounds back to w when |Δ| is below half that gap: whenever the relative
update r = |Δ|/|w| is below 2^-9, never when it is above 2^-8, and in between depending
on the mantissa. We store many random weights in bfloat16, apply an update of relative size
r on a log grid (the update itself computed exactly, in float32, as from a float32 master
copy) and count how many weights do not move and how much of the intended change is
applied; the same for float16 and float32 storage as references. Every weight's outcome is
compared with the threshold derived from its own exponent and mantissa.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
FORMATS = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def stored_mantissa_bits(dtype: torch.dtype) -> int:
    return round(-np.log2(torch.finfo(dtype).eps))


def half_gap(w: torch.Tensor, dtype: torch.dtype, direction: torch.Tensor) -> torch.Tensor:
    """Half the distance from each stored w to its neighbour in the update's direction."""
    mantissa_bits = stored_mantissa_bits(dtype)  # 7 for bfloat16: 8 significant bits
    _, exponent = torch.frexp(w.double().abs())  # |w| = f·2^exponent, f in [0.5, 1)
    gap = torch.ldexp(torch.ones_like(w, dtype=torch.float64), exponent - 1 - mantissa_bits)
    # moving toward zero from an exact power of two, the neighbour is half as far
    power_of_two = w.double().abs() == torch.ldexp(torch.ones_like(gap), exponent - 1)
    toward_zero = torch.sign(direction) != torch.sign(w)
    gap = torch.where(power_of_two & toward_zero, gap / 2, gap)
    # below the smallest normal number the gap is fixed: the smallest subnormal
    return gap.clamp_min(torch.finfo(dtype).smallest_normal * torch.finfo(dtype).eps) / 2


def apply_update(w: torch.Tensor, delta: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """w (stored in dtype) plus a float32 update, as ``w.add_(delta)`` does it: the sum in
    float32, rounded to nearest back into dtype."""
    return (w.float() + delta).to(dtype)


def measure(
    weights: int = 20000,
    log2_r_min: float = -13.0,
    log2_r_max: float = -5.0,
    grid_points: int = 97,
    seed: int = 0,
) -> dict:
    rng = generator(seed)
    # offset by half a grid step, so that no update is within float32's rounding of a tie
    step = (log2_r_max - log2_r_min) / (grid_points - 1)
    log2_r = np.linspace(log2_r_min, log2_r_max, grid_points) + step / 2
    ratios = torch.tensor(2.0**log2_r, dtype=torch.float64)
    master = torch.randn(weights, generator=rng)  # weights of unit scale
    sign = torch.where(torch.rand(weights, generator=rng) < 0.5, -1.0, 1.0)
    by_format, mismatches, farthest_from_tie_ = {}, {}, {}
    for name, dtype in FORMATS.items():
        w = master.to(dtype)  # the stored weight
        # Δ = −lr·g with lr·|g| = r·|w|, one row per ratio on the grid
        delta = (ratios[:, None] * w.double().abs()[None, :] * sign).float()
        new = apply_update(w[None, :].expand_as(delta), delta, dtype)
        applied = new.double() - w.double()
        unchanged = applied == 0
        intended = delta.double()
        by_format[name] = {
            "share_lost": rounded(unchanged.double().mean(dim=1).tolist()),
            # the part of the intended change that reached the weight, summed over weights
            "share_applied": rounded(
                ((applied * intended.sign()).sum(dim=1) / intended.abs().sum(dim=1)).tolist()
            ),
        }
        to_tie = intended.abs() / half_gap(w, dtype, sign)[None, :]  # below 1: lost
        wrong = (to_tie < 1) != unchanged
        mismatches[name] = int(wrong.sum())
        # how close to the tie the worst wrong prediction is (0 when there is none)
        farthest_from_tie_[name] = float((to_tie[wrong] - 1).abs().max()) if wrong.any() else 0.0
    bf16 = by_format["bfloat16"]
    below = log2_r < -9
    above = log2_r > -8
    lost = np.array(bf16["share_lost"])
    # the measured threshold: the ratio at which half of the updates are lost
    half_lost_log2 = float(np.interp(0.5, lost[::-1], log2_r[::-1]))
    return {
        "weights": weights,
        "log2_r": rounded(log2_r.tolist()),
        "by_format": by_format,
        "mismatches": mismatches,
        "checked": weights * grid_points,
        "farthest_from_tie": {k: rounded(v) for k, v in farthest_from_tie_.items()},
        # float32 keeps 24 - 11 = 13 more bits than float16: the sum's rounding moves Δ by
        # at most 2^-13 of float16's half gap, which can land it on the tie itself
        "float16_sum_rounding_reach": 2.0**-13,
        "bf16_min_lost_below": rounded(float(lost[below].min())),
        "bf16_max_lost_above": rounded(float(lost[above].max())),
        "bf16_half_lost_log2_r": rounded(half_lost_log2),
        "bf16_applied_at_2_minus_10": rounded(
            float(np.interp(-10, log2_r, bf16["share_applied"]))
        ),
        "bf16_applied_at_2_minus_6": rounded(
            float(np.interp(-6, log2_r, bf16["share_applied"]))
        ),
        "float16_half_lost_log2_r": rounded(
            float(np.interp(0.5, np.array(by_format["float16"]["share_lost"])[::-1], log2_r[::-1]))
        ),
        "float32_max_lost": rounded(max(by_format["float32"]["share_lost"])),
        "bits": {name: stored_mantissa_bits(dtype) + 1 for name, dtype in FORMATS.items()},
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    x = np.array(results["log2_r"])
    fig, (lost_ax, applied_ax) = new_figure(ncols=2, width=7.4, height=3.2)
    for name, colour in (("bfloat16", "C0"), ("float16", "C1"), ("float32", "C2")):
        entry = results["by_format"][name]
        lost_ax.plot(x, entry["share_lost"], color=colour, label=f"stored in {name}")
        applied_ax.plot(x, entry["share_applied"], color=colour, label=f"stored in {name}")
    for ax in (lost_ax, applied_ax):
        for edge in (-9, -8):
            ax.axvline(edge, color="C6", lw=0.8, ls=":")
        ax.set_xlabel("log$_2$ of r = lr·|g| / |w|")
    lost_ax.set(ylabel="share of updates lost", ylim=(-0.03, 1.05), title="rounded back to w")
    applied_ax.set(ylabel="share of the change applied", title="change that reached w")
    lost_ax.legend(fontsize=9)
    alt = (
        "First panel: the share of weights that do not move after an update of relative "
        "size r, against log base 2 of r. For bfloat16 storage it is one below 2 to the "
        "minus 9, falls between the two dotted lines at 2 to the minus 9 and minus 8, and "
        "is zero above; float16 falls three binary orders lower, and float32 loses nothing "
        "on this range. Second panel: the share of the intended change that reached the "
        "weights, zero where the updates are lost, rising with overshoot between the lines"
        " to about one."
    )
    return {"lost": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "derived_threshold_predicts_every_bf16_weight",
        "For every bfloat16 weight and ratio, the update is lost exactly when it is below half"
        " the gap to the weight's neighbour (outcomes the derivation gets wrong).",
        lambda r: r["mismatches"]["bfloat16"] + r["mismatches"]["float32"],
        at_most=0,
        fmt="d",
    ),
    Claim(
        "float16_exceptions_are_ties",
        "In float16 the derivation fails only for updates within float32's rounding of the"
        " tie, where the float32 sum lands on it: at most $2^{-13}$ of the half gap (largest distance from the tie of a wrong"
        " prediction, in units of the half gap).",
        lambda r: r["farthest_from_tie"]["float16"],
        at_most=2.0**-13,
        fmt=".2e",
    ),
    Claim(
        "bf16_loses_every_update_below_2_minus_9",
        "Stored in bfloat16, every update with $r < 2^{-9}$ is rounded away (smallest share"
        " lost on that part of the grid).",
        lambda r: r["bf16_min_lost_below"],
        at_least=1.0,
        fmt=".4f",
    ),
    Claim(
        "bf16_keeps_every_update_above_2_minus_8",
        "…and none with $r > 2^{-8}$ (largest share lost above it).",
        lambda r: r["bf16_max_lost_above"],
        at_most=0.0,
        fmt=".4f",
    ),
    Claim(
        "bf16_half_lost_where_benford_puts_it",
        "Half of the updates are lost at $r \\approx 2^{-8.5}$, where mantissas spread evenly "
        "on a log scale put it ($\\log_2 r$ at which half are lost).",
        lambda r: r["bf16_half_lost_log2_r"],
        at_least=-8.55,
        at_most=-8.45,
        fmt=".3f",
    ),
    Claim(
        "float32_master_loses_nothing",
        "A float32 weight loses none of these updates (largest share lost).",
        lambda r: r["float32_max_lost"],
        at_most=0.0,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
