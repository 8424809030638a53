"""Unit tests of gradient_flow/recorder.py, the GradientFlowRecorder.

Only the CPU is exercised here (the machine has no GPU); the recorder moves every stored
number to the CPU as a Python float, which the dtype tests below check.
"""

import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from torch import nn

from snippets.common import mlp
from gradient_flow import GradientFlowRecorder


def backward(model, x=None, width=8, seed=0):
    torch.manual_seed(seed)
    x = torch.randn(16, width) if x is None else x
    loss = model(x).pow(2).mean()
    loss.backward()
    return loss


# ---------------------------------------------------------------- bad input


def test_not_a_module_is_a_type_error():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        GradientFlowRecorder(lambda x: x)


def test_model_without_parameters_is_a_value_error():
    with pytest.raises(ValueError, match="no parameters"):
        GradientFlowRecorder(nn.Sequential(nn.ReLU(), nn.Tanh()))


def test_report_before_any_backward_pass_is_an_error():
    recorder = GradientFlowRecorder(nn.Linear(4, 4))
    for call in (recorder.report, recorder.diagnose, recorder.profile, recorder.plot_gradients):
        with pytest.raises(RuntimeError, match="nothing recorded yet"):
            call()


def test_record_before_backward_is_an_error():
    model = nn.Linear(4, 4)
    recorder = GradientFlowRecorder(model)
    model(torch.randn(2, 4))  # forward only
    with pytest.raises(RuntimeError, match="call loss.backward"):
        recorder.record()


def test_plot_updates_without_optimizer_is_an_error():
    model = nn.Linear(4, 4)
    recorder = GradientFlowRecorder(model)
    backward(model, width=4)
    recorder.record()
    with pytest.raises(RuntimeError, match="optimizer"):
        recorder.plot_updates()


def test_watch_needs_a_tensor_that_requires_grad():
    recorder = GradientFlowRecorder(nn.Linear(4, 4))
    with pytest.raises(ValueError, match="require grad"):
        recorder.watch(torch.randn(3, 4), "x")


def test_unknown_parameter_name_lists_the_known_ones():
    recorder = GradientFlowRecorder(nn.Linear(4, 4))
    with pytest.raises(KeyError, match="weight"):
        recorder.history("nope")


# ---------------------------------------------------------------- what it records


def test_gradient_and_ratio_match_a_manual_computation():
    model = mlp(3, 8, activation="tanh", bias=True)
    recorder = GradientFlowRecorder(model)
    backward(model)
    entry = recorder.record()["parameters"]
    for name, p in model.named_parameters():
        assert entry[name]["grad_norm"] == pytest.approx(float(p.grad.norm()), rel=1e-6)
        assert entry[name]["weight_norm"] == pytest.approx(float(p.detach().norm()), rel=1e-6)
    weight = model[0][0].weight
    assert entry["0.0.weight"]["ratio"] == pytest.approx(float(weight.grad.norm() / weight.detach().norm()), rel=1e-6)
    # Biases start at zero: their ratio is undefined, not infinite.
    assert entry["0.0.bias"]["ratio"] is None


def test_frozen_and_unused_parameters_are_named_and_keep_the_profile_aligned():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c, self.unused = (nn.Linear(8, 8) for _ in range(4))
            self.b.weight.requires_grad_(False)

        def forward(self, x):
            return self.c(torch.relu(self.b(torch.relu(self.a(x)))))

    model = Model()
    recorder = GradientFlowRecorder(model)
    backward(model)
    entry = recorder.record()["parameters"]
    assert entry["b.weight"]["grad_norm"] is None and entry["b.weight"]["missing"] == "frozen"
    assert entry["unused.weight"]["grad_norm"] is None and entry["unused.weight"]["missing"] == "unused"
    names, values = recorder.profile()
    assert names == ["a.weight", "c.weight"]  # no gap-shifted labels
    assert values[0] == pytest.approx(float(model.a.weight.grad.norm() / model.a.weight.detach().norm()), rel=1e-6)
    report = recorder.report()
    assert "frozen (requires_grad=False): 1 parameter — b.weight" in report
    assert "not used in the backward pass: 2 parameters — unused.weight, unused.bias" in report


def test_shared_parameter_is_recorded_once_with_its_aliases():
    shared = nn.Linear(8, 8, bias=False)
    model = nn.Sequential(shared, nn.Tanh(), shared, nn.Tanh(), nn.Linear(8, 8))
    recorder = GradientFlowRecorder(model)
    backward(model)
    entry = recorder.record()["parameters"]
    assert "0.weight" in entry and "2.weight" not in entry
    assert recorder.aliases["0.weight"] == ["2.weight"]
    # Its gradient is the sum of both uses: exactly what autograd accumulated, counted once.
    assert entry["0.weight"]["grad_norm"] == pytest.approx(float(shared.weight.grad.norm()), rel=1e-6)
    assert "0.weight is also 2.weight" in recorder.report()


def test_many_steps_and_update_to_weight_ratio_of_plain_sgd():
    torch.manual_seed(0)
    model = mlp(4, 8, activation="relu", init="he")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    x, y = torch.randn(32, 8), torch.randn(32, 8)
    for _ in range(50):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        entry = recorder.record()
        optimizer.step()
        # Plain SGD: ΔW = −lr·g, so ‖ΔW‖/‖W_before‖ = lr · ‖g‖/‖W_before‖.
        for name, update in recorder.updates[-1].items():
            assert update == pytest.approx(0.05 * entry["parameters"][name]["ratio"], rel=1e-4)
    assert len(recorder.steps) == len(recorder.updates) == 50
    assert len(recorder.history("0.0.weight")) == 50
    assert all(isinstance(v, float) for v in recorder.history("0.0.weight", "ratio"))


def test_optimizer_steps_for_frozen_parameters_record_none():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    model[0].weight.requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    backward(model, width=4)
    recorder.record()
    optimizer.step()
    assert recorder.updates[0]["0.weight"] is None and recorder.updates[0]["1.weight"] > 0


def test_activation_statistics_saturation_and_dead_units():
    model = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU())
    with torch.no_grad():
        model[0].weight.fill_(0.0)
        model[0].bias.fill_(20.0)  # sigmoid(20): saturated everywhere
        model[2].weight.normal_(0, 1e-3)  # tanh near zero: not saturated
        model[4].bias.fill_(-100.0)  # every ReLU unit dead
    recorder = GradientFlowRecorder(model)
    model(torch.randn(16, 8)).sum().backward()
    acts = recorder.record()["activations"]
    assert acts["1"]["kind"] == "sigmoid" and acts["1"]["saturated"] == 1.0
    assert acts["3"]["saturated"] == 0.0 and abs(acts["3"]["mean"]) < 0.1
    assert acts["5"]["dead"] == 1.0 and acts["5"]["std"] == 0.0
    kinds = {flag.kind for flag in recorder.diagnose()["flags"]}
    assert {"saturated", "dead"} <= kinds
    assert acts["0"]["kind"] == "layer" and acts["0"]["grad_norm"] is not None


def test_dead_counts_units_silent_on_the_whole_batch_only():
    relu = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU())
    with torch.no_grad():
        relu[0].weight.copy_(torch.eye(2))
    recorder = GradientFlowRecorder(relu)
    x = torch.tensor([[1.0, -1.0], [-1.0, -2.0]], requires_grad=True)  # unit 0 fires once, unit 1 never
    relu(x).sum().backward()
    assert recorder.record()["activations"]["1"]["dead"] == 0.5


def test_watch_records_a_profile_along_a_dimension():
    rnn = nn.RNN(3, 8, batch_first=True)
    recorder = GradientFlowRecorder(rnn)
    x = recorder.watch(torch.randn(4, 12, 3, requires_grad=True), "x", along=1)
    rnn(x)[0][:, -1].pow(2).sum().backward()
    watched = recorder.record()["watched"]["x"]
    assert len(watched["profile"]) == 12
    assert watched["norm"] == pytest.approx(math.sqrt(sum(v * v for v in watched["profile"])), rel=1e-5)
    assert watched["profile"][0] < watched["profile"][-1]  # the far end gets less, as in the chapter


# ---------------------------------------------------------------- flags and report


def test_flags_vanishing_and_names_the_layers_at_fault():
    model = mlp(12, 32, activation="sigmoid", init="xavier")
    recorder = GradientFlowRecorder(model)
    backward(model, width=32)
    recorder.record()
    flags = recorder.diagnose()["flags"]
    vanishing = [f for f in flags if f.kind == "vanishing"]
    assert vanishing and vanishing[0].value < -GradientFlowRecorder.DECADES
    assert vanishing[0].layers[0] == "0.0.weight" and "11.0.weight" not in vanishing[0].layers
    report = recorder.report()
    assert "VANISHING" in report and "at fault: 0.0.weight" in report


def test_flags_exploding_and_passes_a_healthy_network():
    exploding, healthy = (mlp(30, 64, activation="tanh", sigma_w=2.5),
                          mlp(30, 64, activation="relu", init="he"))
    verdicts = {}
    for name, model in (("exploding", exploding), ("healthy", healthy)):
        recorder = GradientFlowRecorder(model)
        backward(model, width=64)
        recorder.record()
        verdicts[name] = recorder.diagnose()
    assert [f.kind for f in verdicts["exploding"]["flags"]] == ["exploding"]
    assert verdicts["healthy"]["healthy"] and not verdicts["healthy"]["flags"]


def test_thresholds_can_be_changed_per_instance():
    model = mlp(12, 32, activation="sigmoid", init="xavier")
    recorder = GradientFlowRecorder(model)
    backward(model, width=32)
    recorder.record()
    recorder.DECADES = 100.0
    assert recorder.diagnose()["healthy"]


def test_exactly_zero_gradients_keep_their_place():
    model = mlp(4, 8, activation="linear")
    recorder = GradientFlowRecorder(model)
    backward(model)
    with torch.no_grad():
        model[0][0].weight.grad.zero_()
    recorder.record()
    names, values = recorder.profile()
    assert names[0] == "0.0.weight" and values[0] == 0.0 and len(values) == 4
    assert "exactly zero gradient" in recorder.report()


def test_profiles_too_short_are_not_judged():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    recorder = GradientFlowRecorder(model)
    backward(model, width=4)
    recorder.record()
    assert recorder.diagnose()["trends"] == {}


# ---------------------------------------------------------------- devices, dtypes, detaching


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_other_dtypes_are_stored_as_python_floats(dtype):
    model = mlp(4, 8, activation="tanh").to(dtype)
    recorder = GradientFlowRecorder(model)
    backward(model, x=torch.randn(16, 8, dtype=dtype))
    entry = recorder.record()
    values = [v for p in entry["parameters"].values() for v in p.values() if not isinstance(v, str)]
    values += [v for a in entry["activations"].values() for k, v in a.items() if k != "kind"]
    assert values and all(isinstance(v, float) for v in values)


def test_detach_removes_every_hook_and_keeps_the_data():
    model = mlp(3, 8, activation="relu")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(16, 8)
    expected = model(x).detach()
    with GradientFlowRecorder(model, optimizer=optimizer) as recorder:
        backward(model, x=x)
        recorder.record()
        optimizer.step()
    assert all(not m._forward_hooks for m in model.modules())
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
    backward(model, x=x)
    optimizer.step()
    assert len(recorder.steps) == len(recorder.updates) == 1  # nothing recorded after detaching
    assert "Gradient flow at training step 0" in recorder.report()
    # The recorder never changed what the model computes.
    fresh = mlp(3, 8, activation="relu")
    assert torch.equal(fresh(x), expected)


def test_plots_use_log_scales_without_fixed_limits_and_one_line_per_matrix():
    import matplotlib.pyplot as plt

    model = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8))
    model[2].weight.requires_grad_(False)  # a gap: its line is empty, the others keep their names
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e3)
    recorder = GradientFlowRecorder(model, optimizer=optimizer)
    for _ in range(5):
        optimizer.zero_grad()
        backward(model)
        recorder.record()
        optimizer.step()
    for ax in (recorder.plot_gradients(), recorder.plot_updates()):
        assert ax.get_yscale() == "log" and ax.get_autoscaley_on()
        assert len(ax.get_lines()) >= 3  # one per weight matrix (plus the 1e-3 reference line)
        top = max(max(v for v in line.get_ydata() if v == v) for line in ax.get_lines()[:3] if any(
            v == v for v in line.get_ydata()))
        assert ax.get_ylim()[1] >= top  # a huge learning rate's explosion is not cut off
    plt.close("all")
