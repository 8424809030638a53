"""Conformance: every number the recorder stores equals an independent float64 reference.

The models are drawn by a seeded generator: depth, widths, activation, dtype (float32,
float64, float16, bfloat16, complex64), a loss scale that takes float32 gradients down to
1e-35 (where their squares underflow float32), frozen, shared and unused parameters. The
reference reads each gradient, converts it exactly to float64 (complex128 for a complex one)
and sums the squared moduli in NumPy — no `torch.linalg`, no recorder code. Then faults are
injected (NaN, inf, an all-zero gradient, one layer's gradient scaled, a repeated record())
and must always be reported.
"""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from gradient_flow import GradientFlowRecorder
from gradient_flow._norms import FLOAT32_RELATIVE_ERROR, ROW, SMALL, UNDERFLOW_GUARD, square_sums

DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.complex64)
SEEDS = range(60)


class Shared(nn.Module):
    """Linear layers in a chain; one layer may be applied twice (shared), one never (unused)."""

    def __init__(self, layers, activations, shared: bool, unused: bool):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.activations = nn.ModuleList(activations)
        self.shared = shared
        self.unused = nn.Linear(2, 2, dtype=layers[0].weight.dtype) if unused else None

    def forward(self, x):
        for layer, activation in zip(self.layers, self.activations):
            x = activation(layer(x))
        if self.shared:  # the last layer again (square): one parameter, two uses
            x = self.layers[-1](x)
        return x


def random_case(seed: int):
    rng = random.Random(seed)
    dtype = DTYPES[seed % len(DTYPES)]
    torch.manual_seed(seed)
    depth = rng.randint(1, 5)
    widths = [rng.randint(1, 9) for _ in range(depth)] + [rng.randint(1, 9)]
    shared = rng.random() < 0.4
    if shared:
        widths[-2] = widths[-1]  # the last layer is square, so that it can be applied twice
    choices = (nn.Tanh, nn.Identity) if dtype.is_complex else (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Identity)
    layers = [nn.Linear(widths[i], widths[i + 1], bias=rng.random() < 0.7, dtype=dtype) for i in range(depth)]
    activations = [rng.choice(choices)() for _ in range(depth)]
    model = Shared(layers, activations, shared, unused=rng.random() < 0.4)
    if depth > 1 and rng.random() < 0.4:
        model.layers[rng.randrange(depth)].weight.requires_grad_(False)
    # float32, bfloat16 and complex64 have float32's exponent range: scale the loss far down
    # (gradients near 1e-35) in some cases; float16 cannot hold such values at all.
    scale = 10 ** rng.uniform(-35, 0) if dtype in (torch.float32, torch.bfloat16, torch.complex64) else 1.0
    x = torch.randn(rng.randint(1, 6), widths[0], dtype=dtype)
    return model, x, scale


def backward(model, x, scale):
    out = model(x)
    loss = (out.abs() ** 2).sum() if out.is_complex() else out.float().pow(2).sum()
    (loss * scale).backward()


def reference_norm(t: torch.Tensor) -> float:
    """The Frobenius norm in float64 from NumPy: exact conversion, squared moduli, a plain sum."""
    wide = t.detach().to(torch.complex128 if t.is_complex() else torch.float64).numpy()
    return float(np.sqrt(np.sum(np.abs(wide) ** 2)))


def close(a, b, dtype=None) -> bool:
    """Equal to the float64 reference: within FLOAT32_RELATIVE_ERROR for a float32 tensor, else 1e-9."""
    return a == b or math.isclose(a, b, rel_tol=FLOAT32_RELATIVE_ERROR if dtype == torch.float32 else 1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_recorded_norm_equals_the_float64_reference(seed):
    model, x, scale = random_case(seed)
    recorder = GradientFlowRecorder(model)
    backward(model, x, scale)
    entry = recorder.record()["parameters"]
    seen = set()
    for name, p in model.named_parameters():  # shared parameters once, under their first name
        assert name in entry, name
        seen.add(name)
        recorded = entry[name]
        assert close(recorded["weight_norm"], reference_norm(p), p.dtype), (name, recorded, reference_norm(p))
        if p.grad is None:
            assert recorded["grad_norm"] is None and recorded["missing"] == ("frozen" if not p.requires_grad
                                                                            else "unused")
            continue
        expected = reference_norm(p.grad)
        assert close(recorded["grad_norm"], expected, p.dtype), (name, p.dtype, recorded["grad_norm"], expected)
        if expected > 0:
            assert recorded["grad_norm"] > 0  # a tiny gradient is never stored as an exact zero
        if recorded["ratio"] is not None:
            assert math.isclose(recorded["ratio"], expected / reference_norm(p),
                                rel_tol=2 * FLOAT32_RELATIVE_ERROR if p.dtype == torch.float32 else 1e-9)
    assert seen == set(entry)
    names, _ = recorder.profile()
    order = [n for n, p in model.named_parameters() if p.dim() >= 2 and p.grad is not None]
    assert names == order


@pytest.mark.parametrize("seed", SEEDS[:30])
@pytest.mark.parametrize("fault", ["nan", "inf", "zero"])
def test_injected_faults_are_always_flagged_and_never_healthy(seed, fault):
    model, x, scale = random_case(seed)
    recorder = GradientFlowRecorder(model)
    backward(model, x, scale)
    with_grad = [n for n, p in model.named_parameters() if p.grad is not None]
    name = random.Random(seed).choice(with_grad)
    grad = dict(model.named_parameters())[name].grad
    with torch.no_grad():
        if fault == "zero":
            grad.zero_()
        else:
            grad.view(-1)[0] = float("nan") if fault == "nan" else float("inf")
    recorder.record()
    diagnosis = recorder.diagnose()
    assert diagnosis["healthy"] is False
    kind = "zero_gradient" if fault == "zero" else "nonfinite"
    flagged = [f for f in diagnosis["flags"] if f.kind == kind]
    assert flagged and name in flagged[0].layers, (name, diagnosis["flags"])
    report = recorder.report()
    assert "no flag" not in report and ("NON-FINITE" if fault != "zero" else "ZERO gradient") in report


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_one_layer_scaled_is_recorded_exactly_scaled(seed):
    model, x, scale = random_case(seed)
    recorder = GradientFlowRecorder(model)
    backward(model, x, scale)
    with_grad = [(n, p) for n, p in model.named_parameters() if p.grad is not None]
    name, p = with_grad[random.Random(seed).randrange(len(with_grad))]
    factor = 1e6 if p.dtype != torch.float16 else 8.0
    before = reference_norm(p.grad)
    with torch.no_grad():
        p.grad.mul_(factor)
    recorded = recorder.record()["parameters"][name]["grad_norm"]
    assert close(recorded, reference_norm(p.grad), p.dtype)
    if before > 0 and math.isfinite(before * factor):
        assert math.isclose(recorded / before, factor, rel_tol=1e-2)


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_a_repeated_record_without_a_new_backward_warns_and_stores_nothing(seed):
    model, x, scale = random_case(seed)
    recorder = GradientFlowRecorder(model)
    backward(model, x, scale)
    assert recorder.record() is not None
    with pytest.warns(UserWarning, match="without a new backward pass"):
        assert recorder.record() is None
    assert len(recorder.steps) == 1
    backward(model, x, scale)  # a new backward (accumulating into the same tensors) is a new step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert recorder.record() is not None


def test_watched_profiles_are_float64_too():
    x = (torch.randn(4, 6, dtype=torch.float32) * 1e-30).requires_grad_(True)
    recorder = GradientFlowRecorder(nn.Linear(6, 1))
    x = recorder.watch(x, "x", along=1)
    recorder.model(x).sum().mul(1e-25).backward()
    watched = recorder.record()["watched"]["x"]
    g = x.grad.to(torch.float64).numpy()
    assert close(watched["norm"], float(np.sqrt((g ** 2).sum())))
    for value, column in zip(watched["profile"], g.T):
        assert close(value, float(np.sqrt((column ** 2).sum())))


def large_and_awkward_tensors():
    """float32 tensors the small models never make: millions of entries, rows with a remainder, strided views,
    nine decades of magnitudes in one tensor, sums of squares just above and below the
    underflow guard, overflowing squares, inf and NaN."""
    g = torch.Generator().manual_seed(0)
    per_entry = math.sqrt(UNDERFLOW_GUARD)  # entries of this size sum to the guard exactly
    return {
        "millions of entries": torch.randn(3_000_000, generator=g),
        "rows and a remainder": torch.randn(SMALL * 3 + ROW // 2 + 1, generator=g),
        "a strided view": torch.randn(700, 900, generator=g).t(),
        "a large strided view": torch.randn(1100, 1000, generator=g)[:, ::2],
        "nine decades": torch.exp(torch.randn(500_000, generator=g) * 5),
        "all positive, one sign": torch.rand(2_000_000, generator=g),
        "above the guard": torch.full((2 * SMALL,), per_entry * 10),
        "below the guard": torch.full((2 * SMALL,), per_entry / 10),
        "underflowing squares": torch.randn(2 * SMALL, generator=g) * 1e-26,
        "overflowing squares": torch.randn(2 * SMALL, generator=g) * 1e25,
        "an inf": torch.ones(2 * SMALL).index_fill_(0, torch.tensor([7]), float("inf")),
        "a NaN": torch.ones(2 * SMALL).index_fill_(0, torch.tensor([7]), float("nan")),
        "small": torch.randn(SMALL, generator=g),
    }


#: the tensors measured with every entry converted to float64 (the rest: float32 rows)
IN_FLOAT64 = {"below the guard", "underflowing squares", "overflowing squares", "an inf", "a NaN", "small"}


def test_the_float32_path_meets_its_bound_on_large_and_awkward_tensors(monkeypatch):
    import gradient_flow._norms as norms

    tensors = large_and_awkward_tensors()
    measured_in_float64 = []
    exact = norms.norm64
    monkeypatch.setattr(norms, "norm64", lambda t: measured_in_float64.append(t) or exact(t))
    sums = square_sums(list(tensors.values()))
    wide = {name for name, t in tensors.items() if any(t.data_ptr() == u.data_ptr() for u in measured_in_float64)}
    assert wide == IN_FLOAT64 - {"small"}  # small ones go to float64 in one multi-tensor call instead
    errors = {}
    for (name, t), got in zip(tensors.items(), sums):
        expected = float(np.sum(t.to(torch.float64).numpy() ** 2))
        if math.isnan(expected):
            assert math.isnan(got), name
        elif math.isinf(expected):
            assert got == expected, name
        else:
            assert got > 0, name
            errors[name] = abs(got / expected - 1)
    assert max(errors.values()) <= FLOAT32_RELATIVE_ERROR, errors
    # below the guard, and wherever a square underflows or overflows, the float64 path is exact
    for name in IN_FLOAT64 - {"an inf", "a NaN"}:
        assert errors[name] <= 1e-12, (name, errors[name])


@pytest.mark.parametrize("seed", [s for s in SEEDS if not DTYPES[s % len(DTYPES)].is_complex][:24])
def test_every_activation_statistic_equals_the_float64_reference(seed):
    """Mean, standard deviation, saturated and dead shares and the arriving gradient's norm of
    each hooked module's output, against NumPy in float64 on the same outputs (read by hooks
    of the test's own, the last call of a module applied twice)."""
    model, x, scale = random_case(seed)
    recorder = GradientFlowRecorder(model)
    outputs, handles = {}, []
    for name, module in model.named_modules():
        def keep(module, inputs, output, name=name):
            output.retain_grad()
            outputs[name] = output
        handles.append(module.register_forward_hook(keep))
    backward(model, x, scale)
    activations = recorder.record()["activations"]
    for h in handles:
        h.remove()
    assert activations and set(activations) <= set(outputs)
    cut = recorder.SATURATION_DERIVATIVE
    for name, recorded in activations.items():
        y = outputs[name].detach().to(torch.float64).numpy()
        n = y.size
        assert close(recorded["mean"], float(y.mean())), (name, recorded, y.mean())
        std = float(y.std(ddof=1)) if n > 1 else 0.0
        # the recorder's variance is Σy²/n − mean² (sums that ranks can add): exact to rounding
        # relative to the second moment, which is what a difference of two sums can promise
        assert abs(recorded["std"] ** 2 - std ** 2) <= 1e-12 * max(float((y ** 2).mean()), 1e-300) * n / max(n - 1, 1)
        grad = outputs[name].grad
        if grad is None:
            assert recorded["grad_norm"] is None
        else:
            expected = float(np.sqrt(np.sum(grad.to(torch.float64).numpy() ** 2)))
            assert close(recorded["grad_norm"], expected), (name, recorded["grad_norm"], expected)
        if recorded["kind"] == "sigmoid":
            assert recorded["saturated"] == pytest.approx(float(np.mean(y * (1 - y) < 0.25 * cut)), abs=1e-12)
        elif recorded["kind"] == "tanh":
            assert recorded["saturated"] == pytest.approx(float(np.mean(1 - y * y < cut)), abs=1e-12)
        elif recorded["kind"] == "relu":
            units = y.reshape(y.shape[0], -1)
            assert recorded["dead"] == pytest.approx(float(np.mean(~(units != 0).any(axis=0))), abs=1e-12)
