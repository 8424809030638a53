"""Sigmoid, tanh and ReLU and their derivatives: the bounds and how small they get

Every unit multiplies the gradient passing backwards through it by φ'(z). We evaluate
φ and φ' (by autograd, so nothing is typed in by hand) on a fine grid, read off the
largest derivative and where it sits, and how small the derivative is once |z| is a few
units — the "saturated" regime. Then we draw pre-activations z ~ N(0, q) and estimate the
average factor E[φ'(z)] and the mean square E[φ'(z)²] that a layer applies, for a small
and a large spread q of the pre-activations.
"""

import numpy as np
import torch

from snippets.common import ACTIVATIONS, Claim, generator, new_figure, rounded

# --8<-- [start:measure]
NAMES = ("sigmoid", "tanh", "relu")
#: A pre-activation deep in saturation, where the claim reads tanh′.
SATURATED_Z = 4.0


def derivative(name: str, z: torch.Tensor) -> torch.Tensor:
    """φ'(z) by autograd, element by element."""
    z = z.clone().requires_grad_(True)
    ACTIVATIONS[name]()(z).sum().backward()
    return z.grad


def measure(z_max: float = 8.0, points: int = 3201, samples: int = 200_000, spreads=(1.0, 9.0), seed: int = 0) -> dict:
    grid = torch.linspace(-z_max, z_max, points, dtype=torch.float64)
    rng = generator(seed)
    by_name = {}
    for name in NAMES:
        values = ACTIVATIONS[name]()(grid)
        slopes = derivative(name, grid)
        best = int(torch.argmax(slopes))
        entry = {
            "max_derivative": rounded(float(slopes[best])),
            "argmax": round(float(grid[best]), 6) + 0.0,
            # The derivative at |z| = 2, 4 and 6: how little a saturated unit lets through.
            "at_2": rounded(float(derivative(name, torch.tensor([2.0], dtype=torch.float64)))),
            "at_4": rounded(float(derivative(name, torch.tensor([SATURATED_Z], dtype=torch.float64)))),
            "at_6": rounded(float(derivative(name, torch.tensor([6.0], dtype=torch.float64)))),
            "curve": rounded(values[::40].tolist(), 4),
            "slope_curve": rounded(slopes[::40].tolist(), 4),
        }
        # Monte Carlo over pre-activations z ~ N(0, q): the mean factor and mean square factor.
        for q in spreads:
            z = torch.randn(samples, generator=rng, dtype=torch.float64) * q**0.5
            d = derivative(name, z)
            key = f"q{int(q)}"
            entry[f"mean_{key}"] = rounded(float(d.mean()))
            entry[f"mean_square_{key}"] = rounded(float((d**2).mean()))
        by_name[name] = entry
    return {
        "grid": rounded(grid[::40].tolist(), 4),
        "by_name": by_name,
        "spreads": list(spreads),
        # (1/4)^30: the "σ' ≤ 1/4 per layer" bound over 30 layers, for comparison in the text.
        "quarter_power_30": rounded(0.25**30),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    grid = np.array(results["grid"])
    for name in NAMES:
        entry = results["by_name"][name]
        left.plot(grid, entry["curve"], label=name)
        right.plot(grid, entry["slope_curve"], label=f"{name}′ (max {entry['max_derivative']:.3g})")
    left.set(xlabel="z", ylabel="φ(z)", title="activation", ylim=(-1.2, 3))
    right.set(xlabel="z", ylabel="φ′(z)", title="derivative: the factor a unit applies")
    right.axhline(0.25, ls=":", lw=1, color="0.5")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    alt = (
        "First panel: sigmoid, tanh and ReLU against z from −8 to 8. Second panel: their derivatives. The sigmoid's "
        "derivative is a bump of height one quarter at zero, tanh's a narrower bump of height one, both "
        "near zero beyond |z| of about 4; ReLU's derivative is a step from 0 to 1 at the origin."
    )
    return {"derivatives": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "sigmoid_derivative_at_most_a_quarter",
        "The sigmoid's derivative never exceeds ¼; its maximum on the grid (it sits at z = 0).",
        lambda r: r["by_name"]["sigmoid"]["max_derivative"],
        at_least=0.2499999,
        at_most=0.25,
        fmt=".7f",
    ),
    Claim(
        "tanh_derivative_at_most_one",
        "tanh's derivative never exceeds 1; its maximum on the grid (at z = 0).",
        lambda r: r["by_name"]["tanh"]["max_derivative"],
        at_least=0.9999999,
        at_most=1.0,
        fmt=".7f",
    ),
    Claim(
        "saturated_tanh_passes_almost_nothing",
        "At |z| = [[setup.SATURATED_Z|g]] a tanh unit passes less than [[at_most]] of the gradient (tanh′([[setup.SATURATED_Z|g]])).",
        lambda r: r["by_name"]["tanh"]["at_4"],
        at_most=0.002,
        fmt=".2g",
    ),
    Claim(
        "typical_sigmoid_factor_near_one_fifth",
        "For z ~ N(0, 1) the average sigmoid derivative E[σ′(z)] is between [[at_least|g]] and [[at_most|g]], well below the ¼ bound.",
        lambda r: r["by_name"]["sigmoid"]["mean_q1"],
        at_least=0.205,
        at_most=0.2085,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
