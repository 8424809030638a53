"""A gradient-flow recorder for any ``torch.nn.Module``: measure, flag, report, plot.

Usage, in any training loop::

    from snippets.gradient_flow import GradientFlowRecorder

    recorder = GradientFlowRecorder(model, optimizer=optimizer)   # optimizer is optional
    for step in range(steps):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        recorder.record()            # after backward(), before optimizer.step()
        optimizer.step()             # the optimizer hooks record the update-to-weight ratio
    print(recorder.report())         # flags and the layers at fault, as text
    recorder.detach()                # removes every hook; the model is as before

What it records
---------------
Per parameter and per ``record()`` call (a "step"):

* ``grad_norm``: ‖∂L/∂θ‖ (Frobenius), or ``None`` when the parameter has no gradient —
  because it is frozen (``requires_grad=False``) or was not used in the backward pass;
* ``weight_norm``: ‖θ‖ and ``ratio`` = ‖∂L/∂θ‖ / ‖θ‖, the gradient-to-weight ratio. A plain
  gradient norm depends on the size of the weights; this ratio is what one SGD step of
  learning rate η changes the weights by, relative to their size (η · ratio).

Per optimizer step (when an optimizer is given): ``update`` = ‖θ_after − θ_before‖ / ‖θ_before‖,
the update-to-weight ratio. The rule of thumb says about 1e-3 per step is healthy (much
smaller: the layer barely learns; much larger: it is being overwritten). Caveats: it is a
heuristic, not a theorem; Adam-like optimizers normalise each coordinate, so their ratio is
set by the learning rate and barely reflects the gradient; weight decay and momentum
contribute to the update too; the ratio is meaningless for parameters initialised at zero
(biases, whose ratio is then reported as ``None`` on the first step).

Per forward pass (the last one before ``record()``), through forward hooks:

* for every module that owns a weight matrix (``nn.Linear``, ``nn.Conv2d``, …): the ``mean``
  and ``std`` of its output and the norm of the gradient arriving at that output (``grad_norm``);
* for every activation module (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.LeakyReLU``,
  and ``nn.RNN``'s output): ``mean``, ``std``, ``grad_norm``, and ``saturated`` (sigmoid/tanh:
  the fraction of outputs where the derivative is below 1/20 of its maximum — |tanh| > 0.975,
  sigmoid within 0.0127 of 0 or 1) or ``dead`` (ReLU: the fraction of units that output zero
  for every example in the batch). Activations applied as functions (``torch.relu(x)``) have
  no module and cannot be hooked.

``watch(tensor, name, along=dim)`` records the gradient of any tensor, e.g. an input
sequence, as a profile of norms along one dimension (time, for a recurrent network).

Flags and their thresholds
--------------------------
The *profile* is the gradient-to-weight ratio of every weight matrix (parameters with two or
more dimensions that have a gradient), in registration order — from input to output for
most models. We fit a straight line to log10(ratio) against layer index and read off the
fitted change from the output end to the input end, in decades (``trend``). A fit, not the
raw first/last ratio, so that one unusual layer (a stem, a head) does not decide the verdict.

* ``vanishing`` if trend < −2 (``DECADES``): the input end learns at less than 1/100 of the
  output end's relative pace with one learning rate for all layers — a hundred times as many
  steps to move the same fraction of its weights.
* ``exploding`` if trend > +2: the input end is pushed more than 100× harder than the output
  end; a learning rate small enough for it freezes the rest.
* The same test on each watched profile (index 0 is the far end, e.g. the first time step).
* ``forward_explodes`` / ``forward_collapses``: the fitted change of the layers' output std,
  from the first layer to the last, is above +2 or below −2 decades: the forward signal itself
  grows or dies with depth. This catches what the ratio profile cannot: when the forward
  signal shrinks (or grows) by the same factor per layer as the backward one, the two cancel
  in ∂L/∂W = δ·hᵀ, the profile is level, and the whole network's gradient is uniformly tiny
  (or huge) instead.
* ``saturated``: a sigmoid/tanh module with more than half (``SATURATED``) of its outputs
  saturated.
* ``dead``: a ReLU module with more than 90 % (``DEAD``) of its units silent on the whole
  batch. Not 50 %: in a healthy, He-initialised deep ReLU network the inputs grow more and more
  correlated with depth, and up to about half of the deepest layers' units are then silent on
  a whole batch at initialisation. Only near-total death is a fault.

Two decades is a deliberate, round choice: healthy networks at initialisation drift by a few
tenths of a decade over tens of layers (finite width), pathological ones by several decades.
The thresholds are class attributes; change them on an instance if your model needs it.
Profiles of fewer than three entries are not judged.

Everything stored is a Python float computed from ``t.detach().float()`` and moved to the
CPU, so tensors on a GPU, in half precision, or with autograd history are all fine. The
weight snapshot for the update ratio is a detached copy on the parameter's own device
(one extra copy of the parameters while the optimizer steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["GradientFlowRecorder", "Flag"]


def _norm(t: torch.Tensor) -> float:
    return float(t.detach().float().norm().cpu())


@dataclass
class Flag:
    """One finding: ``kind`` (vanishing, exploding, …), where, the measured value, the threshold."""

    kind: str
    where: str
    value: float
    threshold: float
    message: str
    layers: list = field(default_factory=list)


def _fitted_decades(values: list) -> tuple[float, float]:
    """(trend, per-step factor) of a profile ordered far end → loss end.

    A least-squares line through log10(value) against position, over the positive values
    only (an exactly zero gradient — underflow, or a dead path — has no logarithm but keeps
    its position). trend = fitted log10(first) − fitted log10(last) over the whole profile;
    per-step factor = 10**(−slope), what one step toward the far end multiplies the value by.
    """
    points = [(i, math.log10(v)) for i, v in enumerate(values) if v > 0]
    n = len(points)
    mean_x = sum(i for i, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((i - mean_x) ** 2 for i, _ in points)
    slope = sum((i - mean_x) * (y - mean_y) for i, y in points) / sxx
    return -slope * (len(values) - 1), 10 ** (-slope)


class GradientFlowRecorder:
    """Attach to a model; call :meth:`record` after each backward pass. See the module docstring."""

    #: Fitted change of the profile, in decades, beyond which it is flagged.
    DECADES = 2.0
    #: Fraction of saturated sigmoid/tanh outputs above which a module is flagged.
    SATURATED = 0.5
    #: Fraction of dead ReLU units above which a module is flagged (see the module docstring).
    DEAD = 0.9
    #: A unit counts as saturated where the derivative is below this fraction of its maximum.
    SATURATION_DERIVATIVE = 1 / 20
    #: Rule-of-thumb range for the update-to-weight ratio (report only, never a flag).
    UPDATE_RANGE = (1e-4, 1e-2)

    _KINDS = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.ReLU, "relu"), (nn.LeakyReLU, "relu"))

    def __init__(self, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None, activations: bool = True):
        if not isinstance(model, nn.Module):
            raise TypeError(f"GradientFlowRecorder needs a torch.nn.Module, got {type(model).__name__}")
        # Shared parameters appear once, under their first name; the other names are aliases.
        self.names: dict[int, str] = {}
        self.aliases: dict[str, list[str]] = {}
        self.parameters: dict[str, nn.Parameter] = {}
        for name, parameter in model.named_parameters(remove_duplicate=False):
            key = id(parameter)
            if key in self.names:
                self.aliases[self.names[key]].append(name)
                continue
            self.names[key] = name
            self.aliases[name] = []
            self.parameters[name] = parameter
        if not self.parameters:
            raise ValueError(f"{type(model).__name__} has no parameters: there is no gradient to record")
        self.model = model
        self.steps: list[dict] = []  # one entry per record(): {"parameters": …, "activations": …, "watched": …}
        self.updates: list[dict] = []  # one entry per optimizer step: {name: update ratio or None}
        self._handles: list = []
        self._activations: dict[str, dict] = {}
        self._watched: dict[str, dict] = {}
        self._snapshot: dict[str, torch.Tensor] = {}
        if activations:
            for name, module in model.named_modules():
                kind = self._kind(module)
                if kind is None and any(p.dim() >= 2 for p in module.parameters(recurse=False)):
                    kind = "layer"  # a module owning a weight matrix: its output's size is tracked
                if kind:
                    self._handles.append(module.register_forward_hook(self._forward_hook(name or "model", kind)))
        if optimizer is not None:
            self.attach_optimizer(optimizer)

    # ------------------------------------------------------------------ recording

    def _kind(self, module: nn.Module) -> str | None:
        if isinstance(module, nn.RNN):
            return "tanh" if module.nonlinearity == "tanh" else "relu"
        for cls, kind in self._KINDS:
            if isinstance(module, cls):
                return kind
        return None

    def _forward_hook(self, name: str, kind: str):
        def hook(module, inputs, output):
            if isinstance(output, tuple):  # nn.RNN returns (sequence, last hidden state)
                output = output[0]
            if not isinstance(output, torch.Tensor):
                return
            with torch.no_grad():
                y = output.detach().float()
                std, mean = torch.std_mean(y) if y.numel() > 1 else (torch.zeros((), device=y.device), y.mean())
                if kind == "sigmoid":
                    extra = ("saturated", (y * (1 - y) < 0.25 * self.SATURATION_DERIVATIVE).float().mean())
                elif kind == "tanh":
                    extra = ("saturated", (1 - y * y < self.SATURATION_DERIVATIVE).float().mean())
                elif kind == "relu":
                    units = y.reshape(y.shape[0], -1) if y.dim() > 1 else y.reshape(1, -1)
                    extra = ("dead", (units == 0).all(dim=0).float().mean())
                else:
                    extra = (None, torch.zeros((), device=y.device))
                values = torch.stack([mean, std, extra[1].to(mean.device)]).cpu().tolist()  # one transfer
                stats = {"kind": kind, "mean": values[0], "std": values[1], "grad_norm": None}
                if extra[0]:
                    stats[extra[0]] = values[2]
            self._activations[name] = stats
            if output.requires_grad:
                output.register_hook(lambda grad: stats.__setitem__("grad_norm", _norm(grad)))

        return hook

    def watch(self, tensor: torch.Tensor, name: str, along: int | None = None) -> torch.Tensor:
        """Record the gradient of ``tensor`` at the next ``record()``: its norm, or its norms
        along dimension ``along`` (a profile, e.g. one per time step). Returns the tensor."""
        if not isinstance(tensor, torch.Tensor) or not tensor.requires_grad:
            raise ValueError(f"watch({name!r}): the tensor must require grad to have a gradient")
        entry = {"along": along, "norm": None, "profile": None}
        self._watched[name] = entry

        def hook(grad):
            g = grad.detach().float()
            entry["norm"] = _norm(g)
            if along is not None:
                dims = [d for d in range(g.dim()) if d != along % g.dim()]
                entry["profile"] = [float(v) for v in g.pow(2).sum(dim=dims).sqrt().cpu()]

        tensor.register_hook(hook)
        return tensor

    def record(self) -> dict:
        """Store this step's gradients (call after ``backward()``); returns the step's entry."""
        parameters = {}
        for name, p in self.parameters.items():
            weight = _norm(p)
            if p.grad is None:
                reason = "frozen" if not p.requires_grad else "unused"
                parameters[name] = {"grad_norm": None, "weight_norm": weight, "ratio": None, "missing": reason}
                continue
            grad = _norm(p.grad)
            parameters[name] = {"grad_norm": grad, "weight_norm": weight, "ratio": grad / weight if weight > 0 else None}
        if all(entry["grad_norm"] is None for entry in parameters.values()):
            raise RuntimeError(
                "record() found no gradient on any parameter: call loss.backward() before recorder.record()"
            )
        entry = {
            "parameters": parameters,
            "activations": {name: dict(stats) for name, stats in self._activations.items()},
            "watched": {name: dict(w) for name, w in self._watched.items()},
        }
        self.steps.append(entry)
        self._watched, self._activations = {}, {}
        return entry

    def attach_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        """Record the update-to-weight ratio of every parameter at each ``optimizer.step()``."""
        self._handles.append(optimizer.register_step_pre_hook(self._before_step))
        self._handles.append(optimizer.register_step_post_hook(self._after_step))

    def _before_step(self, optimizer, args, kwargs):
        self._snapshot = {n: p.detach().clone() for n, p in self.parameters.items() if p.grad is not None}

    def _after_step(self, optimizer, args, kwargs):
        updates = {}
        for name, p in self.parameters.items():
            before = self._snapshot.get(name)
            if before is None:
                updates[name] = None
                continue
            size = _norm(before)
            updates[name] = _norm(p.detach() - before) / size if size > 0 else None
        self.updates.append(updates)
        self._snapshot = {}

    def detach(self) -> None:
        """Remove every hook this recorder added; recorded data stays available."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> "GradientFlowRecorder":
        return self

    def __exit__(self, *exc) -> None:
        self.detach()

    # ------------------------------------------------------------------ reading

    def _step(self, step: int) -> dict:
        if not self.steps:
            raise RuntimeError(
                "nothing recorded yet: run a forward and a backward pass, then call recorder.record()"
            )
        return self.steps[step]

    def profile(self, step: int = -1, key: str = "ratio") -> tuple[list[str], list[float]]:
        """Names and values of ``key`` for the weight matrices that have a gradient, input → output.

        Matrices without a gradient (frozen, unused) are left out; an exactly zero gradient stays."""
        entry = self._step(step)["parameters"]
        names, values = [], []
        for name, p in self.parameters.items():
            value = entry[name][key]
            if p.dim() >= 2 and value is not None:
                names.append(name)
                values.append(value)
        return names, values

    def history(self, name: str, key: str = "grad_norm") -> list:
        """One parameter's ``key`` at every recorded step (``None`` where it had no gradient)."""
        if name not in self.parameters:
            raise KeyError(f"no parameter named {name!r}; known: {', '.join(self.parameters)}")
        return [entry["parameters"][name][key] for entry in self.steps]

    def _judge(self, where: str, names: list, values: list, flags: list, summary: dict) -> None:
        if sum(v > 0 for v in values) < 3:
            return
        trend, factor = _fitted_decades(values)
        zero = [n for n, v in zip(names, values) if v == 0]
        reference = next(v for v in reversed(values) if v > 0)
        summary[where] = {"trend_decades": trend, "factor_per_step": factor, "first": values[0], "last": values[-1]}
        for kind, bad in (("vanishing", trend < -self.DECADES), ("exploding", trend > self.DECADES)):
            if bad:
                limit = 10 ** (-self.DECADES if kind == "vanishing" else self.DECADES)
                at_fault = [n for n, v in zip(names, values)
                            if (v / reference < limit if kind == "vanishing" else v / reference > limit)]
                flags.append(Flag(
                    kind, where, trend, -self.DECADES if kind == "vanishing" else self.DECADES,
                    f"{kind.upper()} {where}: the fitted trend is {trend:+.1f} decades from the loss end to the "
                    f"far end (×{factor:.3g} per step; threshold {'−' if kind == 'vanishing' else '+'}{self.DECADES:g})",
                    at_fault,
                ))
        if zero:
            summary[where]["zero"] = zero

    def diagnose(self, step: int = -1) -> dict:
        """Flags for one recorded step: ``{"healthy": bool, "flags": [Flag, …], "trends": {…}}``."""
        entry = self._step(step)
        flags: list[Flag] = []
        trends: dict = {}
        names, ratios = self.profile(step)
        self._judge("gradient-to-weight ratio", names, ratios, flags, trends)
        for name, watched in entry["watched"].items():
            profile = watched["profile"]
            if profile and all(v > 0 for v in profile):
                self._judge(f"gradient of {name}", [f"{name}[{i}]" for i in range(len(profile))], profile, flags, trends)
        layers = [(n, a) for n, a in entry["activations"].items() if a["kind"] == "layer" and a["std"] > 0]
        if len(layers) >= 3:
            trend, factor = _fitted_decades([a["std"] for _, a in layers])
            trend = -trend  # forward: the signal's change from the first layer's output to the last's
            trends["layer output std"] = {"trend_decades": trend, "factor_per_step": 1 / factor}
            if abs(trend) > self.DECADES:
                kind = "forward_explodes" if trend > 0 else "forward_collapses"
                limit = 10 ** math.copysign(self.DECADES, trend)
                first = layers[0][1]["std"]
                at_fault = [n for n, a in layers if (a["std"] / first > limit if trend > 0 else a["std"] / first < limit)]
                flags.append(Flag(kind, "layer output std", trend, math.copysign(self.DECADES, trend),
                                  f"{kind.upper()}: the std of the layers' outputs changes by {trend:+.1f} decades "
                                  f"from the first layer to the last (×{1 / factor:.3g} per layer)", at_fault))
        for name, a in entry["activations"].items():
            if a.get("saturated", 0) > self.SATURATED:
                flags.append(Flag("saturated", name, a["saturated"], self.SATURATED,
                                  f"SATURATED {name}: {a['saturated']:.0%} of {a['kind']} outputs are saturated", [name]))
            if a.get("dead", 0) > self.DEAD:
                flags.append(Flag("dead", name, a["dead"], self.DEAD,
                                  f"DEAD {name}: {a['dead']:.0%} of ReLU units output zero on the whole batch", [name]))
        return {"healthy": not flags, "flags": flags, "trends": trends}

    def report(self, step: int = -1) -> str:
        """A short text report: the profile, every flag with the layers at fault, missing gradients."""
        entry = self._step(step)
        diagnosis = self.diagnose(step)
        index = step if step >= 0 else len(self.steps) + step
        names, ratios = self.profile(step)
        lines = [f"Gradient flow at recorded step {index} ({len(names)} weight matrices with a gradient, input → output)"]
        if names:
            lines.append(f"  gradient/weight ratio: first {names[0]} {ratios[0]:.2e}, last {names[-1]} {ratios[-1]:.2e}, "
                         f"range {min(ratios):.2e} … {max(ratios):.2e}")
        for where, t in diagnosis["trends"].items():
            lines.append(f"  trend of {where}: {t['trend_decades']:+.2f} decades (×{t['factor_per_step']:.3g} per step)")
        for where, t in diagnosis["trends"].items():
            if t.get("zero"):
                lines.append(f"  exactly zero gradient ({where}): {', '.join(t['zero'][:6])}"
                             + (f" … ({len(t['zero'])} in all)" if len(t["zero"]) > 6 else "")
                             + " — underflow, or no path from the loss")
        for flag in diagnosis["flags"]:
            lines.append("  " + flag.message)
            if flag.layers:
                shown = ", ".join(flag.layers[:6]) + (f" … ({len(flag.layers)} in all)" if len(flag.layers) > 6 else "")
                lines.append(f"    at fault: {shown}")
        if diagnosis["healthy"]:
            lines.append(f"  no flag: every trend is within ±{self.DECADES:g} decades, no module saturated or dead")
        for name, p in entry["parameters"].items():
            if p["grad_norm"] is None:
                why = "frozen (requires_grad=False)" if p["missing"] == "frozen" else "not used in the backward pass"
                lines.append(f"  no gradient: {name} — {why}")
        for name, aliases in self.aliases.items():
            if aliases:
                lines.append(f"  shared: {name} is also {', '.join(aliases)} (recorded once)")
        if self.updates:
            low, high = self.UPDATE_RANGE
            last = self.updates[-1]
            outside = [n for n, u in last.items() if u is not None and self.parameters[n].dim() >= 2 and not low <= u <= high]
            lines.append(f"  update/weight ratio at optimizer step {len(self.updates) - 1}: "
                         + (f"outside {low:g} … {high:g} for {', '.join(outside)}" if outside else f"all within {low:g} … {high:g}"))
        return "\n".join(lines)

    # ------------------------------------------------------------------ plotting

    def _lines(self, ax, series: dict, ylabel: str, xlabel: str):
        import matplotlib.pyplot as plt

        colours = plt.get_cmap("viridis")
        names = list(series)
        for i, name in enumerate(names):
            values = [v if v is not None and v > 0 else float("nan") for v in series[name]]
            ax.plot(range(len(values)), values, color=colours(i / max(1, len(names) - 1)), lw=1.2,
                    label=name if i in (0, len(names) - 1) else None)
        ax.set_yscale("log")  # no fixed limits: matplotlib fits the axis to the data, explosions included
        ax.set(xlabel=xlabel, ylabel=ylabel)
        ax.legend(fontsize=8, title="input → output (dark → light)", title_fontsize=8)
        return ax

    def plot_gradients(self, ax=None, key: str = "grad_norm"):
        """Per-layer ``key`` (gradient norm by default) of every weight matrix over recorded steps."""
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots()[1]
        self._step(-1)
        series = {n: self.history(n, key) for n, p in self.parameters.items() if p.dim() >= 2}
        return self._lines(ax, series, {"grad_norm": "‖∂L/∂W‖", "ratio": "‖∂L/∂W‖ / ‖W‖"}.get(key, key), "recorded step")

    def plot_updates(self, ax=None):
        """Per-layer update-to-weight ratio over optimizer steps, with the 1e-3 rule of thumb dashed."""
        if not self.updates:
            raise RuntimeError("no optimizer step recorded: pass optimizer= to the recorder, or call attach_optimizer()")
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots()[1]
        series = {n: [u[n] for u in self.updates] for n, p in self.parameters.items() if p.dim() >= 2}
        self._lines(ax, series, "‖ΔW‖ / ‖W‖ per step", "optimizer step")
        ax.axhline(1e-3, ls="--", lw=1, color=ax.xaxis.label.get_color())
        return ax
