"""Specimen models for the diagnosis chapter, built here so the chapter depends on no other chapter.

Every builder takes ``seed`` and returns ``(model, make_batch)``; ``make_batch(rng)`` returns
``(inputs, loss_fn)``. Feed-forward specimens are ``depth`` blocks of width ``width``; the
recurrent ones read a sequence of ``steps`` inputs and are judged on the gradient of the
input sequence over time (``recurrent=True``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from snippets.common import generator, init_linear_, mlp
from gradient_flow import GradientFlowRecorder


# --8<-- [start:models]
class PlainBN(nn.Module):
    """``depth`` blocks Linear → BatchNorm1d → ReLU, no skip connection (He-initialised)."""

    def __init__(self, depth: int, width: int, seed: int):
        super().__init__()
        rng = generator(seed)
        blocks = []
        for _ in range(depth):
            linear = nn.Linear(width, width, bias=False)
            init_linear_(linear, "he", 1.0, rng)
            blocks.append(nn.Sequential(linear, nn.BatchNorm1d(width), nn.ReLU()))
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class ResidualBN(nn.Module):
    """``depth`` residual blocks h + W·ReLU(BN(h)), the same parts as PlainBN plus the skip."""

    def __init__(self, depth: int, width: int, seed: int):
        super().__init__()
        rng = generator(seed)
        self.norms = nn.ModuleList(nn.BatchNorm1d(width) for _ in range(depth))
        self.acts = nn.ModuleList(nn.ReLU() for _ in range(depth))
        self.linears = nn.ModuleList(nn.Linear(width, width, bias=False) for _ in range(depth))
        for linear in self.linears:
            init_linear_(linear, "he", 1.0, rng)

    def forward(self, h):
        for norm, act, linear in zip(self.norms, self.acts, self.linears):
            h = h + linear(act(norm(h)))
        return h


class Recurrent(nn.Module):
    """A one-layer ``nn.RNN`` (tanh) or ``nn.LSTM``; returns the last hidden state."""

    def __init__(self, cell: str, inputs: int, hidden: int, seed: int, forget_bias: float = 0.0):
        super().__init__()
        torch.manual_seed(seed)  # PyTorch's default uniform(±1/√hidden) initialisation
        self.rnn = (nn.RNN if cell == "rnn" else nn.LSTM)(inputs, hidden, batch_first=True)
        if cell == "lstm":  # gate order i, f, g, o: the forget gate's total bias is b_ih + b_hh
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden : 2 * hidden] = forget_bias
                self.rnn.bias_hh_l0[hidden : 2 * hidden] = 0.0

    def forward(self, x):
        return self.rnn(x)[0][:, -1]


class PostLNTransformer(nn.Module):
    """``layers`` of PyTorch's own post-LN encoder layer (``norm_first=False``), built one by one.

    (``nn.TransformerEncoder`` would deep-copy one layer, giving every layer the same weights.)
    """

    def __init__(self, layers: int, width: int, seed: int):
        super().__init__()
        torch.manual_seed(seed)  # PyTorch's default initialisation of each layer
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(width, nhead=4, dim_feedforward=4 * width, dropout=0.0,
                                       batch_first=True, norm_first=False)
            for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
# --8<-- [end:models]


def feedforward(kind: str, depth: int, width: int, seed: int) -> nn.Module:
    if kind == "sigmoid":
        return mlp(depth, width, activation="sigmoid", init="xavier", seed=seed)
    if kind == "tanh_large":
        return mlp(depth, width, activation="tanh", sigma_w=2.5, seed=seed)
    if kind == "relu_he":
        return mlp(depth, width, activation="relu", init="he", seed=seed)
    if kind == "relu_large":
        return mlp(depth, width, activation="relu", sigma_w=2.0, seed=seed)
    if kind == "relu_small":
        return mlp(depth, width, activation="relu", sigma_w=1.0, seed=seed)
    if kind == "tanh_xavier":
        return mlp(depth, width, activation="tanh", init="xavier", seed=seed)
    if kind.startswith("linear_"):  # e.g. linear_0.8
        return mlp(depth, width, activation="linear", sigma_w=float(kind.split("_")[1]), seed=seed)
    if kind == "plain_bn":
        return PlainBN(depth, width, seed)
    if kind == "residual_bn":
        return ResidualBN(depth, width, seed)
    raise ValueError(f"unknown specimen {kind!r}")


# --8<-- [start:diagnose]
def diagnose_once(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, watch_time: bool = False,
                  clip: float | None = None, half: bool = False) -> dict:
    """One forward/backward pass under a recorder; returns its diagnosis and profiles.

    ``half``: run the forward and backward pass in float16 (``torch.autocast``).
    """
    recorder = GradientFlowRecorder(model)
    if watch_time:  # the gradient reaching each time step of the input sequence
        inputs = recorder.watch(inputs.clone().requires_grad_(True), "input sequence", along=1)
    with torch.autocast("cpu", dtype=torch.float16, enabled=half):
        loss = nn.functional.mse_loss(model(inputs).float(), targets)
    loss.backward()
    if clip is not None:  # what a clipped training step would see
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    step = recorder.record()
    diagnosis = recorder.diagnose()
    recorder.detach()
    names, ratios = recorder.profile()
    where = "gradient of input sequence" if watch_time else "gradient-to-weight ratio"
    trend = diagnosis["trends"][where]
    return {
        "healthy": diagnosis["healthy"],
        "flags": sorted({flag.kind for flag in diagnosis["flags"]}),
        "trend": trend["trend_decades"],
        "factor": trend["factor_per_step"],
        "zero": len(trend.get("zero", [])),
        "forward_trend": diagnosis["trends"].get("layer output std", {}).get("trend_decades", 0.0),
        "profile": step["watched"]["input sequence"]["profile"] if watch_time else ratios,
        "output_std": [a["std"] for a in step["activations"].values() if a["kind"] == "layer"],
        "report": recorder.report(),
        "recorded_first_grad_norm": recorder.history(names[0])[-1] if names else None,
    }
# --8<-- [end:diagnose]


RECURRENT = ("rnn", "lstm_f0", "lstm_f1", "lstm_f2")
TRANSFORMER_LAYERS, TRANSFORMER_TOKENS = 12, 8


def run_specimen(kind: str, depth: int, width: int, batch: int, steps: int, inputs_size: int, seed: int,
                 clip: float | None = None, outlier: float | None = None, half: bool = False) -> dict:
    """Build one specimen, draw its batch and diagnose it.

    ``outlier``: multiply the first example of the batch by this factor (an input outlier).
    ``half``: forward and backward pass in float16 (autocast).
    """
    rng = generator(seed + 7919)
    if kind == "postln_transformer":  # batch // 8 sequences of 8 tokens (fixed 12 layers)
        model = PostLNTransformer(TRANSFORMER_LAYERS, width, seed)
        shape = (batch // TRANSFORMER_TOKENS, TRANSFORMER_TOKENS, width)
        inputs = torch.randn(shape, generator=rng)
        return diagnose_once(model, inputs, torch.randn(shape, generator=rng), clip=clip, half=half)
    if kind in RECURRENT:
        bias = 0.0 if kind == "rnn" else float(kind[-1])
        model = Recurrent("rnn" if kind == "rnn" else "lstm", inputs_size, width, seed, forget_bias=bias)
        inputs = torch.randn(batch, steps, inputs_size, generator=rng)
        found = diagnose_once(model, inputs, torch.randn(batch, width, generator=rng), watch_time=True, clip=clip)
        if kind != "rnn":  # the LSTM's forget-gate bias, for the page to state
            found["forget_bias"] = bias
        return found
    model = feedforward(kind, depth, width, seed)
    inputs = torch.randn(batch, width, generator=rng)
    if outlier is not None:
        inputs[0] *= outlier
    found = diagnose_once(model, inputs, torch.randn(batch, width, generator=rng), clip=clip, half=half)
    found["first_matrix"] = first_matrix_check(model, found["recorded_first_grad_norm"])
    return found


def first_matrix_check(model: nn.Module, recorded: float) -> dict:
    """The first weight matrix's gradient as stored (float32 entries), against the recorder.

    The reference norm is computed without the recorder and without torch's norm: the entries
    are converted exactly to float64 in NumPy, squared and summed.
    """
    grad = next(p.grad for p in model.parameters() if p.dim() >= 2 and p.grad is not None)
    entries = grad.detach().double().numpy().ravel()
    reference = float(np.sqrt(np.sum(entries * entries)))
    return {
        "entries": int(entries.size),
        "nonzero": int(np.count_nonzero(entries)),
        "largest": float(np.abs(entries).max()),
        "reference_norm": reference,
        "recorded_norm": recorded,
        # 0 when the recorder agrees with the reference; 1 when it stored an exact zero
        "relative_error": abs(recorded - reference) / reference if reference > 0 else float(recorded != 0),
    }
