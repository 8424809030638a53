"""Loss scaling: multiply the loss before the float16 backward pass, divide after

Micikevicius et al. (2018) keep float32 master weights, run the forward and backward
passes in float16, and multiply the loss by a scale S first. Every gradient in the
backward pass is then S times larger — lifted above float16's underflow — and is divided
by S again in float32 before the update. Too large an S overflows float16 (its largest
number is 65504) into infinity; dynamic loss scaling, as ``torch.amp.GradScaler`` does
it, skips any step whose gradients are not finite and halves S, and doubles S after a
run of good steps.

On the 12-layer sigmoid network of the previous experiment we measure, per layer, how
many gradient entries are lost (zero after unscaling where float32 has a nonzero value)
and the relative error against float32 for S = 1, 2⁸, 2¹⁶ and 2²⁸; then we train it for
60 SGD steps three ways — float32, float16 without scaling, float16 with a GradScaler —
and record the scale, the skipped steps and the loss.
"""

import inspect

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, mlp, new_figure, rounded

# --8<-- [start:measure]
SCALES = (0, 8, 16, 28)  # S = 2^k


def network_and_batch(depth, width, batch, seed):
    model = mlp(depth, width, activation="sigmoid", init="xavier", bias=True, seed=seed)
    rng = generator(seed + 1)
    return (
        model,
        torch.randn(batch, width, generator=rng),
        torch.randn(batch, width, generator=rng),
    )


def scaled_gradients(model, x, y, scale: float, half: bool) -> list:
    """Weight gradients of ``scale · loss`` (backward in float16 if ``half``), divided
    by scale.
    """
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.float16, enabled=half):
        loss = nn.functional.mse_loss(model(x), y)
    (loss * scale).backward()
    return [block[0].weight.grad / scale for block in model]  # unscaled in float32


def fidelity(model, x, y, scale: float) -> dict:
    exact = scaled_gradients(model, x, y, 1.0, half=False)
    mixed = scaled_gradients(model, x, y, scale, half=True)
    finite = all(bool(torch.isfinite(g).all()) for g in mixed)
    lost = [float(((m == 0) & (e != 0)).float().mean()) for m, e in zip(mixed, exact)]
    error = [
        float((m - e).norm() / e.norm()) if finite else 0.0
        for m, e in zip(mixed, exact)
    ]
    return {"finite": finite, "lost": rounded(lost), "relative_error": rounded(error)}


def train(
    depth, width, batch, seed, steps, lr, mode: str, growth_interval: int
) -> dict:
    model, x, y = network_and_batch(depth, width, batch, seed)
    optimiser = torch.optim.SGD(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(
        "cpu",
        init_scale=2.0**16,
        growth_interval=growth_interval,
        enabled=mode == "scaled",
    )
    losses, scales, skipped, first_layer_lost = [], [], 0, []
    for _ in range(steps):
        with torch.autocast("cpu", dtype=torch.float16, enabled=mode != "float32"):
            loss = nn.functional.mse_loss(model(x), y)
        optimiser.zero_grad()
        scaler.scale(loss).backward()
        # gradients divided by S, in float32, checked for inf/NaN
        scaler.unscale_(optimiser)
        first_layer_lost.append(float((model[0][0].weight.grad == 0).float().mean()))
        before = scaler.get_scale() if mode == "scaled" else 1.0
        scaler.step(optimiser)  # skipped if any gradient is inf or NaN
        # halve S after a skipped step; double it after growth_interval good ones
        scaler.update()
        skipped += int(mode == "scaled" and scaler.get_scale() < before)
        losses.append(float(loss.detach()))
        scales.append(before)
    return {
        "loss": rounded(losses),
        "scale": scales,
        "skipped": skipped,
        "first_layer_lost": rounded(float(np.mean(first_layer_lost))),
    }


def measure(
    depth: int = 12,
    width: int = 64,
    batch: int = 64,
    steps: int = 60,
    lr: float = 0.5,
    growth_interval: int = 5,
    seed: int = 0,
) -> dict:
    model, x, y = network_and_batch(depth, width, batch, seed)
    by_scale = {f"s{k}": fidelity(model, x, y, 2.0**k) for k in SCALES}
    runs = {
        mode: train(depth, width, batch, seed, steps, lr, mode, growth_interval)
        for mode in ("float32", "float16", "scaled")
    }
    final = {mode: run["loss"][-1] for mode, run in runs.items()}
    # Exercise 2: layers that lose most (over half) of their entries, at S = 1 and 2⁸
    losing_most = {k: sum(v > 0.5 for v in by_scale[f"s{k}"]["lost"]) for k in (0, 8)}
    # the float32 gradient's median entry, layer by layer: its mean factor per layer
    medians = [float(g.abs().median()) for g in scaled_gradients(model, x, y, 1.0, False)]
    per_layer = (medians[-1] / medians[0]) ** (1 / (depth - 1))
    return {
        "depth": depth,
        "steps": steps,
        "lr": lr,
        "growth_interval": growth_interval,
        "scales": list(SCALES),
        "float16_max": torch.finfo(torch.float16).max,
        "by_scale": by_scale,
        "runs": runs,
        "unscaled_first_lost": by_scale["s0"]["lost"][0],
        "unscaled_layers_lost": sum(v == 1.0 for v in by_scale["s0"]["lost"]),
        "s16_max_lost": max(by_scale["s16"]["lost"]),
        "s16_max_error": max(by_scale["s16"]["relative_error"]),
        "s28_finite": by_scale["s28"]["finite"],
        "final_loss_gap": rounded(
            abs(final["scaled"] - final["float32"]) / final["float32"]
        ),
        "largest_scale": max(runs["scaled"]["scale"]),
        "largest_scale_log2": int(np.log2(max(runs["scaled"]["scale"]))),
        "default_growth_interval": inspect.signature(torch.amp.GradScaler)
        .parameters["growth_interval"]
        .default,
        "exercise": {
            "s8_first_lost": by_scale["s8"]["lost"][0],
            "s8_second_lost": by_scale["s8"]["lost"][1],
            "losing_most_s0": losing_most[0],
            "losing_most_s8": losing_most[8],
            # how far the lost region moved toward the input, in layers
            "shift": losing_most[0] - losing_most[8],
            # 2⁸ is log₄(2⁸) = 4 layers' worth of a 4× shrink per layer
            "predicted_shift": rounded(np.log(2.0**8) / np.log(per_layer)),
            "per_layer_factor": rounded(per_layer),
        },
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    layers = np.arange(1, results["depth"] + 1)
    fig, ax = new_figure(width=6.6, height=3.3)
    for k in results["scales"]:
        entry = results["by_scale"][f"s{k}"]
        if entry["finite"]:
            ax.plot(layers, entry["lost"], "o-", label=f"S = $2^{{{k}}}$")
        else:
            ax.plot(
                [],
                [],
                "o-",
                label=f"S = $2^{{{k}}}$: overflow, not drawn",
            )
    ax.set(xlabel="layer", ylabel="share of gradient entries lost", ylim=(-0.03, 1.05))
    ax.legend(fontsize=9)
    alt = (
        "Share of each layer's weight-gradient entries lost in a float16 backward "
        "pass, for loss scales 1, 2 to the 8 and 2 to the 16. Without scaling the "
        "first four layers lose almost everything; with 2 to the 8 the losses move "
        "two layers toward the input; with 2 to the 16 no layer loses more than a "
        "fraction of a percent. With 2 to the 28 the gradients overflow to infinity"
        " and the step would be skipped."
    )
    fig2, (left, right) = new_figure(ncols=2, width=7.4, height=3.1)
    steps = np.arange(results["steps"])
    left.semilogy(steps, results["runs"]["scaled"]["scale"], color="C2")
    left.axhline(2.0**16, color="C6", lw=0.8, ls=":")
    left.set(
        xlabel="step", ylabel="loss scale S", title="GradScaler: grow, overflow, halve"
    )
    for mode, label in (
        ("float32", "float32"),
        ("float16", "float16, no scaling"),
        ("scaled", "float16 + GradScaler"),
    ):
        right.plot(steps, results["runs"][mode]["loss"], label=label)
    right.set(xlabel="step", ylabel="training loss", title="the same 60 SGD steps")
    right.legend(fontsize=9)
    for ax_ in (left, right):
        ax_.minorticks_off()
    alt2 = (
        "First panel: the loss scale over 60 steps on a log axis, starting at 2 to the "
        "16, doubling every few steps up to a ceiling where float16 overflows, "
        "then dropping by half and climbing again, a sawtooth. Second panel: the training"
        " loss of the three runs, float32, float16 without scaling and float16 "
        "with the scaler, falling slowly and almost on top of each other."
    )
    return {"fidelity": (fig, alt), "dynamics": (fig2, alt2)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "unscaled_float16_loses_layers",
        "Without loss scaling, a float16 backward pass loses every gradient entry of at"
        " least the first two layers (number of layers lost).",
        lambda r: r["unscaled_layers_lost"],
        at_least=2,
        fmt="d",
    ),
    Claim(
        "scale_2_16_recovers_entries",
        "With $S = 2^{16}$ no layer loses more than [[at_most|.0%]] of its entries "
        "(largest share lost).",
        lambda r: r["s16_max_lost"],
        at_most=0.02,
        fmt=".4f",
    ),
    Claim(
        "scale_2_16_matches_float32",
        "…and every layer's gradient matches float32's to within [[at_most|.0%]] (largest relative "
        "error).",
        lambda r: r["s16_max_error"],
        at_most=0.05,
        fmt=".3f",
    ),
    Claim(
        "scale_2_8_shifts_by_its_layers_worth",
        "$S = 2^8$ moves the lost region toward the input by as many layers as it takes "
        "the gradient to shrink by $2^8$ (shift in layers losing most of their entries, "
        "minus $\\log 2^8$ over the log of the measured factor per layer).",
        lambda r: r["exercise"]["shift"] - r["exercise"]["predicted_shift"],
        at_least=-1,
        at_most=1,
        fmt=".2f",
        shows=("shift, in layers", lambda r: r["exercise"]["shift"], "d"),
    ),
    Claim(
        "scale_2_28_overflows",
        "$S = 2^{28}$ overflows float16: some gradient is infinite, and a GradScaler would "
        "skip the step.",
        lambda r: not r["s28_finite"],
    ),
    Claim(
        "scaler_backs_off",
        "Dynamic loss scaling grows S until it overflows, skips that step and halves S:"
        " skipped steps in [[setup.steps]].",
        lambda r: r["runs"]["scaled"]["skipped"],
        at_least=1,
        fmt="d",
    ),
    Claim(
        "scaled_training_matches_float32",
        "The float16 run with loss scaling ends at the float32 run's loss: relative "
        "difference of the final losses.",
        lambda r: r["final_loss_gap"],
        at_most=0.02,
        fmt=".4f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
