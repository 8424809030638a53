"""How far back a vanilla tanh RNN's gradient reaches

A vanilla recurrent network h_t = tanh(W h_{t−1} + U x_t) sends the gradient back in time
through one Jacobian per step, ∂h_s/∂h_{s−1} = diag(1 − h_s²) W, so ∂h_T/∂h_t is a product of
T − t of them: the deep-network product again, with the same matrix W at every step. We run
random inputs through networks with recurrent weights W ~ N(0, σ²/n) for a few σ and read
‖∂L/∂h_t‖ for L = ⟨v, h_T⟩, i.e. the size of vᵀ ∂h_T/∂h_t, against the time gap T − t.
"""

import math

import numpy as np
import torch

from snippets.common import Claim, factor_per_time_step, generator, log10_gradient_by_gap, new_figure, rounded

# --8<-- [start:measure]
SIGMAS = (0.5, 1.0, 1.5, 3.0)
LAG = 50  # how many steps back the gradient is quoted (the *_at_50 results)


def measure(hidden: int = 64, steps: int = 100, batch: int = 32, inputs: int = 8, sigmas=SIGMAS,
            seed: int = 0) -> dict:
    rng = generator(seed)
    xs = torch.randn(steps, batch, inputs, generator=rng, dtype=torch.float64)  # float64: 10⁻⁴⁰ stays finite
    direction = torch.randn(batch, hidden, generator=rng, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True)  # one unit vector v per sequence
    by_sigma = {}
    for sigma in sigmas:
        W = (torch.randn(hidden, hidden, generator=rng, dtype=torch.float64) * sigma / math.sqrt(hidden)).requires_grad_()
        U = torch.randn(hidden, inputs, generator=rng, dtype=torch.float64) / math.sqrt(inputs)
        h, states = torch.zeros(batch, hidden, dtype=torch.float64), []
        for x in xs:
            h = torch.tanh(h @ W.T + x @ U.T)
            h.retain_grad()
            states.append(h)
        (h * direction).sum().backward()
        # ‖vᵀ ∂h_T/∂h_t‖ averaged over the batch in log space, for gaps T − t = 0, 1, …
        per_gap = log10_gradient_by_gap(states)
        factor = factor_per_time_step(per_gap, 10)  # fitted beyond gap 10
        # Mean-field prediction: each step multiplies the mean square by σ² E[tanh′(z)²], the
        # expectation taken over the states the network actually visits (after the first 10 steps).
        tanh_slope_sq = float(((1 - torch.stack(states[10:]).detach() ** 2) ** 2).mean())
        theory = sigma * math.sqrt(tanh_slope_sq)
        by_sigma[f"sigma_{round(sigma * 10):02d}"] = {
            "sigma": sigma,
            # largest singular value ‖W‖₂ and spectral radius of the recurrent matrix
            "spectral_norm": rounded(float(torch.linalg.matrix_norm(W.detach(), 2))),
            "spectral_radius": rounded(float(torch.linalg.eigvals(W.detach()).abs().max())),
            "log10_grad": rounded(per_gap),
            "factor_per_step": rounded(factor),
            "theory_factor": rounded(theory),
            "theory_error": rounded(abs(factor / theory - 1)),
            "log10_grad_at_50": rounded(per_gap[LAG]),
        }
    return {"hidden": hidden, "steps": steps, "batch": batch, "by_sigma": by_sigma,
            "max_theory_error": max(entry["theory_error"] for entry in by_sigma.values())}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.0, height=3.3)
    gaps = np.arange(results["steps"])
    for entry in results["by_sigma"].values():
        ax.plot(gaps, entry["log10_grad"], label=f"σ = {entry['sigma']:g} (×{entry['factor_per_step']:.2f} per step)")
    ax.set(
        xlabel="time gap T − t",
        ylabel="log₁₀ $\\|v^\\top \\partial h_T/\\partial h_t\\|$",
        title="vanilla tanh RNN",
    )
    ax.legend(fontsize=8)
    alt = (
        "Log10 of the gradient reaching the hidden state T − t steps back, against the gap, for recurrent "
        "weight scales 0.5, 1, 1.5 and 3. Every curve is close to a straight line: steeply falling at 0.5, "
        "falling more slowly at 1, and for the larger scales rising or staying level rather than vanishing."
    )
    return {"gap": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "unit_scale_norm_above_one",
        "At σ = 1 the random recurrent matrix has largest singular value ‖W‖₂ near $2\\sigma$, not 1, so the "
        "worst-case bound ‖∂h_s/∂h_{s−1}‖ ≤ ‖W‖₂ does not guarantee vanishing: ‖W‖₂.",
        lambda r: r["by_sigma"]["sigma_10"]["spectral_norm"],
        at_least=1.6,
        at_most=2.3,
    ),
    Claim(
        "factor_matches_mean_field",
        "At every σ the gradient shrinks or grows per step by σ √E[tanh′²], the mean-field factor computed "
        "from the visited states: worst relative error.",
        lambda r: r["max_theory_error"],
        at_most=0.1,
    ),
    Claim(
        "unit_scale_still_vanishes",
        "At σ = 1 the gradient shrinks at every step, because tanh′ < 1: fitted factor per step.",
        lambda r: r["by_sigma"]["sigma_10"]["factor_per_step"],
        at_most=0.8,
    ),
    Claim(
        "small_weights_vanish",
        "At σ = [[setup.sigmas.0|g]] the gradient [[setup.LAG]] steps back is below $10^{[[at_most|d]]}$ (log₁₀ of its size, for a unit v).",
        lambda r: r["by_sigma"]["sigma_05"]["log10_grad_at_50"],
        at_most=-15,
    ),
    Claim(
        "large_weights_explode",
        "At σ = [[setup.sigmas.-1|g]] it explodes instead: log₁₀ of its size [[setup.LAG]] steps back.",
        lambda r: r["by_sigma"]["sigma_30"]["log10_grad_at_50"],
        at_least=2,
    ),
)

if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
