"""Wrapped models (DDP, torch.compile, FSDP1), hooks removed on exceptions, and every=."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from gradient_flow import GradientFlowRecorder, unwrap_model


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2))


def hooks(model):
    return sum(len(m._forward_hooks) for m in model.modules())


# ---------------------------------------------------------------- wrappers


def test_compiled_model_is_unwrapped_names_are_clean_and_activations_are_off_with_a_warning():
    model = small_model()
    compiled = torch.compile(model)  # nothing is compiled until it is called
    with pytest.warns(UserWarning, match="torch.compile.*activation statistics are off"):
        recorder = GradientFlowRecorder(compiled)
    assert recorder.wrappers == ["torch.compile"] and recorder.model is model
    assert list(recorder.parameters)[0] == "0.weight"  # not "_orig_mod.0.weight"
    assert hooks(model) == 0
    model(torch.randn(4, 6)).sum().backward()  # the uncompiled module's gradients are the same tensors
    assert recorder.record()["parameters"]["0.weight"]["grad_norm"] > 0


def test_compiled_model_with_explicit_activations_gets_its_hooks_and_no_warning():
    model = small_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recorder = GradientFlowRecorder(torch.compile(model), activations=True)
    assert hooks(model) > 0
    recorder.detach()
    assert hooks(model) == 0


def test_data_parallel_is_unwrapped():
    model = small_model()
    recorder = GradientFlowRecorder(nn.DataParallel(model))
    assert recorder.wrappers == ["DataParallel"] and "0.weight" in recorder.parameters


def test_the_first_fsdp_is_refused_with_a_clear_message():
    class FullyShardedDataParallel(nn.Module):  # stands for FSDP1, which needs a process group
        def __init__(self, module):
            super().__init__()
            self.module = module

    with pytest.raises(TypeError, match="fully_shard"):
        unwrap_model(FullyShardedDataParallel(small_model()))


def test_an_optimizer_that_is_not_one_leaves_no_hook_behind():
    model = small_model()
    with pytest.raises(TypeError, match="torch.optim.Optimizer"):
        GradientFlowRecorder(model, optimizer=[p for p in model.parameters()])
    assert hooks(model) == 0


def test_hooks_are_removed_when_the_training_loop_raises():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ZeroDivisionError):
        with GradientFlowRecorder(model, optimizer=optimizer) as recorder:
            model(torch.randn(4, 6)).sum().backward()
            recorder.record()
            1 / 0
    assert hooks(model) == 0
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
    assert len(recorder.steps) == 1


def test_record_before_backward_is_a_clear_error_and_the_next_step_still_records():
    model = small_model()
    recorder = GradientFlowRecorder(model)
    model(torch.randn(4, 6))
    with pytest.raises(RuntimeError, match="call loss.backward"):
        recorder.record()
    model(torch.randn(4, 6)).sum().backward()
    entry = recorder.record()
    assert entry["step"] == 0 and set(entry["activations"]) == {"0", "1", "2", "3", "4"}


def test_bad_every_is_a_value_error():
    with pytest.raises(ValueError, match="every"):
        GradientFlowRecorder(small_model(), every=0)


# ---------------------------------------------------------------- every=


def test_every_records_one_step_in_k_and_the_optimizer_step_after_it():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer, every=3)
    x = torch.randn(8, 6)
    returned = []
    for _ in range(7):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        returned.append(recorder.record() is not None)
        optimizer.step()
    assert returned == [True, False, False, True, False, False, True]
    assert [entry["step"] for entry in recorder.steps] == [0, 3, 6]
    assert recorder.update_steps == [0, 3, 6] and len(recorder.updates) == 3
    assert all(entry["activations"] for entry in recorder.steps)
    assert recorder.report().startswith("Gradient flow at training step 6")


def test_a_recorded_step_matches_a_recorder_that_records_every_step():
    x = torch.randn(8, 6)
    results = []
    for every in (1, 2):
        model = small_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        recorder = GradientFlowRecorder(model, optimizer=optimizer, every=every)
        for _ in range(3):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            recorder.record()
            optimizer.step()
        results.append(recorder)
    assert results[1].steps[-1] == results[0].steps[-1]  # step 2
    assert results[1].updates[-1] == results[0].updates[-1]
