"""Checks to run before the first optimizer step.

[`initial_loss_check`][gradient_flow.checks.initial_loss_check] compares a classifier's
cross-entropy at initialisation with $\\ln C$, the loss of a uniform prediction over $C$
classes. Like [`gradient_flow.diagnosis`][gradient_flow.diagnosis] it works on plain numbers,
so it needs no recorder and no model: pass the loss of the first batch, before any step.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["INITIAL_LOSS_TOLERANCE", "InitialLossCheck", "initial_loss_check"]

INITIAL_LOSS_TOLERANCE = 0.5
"""How far, in nats, a classifier's initial cross-entropy may sit from $\\ln C$ before it is
flagged. Logits with a standard deviation $s$ that carry no information about the label add
about $s^2/2$ nats to $\\ln C$ while $s$ is small, so half a nat allows logits of spread about
1 at initialisation; an output layer with weights many times too large gives several nats."""


@dataclass(frozen=True)
class InitialLossCheck:
    """The verdict of [`initial_loss_check`][gradient_flow.checks.initial_loss_check].

    Attributes:
        num_classes: $C$.
        expected: $\\ln C$, the cross-entropy of a uniform prediction, in nats.
        measured: the loss that was checked, in nats (NaN or infinite if it was).
        excess: `measured - expected`, in nats.
        tolerance: the tolerance the check used, in nats.
        verdict: `ok` (within the tolerance of $\\ln C$), `too_high` (over-confident
            output: the logits are too large at initialisation), `too_low` (the model already
            predicts better than uniform) or `nonfinite`.
        message: one line saying what was found and what to do about it.
    """

    num_classes: int
    expected: float
    measured: float
    excess: float
    tolerance: float
    verdict: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the verdict is `ok`."""
        return self.verdict == "ok"

    def as_dict(self) -> dict:
        """The check as a plain dict (for JSON)."""
        return asdict(self)


def _as_float(loss: Any) -> float:
    if hasattr(loss, "detach"):  # a tensor: one element, any dtype, any device
        if loss.numel() != 1:
            raise ValueError(
                f"initial_loss_check: the loss has {loss.numel()} elements; pass the mean cross-entropy "
                "over the batch (a single number), e.g. F.cross_entropy(logits, targets)"
            )
        return float(loss.detach().double().cpu())
    if isinstance(loss, (str, bytes)):
        raise TypeError(f"initial_loss_check: the loss must be a number or a one-element tensor, got {type(loss).__name__}")
    try:
        return float(loss)
    except (TypeError, ValueError) as error:
        raise TypeError(f"initial_loss_check: the loss must be a number or a one-element tensor, "
                        f"got {type(loss).__name__}") from error


def initial_loss_check(loss: Any, num_classes: int, *, tolerance: float = INITIAL_LOSS_TOLERANCE) -> InitialLossCheck:
    """Compare a classifier's cross-entropy at initialisation with $\\ln C$.

    Before the first step a classifier should be unsure: if its $C$ logits are small, its
    prediction is close to uniform and its mean cross-entropy close to $\\ln C$ (2.30 for 10
    classes, 6.91 for 1000), whatever the labels. A loss far above $\\ln C$ means the logits
    are large and confidently wrong: the output layer's weights or bias are too large (a
    missing $1/\\sqrt{\\text{fan-in}}$, weights copied from a differently scaled model), and the
    first steps of training will be spent undoing them. A loss far below means the model
    already knows something: fine for a pretrained model or an output bias set to the log of
    the class frequencies; otherwise, look for labels leaking into the inputs or a loss that
    is not a mean cross-entropy over `num_classes` classes.

    ```python
    loss = F.cross_entropy(model(inputs), targets)   # first batch, before any step
    check = gradient_flow.initial_loss_check(loss, num_classes=10)
    print(check.message)
    ```

    Args:
        loss: the mean cross-entropy (natural logarithm) of one batch at initialisation: a
            number or a one-element tensor.
        num_classes: $C$, the number of classes, at least 2.
        tolerance: how far from $\\ln C$, in nats, the loss may be before it is flagged
            (default [`INITIAL_LOSS_TOLERANCE`][gradient_flow.checks.INITIAL_LOSS_TOLERANCE]).

    Returns:
        An [`InitialLossCheck`][gradient_flow.checks.InitialLossCheck] with the expected and
        measured loss, the verdict and a one-line message.

    Raises:
        TypeError: the loss is not a number; ValueError: `num_classes` is not an integer of at
            least 2, the loss is negative (a cross-entropy cannot be), the tolerance is not a
            positive number, or the loss tensor has more than one element.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"initial_loss_check: num_classes must be an integer of at least 2, got {num_classes!r}")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"initial_loss_check: tolerance must be a positive number of nats, got {tolerance!r}")
    measured = _as_float(loss)
    expected = math.log(num_classes)
    excess = measured - expected
    uniform = f"ln {num_classes} = {expected:.3f}"
    if not math.isfinite(measured):
        verdict = "nonfinite"
        message = (f"initial loss is {measured}, not a number: the forward pass already overflows "
                   f"(expected about {uniform}); check the inputs and the initialisation before training")
    elif measured < 0:
        raise ValueError(f"initial_loss_check: the loss is {measured:.4g}, but a cross-entropy cannot be negative; "
                         "pass the cross-entropy loss (natural log), not a log-likelihood or another loss")
    elif excess > tolerance:
        verdict = "too_high"
        message = (f"initial loss {measured:.3f} is {excess:.3f} nats above {uniform} (tolerance {tolerance:g}): "
                   "the output is over-confident at initialisation; scale the last layer's weights down "
                   "(or start them at zero) and its bias at zero")
    elif excess < -tolerance:
        verdict = "too_low"
        message = (f"initial loss {measured:.3f} is {-excess:.3f} nats below {uniform} (tolerance {tolerance:g}): "
                   "the model already predicts better than uniform; fine if it is pretrained or its output "
                   "bias holds the log class frequencies, otherwise check for labels leaking into the inputs "
                   "and that the loss is a mean cross-entropy over num_classes classes")
    else:
        verdict = "ok"
        message = f"initial loss {measured:.3f} is within {tolerance:g} nats of {uniform}: ok"
    return InitialLossCheck(num_classes, expected, measured, excess, float(tolerance), verdict, message)
