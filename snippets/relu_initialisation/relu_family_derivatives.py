"""The ReLU family and its derivatives, and the weight scale each one asks for

ReLU's derivative is exactly 1 for positive inputs and exactly 0 for negative ones, so it
cannot shrink a gradient the way sigmoid's 0.25 ceiling does — but it zeroes about half of
it. LeakyReLU and ELU keep a small slope on the negative side; GELU and SELU are their
modern relatives. We evaluate every function and its autograd derivative on a grid, and
estimate by Monte Carlo, for a standard normal pre-activation z,

    E[φ'(z)²]  — the factor one layer applies to the mean square of a backward gradient
                 per unit of weight variance (n·Var[w]),

so 1 / E[φ'(z)²] is the weight variance n·Var[w] that keeps gradients level: 2 for ReLU,
He et al.'s (2015) factor.
"""

import numpy as np
import torch

from snippets.common import ACTIVATIONS, Claim, generator, new_figure, rounded

# --8<-- [start:measure]
FAMILY = ("relu", "leaky_relu", "elu", "gelu", "selu")


def measure(lo: float = -4.0, hi: float = 4.0, points: int = 801, samples: int = 200_000, seed: int = 0) -> dict:
    """φ and φ' on a grid (autograd), and E[φ'(z)²], E[φ(z)²] for z ~ N(0, 1) by Monte Carlo."""
    grid = torch.linspace(lo, hi, points, dtype=torch.float64, requires_grad=True)
    z = torch.randn(samples, generator=generator(seed), dtype=torch.float64, requires_grad=True)
    by_name = {}
    for name in FAMILY:
        phi = ACTIVATIONS[name]()
        values = phi(grid)
        (slope,) = torch.autograd.grad(values.sum(), grid)
        (slope_z,) = torch.autograd.grad(phi(z).sum(), z)
        mean_sq_slope = float((slope_z**2).mean())
        by_name[name] = {
            "value": rounded(values.detach().tolist(), 5),
            "slope": rounded(slope.tolist(), 5),
            "slope_min": rounded(float(slope.min())),
            "slope_max": rounded(float(slope.max())),
            "slope_at_minus_2": rounded(float(slope[int((-2 - lo) / (hi - lo) * (points - 1))])),
            "mean_sq_slope": rounded(mean_sq_slope),  # E[φ'(z)²]
            "mean_sq_value": rounded(float((phi(z.detach()) ** 2).mean())),  # E[φ(z)²]
            "fraction_zero_slope": rounded(float((slope_z == 0).double().mean())),
            "critical_variance": rounded(1 / mean_sq_slope),  # n·Var[w] that keeps ‖∂L/∂h‖ level
        }
    return {
        "grid": rounded(grid.detach().tolist(), 5),
        "samples": samples,
        "by_name": by_name,
        "relu_mean_sq_slope_error": rounded(abs(by_name["relu"]["mean_sq_slope"] - 0.5)),
    }
# --8<-- [end:measure]


LABELS = {"relu": "ReLU", "leaky_relu": "LeakyReLU (0.01)", "elu": "ELU (α = 1)", "gelu": "GELU", "selu": "SELU"}


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    grid = np.asarray(results["grid"])
    for name, entry in results["by_name"].items():
        left.plot(grid, entry["value"], label=LABELS[name])
        right.plot(grid, entry["slope"], label=LABELS[name])
    left.set(xlabel="z", ylabel="φ(z)", title="activation", ylim=(-2.0, 4.2))
    right.set(xlabel="z", ylabel="φ′(z)", title="derivative", ylim=(-0.25, 1.85))
    right.axhline(1.0, lw=0.8, ls=":", color="0.5")
    left.legend(fontsize=8)
    alt = (
        "First panel: ReLU, LeakyReLU, ELU, GELU and SELU between z = −4 and 4; all are near the identity for "
        "positive z and differ on the negative side. Second panel: their derivatives. ReLU's is a step from 0 to 1, "
        "LeakyReLU's a step from 0.01 to 1, ELU's rises smoothly as exp(z) to 1, GELU's dips slightly below "
        "zero near z = −1.4 and overshoots 1 near z = 1.4, and SELU's is about 1.05 for every positive z "
        "and jumps to about 1.76 just below zero."
    )
    return {"derivatives": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "relu_passes_half_the_mean_square",
        "For z ~ N(0, 1), E[ReLU′(z)²] is ½: ReLU passes gradient unchanged or not at all, each half the "
        "time (distance of the Monte Carlo estimate from ½).",
        lambda r: r["relu_mean_sq_slope_error"],
        at_most=0.006,
        fmt=".4f",
        shows=("$\\mathbb{E}[\\mathrm{ReLU}'(z)^2]$", lambda r: r["by_name"]["relu"]["mean_sq_slope"], ".4f"),
    ),
    Claim(
        "relu_slope_is_zero_or_one",
        "ReLU's derivative is never outside [0, 1] and takes both ends: its smallest and largest values on "
        "the grid are exactly 0 and 1.",
        lambda r: r["by_name"]["relu"]["slope_min"] == 0.0 and r["by_name"]["relu"]["slope_max"] == 1.0,
    ),
    Claim(
        "gelu_slope_overshoots_one",
        "GELU's derivative is not bounded by 1: its maximum on the grid.",
        lambda r: r["by_name"]["gelu"]["slope_max"],
        at_least=1.12,
        at_most=1.14,
    ),
    Claim(
        "leaky_and_elu_never_zero",
        "LeakyReLU's and ELU's derivatives stay above zero on the whole grid (smallest of the two minima).",
        lambda r: min(r["by_name"]["leaky_relu"]["slope_min"], r["by_name"]["elu"]["slope_min"]),
        at_least=0.009,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
