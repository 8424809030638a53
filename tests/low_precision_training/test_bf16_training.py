"""Tests for snippets/low_precision_training/bf16_training.py."""

import torch

from book.testing import measured
from snippets.common import generator
from snippets.low_precision_training import bf16_training as snippet


def train_one(mode: str, inputs, targets, start, lr, steps):
    """One run of one deterministic mode, written out plainly, one weight vector."""
    master = start.clone()
    w = snippet.to_bf16(start)
    compensation = torch.zeros_like(start)
    for _ in range(steps):
        residual = inputs @ w - targets
        update = -lr * inputs.T @ residual / len(targets)
        if mode == "bf16_plain":
            w = snippet.to_bf16(w + update)
        elif mode == "float32_master":
            master = master + update
            w = snippet.to_bf16(master)
        else:  # Kahan
            corrected = update + compensation
            new = snippet.to_bf16(w + corrected)
            compensation = snippet.to_bf16(corrected - (new - w))
            w = new
    return w


def test_batched_equals_one_at_a_time():
    rng = generator(3)
    runs, steps, lr = 3, 60, 0.02
    inputs, targets = snippet.regression_data(runs, 64, 8, 0.1, rng)
    start = torch.randn(runs, 8, generator=rng)
    state = {"weights": snippet.to_bf16(start).expand(len(snippet.MODES), -1, -1).clone(),
             "master": start.clone(), "compensation": torch.zeros(runs, 8)}
    for _ in range(steps):
        _, gradient = snippet.loss_and_gradient(state["weights"], inputs, targets)
        snippet.step(state, gradient, lr, rng)
    for index, mode in enumerate(snippet.MODES[:3]):
        for run in range(runs):
            alone = train_one(mode, inputs[run], targets[run], start[run], lr, steps)
            torch.testing.assert_close(state["weights"][index, run], alone, rtol=1e-6, atol=1e-7)


def test_stochastic_rounding_is_unbiased_and_lands_on_neighbours():
    x = torch.full((200_000,), 1.0 + 2.0**-10)  # a quarter of the way from 1 to 1 + 2^-7
    rounded = snippet.stochastic_bf16(x, generator(0))
    assert set(rounded.unique().tolist()) == {1.0, 1.0 + 2.0**-7}
    assert torch.equal(rounded, snippet.to_bf16(rounded))
    assert abs(float(rounded.double().mean()) - float(x[0])) < 2.0**-7 / 100
    negative = snippet.stochastic_bf16(-x, generator(1))
    assert abs(float(negative.double().mean()) + float(x[0])) < 2.0**-7 / 100


def test_round_to_nearest_would_never_move_that_weight():
    x = torch.full((4,), 1.0 + 2.0**-10)
    assert torch.equal(snippet.to_bf16(x), torch.ones(4))


def test_every_mode_starts_from_the_same_loss():
    first = measured(snippet.__name__, 0)["curve"][0]
    assert max(first) == min(first)
