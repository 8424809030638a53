"""Singular values of the input–output Jacobian: Gaussian against orthogonal weights

A network h_l = φ(W_l h_{l−1}) has the input–output Jacobian J = D_L W_L ⋯ D_1 W_1, with
D_l = diag(φ′(W_l h_{l−1})). Every gradient that reaches the input is Jᵀ times the
gradient at the output, so the singular values of J say how much each direction is
stretched or squashed on its way back. With weights W ~ N(0, 1/n) the *mean* squared
singular value is 1 at any depth — the critical line of the weight-scale chapter — but
the singular values spread over more and more decades as the network deepens. With
orthogonal weights of the same scale a linear network's Jacobian is itself orthogonal
(every singular value is 1), and a tanh network's stays close to it: dynamical isometry
(Saxe et al. 2014; Pennington, Schoenholz & Ganguli 2017). We compute J exactly, in
float64, for linear and tanh networks of width 32 at depths 10 to 200, several networks
per case.
"""

import math

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
DEPTHS = (10, 20, 50, 100, 200)
RATE_DEPTHS = (20, 50)
# singular values below this are counted, not drawn (float64 resolves ≥ 1e-13)
FLOOR = 1e-6


def weights(init: str, n: int, rng: torch.Generator) -> torch.Tensor:
    w = torch.empty(n, n, dtype=torch.float64)
    if init == "orthogonal":  # a uniformly random orthogonal matrix: every σ = 1
        return torch.nn.init.orthogonal_(w, gain=1.0, generator=rng)
    return w.normal_(0.0, 1.0 / math.sqrt(n), generator=rng)  # N(0, 1/n): σ_w = 1


def jacobian(init: str, activation: str, depth: int, n: int, rng) -> torch.Tensor:
    """J = ∂h_L/∂h_0 at a random input h_0 ~ N(0, I), layer by layer."""
    h = torch.randn(n, dtype=torch.float64, generator=rng)
    J = torch.eye(n, dtype=torch.float64)
    for _ in range(depth):
        W = weights(init, n, rng)
        z = W @ h
        slope = 1 - torch.tanh(z) ** 2 if activation == "tanh" else torch.ones(n)
        h = torch.tanh(z) if activation == "tanh" else z
        J = slope[:, None] * (W @ J)  # D_l W_l J_{l−1}
    return J


def spectrum_stats(J: torch.Tensor) -> dict:
    s = torch.linalg.svdvals(J).numpy()
    squares = s**2
    return {
        "singular_values": rounded(np.maximum(s, 1e-300)),  # largest first
        "deviation_from_one": float(np.abs(s - 1).max()),
        # ‖J‖²_F / n: the critical line holds it at 1
        "mean_square": float(squares.mean()),
        "sigma_max": float(s[0]),
        # directions passed at a comparable strength: σ within a factor 2 of the largest
        "passing_share": float(np.mean(s >= s[0] / 2)),
        "spread": float(s[0] / s[len(s) // 2]),  # largest over median singular value
        "below_floor": int(np.sum(s < FLOOR)),
        # ln ‖Jᵀ e_j‖² averaged over the output directions e_j: one direction's gain
        "log_direction_gain": float(torch.log(J.pow(2).sum(dim=1)).mean()),
    }


def measure(width: int = 32, depths=DEPTHS, networks: int = 4, seed: int = 0) -> dict:
    rng = generator(seed)
    cases = {}
    for activation in ("linear", "tanh"):
        for init in ("gaussian", "orthogonal"):
            by_depth = {}
            for depth in depths:
                stats = [
                    spectrum_stats(jacobian(init, activation, depth, width, rng))
                    for _ in range(networks)
                ]
                by_depth[f"depth_{depth}"] = {
                    "depth": depth,
                    # one network, for the figure
                    "spectrum": stats[0]["singular_values"],
                    "deviation_from_one": max(s["deviation_from_one"] for s in stats),
                    "below_floor": stats[0]["below_floor"],
                    # averages over the networks
                    "mean_square": rounded(np.mean([s["mean_square"] for s in stats])),
                    "sigma_max": rounded(np.mean([s["sigma_max"] for s in stats])),
                    "passing_share": rounded(
                        np.mean([s["passing_share"] for s in stats])
                    ),
                    "log10_spread": rounded(
                        np.mean([math.log10(s["spread"]) for s in stats])
                    ),
                    "log10_mean_square": rounded(
                        np.mean([math.log10(s["mean_square"]) for s in stats])
                    ),
                    "log_direction_gain": rounded(
                        np.mean([s["log_direction_gain"] for s in stats])
                    ),
                }
            cases[f"{activation}_{init}"] = by_depth
    deepest = f"depth_{max(depths)}"
    # Products of Gaussian matrices: the i-th singular value of J changes by e^{λ_i} per
    # layer, λ_i = ½[ln(2/n) + ψ((n − i + 1)/2)] (Lyapunov exponents, Newman 1986).
    # Largest over median: log10 e · (λ_1 − λ_{n/2+1}) decades per layer.
    lyapunov = lambda i: 0.5 * (
        math.log(2 / width)  # noqa: E731
        + float(torch.special.digamma(torch.tensor((width - i + 1) / 2)))
    )
    theory = math.log10(math.e) * (lyapunov(1) - lyapunov(width // 2 + 1))
    gauss = cases["linear_gaussian"]
    near, far = RATE_DEPTHS  # the spread's growth rate, between these depths
    slope = (
        gauss[f"depth_{far}"]["log10_spread"] - gauss[f"depth_{near}"]["log10_spread"]
    ) / (far - near)
    # ‖Jᵀv‖² has expectation 1 at every depth, but each layer multiplies it by χ²_n/n,
    # whose log has mean ψ(n/2) − ln(n/2) ≈ −1/n: a typical direction's gain is e^{−L/n}.
    log_drift = float(torch.special.digamma(torch.tensor(width / 2))) - math.log(width / 2)
    typical = {f"depth_{d}": rounded(math.exp(-d / width)) for d in depths}
    direction_gain = {  # measured typical gain of one direction, e^{mean of ln ‖Jᵀe_j‖²}
        f"depth_{d}": rounded(math.exp(gauss[f"depth_{d}"]["log_direction_gain"]))
        for d in depths
    }
    typical_error = {  # measured mean of ln ‖Jᵀe_j‖² over its expectation L·(ψ(n/2) − ln(n/2))
        f"depth_{d}": rounded(gauss[f"depth_{d}"]["log_direction_gain"] / (d * log_drift))
        for d in depths
    }
    # float64 resolves singular values down to about eps · σ_max: a spread cannot exceed it
    resolution = -math.log10(torch.finfo(torch.float64).eps)
    return {
        "width": width,
        "depths": list(depths),
        "networks": networks,
        "floor": FLOOR,
        "cases": cases,
        "orthogonal_linear_error": rounded(
            cases["linear_orthogonal"][deepest]["deviation_from_one"]
        ),
        "spread_per_layer": rounded(slope),
        "theory_spread_per_layer": rounded(theory),
        "spread_rate_error": rounded(abs(slope / theory - 1)),
        "typical_mean_square": typical,
        "typical_direction_gain": direction_gain,
        # pooled over every depth: Σ mean ln ‖Jᵀe_j‖² over Σ L·(ψ(n/2) − ln(n/2))
        "typical_drift_ratio": rounded(
            sum(gauss[f"depth_{d}"]["log_direction_gain"] for d in depths)
            / (sum(depths) * log_drift)
        ),
        "typical_mean_square_error": typical_error,
        "float64_decades": rounded(resolution),
        "theory_spread": {f"depth_{d}": rounded(theory * d) for d in depths},
        "spread_rate_depths": list(RATE_DEPTHS),
        "exercise": {
            "gaussian_linear_below_floor_50": cases["linear_gaussian"]["depth_50"][
                "below_floor"
            ]
        },
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
LABELS = {
    "linear_gaussian": "linear, Gaussian",
    "linear_orthogonal": "linear, orthogonal",
    "tanh_gaussian": "tanh, Gaussian",
    "tanh_orthogonal": "tanh, orthogonal",
}
STYLES = {
    "linear_gaussian": ("C0", "-"),
    "linear_orthogonal": ("C1", "-"),
    "tanh_gaussian": ("C0", "--"),
    "tanh_orthogonal": ("C1", "--"),
}


def plot(results: dict) -> dict:
    shown = (10, 50, 200)
    fig, axes = new_figure(ncols=3, width=7.6, height=3.6)
    rank = np.arange(1, results["width"] + 1)
    for ax, depth in zip(axes, shown):
        hidden = []
        for name, label in LABELS.items():
            entry = results["cases"][name][f"depth_{depth}"]
            s = np.array(entry["spectrum"], dtype=float)
            if np.sum(s < results["floor"]):
                hidden.append(
                    f"{LABELS[name].split(',')[0]}: {int(np.sum(s < results['floor']))}"
                )
            # below the axis: counted in the panel's note
            s[s < results["floor"]] = np.nan
            colour, style = STYLES[name]
            ax.semilogy(
                rank, s, style, color=colour, label=label if depth == shown[0] else None
            )
        ax.set_ylim(results["floor"], 1e4)  # room above 1 for the note
        ax.set(xlabel="rank of singular value", title=f"depth {depth}")
        if hidden:
            ax.text(
                0.97,
                0.97,
                "Gaussian, σ < 1e-6,\nnot drawn:\n" + "\n".join(hidden),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
            )
        ax.minorticks_off()
    fig.legend(loc="outside lower center", ncols=4, fontsize=9)
    axes[0].set_ylabel(r"singular value of $J$")
    alt = (
        "Three log-scale panels, at depths 10, 50 and 200, of the 32 singular values of"
        " the input-output Jacobian sorted from largest to smallest. For orthogonal "
        "weights the linear network's singular values are a flat line at one; the tanh "
        "network's stay within a factor of a few of each other, at a level that falls "
        "slowly with depth, to about 0.15 at depth 200. For Gaussian weights of the "
        "same scale they fall across many decades, more steeply with depth, and most "
        "drop below one millionth at depths 50 and 200."
    )
    depths = results["depths"]
    fig2, (left, right) = new_figure(ncols=2, width=7.2, height=3.1)
    for name, label in LABELS.items():
        colour, style = STYLES[name]
        entries = [results["cases"][name][f"depth_{d}"] for d in depths]
        left.semilogx(
            depths,
            [e["passing_share"] for e in entries],
            style + "o",
            color=colour,
            label=label,
        )
        right.loglog(
            depths,
            [e["mean_square"] for e in entries],
            style + "o",
            color=colour,
            label=label,
        )
    left.set(
        xlabel="depth",
        ylabel="share of σ within 2× of the largest",
        ylim=(-0.03, 1.05),
        title="how many directions pass",
    )
    right.set(
        xlabel="depth", ylabel=r"mean of $\sigma^2$", title="the critical line: mean σ²"
    )
    right.axhline(1.0, color="C6", lw=0.8, ls=":")
    left.legend(fontsize=9, loc="center right", bbox_to_anchor=(1.0, 0.66))
    for ax in (left, right):
        ax.minorticks_off()
    alt2 = (
        "Two panels against depth from 10 to 200 on a log axis. First panel: the share of "
        "singular values within a factor of two of the largest is one for orthogonal "
        "linear networks and about a third for orthogonal tanh networks at every depth,"
        " while for Gaussian weights it is below a tenth and falls with depth. Second panel: "
        "the mean squared singular value stays of order one for both linear "
        "initialisations, the critical line, with larger swings for the Gaussian one; "
        "for both tanh networks it falls with depth, faster for Gaussian weights."
    )
    return {"spectra": (fig, alt), "isometry": (fig2, alt2)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "orthogonal_linear_is_isometric",
        "A linear network of [[setup.depths.-1]] orthogonal layers has an exactly orthogonal Jacobian: "
        "largest deviation of a singular value from 1.",
        lambda r: r["orthogonal_linear_error"],
        at_most=1e-9,
        fmt=".1e",
    ),
    Claim(
        "gaussian_critical_mean_square",
        "With Gaussian weights on the critical line the mean squared singular value is "
        "about 1 at depth [[setup.depths.0]] ($\\log_{10}$ of it, averaged over networks).",
        lambda r: r["cases"]["linear_gaussian"]["depth_10"]["log10_mean_square"],
        at_least=-0.4,
        at_most=0.4,
        fmt=".2f",
    ),
    Claim(
        "gaussian_mean_square_typical_drifts",
        "…but that is an expectation: one direction's squared gain $\\|J^\\top e_j\\|^2$ "
        "typically falls as $e^{-L/n}$: the mean of its logarithm over directions, networks "
        "and depths, over its expectation $L\\,(\\psi(n/2) - \\ln(n/2)) \\approx -L/n$.",
        lambda r: r["typical_drift_ratio"],
        at_least=0.5,
        at_most=1.5,
        fmt=".2f",
        shows=("typical gain at depth 50",
               lambda r: r["typical_direction_gain"]["depth_50"], ".2f"),
    ),
    Claim(
        "gaussian_spread_explodes",
        "…yet at depth [[setup.depths.2]] the largest singular value is over $10^{[[at_least|d]]}$ times the median one "
        "($\\log_{10}$ of the ratio).",
        lambda r: r["cases"]["linear_gaussian"]["depth_50"]["log10_spread"],
        at_least=6,
        fmt=".2f",
    ),
    Claim(
        "spread_rate_matches_lyapunov",
        "The spread grows per layer at the rate the Lyapunov exponents of Gaussian "
        "products predict: relative error of the measured decades per layer.",
        lambda r: r["spread_rate_error"],
        at_most=0.25,
        fmt=".3f",
    ),
    Claim(
        "orthogonal_tanh_stays_clustered",
        "With orthogonal weights a [[setup.depths.-1]]-layer tanh network's largest singular value is "
        "within $10\\times$ of the median one ($\\log_{10}$ of the ratio).",
        lambda r: r["cases"]["tanh_orthogonal"]["depth_200"]["log10_spread"],
        at_most=1.0,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
