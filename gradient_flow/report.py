"""The text report of one recorded step.

One line per finding, in this order: the profile's range, the trends (per layer, or per
position of a watched tensor), what could not be judged and why, the exact zeros and their
likely cause, the flags with the layers at fault (or "no flag"), the parameters left out of
the trend, a compact per-block table for models built of blocks, the number of modules whose
activations were checked, frozen and unused parameters (collapsed), shared parameters, the
update-to-weight ratios of the optimizer step that followed (or why they are unavailable),
and a hint to `watch()` the input sequence of a recurrent model. Long lists are truncated.
"""

from __future__ import annotations

import math

from torch import nn

from gradient_flow.diagnosis import _shorten, usable

__all__ = ["report"]

_ZERO_CAUSE = {
    "underflow": "likely underflow: the profile has fallen by more than the threshold next to them",
    "no path": "no path from the loss reaches them (a cut graph, a dead layer): the values next to them are "
               "not small",
}


def _e(value) -> str:
    return "n/a" if value is None else f"{value:.2e}"


def _block_table(recorder, names: list, ratios: list, limit: int = 16) -> list[str]:
    from gradient_flow.capture import _block

    blocks: dict[str, list[float]] = {}
    for name, ratio in zip(names, ratios):
        blocks.setdefault(_block(name), []).append(ratio)
    if len(blocks) < 2 or len(blocks) == len(names):
        return []  # one matrix per block: the profile itself is the table
    lines = ["  per block (gradient/weight ratio of its weight matrices: geometric mean, min … max):"]
    width = max(len(b) for b in blocks)
    rows = list(blocks.items())
    shown = rows if len(rows) <= limit else rows[: limit // 2] + [None] + rows[-limit // 2:]
    for row in shown:
        if row is None:
            lines.append(f"    … {len(rows) - limit // 2 * 2} more blocks …")
            continue
        block, values = row
        good = [v for v in values if usable(v)]
        mean = 10 ** (sum(math.log10(v) for v in good) / len(good)) if good else None
        bad = len(values) - len(good)
        lines.append(f"    {block:<{width}}  {len(values):3d} matrices  {_e(mean)}  "
                     f"({_e(min(good) if good else None)} … {_e(max(good) if good else None)})"
                     + (f", {bad} zero or non-finite" if bad else ""))
    return lines


def report(recorder, step: int = -1) -> str:
    """A short text report of one recorded step of `recorder` (see the module documentation).

    Raises:
        RuntimeError: nothing recorded yet.
    """
    entry = recorder._step(step)
    diagnosis = recorder.diagnose(step)
    index = entry["step"]
    names, ratios = recorder.profile(step)
    lines = [f"Gradient flow at training step {index} ({len(names)} weight matrices with a gradient, "
             "input → output)"]
    if entry.get("unscaled_by"):
        lines.append(f"  gradients divided by the GradScaler's scale {entry['unscaled_by']:g}")
    if names:
        finite = [v for v in ratios if v is not None and math.isfinite(v)]
        lines.append(f"  gradient/weight ratio: first {names[0]} {_e(ratios[0])}, last {names[-1]} {_e(ratios[-1])}, "
                     f"range {_e(min(finite) if finite else None)} … {_e(max(finite) if finite else None)}")
    for where, t in diagnosis["trends"].items():
        lines.append(f"  trend of {where}: {t['trend_decades']:+.2f} decades (×{t['factor_per_step']:.3g} "
                     f"per {t.get('per', 'layer')})")
    for where, why in diagnosis["not_judged"].items():
        lines.append(f"  not judged: {where} — {why}")
    for where, t in diagnosis["trends"].items():
        if t.get("zero"):
            lines.append(f"  exactly zero gradient ({where}): {_shorten(t['zero'])} — "
                         f"{_ZERO_CAUSE[t.get('zero_cause', 'no path')]}")
    for flag in diagnosis["flags"]:
        lines.append("  " + flag.message)
        if flag.layers:
            lines.append(f"    at fault: {_shorten(flag.layers)}")
    if diagnosis["healthy"]:
        judged = " among what was judged" if diagnosis["not_judged"] else ""
        lines.append(f"  no flag{judged}: every trend is within ±{recorder.DECADES:g} decades, every gradient "
                     "finite and nonzero, no module saturated or dead")
    sparse = [n for n in recorder.sparse if n in entry["parameters"]]
    if sparse:
        lines.append(f"  left out of the trend: {_shorten(sparse)} — {recorder.sparse[sparse[0]]}")
    lines += _block_table(recorder, names, ratios)
    kinds = [a["kind"] for a in entry["activations"].values()]
    activation_modules = sum(k != "layer" for k in kinds)
    if recorder.activations or kinds:
        lines.append(f"  activations checked: {activation_modules} activation modules (sigmoid, tanh, ReLU), "
                     f"{len(kinds) - activation_modules} layers' outputs")
    else:
        lines.append("  activations checked: none (activation hooks off)")
    for reason, why in (("frozen", "frozen (requires_grad=False)"), ("unused", "no gradient, not used in the "
                                                                               "backward pass")):
        missing = [n for n, p in entry["parameters"].items() if p["grad_norm"] is None and p.get("missing") == reason]
        if missing:
            lines.append(f"  {why}: {len(missing)} parameter{'s' if len(missing) > 1 else ''} — {_shorten(missing, 4)}")
    for name, aliases in recorder.aliases.items():
        if aliases:
            lines.append(f"  shared: {name} is also {_shorten(aliases, 4)} (recorded once)")
    if recorder.optimizer is not None:
        lines.append(_updates_line(recorder, entry))
    recurrent = any(isinstance(m, nn.RNNBase) for m in recorder.model.modules())
    if recurrent and not entry["watched"]:
        lines.append("  hint: for a recurrent model, watch the gradient over time: "
                     "x = recorder.watch(x.requires_grad_(), \"x\", along=1) before the forward pass")
    return "\n".join(lines)


def _updates_line(recorder, entry: dict) -> str:
    low, high = recorder.UPDATE_RANGE
    step = entry["step"]
    if step not in recorder.update_steps:
        return (f"  update/weight ratio after training step {step}: unavailable (no optimizer step has followed this "
                "recorded step yet, or it was skipped)")
    updates = recorder.updates[recorder.update_steps.index(step)]
    matrices = {n: u for n, u in updates.items() if n in recorder.parameters and recorder.parameters[n].dim() >= 2}
    missing = [n for n, u in matrices.items() if u is None and entry["parameters"].get(n, {}).get("grad_norm") is not None]
    known = {n: u for n, u in matrices.items() if u is not None}
    if not known:
        return f"  update/weight ratio after training step {step}: unavailable for every weight matrix"
    outside = [n for n, u in known.items() if not low <= u <= high]
    text = (f"  update/weight ratio after training step {step}: "
            + (f"outside {low:g} … {high:g} for {len(outside)} of {len(known)} weight matrices: {_shorten(outside, 4)}"
               if outside else f"all {len(known)} weight matrices within {low:g} … {high:g}"))
    if missing:
        text += f"; unavailable for {_shorten(missing, 4)}"
    return text
