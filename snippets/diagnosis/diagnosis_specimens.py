"""The recorder on four broken specimens and three healthy twins

Each specimen gets one forward and one backward pass of a mean-squared-error loss on a random
batch, under a GradientFlowRecorder, and we keep its verdict. The pathological specimens are
a deep sigmoid MLP (vanishing), a deep tanh MLP with a large initial weight scale (exploding),
a deep plain network of Linear → BatchNorm → ReLU blocks (exploding at initialisation) and a
vanilla tanh RNN read over time (vanishing over time steps). Their healthy twins are a
He-initialised ReLU MLP, the same BatchNorm blocks with a residual connection, and an LSTM whose
forget gate starts with a bias of 2. For the recurrent pair the profile is the gradient reaching
each time step of the input sequence; for the others it is each weight matrix's
gradient-to-weight ratio.
"""

import math

import numpy as np

import warnings

import torch

from gradient_flow import GradientFlowRecorder
from gradient_flow.diagnosis import DEAD, DECADES, SATURATED, SATURATION_DERIVATIVE
from snippets.common import Claim, generator, mlp, new_figure, rounded
from snippets.diagnosis._specimens import run_specimen

# The recorder's default thresholds (gradient_flow.diagnosis), as the page's table states them.
THRESHOLDS = {
    "decades": DECADES,  # |fitted trend| beyond which a profile is flagged
    "factor": 10**DECADES,  # the same threshold as a factor between the two ends
    "saturated": SATURATED,  # share of saturated sigmoid/tanh outputs
    "saturation_derivative_inverse": 1 / SATURATION_DERIVATIVE,  # saturated: derivative below max / this
    "dead": DEAD,  # share of ReLU units silent on the whole batch
}
GUIDE_FACTOR = 100  # the figure's dotted guides: this factor above and below the loss end


# --8<-- [start:specimens]
SPECIMENS = {  # name: (builder kind, expected verdict)
    "sigmoid": ("sigmoid", "vanishing"),
    "large_init": ("tanh_large", "exploding"),
    "plain_bn": ("plain_bn", "exploding"),
    "rnn": ("rnn", "vanishing"),
    "relu_he": ("relu_he", "healthy"),
    "residual_bn": ("residual_bn", "healthy"),
    "lstm": ("lstm_f2", "healthy"),
}


def measure(depth: int = 40, width: int = 64, batch: int = 64, steps: int = 30, inputs: int = 16,
            seed: int = 0) -> dict:
    """One diagnosed forward/backward pass per specimen."""
    specimens, first_layer = {}, {}
    for name, (kind, expected) in SPECIMENS.items():
        found = run_specimen(kind, depth, width, batch, steps, inputs, seed)
        verdict = "healthy" if found["healthy"] else "+".join(found["flags"])
        specimens[name] = {
            "expected": expected,
            "verdict": verdict,
            "correct": verdict == expected,
            "trend": rounded(found["trend"], 4),  # fitted decades, loss end → far end
            "factor": rounded(found["factor"], 4),  # per layer or per time step
            "zero_gradients": found["zero"],  # weight matrices whose gradient is exactly 0
            "profile": rounded(found["profile"], 4),
            "report": found["report"].splitlines(),
        }
        if "forget_bias" in found:
            specimens[name]["forget_bias"] = found["forget_bias"]
        if name == "sigmoid":  # the first layer's gradient: tiny, and is every entry of it nonzero?
            first = found["first_matrix"]
            first_layer = {
                "entries": first["entries"], "nonzero": first["nonzero"],
                "nonzero_share": first["nonzero"] / first["entries"],
                "largest": rounded(first["largest"], 3),
                "recorded_norm": rounded(first["recorded_norm"], 4),
                "relative_error": rounded(first["relative_error"], 3),  # recorder against the float64 reference
                "ratio": rounded(found["profile"][0], 3),
                "decades_below_last": rounded(math.log10(found["profile"][-1] / found["profile"][0]), 3),
            }
    return {
        "depth": depth, "width": width, "batch": batch, "steps": steps,
        "thresholds": THRESHOLDS,
        "first_layer": first_layer,
        "faults": inject_faults(width, batch, seed),
        "specimens": specimens,
        "wrong_verdicts": sum(not s["correct"] for s in specimens.values()),
        "healthy_max_abs_trend": max(abs(s["trend"]) for s in specimens.values() if s["expected"] == "healthy"),
    }
# --8<-- [end:specimens]


# --8<-- [start:faults]
FAULTS = ("none", "nan_input", "inf_gradient", "zero_gradient", "cut_layer", "repeated_record")


def inject_faults(width: int, batch: int, seed: int, depth: int = 8) -> dict:
    """One healthy He-initialised ReLU MLP, one fault injected at a time: what does the recorder say?"""
    out = {}
    for fault in FAULTS:
        model = mlp(depth, width, activation="relu", init="he", seed=seed)
        rng = generator(seed + 7919)
        inputs, targets = torch.randn(batch, width, generator=rng), torch.randn(batch, width, generator=rng)
        if fault == "nan_input":
            inputs[0, 0] = float("nan")  # one entry of one example
        if fault == "cut_layer":  # the first block's output multiplied by zero: no gradient flows back to it
            model[0].register_forward_hook(lambda module, args, output: output * 0)
        recorder = GradientFlowRecorder(model)
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        if fault == "inf_gradient":
            model[3][0].weight.grad[0, 0] = float("inf")
        if fault == "zero_gradient":
            model[3][0].weight.grad.zero_()
        recorder.record()
        warned = ""
        if fault == "repeated_record":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                recorder.record()  # no new backward pass
            warned = str(caught[0].message).split(":")[0] if caught else ""
        diagnosis = recorder.diagnose()
        recorder.detach()
        out[fault] = {
            "healthy": diagnosis["healthy"],
            "flags": "+".join(sorted({f.kind for f in diagnosis["flags"]})) or "none",
            "says": diagnosis["flags"][0].message.split(":")[0] if diagnosis["flags"] else
            ("warns: " + warned if warned else "no flag"),
            "steps_stored": len(recorder.steps),
        }
    return out
# --8<-- [end:faults]


def plot(results: dict) -> dict:
    fig, (left, right) = new_figure(ncols=2, height=3.4)
    styles = {"healthy": "-", "vanishing": "--", "exploding": "--"}
    for name, s in results["specimens"].items():
        ax = right if name in ("rnn", "lstm") else left
        profile = np.asarray(s["profile"]) / s["profile"][-1]
        profile[profile <= 0] = np.nan  # an exactly zero gradient has no place on a log axis
        label = f"{name.replace('_', ' ')} ({s['verdict'].replace('_', ' ')})"
        ax.semilogy(np.arange(len(profile)), profile, styles[s["expected"]], label=label)
    for ax in (left, right):
        for level in (1 / GUIDE_FACTOR, GUIDE_FACTOR):
            ax.axhline(level, ls=":", lw=1, color=ax.xaxis.label.get_color())
        ax.legend(fontsize=8)
    left.set(xlabel="weight matrix (input → output)",
             ylabel=r"$\|\partial L/\partial W\| / \|W\|$, relative to the last",
             title="feed-forward specimens")
    right.set(xlabel="time step t (loss after the last)",
              ylabel=r"$\|\partial L/\partial x_t\|$, relative to the last", title="recurrent specimens")
    alt = (
        "Two log-scale panels of gradient profiles, each divided by its value at the loss end, with dotted "
        "lines at one hundredth and one hundred. First panel, against layer index: the sigmoid MLP falls by many "
        "decades toward the input, the large-initialisation tanh MLP and the plain BatchNorm network rise "
        "above one hundred toward the input, while the He-initialised ReLU MLP and the residual BatchNorm "
        "network stay level near one. Second panel, against time step: the vanilla RNN's input gradient falls by "
        "several decades toward the first step, the LSTM's stays within a factor of a few."
    )
    return {"profiles": (fig, alt)}


CLAIMS = (
    Claim("wrong_verdicts_none",
          "Every specimen gets the expected verdict: the four broken ones are flagged with the right kind, "
          "the three healthy twins raise no flag at all (number of wrong verdicts).",
          lambda r: r["wrong_verdicts"], at_most=0, fmt="d"),
    Claim("sigmoid_flagged_vanishing",
          "Deep sigmoid MLP: the fitted trend of the gradient-to-weight ratio is far below the −[[results.thresholds.decades|g]] decade threshold.",
          lambda r: r["specimens"]["sigmoid"]["trend"], at_most=-15, fmt=".1f"),
    Claim("large_init_flagged_exploding",
          "Deep tanh MLP with large weights (σ_w well above 1): the fitted trend is above the +[[results.thresholds.decades|g]] decade threshold.",
          lambda r: r["specimens"]["large_init"]["trend"], at_least=3.0, fmt=".1f"),
    Claim("plain_bn_flagged_exploding",
          "Deep plain BatchNorm network: the fitted trend is above the +[[results.thresholds.decades|g]] decade threshold at initialisation.",
          lambda r: r["specimens"]["plain_bn"]["trend"], at_least=2.6, fmt=".1f"),
    Claim("rnn_flagged_vanishing",
          "Vanilla tanh RNN: the gradient reaching the input falls below the −[[results.thresholds.decades|g]] decade threshold over time.",
          lambda r: r["specimens"]["rnn"]["trend"], at_most=-6.0, fmt=".1f"),
    Claim("sigmoid_first_layer_all_nonzero",
          "Deep sigmoid MLP in float32: every entry of the first layer's weight gradient is nonzero (share of "
          "nonzero entries) — tiny, not zero.",
          lambda r: r["first_layer"]["nonzero_share"], at_least=1.0, fmt=".0%"),
    Claim("sigmoid_first_layer_norm_matches_float64",
          "The recorder's norm of that first-layer gradient agrees with an independent float64 computation "
          "(relative error); a norm squared in float32 would be stored as exactly zero (relative error 1).",
          lambda r: r["first_layer"]["relative_error"], at_most=1e-9, fmt=".1e"),
    Claim("every_fault_reported",
          "Injected faults (a NaN input entry, an infinite or all-zero gradient, a cut layer): each is flagged and "
          "none is called healthy, while the same model without a fault is (number of wrong verdicts).",
          lambda r: sum(f["healthy"] != (name == "none") for name, f in r["faults"].items()
                        if name != "repeated_record"), at_most=0, fmt="d"),
    Claim("healthy_twins_level",
          "Healthy twins (He ReLU MLP, residual BatchNorm, LSTM with forget bias [[results.specimens.lstm.forget_bias|g]]): largest |trend| in decades, "
          "well inside the ±[[results.thresholds.decades|g]] threshold.",
          lambda r: r["healthy_max_abs_trend"], at_most=1.0, fmt=".2f"),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
