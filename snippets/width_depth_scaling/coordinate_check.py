"""The coordinate check: what a few Adam steps do to each layer, against width

Yang et al. (2022)'s test of a parametrisation. Train MLPs of widths 64 to 2048 for a few
Adam steps on one fixed regression batch, and measure, after each step t, the RMS size
of the change of every layer's output on that batch since initialisation,
Δh_l(t) = h_l(t) − h_l(0). Under the standard parametrisation (SP: PyTorch's default init,
one learning rate) the hidden layer's and the readout's changes grow with width; under
μP (Yang & Hu 2021) they do not. The readout's change is split into the part its own
update makes, ΔW_out · h(t), and the part the initial readout passes on, W_out(0) · Δh.

Three-layer bias-free ReLU MLPs (input → n → n → 1) at each width, a few networks per
width side by side (one program: stacked weights and torch.bmm), all widths and both
parametrisations from the same initial draw at each width.
"""

import numpy as np
import torch

from snippets.common import Claim, generator, log_log_slope, new_figure, rounded
from snippets.width_depth_scaling._mlp import (PARAMETRISATIONS, BatchedAdam, forward,
                                               init_weights, lr_multipliers,
                                               regression_batch)

WIDTHS = (64, 128, 256, 512, 1024, 2048)
LAYERS = ("input layer", "hidden layer", "readout")


def rms(t: torch.Tensor) -> float:
    return float(t.pow(2).mean().sqrt())


# --8<-- [start:measure]
def coordinate_check(width: int, parametrisation: str, x, y, networks: int, steps: int,
                     lr: float, base_width: int, seed: int) -> dict:
    """Train ``networks`` MLPs of one width side by side; after each step, the RMS of every
    layer's change on the training batch (over its networks, examples and units)."""
    weights = init_weights(width, x.shape[-1], 2, networks, parametrisation, base_width,
                           generator(seed * 7919 + width))  # the same draw for SP and μP
    optimiser = BatchedAdam(weights, torch.full((networks,), lr),
                            lr_multipliers(width, 2, parametrisation, base_width))
    inputs, targets = x.expand(networks, -1, -1), y.expand(networks, -1, -1)
    readout_0 = weights[-1].detach().clone()
    with torch.no_grad():
        start = forward(weights, inputs)
    change, readout_update, activation = [], [], []
    for _ in range(steps):
        loss = (forward(weights, inputs)[-1] - targets).pow(2).mean((1, 2)).sum()
        loss.backward()  # each network's own loss: the sum's gradient is each one's
        optimiser.step()
        with torch.no_grad():
            now = forward(weights, inputs)
            change.append([rms(a - b) for a, b in zip(now, start)])
            activation.append([rms(a) for a in now])
            # the readout's change = its own update on h(t) + the initial readout on Δh
            readout_update.append(rms(torch.bmm(now[-2], weights[-1] - readout_0)))
    return {"change": change, "activation": activation, "readout_update": readout_update}


def measure(networks: int = 2, steps: int = 3, lr: float = 0.003, base_width: int = 64,
            batch: int = 16, inputs: int = 16, seed: int = 0) -> dict:
    x, y = regression_batch(batch, inputs, generator(seed))
    out = {"widths": list(WIDTHS), "layers": list(LAYERS), "steps": steps}
    for parametrisation in PARAMETRISATIONS:
        runs = [coordinate_check(w, parametrisation, x, y, networks, steps, lr, base_width,
                                 seed) for w in WIDTHS]
        change = np.array([r["change"] for r in runs])  # (width, step, layer)
        update = np.array([r["readout_update"] for r in runs])  # (width, step)
        out[parametrisation] = {
            "change": rounded(change.transpose(1, 2, 0)),  # [step][layer][width]
            "activation": rounded(np.array([r["activation"] for r in runs]).transpose(1, 2, 0)),
            "readout_update": rounded(update.T),  # [step][width]
            # exponent a of Δh ∝ width^a, per step and layer, and of the readout's own part
            "slope": [[rounded(log_log_slope(WIDTHS, change[:, t, l])) for l in range(len(LAYERS))]
                      for t in range(steps)],
            "readout_update_slope": [rounded(log_log_slope(WIDTHS, update[:, t]))
                                     for t in range(steps)],
        }
    # how much the hidden layer's change grows from the narrowest to the widest, step 1
    sp_hidden = out["SP"]["change"][0][1]
    out["sp_hidden_growth_step1"] = rounded(sp_hidden[-1] / sp_hidden[0])
    out["width_ratio"] = WIDTHS[-1] // WIDTHS[0]
    return out
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    widths, last = results["widths"], results["steps"] - 1
    fig, axes = new_figure(ncols=2, width=7.6, height=3.4)
    names = {"SP": "standard parametrisation (SP)", "muP": "μP"}
    for ax, parametrisation in zip(axes, PARAMETRISATIONS):
        r = results[parametrisation]
        for l, layer in enumerate(results["layers"]):
            ax.loglog(widths, r["change"][last][l], "o-", ms=4, color=f"C{l}", label=layer)
            ax.loglog(widths, r["change"][0][l], ":", color=f"C{l}", lw=1)
        ax.loglog(widths, r["readout_update"][last], "s--", ms=3, color="C3",
                  label="readout's own update")
        ax.set(xlabel="width n", title=names[parametrisation])
        ax.set_xticks(widths, [str(w) for w in widths])
        ax.minorticks_off()
    axes[0].set_ylabel(r"RMS of $h_l(t) - h_l(0)$")
    axes[1].sharey(axes[0])
    axes[1].legend(fontsize=8, loc="upper left")
    alt = (
        "Two log-log panels of the size of each layer's change after a few Adam steps "
        "against the width, from 64 to 2048; dotted lines after the first step, solid "
        "lines after the last. Under the standard parametrisation the hidden layer's "
        "change and the readout's change rise steeply with width, the input layer's "
        "stays level. Under muP the input and hidden layers' changes are level lines, "
        "the readout's own update and its total change are level too."
    )
    return {"coordinate_check": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "sp_hidden_change_grows_with_width",
        "Under SP, after one Adam step, the hidden layer's change grows about in "
        "proportion to the width: exponent of its RMS against width, fitted on a log-log "
        "scale (a one-step argument predicts proportionality).",
        lambda r: r["SP"]["slope"][0][1],
        at_least=0.75,
        at_most=1.1,
        fmt=".2f",
    ),
    Claim(
        "mup_hidden_change_level_in_width",
        "Under μP the hidden layer's change after the last step does not depend on the "
        "width: the same exponent, between [[at_least]] and [[at_most]].",
        lambda r: r["muP"]["slope"][-1][1],
        at_least=-0.1,
        at_most=0.1,
        fmt=".2f",
    ),
    Claim(
        "sp_readout_update_grows_with_width",
        "Under SP, after one step, the readout's own update, "
        "$\\Delta W_{\\text{out}}\\, h(t)$, grows at least in proportion to the width: its "
        "exponent.",
        lambda r: r["SP"]["readout_update_slope"][0],
        at_least=0.9,
        fmt=".2f",
    ),
    Claim(
        "mup_readout_update_level_in_width",
        "Under μP the readout's own update after the last step does not grow or shrink "
        "with width beyond the scatter of a few networks: its exponent, between "
        "[[at_least]] and [[at_most]].",
        lambda r: r["muP"]["readout_update_slope"][-1],
        at_least=-0.2,
        at_most=0.2,
        fmt=".2f",
    ),
    Claim(
        "mup_readout_change_level_in_width",
        "Under μP the readout's total change after the last step is level in width too "
        "(the initial readout's share of it fades): its exponent, between [[at_least]] "
        "and [[at_most]].",
        lambda r: r["muP"]["slope"][-1][2],
        at_least=-0.15,
        at_most=0.15,
        fmt=".2f",
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
