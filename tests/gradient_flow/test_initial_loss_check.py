"""Tests for gradient_flow.initial_loss_check: the loss of a classifier before its first step."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradient_flow
from gradient_flow import InitialLossCheck, initial_loss_check
from gradient_flow.checks import INITIAL_LOSS_TOLERANCE


def classifier(num_classes: int, seed: int, dim: int = 16, width: int = 64) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                         nn.Linear(width, num_classes))


def batch(num_classes: int, seed: int, size: int = 256, dim: int = 16):
    rng = torch.Generator().manual_seed(seed)
    return torch.randn(size, dim, generator=rng), torch.randint(0, num_classes, (size,), generator=rng)


def reference_cross_entropy(model: nn.Sequential, inputs, targets) -> float:
    """float64, by hand: a log-sum-exp of the logits minus the target's logit, with no
    F.cross_entropy, no recorder and no float32."""
    h = inputs.double()
    for module in model:
        if isinstance(module, nn.Linear):
            h = h @ module.weight.detach().double().T + module.bias.detach().double()
        else:
            h = h.clamp_min(0)
    top = h.max(dim=1, keepdim=True).values
    log_normaliser = top[:, 0] + (h - top).exp().sum(dim=1).log()
    return float((log_normaliser - h[torch.arange(len(targets)), targets]).mean())


@pytest.mark.parametrize("num_classes", [2, 10, 100, 1000])
def test_a_default_classifier_is_within_tolerance_of_ln_c_and_matches_a_float64_reference(num_classes):
    for seed in range(3):
        model = classifier(num_classes, seed)
        inputs, targets = batch(num_classes, seed)
        loss = F.cross_entropy(model(inputs), targets)
        check = initial_loss_check(loss, num_classes)
        assert check.ok, check.message
        assert check.expected == pytest.approx(math.log(num_classes), rel=1e-15)
        reference = reference_cross_entropy(model, inputs, targets)
        assert check.measured == pytest.approx(reference, rel=1e-5)
        assert check.excess == pytest.approx(reference - math.log(num_classes), abs=1e-5)


def test_a_zero_output_layer_gives_exactly_ln_c():
    model = classifier(10, 0)
    nn.init.zeros_(model[-1].weight)
    nn.init.zeros_(model[-1].bias)
    inputs, targets = batch(10, 0)
    check = initial_loss_check(F.cross_entropy(model(inputs), targets), 10)
    assert check.verdict == "ok"
    assert abs(check.excess) < 1e-6


@pytest.mark.parametrize("num_classes", [10, 100, 1000])
def test_an_injected_over_confident_output_layer_is_flagged(num_classes):
    # the fault: the last layer drawn with torch.randn, without the 1/sqrt(fan-in)
    model = classifier(num_classes, 1)
    with torch.no_grad():
        model[-1].weight.copy_(torch.randn(model[-1].weight.shape, generator=torch.Generator().manual_seed(1)))
    inputs, targets = batch(num_classes, 1)
    loss = F.cross_entropy(model(inputs), targets)
    check = initial_loss_check(loss, num_classes)
    assert check.verdict == "too_high" and not check.ok
    assert check.excess > INITIAL_LOSS_TOLERANCE
    assert "over-confident" in check.message and f"ln {num_classes}" in check.message
    assert check.measured == pytest.approx(reference_cross_entropy(model, inputs, targets), rel=1e-5)


def test_a_bias_at_the_log_class_frequencies_is_reported_below_ln_c():
    # imbalanced labels (90 % class 0) and a zero output layer whose bias holds log p(class):
    # the loss is the labels' entropy, far below ln C
    num_classes = 10
    model = classifier(num_classes, 2)
    inputs, _ = batch(num_classes, 2, size=1000)
    targets = torch.zeros(1000, dtype=torch.long)
    targets[900:] = torch.arange(100) % (num_classes - 1) + 1
    frequencies = torch.bincount(targets, minlength=num_classes).double() / len(targets)
    with torch.no_grad():
        model[-1].weight.zero_()
        model[-1].bias.copy_(frequencies.log())
    check = initial_loss_check(F.cross_entropy(model(inputs), targets), num_classes)
    entropy = float(-(frequencies * frequencies.log()).sum())
    assert check.measured == pytest.approx(entropy, rel=1e-5)
    assert check.verdict == "too_low"
    assert "pretrained" in check.message


def test_the_tolerance_decides_and_is_reported():
    check = initial_loss_check(math.log(10) + 0.3, 10)
    assert check.ok and check.tolerance == INITIAL_LOSS_TOLERANCE
    strict = initial_loss_check(math.log(10) + 0.3, 10, tolerance=0.1)
    assert strict.verdict == "too_high" and "tolerance 0.1" in strict.message
    assert initial_loss_check(math.log(10) - 0.3, 10, tolerance=0.1).verdict == "too_low"


def test_a_nonfinite_loss_is_its_own_verdict():
    for value in (math.inf, math.nan, torch.tensor(float("nan"))):
        check = initial_loss_check(value, 10)
        assert check.verdict == "nonfinite" and not check.ok
        assert "not a number" in check.message


def test_tensors_of_any_dtype_are_read_as_one_number():
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        check = initial_loss_check(torch.tensor(2.5, dtype=dtype), 10)
        assert check.measured == pytest.approx(2.5, rel=1e-2)
    assert initial_loss_check(torch.tensor([2.3]), 10).ok


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="num_classes must be an integer of at least 2, got 1"):
        initial_loss_check(0.5, 1)
    with pytest.raises(ValueError, match="num_classes must be an integer"):
        initial_loss_check(0.5, 10.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        initial_loss_check(-0.1, 10)
    with pytest.raises(ValueError, match="has 256 elements.*mean cross-entropy"):
        initial_loss_check(torch.ones(256), 10)
    with pytest.raises(TypeError, match="must be a number or a one-element tensor, got str"):
        initial_loss_check("2.3", 10)
    with pytest.raises(ValueError, match="tolerance must be a positive number"):
        initial_loss_check(2.3, 10, tolerance=0)


def test_the_result_is_typed_and_serialisable():
    check = gradient_flow.initial_loss_check(3.0, 10)
    assert isinstance(check, InitialLossCheck)
    assert set(check.as_dict()) == {"num_classes", "expected", "measured", "excess", "tolerance", "verdict", "message"}
    with pytest.raises(AttributeError):
        check.verdict = "ok"  # frozen
