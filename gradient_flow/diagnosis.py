"""Diagnosis: the thresholds, the fitted trend, and the judgement of one recorded step.

Everything here works on plain numbers (a recorded step's entry), never on a model, so that
other code — the book's explorer, a notebook re-reading a JSON-lines log — judges a profile
exactly as the recorder does: [`fitted_trend`][gradient_flow.diagnosis.fitted_trend] for
the trend, [`flag_kinds`][gradient_flow.diagnosis.flag_kinds] for the verdict of given
trends, and the thresholds below.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "DECADES", "SATURATED", "DEAD", "SATURATION_DERIVATIVE", "UPDATE_RANGE", "MINIMUM_POINTS",
    "Flag", "fitted_trend", "flag_kinds", "usable", "diagnose_entry",
]

DECADES = 2.0
"""Fitted change of a profile, in decades, beyond which it is flagged vanishing or exploding."""
SATURATED = 0.5
"""Fraction of saturated sigmoid/tanh outputs above which a module is flagged."""
DEAD = 0.9
"""Fraction of dead ReLU units (silent on the whole batch) above which a module is flagged."""
SATURATION_DERIVATIVE = 1 / 20
"""A unit counts as saturated where the derivative is below this fraction of its maximum."""
UPDATE_RANGE = (1e-4, 1e-2)
"""Rule-of-thumb range for the update-to-weight ratio (report only, never a flag)."""
MINIMUM_POINTS = 3
"""A profile needs at least this many usable (finite, positive) values to be judged."""


@dataclass
class Flag:
    """One finding of a diagnosis.

    Attributes:
        kind: `nonfinite` (a NaN or infinite gradient), `zero_gradient` (a gradient that
            is exactly zero everywhere), `vanishing`, `exploding`, `forward_explodes`,
            `forward_collapses`, `saturated` or `dead`.
        where: what was judged: `gradient-to-weight ratio`, `gradient of <watched name>`,
            `layer output std`, `parameters`, or a module's name.
        value: the measured value (a trend in decades, a fraction of units, or a count).
        threshold: the threshold it crossed.
        message: one line of text, as printed by the report.
        layers: the parameters, modules or positions at fault.
    """

    kind: str
    where: str
    value: float
    threshold: float
    message: str
    layers: list = field(default_factory=list)

    def as_dict(self) -> dict:
        """The flag as a plain dict (for JSON)."""
        return asdict(self)


def usable(value) -> bool:
    """A value the trend can be fitted through: a finite, strictly positive number."""
    return value is not None and math.isfinite(value) and value > 0


def fitted_trend(values: list) -> tuple[float, float]:
    """The fitted trend of a profile ordered far end → loss end (e.g. input layer → output layer).

    A least-squares line through log10(value) against position, over the usable values only
    (finite and positive: an exactly zero gradient has no logarithm but keeps its position).

    Args:
        values: the profile; at least two usable values at different positions.

    Returns:
        `(trend, factor)`: trend = fitted log10(first) − fitted log10(last) over the whole
        profile, in decades (negative: the far end gets less); factor = 10**(−slope), what
        one position toward the far end multiplies the value by (per layer, or per time step).

    Raises:
        ValueError: fewer than two usable values.
    """
    points = [(i, math.log10(v)) for i, v in enumerate(values) if usable(v)]
    if len(points) < 2:
        raise ValueError(f"a trend needs at least two finite positive values, got {len(points)}")
    n = len(points)
    mean_x = sum(i for i, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((i - mean_x) ** 2 for i, _ in points)
    slope = sum((i - mean_x) * (y - mean_y) for i, y in points) / sxx
    return -slope * (len(values) - 1), 10 ** (-slope)


def flag_kinds(trend: float | None = None, forward: float | None = None, saturated: float | None = None,
               dead: float | None = None, decades: float = DECADES, saturated_limit: float = SATURATED,
               dead_limit: float = DEAD) -> list[str]:
    """The flag kinds that given summary numbers raise, in the recorder's order.

    Args:
        trend: the fitted trend of the gradient profile, in decades (`None`: not judged).
        forward: the fitted change of the layers' output std, first → last layer, in decades.
        saturated: the largest fraction of saturated sigmoid/tanh outputs of any module.
        dead: the largest fraction of dead ReLU units of any module.
        decades: the threshold of both trends, in decades.
        saturated_limit: the threshold of the saturated fraction.
        dead_limit: the threshold of the dead fraction.
    """
    found = []
    if trend is not None and trend < -decades:
        found.append("vanishing")
    if trend is not None and trend > decades:
        found.append("exploding")
    if forward is not None and forward > decades:
        found.append("forward_explodes")
    if forward is not None and forward < -decades:
        found.append("forward_collapses")
    if saturated is not None and saturated > saturated_limit:
        found.append("saturated")
    if dead is not None and dead > dead_limit:
        found.append("dead")
    return found


def _shorten(names: list, at_most: int = 6) -> str:
    shown = ", ".join(names[:at_most])
    return shown + (f" … ({len(names)} in all)" if len(names) > at_most else "")


def judge_profile(where: str, names: list, values: list, flags: list, trends: dict, not_judged: dict,
                  decades: float = DECADES, per: str = "layer") -> None:
    """Fit and judge one profile (far end → loss end); append flags, its trend or why it was not judged.

    Non-finite values are flagged elsewhere (per parameter); here they, and exact zeros, are
    left out of the fit. Zeros keep their position and are listed with their likely cause.
    """
    count = sum(usable(v) for v in values)
    nonfinite = [n for n, v in zip(names, values) if v is not None and not math.isfinite(v)]
    zero = [n for n, v in zip(names, values) if v == 0]
    if count < MINIMUM_POINTS:
        reasons = [f"{count} usable value{'s' if count != 1 else ''} of {len(values)}, {MINIMUM_POINTS} needed"]
        if nonfinite:
            reasons.append(f"{len(nonfinite)} not finite")
        if zero:
            reasons.append(f"{len(zero)} exactly zero")
        not_judged[where] = "; ".join(reasons)
        return
    trend, factor = fitted_trend(values)
    summary = {"trend_decades": trend, "factor_per_step": factor, "per": per,
               "first": values[0], "last": values[-1], "points": count}
    trends[where] = summary
    reference = next(v for v in reversed(values) if usable(v))
    for kind, bad in (("vanishing", trend < -decades), ("exploding", trend > decades)):
        if bad:
            limit = 10 ** (-decades if kind == "vanishing" else decades)
            at_fault = [n for n, v in zip(names, values)
                        if v == 0 and kind == "vanishing"
                        or usable(v) and (v / reference < limit if kind == "vanishing" else v / reference > limit)]
            sign = "−" if kind == "vanishing" else "+"
            flags.append(Flag(
                kind, where, trend, -decades if kind == "vanishing" else decades,
                f"{kind.upper()} {where}: the fitted trend is {trend:+.1f} decades from the loss end to the "
                f"far end (×{factor:.3g} per {per}; threshold {sign}{decades:g})",
                at_fault,
            ))
    if zero:
        summary["zero"] = zero
        # Zeros only beyond the far end of a profile that has already fallen by more than the
        # threshold next to them: the product of many small factors left the number range
        # (underflow). Zeros anywhere else, next to values of ordinary size: nothing reached them.
        first_usable = next(i for i, v in enumerate(values) if usable(v))
        far_end_only = all(i < first_usable for i, v in enumerate(values) if v == 0)
        fallen = values[first_usable] / reference < 10 ** -decades
        summary["zero_cause"] = "underflow" if far_end_only and fallen else "no path"


def diagnose_entry(entry: dict, profile: tuple[list, list], limits: Any = None) -> dict:
    """Judge one recorded step (see [`GradientFlowRecorder.diagnose`][gradient_flow.GradientFlowRecorder.diagnose]).

    Args:
        entry: one of the recorder's `steps`.
        profile: `(names, ratios)` of the weight matrices that enter the trend.
        limits: an object with the threshold attributes `DECADES`, `SATURATED`, `DEAD`
            (the recorder, whose instance may override them); the module's defaults if `None`.
    """
    decades = getattr(limits, "DECADES", DECADES)
    saturated_limit = getattr(limits, "SATURATED", SATURATED)
    dead_limit = getattr(limits, "DEAD", DEAD)
    flags: list[Flag] = []
    trends: dict = {}
    not_judged: dict = {}
    parameters = entry["parameters"]
    nonfinite = [n for n, p in parameters.items() if p["grad_norm"] is not None and not math.isfinite(p["grad_norm"])]
    if nonfinite:
        flags.append(Flag("nonfinite", "parameters", float(len(nonfinite)), 0.0,
                          f"NON-FINITE gradient (NaN or inf) in {len(nonfinite)} parameter"
                          f"{'s' if len(nonfinite) > 1 else ''}: the step is broken, whatever the trend says",
                          nonfinite))
    zero = [n for n, p in parameters.items() if p["grad_norm"] == 0.0]
    if zero:
        flags.append(Flag("zero_gradient", "parameters", float(len(zero)), 0.0,
                          f"ZERO gradient: {len(zero)} parameter{'s' if len(zero) > 1 else ''} got a gradient that "
                          "is exactly zero everywhere (underflow, or no path from the loss)", zero))
    names, ratios = profile
    judge_profile("gradient-to-weight ratio", names, ratios, flags, trends, not_judged, decades)
    for name, watched in entry["watched"].items():
        values = watched.get("profile")
        if values is None:
            continue
        where = f"gradient of {name}"
        if any(not math.isfinite(v) for v in values):
            bad = [f"{name}[{i}]" for i, v in enumerate(values) if not math.isfinite(v)]
            flags.append(Flag("nonfinite", where, float(len(bad)), 0.0,
                              f"NON-FINITE gradient of {name} (NaN or inf) at {len(bad)} position"
                              f"{'s' if len(bad) > 1 else ''}", bad))
        judge_profile(where, [f"{name}[{i}]" for i in range(len(values))], values, flags, trends, not_judged,
                      decades, per="position")
    layers = [(n, a) for n, a in entry["activations"].items() if a["kind"] == "layer"]
    stds = [a["std"] for _, a in layers]
    if sum(usable(s) for s in stds) >= MINIMUM_POINTS:
        trend, factor = fitted_trend(stds)
        trend = -trend  # forward: the signal's change from the first layer's output to the last's
        trends["layer output std"] = {"trend_decades": trend, "factor_per_step": 1 / factor, "per": "layer"}
        if abs(trend) > decades:
            kind = "forward_explodes" if trend > 0 else "forward_collapses"
            limit = 10 ** math.copysign(decades, trend)
            first = next(s for s in stds if usable(s))
            at_fault = [n for n, a in layers if usable(a["std"])
                        and (a["std"] / first > limit if trend > 0 else a["std"] / first < limit)]
            flags.append(Flag(kind, "layer output std", trend, math.copysign(decades, trend),
                              f"{kind.upper()}: the std of the layers' outputs changes by {trend:+.1f} decades "
                              f"from the first layer to the last (×{1 / factor:.3g} per layer)", at_fault))
    elif layers:
        not_judged["layer output std"] = (f"{sum(usable(s) for s in stds)} usable values of {len(stds)}, "
                                          f"{MINIMUM_POINTS} needed")
    for name, a in entry["activations"].items():
        if a.get("saturated", 0) > saturated_limit:
            flags.append(Flag("saturated", name, a["saturated"], saturated_limit,
                              f"SATURATED {name}: {a['saturated']:.0%} of {a['kind']} outputs are saturated", [name]))
        if a.get("dead", 0) > dead_limit:
            flags.append(Flag("dead", name, a["dead"], dead_limit,
                              f"DEAD {name}: {a['dead']:.0%} of ReLU units output zero on the whole batch", [name]))
        if a.get("std") is not None and not math.isfinite(a["std"]):
            flags.append(Flag("nonfinite", name, a["std"], 0.0,
                              f"NON-FINITE output of {name} (NaN or inf in the forward pass)", [name]))
    return {"healthy": not flags, "flags": flags, "trends": trends, "not_judged": not_judged}
