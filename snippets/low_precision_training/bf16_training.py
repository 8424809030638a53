"""Training with bfloat16 weights: plain updates stall, three fixes do not

A linear regression trained by full-batch gradient descent with a small learning rate, its
weights stored four ways: bfloat16 with plain round-to-nearest updates; a float32 master
copy whose bfloat16 rounding the forward pass uses (Micikevicius et al. 2018); bfloat16
with Kahan-compensated updates, the part of each update that rounding lost kept in a
second bfloat16 buffer and added to the next one (Kahan 1965; Zamirai et al. 2020);
bfloat16 with stochastic rounding, which rounds up or down with probabilities that make
the stored weight right on average (Gupta et al. 2015; Zamirai et al. 2020). As the loss
falls the gradient shrinks, the relative update lr·|g|/|w| drops below bfloat16's
threshold and the plain weights stop moving. Gradients and the forward pass are float32
in every mode, so the only difference is how the update is stored. All modes and runs are
one batched program: weights of shape (mode, run, features).
"""

import numpy as np
import torch

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
MODES = ("bf16_plain", "float32_master", "bf16_kahan", "bf16_stochastic")
LR_FACTOR = 10  # the second, larger learning rate, as a multiple of lr
STALL_WINDOW = 200  # a run whose weights did not change in its last 200 steps has stalled


def to_bf16(x: torch.Tensor) -> torch.Tensor:
    """Round to nearest bfloat16, kept as a float32 tensor."""
    return x.to(torch.bfloat16).float()


def stochastic_bf16(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Round float32 to one of its two bfloat16 neighbours, up with probability equal to
    the distance from the lower one in units of the gap: add uniform random bits below
    bfloat16's last mantissa bit, then cut them off."""
    bits = x.contiguous().view(torch.int32)
    noise = torch.randint(0, 1 << 16, x.shape, generator=rng, dtype=torch.int32)
    return ((bits + noise) & ~0xFFFF).view(torch.float32)


def regression_data(runs: int, samples: int, features: int, noise: float, rng):
    inputs = torch.randn(runs, samples, features, generator=rng)
    teacher = torch.randn(runs, features, generator=rng)
    targets = torch.einsum("rnf,rf->rn", inputs, teacher)
    return inputs, targets + noise * torch.randn(runs, samples, generator=rng)


def loss_and_gradient(weights, inputs, targets):
    """weights (mode, run, features) -> loss (mode, run) and gradient, in float32."""
    residual = torch.einsum("rnf,mrf->mrn", inputs, weights) - targets
    gradient = torch.einsum("rnf,mrn->mrf", inputs, residual) / inputs.shape[1]
    return 0.5 * residual.pow(2).mean(dim=2), gradient


def step(state: dict, gradient: torch.Tensor, lr: float, rng) -> None:
    """One update of every mode; state["weights"] holds what the forward pass uses."""
    update = -lr * gradient
    plain, master, kahan, stochastic = (MODES.index(m) for m in MODES)
    w = state["weights"]
    w[plain] = to_bf16(w[plain] + update[plain])
    state["master"] += update[master]  # float32 master copy
    w[master] = to_bf16(state["master"])
    # Kahan: add what rounding lost last time, keep what it loses this time
    corrected = update[kahan] + state["compensation"]
    new = to_bf16(w[kahan] + corrected)
    state["compensation"] = to_bf16(corrected - (new - w[kahan]))  # a bfloat16 buffer
    w[kahan] = new
    w[stochastic] = stochastic_bf16(w[stochastic] + update[stochastic], rng)


def train(inputs, targets, start, lr: float, steps: int, record_every: int, rng) -> tuple:
    """All modes and runs, trained side by side: the final state, the loss curve (median
    of the runs) and the last step at which each run's weights changed."""
    runs, features = start.shape
    state = {
        "weights": to_bf16(start).expand(len(MODES), -1, -1).clone(),
        "master": start.clone(),
        "compensation": torch.zeros(runs, features),
    }
    curve, last_change = [], torch.zeros(len(MODES), runs, dtype=torch.long)
    for t in range(steps):
        loss, gradient = loss_and_gradient(state["weights"], inputs, targets)
        if t % record_every == 0:
            curve.append(loss.median(dim=1).values.tolist())
        before = state["weights"].clone()
        step(state, gradient, lr, rng)
        moved = (state["weights"] != before).any(dim=2)
        last_change[moved] = t
    return state, curve, last_change


def measure(
    runs: int = 16,
    samples: int = 256,
    features: int = 32,
    noise: float = 0.1,
    lr: float = 0.02,
    steps: int = 1000,
    record_every: int = 10,
    seed: int = 0,
) -> dict:
    rng = generator(seed)
    inputs, targets = regression_data(runs, samples, features, noise, rng)
    start = torch.randn(runs, features, generator=rng)  # weights of unit scale
    state, curve, last_change = train(inputs, targets, start, lr, steps, record_every, rng)
    # the same runs at a larger learning rate: where does the plain run stall now?
    faster, _, _ = train(inputs, targets, start, LR_FACTOR * lr, steps, record_every, rng)
    loss, gradient = loss_and_gradient(state["weights"], inputs, targets)
    final = loss  # (mode, run)
    reference = final[MODES.index("float32_master")]
    # the exact least-squares optimum, in float64: the floor every mode aims for
    x64, y64 = inputs.double(), targets.double()
    optimum = torch.linalg.lstsq(x64, y64[..., None]).solution[..., 0]
    floor = 0.5 * (torch.einsum("rnf,rf->rn", x64, optimum) - y64).pow(2).mean(dim=1)
    plain = MODES.index("bf16_plain")
    # relative update of each plain bf16 weight at the end: below bf16's threshold?
    ratio = lr * gradient[plain].abs() / state["weights"][plain].abs()
    excess = {m: final[i] - floor.float() for i, m in enumerate(MODES)}
    faster_excess = loss_and_gradient(faster["weights"], inputs, targets)[0][plain] - floor.float()
    # at the stall lr·|g| ≈ 2^-9·|w|, so |g| ∝ 1/lr and the excess loss ∝ 1/lr²: exponent 2
    lr_exponent = torch.log(excess["bf16_plain"] / faster_excess) / np.log(LR_FACTOR)
    return {
        "modes": list(MODES),
        "steps": steps,
        "lr": lr,
        "record_every": record_every,
        "curve": rounded(curve),
        "floor_median": rounded(float(floor.median())),
        "final_median": {m: rounded(float(final[i].median())) for i, m in enumerate(MODES)},
        # final loss over the float32 master run's, per run: median and worst
        "ratio_to_master": {
            m: {
                "median": rounded(float((final[i] / reference).median())),
                "max": rounded(float((final[i] / reference).max())),
                "min": rounded(float((final[i] / reference).min())),
            }
            for i, m in enumerate(MODES)
        },
        # the loss above the least-squares floor, as a share of the plain run's (worst run)
        "excess_share": {
            m: rounded(float((excess[m] / excess["bf16_plain"]).max())) for m in MODES
        },
        "plain_excess_median": rounded(float(excess["bf16_plain"].median())),
        "plain_excess_faster_median": rounded(float(faster_excess.median())),
        "plain_excess_lr_exponent": rounded(float(lr_exponent.median())),
        "plain_stalled_runs": int((last_change[plain] < steps - STALL_WINDOW).sum()),
        "plain_last_move_median": int(last_change[plain].median()),
        "plain_final_max_log2_ratio": rounded(float(torch.log2(ratio.max()))),
        "runs": runs,
    }


# --8<-- [end:measure]


LABELS = {
    "bf16_plain": "bfloat16, plain updates",
    "float32_master": "float32 master weights",
    "bf16_kahan": "bfloat16 + Kahan buffer",
    "bf16_stochastic": "bfloat16, stochastic rounding",
}


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.6, height=3.4)
    curve = np.array(results["curve"])
    steps = np.arange(len(curve)) * results["record_every"]
    # the three fixes overlap: told apart by line style and width
    styles = {
        "bf16_plain": ("-", 1.5),
        "float32_master": ("-", 3.5),
        "bf16_kahan": ("--", 2.0),
        "bf16_stochastic": (":", 2.0),
    }
    for i, mode in enumerate(results["modes"]):
        style, width = styles[mode]
        ax.semilogy(steps, curve[:, i], style, lw=width, label=LABELS[mode], color=f"C{i}")
    ax.axhline(results["floor_median"], color="C6", lw=0.8, ls=":", label="least-squares floor")
    ax.set(xlabel="step", ylabel="training loss (median of runs)")
    ax.legend(fontsize=9)
    alt = (
        "Training loss against step on a log axis, the median of the runs, for four ways of "
        "storing the weights. All four fall together at first; the plain bfloat16 run then "
        "flattens far above the others and stays there. The float32 master, Kahan and "
        "stochastic-rounding runs fall together to the least-squares floor, drawn on top of "
        "one another."
    )
    return {"curves": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "plain_bf16_stalls",
        "With plain bfloat16 updates the loss stalls far above the float32 master run's "
        "(final loss over the master run's, median of the runs).",
        lambda r: r["ratio_to_master"]["bf16_plain"]["median"],
        at_least=20.0,
        fmt=".3g",
    ),
    Claim(
        "plain_bf16_weights_stop_moving",
        "The plain bfloat16 weights stop moving: runs whose weights did not change in the "
        "last [[setup.STALL_WINDOW]] steps.",
        lambda r: r["plain_stalled_runs"],
        at_least=14,
        out_of=16,
        fmt="d",
    ),
    Claim(
        "stall_is_below_the_threshold",
        "Where they stop, every relative update $r = \\mathrm{lr}\\,|g|/|w|$ is below "
        "$2^{-8}$ ($\\log_2$ of the largest).",
        lambda r: r["plain_final_max_log2_ratio"],
        at_most=-8.0,
        fmt=".2f",
    ),
    Claim(
        "kahan_recovers_the_stall",
        "Kahan-compensated bfloat16 updates remove the stall: what is left of the plain run's "
        "excess loss over the least-squares floor (worst run).",
        lambda r: r["excess_share"]["bf16_kahan"],
        at_most=0.01,
        fmt=".5f",
    ),
    Claim(
        "stochastic_rounding_recovers_the_stall",
        "So does stochastic rounding (share of the plain run's excess left, worst run).",
        lambda r: r["excess_share"]["bf16_stochastic"],
        at_most=0.01,
        fmt=".5f",
    ),
    Claim(
        "stall_loss_falls_as_one_over_lr_squared",
        "The plain run's excess loss at the stall falls as $1/\\mathrm{lr}^2$: a"
        " [[setup.LR_FACTOR]] times larger learning rate divides it by that factor raised to"
        " about the second power (the exponent, median of the runs).",
        lambda r: r["plain_excess_lr_exponent"],
        at_least=1.5,
        at_most=2.5,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
