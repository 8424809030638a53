"""An atlas of gradient profiles: every cause and remedy of the book, diagnosed the same way

One forward/backward pass per case under a GradientFlowRecorder, at initialisation, on a random
regression batch. For feed-forward cases each panel shows two per-layer profiles: the
gradient-to-weight ratio ‖∂L/∂W_l‖/‖W_l‖ (what the optimiser sees) and the standard deviation of
each layer's output (the forward signal). For recurrent cases it shows the norm of the gradient
reaching each time step of the input sequence. Two cases are variations of another: the clipped
case clips the large-initialisation network's gradient to norm 1 before recording it, and the
outlier case multiplies one example of the He-initialised ReLU network's batch by 100. Two cases
go beyond the note: a 12-layer post-LN Transformer encoder (PyTorch's own encoder layer), whose
profile runs over its weight matrices in order, and the sigmoid network run in float16 under
autocast, where the gradients that vanish become exact zeros (in float32 they are tiny, not zero).
"""

import math

import numpy as np

from snippets.common import Claim, new_figure, rounded
from snippets.diagnosis._specimens import RECURRENT, TRANSFORMER_LAYERS, run_specimen

# --8<-- [start:cases]
CASES = {  # name: (panel title, builder kind, options, the verdict the book's chapters lead us to expect)
    "linear_below": ("a linear σ=0.8", "linear_0.8", {}, "forward_collapses"),
    "linear_above": ("b linear σ=1.25", "linear_1.25", {}, "forward_explodes"),
    "sigmoid": ("c sigmoid", "sigmoid", {}, "vanishing"),
    "tanh_xavier": ("d tanh Xavier", "tanh_xavier", {}, "healthy"),
    "tanh_large": ("e tanh σ=2.5", "tanh_large", {}, "exploding"),
    "relu_small": ("f ReLU σ=1", "relu_small", {}, "forward_collapses"),
    "relu_large": ("g ReLU σ=2", "relu_large", {}, "forward_explodes"),
    "outlier": ("h outlier", "relu_he", {"outlier": 100.0}, "healthy"),
    "clipped": ("i clipped", "tanh_large", {"clip": 1.0}, "exploding"),
    "relu_he": ("j ReLU He", "relu_he", {}, "healthy"),
    "plain_bn": ("k plain BN", "plain_bn", {}, "exploding"),
    "residual_bn": ("l residual BN", "residual_bn", {}, "healthy"),
    "rnn": ("m RNN", "rnn", {}, "vanishing"),
    "lstm_f0": ("n LSTM b_f=0", "lstm_f0", {}, "vanishing"),
    "lstm_f1": ("o LSTM b_f=1", "lstm_f1", {}, None),  # at the threshold: no expectation
    "lstm_f2": ("p LSTM b_f=2", "lstm_f2", {}, "healthy"),
    "postln_transformer": ("q post-LN Transformer", "postln_transformer", {}, "healthy"),
    "sigmoid_float16": ("r sigmoid, float16", "sigmoid", {"half": True}, "vanishing+zero_gradient"),
}


def measure(depth: int = 40, width: int = 64, batch: int = 64, steps: int = 30, inputs: int = 16,
            seed: int = 0) -> dict:
    cases = {}
    for name, (title, kind, options, expected) in CASES.items():
        found = run_specimen(kind, depth, width, batch, steps, inputs, seed, **options)
        verdict = "healthy" if found["healthy"] else "+".join(found["flags"])
        cases[name] = {
            "title": title,
            "recurrent": kind in RECURRENT,
            "expected": expected or "",
            "verdict": verdict,
            "trend": rounded(found["trend"], 4),
            "forward_trend": rounded(found["forward_trend"], 4),
            "profile": rounded(found["profile"], 4),
            "output_std": rounded(found["output_std"], 4),
            "zero_layers": found["zero"],  # weight matrices whose gradient is exactly zero
        }
        if "forget_bias" in found:
            cases[name]["forget_bias"] = found["forget_bias"]
    clean, outlier, clipped = cases["relu_he"], cases["outlier"], cases["clipped"]
    return {
        "depth": depth, "width": width, "steps": steps,
        "cases": cases,
        "transformer_layers": TRANSFORMER_LAYERS,
        "transformer_matrices": len(cases["postln_transformer"]["profile"]),
        # Exercise 1's prediction for plain BatchNorm: sqrt(pi/(pi-1)) per layer over depth - 1 steps
        "plain_bn_predicted_trend": rounded((depth - 1) * math.log10(math.sqrt(math.pi / (math.pi - 1))), 4),
        "wrong_verdicts": sum(c["expected"] not in ("", c["verdict"]) for c in cases.values()),
        # An outlier scales every layer's ratio up by about the same factor; the shape stays level.
        "outlier_scale_min": rounded(min(o / c for o, c in zip(outlier["profile"], clean["profile"]))),
        "outlier_trend_change": rounded(abs(outlier["trend"] - clean["trend"])),
        "outlier_abs_trend": rounded(abs(outlier["trend"])),
        # Clipping rescales the whole gradient: the profile's shape, and so its trend, cannot change.
        "clipping_trend_change": rounded(abs(clipped["trend"] - cases["tanh_large"]["trend"])),
        "clipping_scale": rounded(clipped["profile"][-1] / cases["tanh_large"]["profile"][-1]),
        # float16 turns the sigmoid network's smallest gradients into exact zeros
        "float16_extra_zero_layers": cases["sigmoid_float16"]["zero_layers"] - cases["sigmoid"]["zero_layers"],
    }
# --8<-- [end:cases]


def plot(results: dict) -> dict:
    from matplotlib.ticker import FuncFormatter, LogLocator

    plain = FuncFormatter(lambda v, _: f"$10^{{{round(np.log10(v)):d}}}$")
    cases = [results["cases"][name] for name in CASES]  # the atlas's order, whatever the JSON's
    figures = {}
    for half, chosen in (("causes", cases[:8]), ("remedies", cases[8:16]), ("beyond", cases[16:])):
        rows = 2 if len(chosen) > 4 else 1
        fig, axes = new_figure(ncols=4 if rows == 2 else len(chosen), nrows=rows, width=7.6 if rows == 2 else 5.2,
                               height=3.9 if rows == 2 else 2.5, phone_ncols=2)  # a b / c d … on a phone
        for ax, case in zip(np.atleast_1d(axes).flat, chosen):
            profile = np.asarray(case["profile"], dtype=float)
            profile[profile <= 0] = np.nan
            colour = "C2" if case["verdict"] == "healthy" else "C5"  # green: no flag; red: flagged
            ax.semilogy(np.arange(len(profile)), profile, color=colour, lw=1.4)
            if not case["recurrent"]:
                ax.semilogy(np.arange(len(case["output_std"])), case["output_std"], "--", color="C6", lw=1.2)
            ax.set_title(case["title"], fontsize=7.5, loc="left")
            ax.grid(False)
            ax.yaxis.set_major_locator(LogLocator(numticks=3))
            ax.yaxis.set_major_formatter(plain)
            ax.minorticks_off()  # keeps the SVG small
            last = len(profile) - 1
            ax.set_xticks([0, 10, 20, 30] if case["recurrent"] else [0, 20, 40] if last == 39
                          else [0, last // 2, last])
            ax.set_xlabel("time step" if case["recurrent"] else "weight matrix" if "Transformer" in case["title"]
                          else "layer", fontsize=7)
            ax.tick_params(labelsize=6)
        for ax in fig.axes:
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("ratio, std")
        fig.legend(["gradient-to-weight ratio (red: flagged)", "layer output std"], loc="outside lower center",
                   ncols=2, fontsize=8)
        figures[half] = fig
    alt_causes = (
        "Eight small log-scale panels, a to h, one per cause. Solid lines are gradient-to-weight ratios per layer, "
        "red where the recorder raised a flag and green where it did not; dashed grey lines are the std of each "
        "layer's output. The sigmoid network's ratio (c) rises by tens of decades from input to output and the "
        "large-scale tanh network's (e) falls; the linear and ReLU networks with wrong weight scales (a, b, f, g) "
        "have level ratios but dashed lines that fall or rise by decades. Tanh with Xavier (d) and the He ReLU "
        "network with one outlier input (h) are level on both lines."
    )
    alt_remedies = (
        "Eight small log-scale panels, i to p, one per remedy or its failure. The clipped tanh network (i) has "
        "the same falling shape as the unclipped one at a lower level, and the plain BatchNorm network (k) falls "
        "by several decades from input to output; the He ReLU network (j) and the residual BatchNorm network (l) "
        "are nearly level. Panels m to p show the gradient reaching each time step of a recurrent network's "
        "input: steep for the vanilla RNN (m) and the LSTM with forget bias 0 (n), less steep with bias 1 (o), "
        "and within a decade with bias 2 (p)."
    )
    alt_beyond = (
        "Two small log-scale panels. q: the gradient-to-weight ratio of each of the 48 weight matrices of a "
        "12-layer post-LN Transformer encoder, in order from input to output, with the std of each layer's output "
        "dashed; both stay within a decade or two. r: the sigmoid network of panel c run in float16; its profile "
        "is drawn only where the gradient is nonzero, and it stops many layers before the input: below that, "
        "every gradient is exactly zero."
    )
    return {"causes": (figures["causes"], alt_causes), "remedies": (figures["remedies"], alt_remedies),
            "beyond": (figures["beyond"], alt_beyond)}


CLAIMS = (
    Claim("atlas_verdicts_as_expected",
          "Every case of the atlas with an expected verdict gets it from the recorder (number of wrong verdicts).",
          lambda r: r["wrong_verdicts"], at_most=0, fmt="d"),
    Claim("outlier_raises_every_layer",
          "One input ×[[setup.CASES.outlier.2.outlier|g]] raises the gradient-to-weight ratio of every layer (smallest factor over layers)…",
          lambda r: r["outlier_scale_min"], at_least=8, fmt=".3g"),
    Claim("outlier_keeps_profile_level",
          "…while the profile stays level enough to pass: |trend| in decades, at most [[at_most|g]].",
          lambda r: r["outlier_abs_trend"], at_most=1.8, fmt=".2f"),
    Claim("float16_zeroes_more_layers",
          "Run in float16, the sigmoid network has at least [[at_least]] more layers with an exactly zero gradient than "
          "in float32.",
          lambda r: r["float16_extra_zero_layers"], at_least=10, fmt="d"),
    Claim("float32_sigmoid_no_zero_layers",
          "In float32 the sigmoid network has no weight matrix whose gradient is exactly zero: its smallest "
          "gradients are tiny, not zero (number of exactly zero layers).",
          lambda r: r["cases"]["sigmoid"]["zero_layers"], at_most=0, fmt="d"),
    Claim("clipping_keeps_profile_shape",
          "Clipping the exploding network's gradient leaves the profile's trend unchanged (change in decades).",
          lambda r: r["clipping_trend_change"], at_most=1e-3, fmt=".1e"),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
