"""The LSTM's cell state carries the gradient back as a product of forget gates

An LSTM keeps a cell state c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t next to its hidden state
h_t = o_t ⊙ tanh(c_t). Along the cell path the Jacobian ∂c_t/∂c_{t−1} is diag(f_t): no weight
matrix and no tanh′, only the forget gate f_t = sigmoid(W_f x_t + U_f h_{t−1} + b_f). So the
gradient along that path T − t steps back is ∏ f, and the forget-gate bias b_f sets how fast
it decays. The full gradient also flows through h (c_t → h_t → the gates at t + 1), which adds to
it. We measure ‖∂L/∂c_t‖ for L = ⟨v, c_T⟩ with PyTorch's default initialisation (b_f near 0)
and with b_f = 1 and 3, next to the product of the forget gates alone, and a GRU with its
default initialisation for comparison.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, factor_per_time_step, generator, log10_gradient_by_gap, new_figure, rounded

# --8<-- [start:measure]
FORGET_BIASES = {"default": None, "bias_1": 1.0, "bias_3": 3.0}
LAG = 50  # how many steps back the gradient is quoted (the *_at_50 results)
FIT_FROM = 5  # the factor per step is fitted from this gap on


def lstm_step(cell: nn.LSTMCell, x, h, c):
    """One LSTM step written out, so that the forget gate can be recorded."""
    gates = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = gates.chunk(4, dim=1)  # PyTorch's gate order
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c, f


def measure(hidden: int = 64, steps: int = 60, batch: int = 32, inputs: int = 8, seed: int = 0) -> dict:
    rng = generator(seed)
    xs = torch.randn(steps, batch, inputs, generator=rng, dtype=torch.float64)
    direction = torch.randn(batch, hidden, generator=rng, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True)
    results = {}
    for name, bias in FORGET_BIASES.items():
        torch.manual_seed(seed)  # the same default-initialised weights for every bias
        cell = nn.LSTMCell(inputs, hidden).double()
        if bias is not None:
            with torch.no_grad():  # gate bias is bias_ih + bias_hh; forget gate = second quarter
                cell.bias_ih[hidden:2 * hidden] = bias
                cell.bias_hh[hidden:2 * hidden] = 0.0
        h = torch.zeros(batch, hidden, dtype=torch.float64)
        c = torch.zeros(batch, hidden, dtype=torch.float64, requires_grad=True)
        cells, forgets = [], []
        for x in xs:
            h, c, f = lstm_step(cell, x, h, c)
            c.retain_grad()
            cells.append(c)
            forgets.append(f.detach())
        (c * direction).sum().backward()
        measured = log10_gradient_by_gap(cells)
        # Cell path alone: ∂L/∂c_t ≈ v ⊙ f_T ⊙ … ⊙ f_{t+1}
        product, cell_path = torch.ones(batch, hidden, dtype=torch.float64), []
        for gap in range(steps):
            cell_path.append(float((direction * product).norm(dim=1).log10().mean()))
            product = product * forgets[steps - 1 - gap]
        results[name] = {
            "forget_bias": 0.0 if bias is None else bias,
            "mean_forget_gate": rounded(float(torch.stack(forgets).mean())),
            "log10_grad": rounded(measured),
            "log10_cell_path": rounded(cell_path),
            "factor_per_step": rounded(factor_per_time_step(measured, FIT_FROM)),
            "log10_grad_at_50": rounded(measured[LAG]),
            "log10_cell_path_at_50": rounded(cell_path[LAG]),
        }
    # GRU: h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}; its update gate z_t plays the forget gate's part.
    torch.manual_seed(seed)
    gru = nn.GRUCell(inputs, hidden).double()
    h, states = torch.zeros(batch, hidden, dtype=torch.float64, requires_grad=True), []
    for x in xs:
        h = gru(x, h)
        h.retain_grad()
        states.append(h)
    (h * direction).sum().backward()
    measured = log10_gradient_by_gap(states)
    results["gru"] = {"log10_grad": rounded(measured),
                      "factor_per_step": rounded(factor_per_time_step(measured, FIT_FROM)),
                      "log10_grad_at_50": rounded(measured[LAG])}
    return {"hidden": hidden, "steps": steps, "batch": batch, **results}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.0, height=3.3)
    gaps = np.arange(results["steps"])
    for name in FORGET_BIASES:
        entry = results[name]
        (line,) = ax.plot(gaps, entry["log10_grad"],
                          label=f"LSTM, $b_f$ = {entry['forget_bias']:g}"
                          + (" (default)" if name == "default" else ""))
        ax.plot(gaps, entry["log10_cell_path"], ls=":", color=line.get_color(), lw=1.4)
    ax.plot(gaps, results["gru"]["log10_grad"], ls="--", label="GRU (default)")
    ax.plot([], [], ls=":", color="0.5", lw=1.4, label="forget gates alone, ∏ f")
    ax.set(
        xlabel="time gap T − t",
        ylabel="log₁₀ $\\|\\partial L/\\partial c_t\\|$  "
        "(GRU: $\\|\\partial L/\\partial h_t\\|$)",
        title="gradient through the cell state",
    )
    ax.legend(fontsize=8)
    alt = (
        "Log10 of the gradient reaching the LSTM cell state T − t steps back, against the gap, for forget-gate "
        "biases 0 (PyTorch's default), 1 and 3, each with a dotted line for the product of forget gates alone, "
        "which falls somewhat faster. The default falls steeply, by about ten decades over 50 steps; bias 1 "
        "falls more slowly; bias 3 stays level. The GRU with default initialisation falls about as fast as "
        "the default LSTM."
    )
    return {"gap": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "default_bias_vanishes",
        "With PyTorch's default initialisation ($b_f$ near 0) the gradient through the cell state vanishes: "
        "log₁₀ of its size [[setup.LAG]] steps back.",
        lambda r: r["default"]["log10_grad_at_50"],
        at_most=-8,
    ),
    Claim(
        "bias_1_vanishes_more_slowly",
        "With $b_f = 1$ it still shrinks, but by far fewer decades over [[setup.LAG]] steps.",
        lambda r: r["bias_1"]["log10_grad_at_50"],
        at_least=-6,
        at_most=-2,
    ),
    Claim(
        "bias_3_preserves_gradient",
        "With $b_f = [[setup.FORGET_BIASES.bias_3|g]]$ it keeps its size over [[setup.LAG]] steps: log₁₀ of its size.",
        lambda r: r["bias_3"]["log10_grad_at_50"],
        at_least=-1,
        at_most=1,
    ),
    Claim(
        "gru_default_vanishes",
        "A GRU with PyTorch's default initialisation loses its gradient about as fast: log₁₀ of $\\|\\partial\\mathcal{L}/\\partial h_t\\|$ "
        "[[setup.LAG]] steps back.",
        lambda r: r["gru"]["log10_grad_at_50"],
        at_most=-7,
    ),
)

if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
