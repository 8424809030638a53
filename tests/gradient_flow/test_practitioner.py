"""The recorder as a practitioner uses it: broken gradients, real training-loop patterns, real models.

One test (or more) per way the recorder was found to mislead: NaN and inf gradients called
healthy, float32 squares that invented exact zeros, watched profiles with a zero left
unjudged, closures that lost the update ratios, wrapped optimizers, gradient accumulation,
AMP's GradScaler, embeddings flagged as vanishing, silent oddities, and the package's own
documentation.
"""

from __future__ import annotations

import importlib.util
import math
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gradient_flow import GradientFlowRecorder
from gradient_flow._norms import FLOAT32_RELATIVE_ERROR

DECADES = GradientFlowRecorder.DECADES

REPO = Path(__file__).resolve().parents[2]


def mlp(depth=13, width=8, activation=nn.Tanh, seed=0):
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, width))


def float64_norm(t) -> float:
    return float(np.sqrt(np.sum(np.abs(t.detach().to(torch.float64).numpy()) ** 2)))


# ---------------------------------------------------------------- never healthy when broken


def test_one_nan_input_entry_is_flagged_not_healthy():
    model = mlp()
    recorder = GradientFlowRecorder(model)
    x = torch.randn(16, 8)
    x[3, 2] = float("nan")
    model(x).pow(2).mean().backward()
    recorder.record()
    diagnosis = recorder.diagnose()
    assert diagnosis["healthy"] is False
    (flag,) = [f for f in diagnosis["flags"] if f.kind == "nonfinite" and f.where == "parameters"]
    assert "0.weight" in flag.layers and "12.weight" in flag.layers
    report = recorder.report()
    assert "NON-FINITE" in report and "no flag" not in report
    assert "not judged: gradient-to-weight ratio" in report  # no finite values to fit a trend through


def test_one_inf_entry_in_one_layer_is_flagged_with_the_layer_named():
    model = mlp()
    recorder = GradientFlowRecorder(model)
    model(torch.randn(16, 8)).pow(2).mean().backward()
    with torch.no_grad():
        model[6].weight.grad[0, 0] = float("inf")
    recorder.record()
    diagnosis = recorder.diagnose()
    assert not diagnosis["healthy"]
    assert [f.layers for f in diagnosis["flags"] if f.kind == "nonfinite"] == [["6.weight"]]
    trend = diagnosis["trends"]["gradient-to-weight ratio"]["trend_decades"]
    assert math.isfinite(trend)  # fitted through the finite values only
    assert "nan decades" not in recorder.report()


def test_a_profile_with_too_few_usable_values_says_not_judged_and_why():
    model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))
    recorder = GradientFlowRecorder(model)
    model(torch.randn(8, 4)).pow(2).mean().backward()
    recorder.record()
    diagnosis = recorder.diagnose()
    assert diagnosis["not_judged"]["gradient-to-weight ratio"].startswith("2 usable values of 2")
    report = recorder.report()
    assert "not judged: gradient-to-weight ratio — 2 usable values of 2, 3 needed" in report
    assert "no flag among what was judged" in report


def test_fitted_trend_refuses_a_profile_without_two_usable_values():
    from gradient_flow import fitted_trend

    with pytest.raises(ValueError, match="two finite positive"):
        fitted_trend([float("nan"), 0.0, 1.0])
    assert fitted_trend([1e-4, 1e-2, 1.0]) == pytest.approx((-4.0, 0.01))


# ---------------------------------------------------------------- float64 norms


def test_the_40_layer_sigmoid_first_layer_gradient_is_tiny_but_not_zero():
    from snippets.common import generator, mlp as book_mlp

    model = book_mlp(40, 64, activation="sigmoid", init="xavier", seed=0)
    rng = generator(7919)
    inputs, targets = torch.randn(64, 64, generator=rng), torch.randn(64, 64, generator=rng)
    recorder = GradientFlowRecorder(model)
    nn.functional.mse_loss(model(inputs), targets).backward()
    entry = recorder.record()
    first = next(p for p in model.parameters() if p.dim() == 2)
    assert int((first.grad != 0).sum()) == first.numel()  # every entry is nonzero in float32
    (name, *_), _ = recorder.profile()
    assert entry["parameters"][name]["grad_norm"] == pytest.approx(float64_norm(first.grad), rel=1e-12)
    assert 0 < entry["parameters"][name]["grad_norm"] < 1e-20
    assert "exactly zero" not in recorder.report()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_norms_do_not_overflow_or_underflow(dtype):
    layer = nn.Linear(64, 64, dtype=dtype)
    recorder = GradientFlowRecorder(layer)
    layer(torch.randn(32, 64, dtype=dtype)).float().pow(2).sum().backward()
    with torch.no_grad():
        layer.weight.grad.fill_(1000.0)  # squares (1e6) overflow float16; their sum, bfloat16's precision
    entry = recorder.record()["parameters"]
    assert entry["weight"]["grad_norm"] == pytest.approx(1000.0 * 64, rel=1e-12)


def test_complex_parameters_are_measured_by_their_modulus():
    layer = nn.Linear(3, 3, bias=False, dtype=torch.complex64)
    recorder = GradientFlowRecorder(layer)
    layer(torch.randn(2, 3, dtype=torch.complex64)).abs().pow(2).sum().backward()
    with torch.no_grad():
        layer.weight.grad.copy_(torch.full((3, 3), 1j, dtype=torch.complex64))  # real part zero
    assert recorder.record()["parameters"]["weight"]["grad_norm"] == pytest.approx(3.0)


def test_a_watched_profile_with_zeros_is_judged_and_the_zeros_explained():
    steps = 20
    recorder = GradientFlowRecorder(nn.Linear(1, 1))
    x = recorder.watch(torch.randn(4, steps, 1, requires_grad=True), "x", along=1)
    weights = torch.tensor([0.0] * 4 + [0.1 ** (steps - 1 - t) for t in range(4, steps)])  # t = 0–3 cut off
    (recorder.model(x).squeeze(-1) * weights).sum().backward()
    recorder.record()
    diagnosis = recorder.diagnose()
    trend = diagnosis["trends"]["gradient of x"]
    assert trend["trend_decades"] < -DECADES and trend["zero"] == ["x[0]", "x[1]", "x[2]", "x[3]"]
    assert trend["zero_cause"] == "underflow"  # the profile has fallen 15 decades next to them
    assert any(f.kind == "vanishing" and f.where == "gradient of x" for f in diagnosis["flags"])
    # the same cut on a level profile: nothing reached those steps
    recorder2 = GradientFlowRecorder(nn.Linear(1, 1))
    x2 = recorder2.watch(torch.randn(4, steps, 1, requires_grad=True), "x", along=1)
    (recorder2.model(x2).squeeze(-1) * (torch.arange(steps) >= 4)).sum().backward()
    recorder2.record()
    assert recorder2.diagnose()["trends"]["gradient of x"]["zero_cause"] == "no path"
    assert "no path from the loss" in recorder2.report()


def test_an_lstm_input_gradient_over_100_steps_is_judged():
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 16, batch_first=True)
    recorder = GradientFlowRecorder(lstm)
    x = recorder.watch(torch.randn(8, 100, 4, requires_grad=True), "x", along=1)
    lstm(x)[0][:, -1].pow(2).sum().backward()
    recorder.record()
    diagnosis = recorder.diagnose()
    assert "gradient of x" in diagnosis["trends"]
    assert any(f.kind == "vanishing" and f.where == "gradient of x" for f in diagnosis["flags"])


# ---------------------------------------------------------------- training loops


def test_closure_steps_record_the_update_ratio():
    model = mlp(depth=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    x = torch.randn(16, 8)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    def closure():
        optimizer.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        recorder.record()  # inside the closure, as Lightning calls it
        return loss

    optimizer.step(closure)
    (updates,) = recorder.updates
    for name, p in model.named_parameters():
        expected = float64_norm(p - before[name]) / float64_norm(before[name])
        assert updates[name] == pytest.approx(expected, rel=1e-6)
    assert "update/weight ratio after training step 0: " in recorder.report()


def test_lbfgs_records_once_per_optimizer_step_with_update_ratios():
    model = mlp(depth=4)
    optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    x = torch.randn(16, 8)

    def closure():
        optimizer.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        recorder.record()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    assert [e["step"] for e in recorder.steps] == [0, 1, 2] and recorder.update_steps == [0, 1, 2]
    assert all(u is not None and u > 0 for u in recorder.updates[-1].values())


def test_missing_update_ratios_say_unavailable_not_all_within():
    model = mlp(depth=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    model(torch.randn(16, 8)).pow(2).mean().backward()
    recorder.record()  # no optimizer step yet
    report = recorder.report()
    assert "unavailable" in report and "within" not in report.split("update/weight")[-1]


class StandInWrapper(torch.optim.Optimizer):
    """What accelerate's AcceleratedOptimizer looks like: an Optimizer that skips Optimizer.__init__."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def step(self, closure=None):
        return self.optimizer.step(closure)

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none)


def _train_with(model, optimizer, recorder, steps=2, width=8):
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(16, width)).pow(2).mean().backward()
        recorder.record()
        optimizer.step()


def test_a_wrapped_optimizer_is_unwrapped():
    model = mlp(depth=4)
    inner = torch.optim.SGD(model.parameters(), lr=0.1)
    wrapped = StandInWrapper(inner)
    recorder = GradientFlowRecorder(model, optimizer=wrapped)
    assert recorder.optimizer is inner
    _train_with(model, wrapped, recorder)
    assert len(recorder.updates) == 2 and all(u > 0 for u in recorder.updates[-1].values())


@pytest.mark.skipif(importlib.util.find_spec("accelerate") is None, reason="accelerate is not installed")
def test_accelerates_optimizer_is_unwrapped():
    from accelerate import Accelerator

    model = mlp(depth=4)
    accelerator = Accelerator(cpu=True)
    model, optimizer = accelerator.prepare(model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert type(optimizer).__name__ == "AcceleratedOptimizer"
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    _train_with(model, optimizer, recorder)
    assert len(recorder.updates) == 2


def test_gradient_accumulation_records_the_full_gradient_and_every_counts_optimizer_steps():
    model = mlp(depth=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer, every=2, accumulation=4)
    torch.manual_seed(1)
    full = []
    for step in range(4):
        optimizer.zero_grad()
        for _ in range(4):
            model(torch.randn(8, 8)).pow(2).mean().div(4).backward()
            recorder.record()
        full.append(float64_norm(model[0].weight.grad))
        optimizer.step()
    assert [e["step"] for e in recorder.steps] == [0, 2] and recorder.update_steps == [0, 2]
    # float32 norms: exact to FLOAT32_RELATIVE_ERROR; a partial sum would be off by far more
    assert recorder.steps[0]["parameters"]["0.weight"]["grad_norm"] == pytest.approx(full[0], rel=FLOAT32_RELATIVE_ERROR)
    assert recorder.steps[1]["parameters"]["0.weight"]["grad_norm"] == pytest.approx(full[2], rel=FLOAT32_RELATIVE_ERROR)


def test_recording_every_micro_batch_without_accumulation_warns():
    model = mlp(depth=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    optimizer.zero_grad()
    model(torch.randn(8, 8)).pow(2).mean().backward()
    recorder.record()
    model(torch.randn(8, 8)).pow(2).mean().backward()
    with pytest.warns(UserWarning, match="accumulation="):
        recorder.record()


def _scaled_step(model, optimizer, scaler, recorder, unscale_first):
    optimizer.zero_grad()
    scaler.scale(model(torch.randn(16, 8)).pow(2).mean()).backward()
    if unscale_first:
        scaler.unscale_(optimizer)
    reference = float64_norm(model[0].weight.grad) / (1.0 if unscale_first else scaler.get_scale())
    recorder.record()
    scaler.step(optimizer)
    scaler.update()
    return reference


@pytest.mark.parametrize("how", ["scaler passed", "unscaled first", "detected"])
def test_gradscaler_gradients_are_recorded_unscaled(how):
    model = mlp(depth=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 16)
    recorder = GradientFlowRecorder(model, optimizer=optimizer, scaler=scaler if how == "scaler passed" else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reference = _scaled_step(model, optimizer, scaler, recorder, how == "unscaled first")
    assert recorder.steps[0]["parameters"]["0.weight"]["grad_norm"] == pytest.approx(reference, rel=1e-9)
    detected = [w for w in caught if "GradScaler" in str(w.message)]
    assert bool(detected) == (how == "detected")
    if detected:
        assert "unscale_" in str(detected[0].message) and recorder.scaler is scaler


def test_clipping_order_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    api = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for text in (readme, api):
        assert "clip_grad_norm_" in text and "unscale_" in text and "accumulation=" in text


# ---------------------------------------------------------------- embeddings, oddities, reports


def test_an_embedding_is_left_out_of_the_trend_and_listed():
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.emb = nn.Embedding(32000, 64)
            self.layer = nn.Linear(64, 64)
            self.head = nn.Linear(64, 100)

        def forward(self, tokens):
            return self.head(torch.relu(self.layer(self.emb(tokens))))

    model = LM()
    recorder = GradientFlowRecorder(model)
    tokens = torch.randint(0, 32000, (8, 16))
    nn.functional.cross_entropy(model(tokens).flatten(0, 1), tokens.flatten() % 100).backward()
    recorder.record()
    assert "emb.weight" not in recorder.profile()[0] and "emb.weight" in recorder.sparse
    assert not any(f.kind == "vanishing" for f in recorder.diagnose()["flags"])
    assert "left out of the trend: emb.weight" in recorder.report()


def test_sparse_gradients_are_measured_and_left_out():
    emb = nn.Embedding(100, 4, sparse=True)
    recorder = GradientFlowRecorder(emb)
    emb(torch.tensor([1, 2, 2])).sum().backward()
    entry = recorder.record()["parameters"]["weight"]
    assert entry["grad_norm"] == pytest.approx(float64_norm(emb.weight.grad.to_dense()))


def test_a_replaced_layer_is_detected_and_recorded():
    model = mlp(depth=4)
    recorder = GradientFlowRecorder(model)
    model[2] = nn.Linear(8, 8)
    model(torch.randn(4, 8)).sum().backward()
    with pytest.warns(UserWarning, match="parameters changed"):
        entry = recorder.record()
    assert entry["parameters"]["2.weight"]["grad_norm"] == pytest.approx(float64_norm(model[2].weight.grad))


def test_load_state_dict_assign_is_not_mistaken_for_a_missing_backward():
    model = mlp(depth=4)
    recorder = GradientFlowRecorder(model)
    model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, assign=True)
    model(torch.randn(4, 8)).sum().backward()
    with pytest.warns(UserWarning, match="load_state_dict"):
        entry = recorder.record()
    assert all(p["grad_norm"] is not None for p in entry["parameters"].values())


def test_in_place_compile_is_detected():
    model = mlp(depth=4)
    model.compile(backend="eager")
    with pytest.warns(UserWarning, match="Module.compile"):
        recorder = GradientFlowRecorder(model)
    assert not recorder.activations
    model2 = mlp(depth=4)
    recorder2 = GradientFlowRecorder(model2)
    model2.compile(backend="eager")
    for _ in range(10):  # below dynamo's recompile limit whatever `every` does
        model2(torch.randn(4, 8)).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            recorder2.record()
    assert not recorder2.activations and len(recorder2.steps) == 10


def test_one_step_numbering_and_per_layer_in_the_report():
    model = mlp(depth=6)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer, every=2)
    _train_with(model, optimizer, recorder, steps=3)
    report = recorder.report()
    assert report.startswith("Gradient flow at training step 2")
    assert "after training step 2" in report and "optimizer step" not in report
    assert "per layer" in report and "per step" not in report


def test_a_frozen_transformer_gives_a_short_report_with_a_block_table():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)
    for block in model.layers[:10]:
        block.requires_grad_(False)
    recorder = GradientFlowRecorder(model)
    model(torch.randn(2, 5, 32)).pow(2).mean().backward()
    recorder.record()
    report = recorder.report()
    assert len(report.splitlines()) <= 25, report
    assert re.search(r"frozen \(requires_grad=False\): 120 parameters — .* \(120 in all\)", report)
    assert "per block" in report and "layers.10" in report and "layers.11" in report
    assert "activations checked: 24 activation modules" not in report  # only ReLU modules count
    assert re.search(r"activations checked: \d+ activation modules", report)


def test_the_update_line_is_truncated():
    model = mlp(depth=30, width=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=100.0)  # every ratio far outside the range
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    _train_with(model, optimizer, recorder, steps=1, width=4)
    line = next(l for l in recorder.report().splitlines() if "update/weight" in l)
    assert re.search(r"\(\d\d in all\)", line) and line.count(".weight") <= 4


def test_a_recurrent_model_without_watch_gets_a_hint():
    rnn = nn.RNN(3, 5, batch_first=True)
    recorder = GradientFlowRecorder(rnn)
    rnn(torch.randn(2, 7, 3))[0].sum().backward()
    recorder.record()
    assert "recorder.watch(" in recorder.report()


def test_the_explorer_judges_with_the_toolkits_function():
    from gradient_flow import flag_kinds

    assert flag_kinds(trend=-3.0, forward=2.5, saturated=0.6, dead=0.95) == [
        "vanishing", "forward_explodes", "saturated", "dead"]
    assert flag_kinds(trend=1.9, forward=-1.9, saturated=0.5, dead=0.9) == []
    from snippets.explore.explorer_grid import flags_of

    stats = {"trend": [-3.0, 0.0], "forward": [0.0, -2.5], "saturated": [0.0, 0.0], "dead": [0.0, 0.0]}
    assert [flags_of(stats, i) for i in range(2)] == ["vanishing", "forward_collapses"]


# ---------------------------------------------------------------- the package's own documents


def test_the_package_has_its_own_short_long_description():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    readme = REPO / project["readme"]
    assert readme.parent.name == "gradient_flow" and readme.exists()
    text = readme.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 80 and "GradientFlowRecorder" in text and "mkdocs" not in text.lower()


def test_the_api_page_reads_on_github_without_the_site():
    api = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    prose = "\n".join(line for line in api.splitlines() if not line.startswith(":::") and not line.startswith("    "))
    assert len(prose.split()) > 600  # the manual is written out, not only generated
    for heading in ("## What it records", "## Flags and their thresholds", "## In a training loop"):
        assert heading in api


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None,
                    reason="transformers is not installed (pip install transformers to run this test)")
def test_the_hugging_face_callback_on_a_tiny_random_gpt2(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    from gradient_flow.integrations import GradientFlowTrainerCallback

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=64, n_positions=16, n_embd=32, n_layer=2, n_head=2)
    model = GPT2LMHeadModel(config)  # randomly initialised from a config: nothing is downloaded
    ids = torch.randint(0, 64, (16, 16))
    data = [{"input_ids": row, "labels": row} for row in ids]
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=4, gradient_accumulation_steps=2,
                             max_steps=4, learning_rate=1e-3, report_to=[], save_strategy="no", logging_strategy="no",
                             use_cpu=True, disable_tqdm=True, dataloader_num_workers=0)
    callback = GradientFlowTrainerCallback(every=2)
    Trainer(model=model, args=args, train_dataset=data, callbacks=[callback]).train()
    recorder = callback.recorder
    assert [e["step"] for e in recorder.steps] == [0, 2] and recorder.update_steps == [0, 2]
    assert "transformer.wte.weight" in recorder.sparse  # the token embedding is left out of the trend
    assert all(u is not None for n, u in recorder.updates[-1].items() if recorder.parameters[n].requires_grad)
    report = recorder.report()
    assert "per block" in report and "transformer.h.0" in report and "transformer.h.1" in report
    assert all(not m._forward_hooks for m in model.modules())  # detached at the end of training
