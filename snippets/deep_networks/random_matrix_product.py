"""The product of many random matrices grows or shrinks exponentially

Backpropagation multiplies one Jacobian per layer. Here the Jacobians are plain random
matrices W with entries N(0, σ²/n): we push a unit vector through ``factors`` of them, in many independent chains,
and follow the size of the result. Its logarithm is a sum of independent terms, so it
changes by a fixed amount per factor — exponential growth or decay — at the rate

    λ(σ, n) = log σ + ½ (ψ(n/2) − log(n/2))      (ψ: digamma)

which is log σ minus about 1/(2n): at σ = 1 the typical size still drifts down.
"""

import math

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
SIGMAS = (0.8, 0.9, 1.0, 1.1, 1.25)
BAND = (10, 90)  # percentiles over the chains that bound the figure's shaded band


def theory_rate(sigma: float, width: int) -> float:
    """Expected change of log‖W v‖ per factor, for a unit vector v (natural log)."""
    half_width = torch.tensor(width / 2, dtype=torch.float64)
    return math.log(sigma) + 0.5 * float(torch.special.digamma(half_width) - torch.log(half_width))


def measure(width: int = 64, factors: int = 100, chains: int = 64, sigmas=SIGMAS, seed: int = 0) -> dict:
    """Follow log10‖W_k ⋯ W_1 v‖ along ``chains`` independent products, one unit vector v each."""
    rng = generator(seed)
    by_sigma = {}
    for sigma in sigmas:
        v = torch.randn(chains, width, 1, generator=rng, dtype=torch.float32)
        v = v / v.norm(dim=1, keepdim=True)
        log_norm = torch.zeros(chains, dtype=torch.float32)  # natural log, summed over factors
        trajectory = [log_norm.clone()]
        for _ in range(factors):
            W = torch.randn(chains, width, width, generator=rng, dtype=torch.float32) * sigma / math.sqrt(width)
            v = W @ v
            norms = v.norm(dim=1, keepdim=True)
            log_norm += torch.log(norms.flatten())
            v = v / norms  # renormalise: the size lives in log_norm, so nothing under- or overflows
            trajectory.append(log_norm.clone())
        log10_norms = torch.stack(trajectory).numpy() / math.log(10)  # shape (factors + 1, chains)
        mean_curve = log10_norms.mean(axis=1)
        fit = np.polyfit(np.arange(factors + 1), mean_curve, 1, full=True)
        residual = float(fit[1][0]) if len(fit[1]) else 0.0
        total = float(((mean_curve - mean_curve.mean()) ** 2).sum())
        by_sigma[f"sigma_{round(sigma * 100):03d}"] = {
            "sigma": sigma,
            "rate_measured": rounded(float(log_norm.mean()) / factors),
            "rate_theory": rounded(theory_rate(sigma, width)),
            "rate_naive": rounded(math.log(sigma)),
            "final_log10_mean": rounded(mean_curve[-1]),
            "linear_fit_r2": rounded(1 - residual / total) if total > 0 else 1.0,
            "mean_log10": rounded(mean_curve),
            "band_low_log10": rounded(np.percentile(log10_norms, BAND[0], axis=1)),
            "band_high_log10": rounded(np.percentile(log10_norms, BAND[1], axis=1)),
        }
    worst = max(abs(r["rate_measured"] - r["rate_theory"]) for r in by_sigma.values())
    # Exercise: the critical product once more, with narrow matrices (width 8).
    narrow, log_norm = torch.randn(chains, 8, 1, generator=rng), torch.zeros(chains)
    narrow = narrow / narrow.norm(dim=1, keepdim=True)
    for _ in range(factors):
        narrow = torch.randn(chains, 8, 8, generator=rng) / math.sqrt(8) @ narrow
        log_norm += torch.log(narrow.norm(dim=1).flatten())
        narrow = narrow / narrow.norm(dim=1, keepdim=True)
    exercise = {
        "narrow_width": 8,
        "narrow_final_log10_mean": rounded(float(log_norm.mean()) / math.log(10)),
        "narrow_theory_log10": rounded(factors * theory_rate(1.0, 8) / math.log(10)),
    }
    return {
        "exercise": exercise,
        "width": width,
        "factors": factors,
        "chains": chains,
        "by_sigma": by_sigma,
        "max_rate_error": rounded(worst),
        "min_linear_fit_r2": min(r["linear_fit_r2"] for r in by_sigma.values() if r["sigma"] != 1.0),
        "critical_drift_theory_log10": rounded(factors * theory_rate(1.0, width) / math.log(10)),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2)
    steps = np.arange(results["factors"] + 1)
    every = slice(None, None, 4)  # every 4th factor is enough for straight lines, and keeps the SVG small
    for curve in results["by_sigma"].values():
        (line,) = left.plot(steps[every], curve["mean_log10"][every], label=f"σ = {curve['sigma']:g}")
        band = (curve["band_low_log10"][every], curve["band_high_log10"][every])
        left.fill_between(steps[every], *band, color=line.get_color(), alpha=0.18, lw=0)
        left.plot(steps[[0, -1]], steps[[0, -1]] * curve["rate_theory"] / math.log(10), ls=":", color=line.get_color(), lw=1.2)
    left.set(
        xlabel="number of factors k",
        ylabel="log₁₀ $\\|W_k \\cdots W_1 v\\|$",
        title="size of the product",
    )
    left.legend(fontsize=8)

    grid = np.linspace(0.75, 1.3, 100)
    width = results["width"]
    right.plot(grid, [theory_rate(s, width) for s in grid], label=f"theory λ(σ, n={width})")
    right.plot(grid, np.log(grid), ls="--", lw=1.2, label="log σ (infinite width)")
    sigmas = [c["sigma"] for c in results["by_sigma"].values()]
    right.plot(sigmas, [c["rate_measured"] for c in results["by_sigma"].values()], "o", label="measured")
    right.axhline(0, lw=0.8, color="0.5")
    right.set(xlabel="weight scale σ", ylabel="change of log‖·‖ per factor", title="growth rate per factor")
    right.legend(fontsize=8)
    alt = (
        "First panel: log10 of the product's size against the number of factors, a straight line for every σ, "
        "falling for σ below 1 and rising above; dotted theory lines lie on the measured means. "
        "Second panel: growth rate per factor against σ; measured points sit on the theory curve, slightly below log σ."
    )
    return {"growth": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "rate_matches_theory",
        "At every σ, the measured change of log‖·‖ per factor matches λ(σ, n) within [[at_most]].",
        lambda r: r["max_rate_error"],
        at_most=0.005,
    ),
    Claim(
        "log_size_is_linear_in_depth",
        "Away from σ = 1, log‖product‖ is a straight line in the number of factors (R² of a linear fit).",
        lambda r: r["min_linear_fit_r2"],
        at_least=0.999,
        fmt=".5f",
    ),
    Claim(
        "critical_scale_still_shrinks",
        "At σ = 1 the typical size still shrinks: mean log₁₀‖product‖ after all factors (decades).",
        lambda r: r["by_sigma"]["sigma_100"]["final_log10_mean"],
        at_least=-0.7,
        at_most=-0.1,
    ),
    Claim(
        "narrow_critical_product_shrinks_more",
        "With width [[results.exercise.narrow_width]] instead of [[setup.width]], the critical product shrinks by decades "
        "over [[setup.factors]] factors (log₁₀ of the typical size; theory [[results.exercise.narrow_theory_log10|.2g]]).",
        lambda r: r["exercise"]["narrow_final_log10_mean"],
        at_least=-3.6,
        at_most=-2.0,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
