"""The adding problem: a vanilla RNN stays at the baseline, an LSTM solves it

Each input sequence has two channels: a value drawn from U(0, 1) at every step, and a marker
that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The target,
read only after the last step, is the sum of the two marked values: the variant of Le, Jaitly &
Hinton (2015), not Hochreiter & Schmidhuber's original (1997), whose values lie in [-1, 1], whose
first marker sits among the first ten steps and whose target is 0.5 + (X1 + X2)/4. Predicting the constant 1 gives the baseline error Var(a + b) = 2 · 1/12 = 1/6; beating
it requires carrying a value across up to the whole sequence. We train a vanilla tanh RNN and
an LSTM of the same width with the same optimiser, steps and clipping, and compare their error
on fresh sequences.
"""

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, generator, new_figure, rounded

# --8<-- [start:measure]
def adding_batch(size: int, length: int, rng: torch.Generator):
    values = torch.rand(size, length, generator=rng)
    markers = torch.zeros(size, length)
    first = torch.randint(0, length // 2, (size,), generator=rng)
    second = torch.randint(length // 2, length, (size,), generator=rng)
    markers[torch.arange(size), first] = 1.0
    markers[torch.arange(size), second] = 1.0
    return torch.stack([values, markers], dim=-1), (values * markers).sum(dim=1, keepdim=True)


class Recurrent(nn.Module):
    def __init__(self, kind: str, hidden: int, forget_bias: float, input_scale: float):
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "rnn": nn.RNN}[kind](2, hidden, batch_first=True)
        with torch.no_grad():
            # Larger input weights (uniform ±input_scale/√hidden) let the markers move the gates
            # sooner; the same scale is used for both networks.
            self.rnn.weight_ih_l0.mul_(input_scale)
            if kind == "lstm":  # forget-gate bias: second quarter of PyTorch's gate biases
                self.rnn.bias_ih_l0[hidden:2 * hidden] = forget_bias
                self.rnn.bias_hh_l0[hidden:2 * hidden] = 0.0
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.readout(self.rnn(x)[0][:, -1])


def measure(length: int = 50, hidden: int = 16, batch: int = 32, steps: int = 400, lr: float = 0.05,
            forget_bias: float = 2.0, input_scale: float = 8.0, clip: float = 1.0, test_size: int = 1000,
            seed: int = 0) -> dict:
    rng = generator(seed)
    test_x, test_y = adding_batch(test_size, length, rng)
    baseline = float(((test_y - 1.0) ** 2).mean())  # always answer E[a + b] = 1
    results = {}
    for kind in ("rnn", "lstm"):
        torch.manual_seed(seed)
        model = Recurrent(kind, hidden, forget_bias, input_scale)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        train_rng = generator(seed + 1)  # the same training sequences for both networks
        losses, norms = [], []
        for _ in range(steps):
            x, y = adding_batch(batch, length, train_rng)
            loss = nn.functional.mse_loss(model(x), y)
            optimiser.zero_grad()
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), clip)))  # norm before clipping
            optimiser.step()
            losses.append(float(loss.detach()))
        with torch.no_grad():
            test_mse = float(nn.functional.mse_loss(model(test_x), test_y))
        results[kind] = {
            "loss_curve": rounded(np.convolve(losses, np.ones(20) / 20, mode="valid")[::5]),
            "test_mse": rounded(test_mse),
            "test_over_baseline": rounded(test_mse / baseline),
            "max_grad_norm": rounded(max(norms)),
            "clipped_fraction": rounded(float(np.mean(np.array(norms) > clip))),
        }
    return {"length": length, "hidden": hidden, "batch": batch, "steps": steps, "lr": lr,
            "forget_bias": forget_bias, "input_scale": input_scale, "clip": clip, "test_size": test_size,
            "input_weight_bound": rounded(input_scale / hidden ** 0.5),
            "baseline_mse": rounded(baseline), "baseline_theory": rounded(2 / 12), **results}
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, ax = new_figure(width=6.0, height=3.3)
    lstm_label = f"LSTM ($b_f$ = {results['forget_bias']:g})"
    for kind, label in (("rnn", "vanilla tanh RNN"), ("lstm", lstm_label)):
        curve = results[kind]["loss_curve"]
        ax.semilogy(19 + 5 * np.arange(len(curve)), curve, label=label)
    ax.axhline(results["baseline_mse"], ls=":", color="0.5", lw=1.2, label="predict 1 (baseline)")
    ax.set(xlabel="Adam step", ylabel="training MSE (20-step average)",
           title=f"adding problem, length {results['length']}")
    ax.legend(fontsize=8)
    alt = (
        "Training loss on the adding problem against Adam step, log scale. The vanilla RNN's loss stays on "
        "the dotted baseline of always answering 1; the LSTM's stays there for about a hundred steps, then "
        "drops by about two decades."
    )
    return {"training": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "rnn_stays_at_baseline",
        "The vanilla RNN does no better than the baseline: test MSE / MSE of always answering 1.",
        lambda r: r["rnn"]["test_over_baseline"],
        at_least=0.8,
    ),
    Claim(
        "lstm_solves_adding_problem",
        "The LSTM, trained identically, ends far below it: test MSE / baseline MSE.",
        lambda r: r["lstm"]["test_over_baseline"],
        at_most=0.1,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
