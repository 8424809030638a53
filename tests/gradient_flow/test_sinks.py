"""Sinks: the generic callback, JSON lines, TensorBoard, and the Lightning callback.

TensorBoard and Lightning are optional extras: their tests run with the real library where
it is installed and are skipped, saying so, where it is not.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from torch import nn

from gradient_flow import GradientFlowRecorder
from gradient_flow.sinks import CallbackSink, JSONLinesSink, TensorBoardSink, scalars

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
HAS_LIGHTNING = importlib.util.find_spec("lightning") is not None


def train(recorder, model, optimizer, steps=4):
    x = torch.randn(8, 6, generator=torch.Generator().manual_seed(0))
    for _ in range(steps):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        recorder.record()
        optimizer.step()


def sigmoid_model():
    torch.manual_seed(0)
    layers = []
    for _ in range(6):
        layers += [nn.Linear(6, 6), nn.Sigmoid()]
    return nn.Sequential(*layers)  # deep sigmoid: flagged as vanishing


def test_scalars_flatten_a_step_and_leave_missing_values_out():
    model = sigmoid_model()
    model[0].weight.requires_grad_(False)
    recorder = GradientFlowRecorder(model)
    model(torch.randn(8, 6)).sum().backward()
    entry = recorder.record()
    values = scalars(entry, recorder.diagnose())
    assert "grad_norm/0.weight" not in values and "weight_norm/0.weight" in values
    assert values["grad_norm/2.weight"] == entry["parameters"]["2.weight"]["grad_norm"]
    assert values["activation/1/saturated"] == entry["activations"]["1"]["saturated"]
    assert "trend/gradient-to-weight_ratio" in values and values["healthy"] in (0.0, 1.0)
    assert all(isinstance(v, float) for v in values.values())


def test_callback_sink_gets_every_recorded_step_updates_and_flags():
    calls = []
    model = sigmoid_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer, every=2,
                                    sinks=[CallbackSink(lambda *args: calls.append(args))])
    train(recorder, model, optimizer)
    # step 0: series, then its update; step 2 likewise
    assert [step for step, _, _ in calls] == [0, 0, 2, 2]
    series, updates = calls[0][1], calls[1][1]
    assert "ratio/0.weight" in series and set(updates) == {f"update/{n}" for n in recorder.parameters}
    flags = calls[0][2]
    assert flags and flags[0]["kind"] == "vanishing" and "message" in flags[0]
    assert series["flags/vanishing"] == 1.0 and series["healthy"] == 0.0


def test_json_lines_sink_writes_lines_that_read_back(tmp_path):
    path = tmp_path / "logs" / "gradients.jsonl"
    model = sigmoid_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with GradientFlowRecorder(model, optimizer=optimizer, sinks=[JSONLinesSink(path)]) as recorder:
        train(recorder, model, optimizer, steps=2)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 0, 1, 1]
    expected = recorder.steps[0]["parameters"]["0.weight"]["grad_norm"]
    assert lines[0]["scalars"]["grad_norm/0.weight"] == pytest.approx(expected)
    assert lines[0]["flags"][0]["kind"] == "vanishing" and lines[1]["flags"] == []


@pytest.mark.skipif(not HAS_TENSORBOARD, reason="the tensorboard package is not installed (the [tensorboard] extra)")
def test_tensorboard_sink_writes_scalars_and_flags_that_tensorboard_reads_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = sigmoid_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with GradientFlowRecorder(model, optimizer=optimizer, sinks=[TensorBoardSink(tmp_path)]) as recorder:
        train(recorder, model, optimizer, steps=3)
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    tags = events.Tags()
    ratio = events.Scalars("gradient_flow/ratio/0.weight")
    assert [e.step for e in ratio] == [0, 1, 2]
    assert ratio[-1].value == pytest.approx(recorder.steps[-1]["parameters"]["0.weight"]["ratio"], rel=1e-6)
    assert "gradient_flow/update/0.weight" in tags["scalars"]
    assert any("flags" in tag for tag in tags["tensors"])  # add_text is stored as a tensor summary


@pytest.mark.skipif(HAS_TENSORBOARD, reason="tensorboard is installed: the missing-package message is not reachable")
def test_tensorboard_sink_without_tensorboard_names_the_extra(tmp_path):
    with pytest.raises(ImportError, match=r"gradient-flow\[tensorboard\]"):
        TensorBoardSink(tmp_path)


@pytest.mark.skipif(not HAS_LIGHTNING, reason="PyTorch Lightning is not installed (the [lightning] extra)")
def test_lightning_callback_records_logs_and_detaches(tmp_path):
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger

    from gradient_flow.lightning import GradientFlowCallback

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = sigmoid_model()

        def training_step(self, batch, index):
            (x,) = batch
            return self.net(x).pow(2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(32, 6)), batch_size=8)
    callback = GradientFlowCallback(every=2)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=CSVLogger(tmp_path),
                         callbacks=[callback], enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, log_every_n_steps=1)
    module = Module()
    trainer.fit(module, data)
    recorder = callback.recorder
    assert [entry["step"] for entry in recorder.steps] == [0, 2] and len(recorder.updates) == 2
    assert "VANISHING" in recorder.report()
    assert sum(len(m._forward_hooks) for m in module.modules()) == 0  # detached at the end of fit
    metrics = (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").read_text()
    assert "gradient_flow/ratio/net.0.weight" in metrics
