"""The recorder: per-layer gradients, activations and updates of any `torch.nn.Module`.

Usage, in any training loop:

```python
from gradient_flow import GradientFlowRecorder

with GradientFlowRecorder(model, optimizer=optimizer, every=10) as recorder:
    for step in range(steps):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        recorder.record()       # after backward(), before optimizer.step()
        optimizer.step()        # the optimizer hooks record the update-to-weight ratio
print(recorder.report())        # flags and the layers at fault, as text
```

Leaving the `with` block (or calling `detach()`) removes every hook, also when the
training loop raised; the recorded data stays available.

# What it records

Per parameter, at each recorded step:

* `grad_norm`: ‖∂L/∂θ‖ (Frobenius), or `None` when the parameter has no gradient —
  because it is frozen (`requires_grad=False`) or was not used in the backward pass;
* `weight_norm`: ‖θ‖, and `ratio` = ‖∂L/∂θ‖ / ‖θ‖, the gradient-to-weight ratio. A plain
  gradient norm depends on the size of the weights; this ratio is what one SGD step of
  learning rate η changes the weights by, relative to their size (η · ratio).

At the optimizer step that follows a recorded step (when an optimizer is given):
`update` = ‖θ_after − θ_before‖ / ‖θ_before‖, the update-to-weight ratio. The rule of thumb
says about 1e-3 per step is healthy (much smaller: the layer barely learns; much larger: it
is being overwritten). Caveats: it is a heuristic, not a theorem; Adam-like optimizers
normalise each coordinate, so their ratio is set by the learning rate and barely reflects the
gradient; weight decay and momentum contribute to the update too; the ratio is meaningless
for parameters initialised at zero (biases, whose ratio is then `None` on the first step).

Per forward pass (the last one before a recorded step), through forward hooks:

* for every module that owns a weight matrix (`nn.Linear`, `nn.Conv2d`, …): the `mean` and
  `std` of its output and the norm of the gradient arriving at that output (`grad_norm`);
* for every activation module (`nn.Sigmoid`, `nn.Tanh`, `nn.ReLU`, `nn.LeakyReLU`, and
  `nn.RNN`'s output): `mean`, `std`, `grad_norm`, and `saturated` (sigmoid/tanh: the
  fraction of outputs where the derivative is below 1/20 of its maximum — |tanh| > 0.975,
  sigmoid within 0.0127 of 0 or 1) or `dead` (ReLU: the fraction of units that output zero
  for every example in the batch). Activations applied as functions (`torch.relu(x)`) have
  no module and cannot be hooked.

`watch(tensor, name, along=dim)` records the gradient of any tensor, e.g. an input
sequence, as a profile of norms along one dimension (time, for a recurrent network).

# Flags and their thresholds

The *profile* is the gradient-to-weight ratio of every weight matrix (parameters with two or
more dimensions that have a gradient), in registration order — from input to output for
most models. A straight line is fitted to log10(ratio) against layer index; its change from
the output end to the input end, in decades, is the `trend`. A fit, not the raw first/last
ratio, so that one unusual layer (a stem, a head) does not decide the verdict.

* `vanishing` if trend < −2 (`DECADES`): the input end learns at less than 1/100 of the
  output end's relative pace with one learning rate for all layers.
* `exploding` if trend > +2: the input end is pushed more than 100× harder than the output
  end; a learning rate small enough for it freezes the rest.
* The same test on each watched profile (index 0 is the far end, e.g. the first time step).
* `forward_explodes` / `forward_collapses`: the fitted change of the layers' output std,
  from the first layer to the last, is above +2 or below −2 decades: the forward signal
  itself grows or dies with depth. This catches what the ratio profile cannot: when the
  forward signal shrinks (or grows) by the same factor per layer as the backward one, the
  two cancel in ∂L/∂W = δ·hᵀ, the profile is level, and the whole network's gradient is
  uniformly tiny (or huge) instead.
* `saturated`: a sigmoid/tanh module with more than half (`SATURATED`) of its outputs
  saturated.
* `dead`: a ReLU module with more than 90 % (`DEAD`) of its units silent on the whole
  batch. Not 50 %: in a healthy, He-initialised deep ReLU network the inputs grow more and
  more correlated with depth, and up to about half of the deepest layers' units are then
  silent on a whole batch at initialisation. Only near-total death is a fault.

Two decades is a deliberate, round choice: healthy networks at initialisation drift by a few
tenths of a decade over tens of layers (finite width), pathological ones by several decades.
The thresholds are class attributes; change them on an instance if your model needs it.
Profiles of fewer than three entries are not judged.

# Distributed training

Under `torch.distributed` (detected when a process group is initialised with more than one
rank), every rank must call `record()` at the same steps, as it calls `backward()`:

* With `DistributedDataParallel` the gradients are already all-reduced, so the gradient
  report is the same on every rank. The activation statistics are reduced across ranks (two
  small `all_reduce` calls per recorded step: a check that every rank recorded the same
  modules, then the sums), so that `mean`, `std`, `saturated` and `dead` describe the
  global batch: a unit is dead only if it is silent on every rank's examples. The gradient
  norm arriving at a layer's output (and a watched tensor's) is that of the global loss,
  the mean of the ranks' losses, as DDP averages gradients: √(Σ_ranks ‖g_r‖²) / world size.
* With FSDP2 (`torch.distributed.fsdp.fully_shard`) each rank holds a shard of every
  parameter and of its gradient (a `DTensor`); the norms are those of the whole parameter:
  the shards' sums of squares are added across ranks (one more `all_reduce`).
* The first FSDP (`FullyShardedDataParallel`) is refused with a message: it flattens each
  wrapped module's parameters into one, which hides the layers.
* Sinks are written, and `print_report()` prints, on rank 0 only.

# Numbers

Everything stored is a Python float computed from `t.detach().float()` and moved to the
CPU, so tensors on a GPU, in half precision, or with autograd history are all fine. The
weight snapshot for the update ratio is a detached copy on the parameter's own device
(one extra copy of the parameters while the optimizer steps, at recorded steps only).
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, TextIO

import torch
from torch import nn

from gradient_flow import _distributed

if TYPE_CHECKING:  # matplotlib is an optional extra
    from matplotlib.axes import Axes

__all__ = ["GradientFlowRecorder", "Flag", "unwrap_model"]


@dataclass
class Flag:
    """One finding of [`GradientFlowRecorder.diagnose`][gradient_flow.GradientFlowRecorder.diagnose].

    Attributes:
        kind: `vanishing`, `exploding`, `forward_explodes`, `forward_collapses`,
            `saturated` or `dead`.
        where: what was judged: `gradient-to-weight ratio`, `gradient of <watched name>`,
            `layer output std`, or a module's name.
        value: the measured value (a trend in decades, or a fraction of units).
        threshold: the threshold it crossed.
        message: one line of text, as printed by the report.
        layers: the parameters or modules at fault.
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


def unwrap_model(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """The module a wrapper trains, and the wrappers removed.

    `DistributedDataParallel` and `DataParallel` are unwrapped to their `.module`, a
    `torch.compile`d model to the original module (`_orig_mod`), so that parameter names
    carry no `module.` or `_orig_mod.` prefix. FSDP2 (`fully_shard`) changes the module in
    place and needs no unwrapping.

    Args:
        model: the model as given to the training loop.

    Returns:
        `(module, wrappers)`: the innermost module and the names of the wrappers removed,
        outermost first (`"DistributedDataParallel"`, `"torch.compile"`, …).

    Raises:
        TypeError: for the first FSDP (`FullyShardedDataParallel`), which flattens the
            parameters of each wrapped module into one: record with FSDP2's `fully_shard`
            instead, or before wrapping.
    """
    removed = []
    while True:
        name = type(model).__name__
        if name == "FullyShardedDataParallel":
            raise TypeError(
                "GradientFlowRecorder cannot see per-layer gradients through FullyShardedDataParallel "
                "(FSDP1 flattens each wrapped module's parameters into one): shard the model with "
                "torch.distributed.fsdp.fully_shard (FSDP2) instead, which keeps one parameter per weight"
            )
        if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            removed.append(name)
            model = model.module
        elif name == "OptimizedModule" and isinstance(getattr(model, "_orig_mod", None), nn.Module):
            removed.append("torch.compile")
            model = model._orig_mod
        else:
            return model, removed


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


def _sq(t: torch.Tensor) -> torch.Tensor:
    """Sum of squares of a plain tensor, as a float64 scalar on its device."""
    return torch.linalg.vector_norm(t.detach().float()).double() ** 2


class GradientFlowRecorder:
    """Attach to a model; call [`record`][gradient_flow.GradientFlowRecorder.record] after each backward pass.

    The recorder adds hooks and changes nothing the model computes. See the
    [module documentation][gradient_flow.recorder] for what is recorded and how it is judged.

    Args:
        model: any `torch.nn.Module`. `DistributedDataParallel`, `DataParallel` and
            `torch.compile` wrappers are unwrapped (see [`unwrap_model`][gradient_flow.unwrap_model]).
        optimizer: if given, its step hooks record the update-to-weight ratio at the
            optimizer step after each recorded step (see also `attach_optimizer`).
        activations: hook the activation modules and the modules owning a weight matrix to
            record their outputs' statistics. `None` (the default) means yes, except for a
            `torch.compile`d model: forward hooks that read values break its graph, so they
            are left out there, with a warning. Pass the uncompiled module for them.
        every: record one step in `every`: `record()` is still called at every step, but
            only calls 0, every, 2·every, … store anything; in between, the hooks return at
            once. Use it to keep the overhead small in long runs.
        sinks: where each recorded step's series and flags are also written (see
            [`gradient_flow.sinks`][gradient_flow.sinks]); written on rank 0 only.
        distributed: reduce activation statistics and sharded parameters' norms across
            ranks. `None` (the default) means yes when `torch.distributed` is initialised
            with more than one rank.
        group: the process group to reduce over (default: the whole world).

    Raises:
        TypeError: `model` is not an `nn.Module`, or `optimizer` not an optimizer, or
            the model is wrapped in the first FSDP.
        ValueError: the model has no parameters, or `every` < 1.

    Attributes:
        steps: one entry per recorded step:
            `{"step": …, "parameters": …, "activations": …, "watched": …}`.
        updates: one `{parameter name: update ratio or None}` per recorded optimizer step.
        update_steps: the training step (`record()` call) each entry of `updates` follows.
        parameters: the recorded parameters by name (a shared parameter once).
        aliases: for each parameter, its other names (a shared parameter's other uses).
        model: the (unwrapped) module the recorder is attached to.
        wrappers: the wrappers removed from the model given.
    """

    DECADES = 2.0
    """Fitted change of the profile, in decades, beyond which it is flagged."""
    SATURATED = 0.5
    """Fraction of saturated sigmoid/tanh outputs above which a module is flagged."""
    DEAD = 0.9
    """Fraction of dead ReLU units above which a module is flagged (see the module documentation)."""
    SATURATION_DERIVATIVE = 1 / 20
    """A unit counts as saturated where the derivative is below this fraction of its maximum."""
    UPDATE_RANGE = (1e-4, 1e-2)
    """Rule-of-thumb range for the update-to-weight ratio (report only, never a flag)."""

    _KINDS = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.ReLU, "relu"), (nn.LeakyReLU, "relu"))

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: torch.optim.Optimizer | None = None,
        activations: bool | None = None,
        every: int = 1,
        sinks: Iterable[Any] = (),
        distributed: bool | None = None,
        group: Any = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"GradientFlowRecorder needs a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        model, self.wrappers = unwrap_model(model)
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
        self.every = every
        self.sinks = list(sinks)
        self.group = group
        self.distributed = _distributed.active(group) if distributed is None else bool(distributed)
        self.steps: list[dict] = []
        self.updates: list[dict] = []
        self.update_steps: list[int] = []
        self._calls = 0  # record() calls so far: the training step
        self._armed = False  # the next optimizer step follows a recorded step
        self._handles: list = []
        self._activations: dict[str, dict] = {}
        self._watched: dict[str, dict] = {}
        self._snapshot: dict[str, torch.Tensor] = {}
        if activations is None:
            activations = "torch.compile" not in self.wrappers
            if not activations:
                warnings.warn(
                    "GradientFlowRecorder: the model is compiled with torch.compile; activation statistics are "
                    "off (forward hooks that read values break the compiled graph). Gradients and updates are "
                    "recorded. For activation statistics, record the uncompiled module.",
                    stacklevel=2,
                )
        try:
            if activations:
                for name, module in model.named_modules():
                    kind = self._kind(module)
                    if kind is None and any(p.dim() >= 2 for p in module.parameters(recurse=False)):
                        kind = "layer"  # a module owning a weight matrix: its output's size is tracked
                    if kind:
                        self._handles.append(module.register_forward_hook(self._forward_hook(name or "model", kind)))
            if optimizer is not None:
                self.attach_optimizer(optimizer)
        except BaseException:
            self.detach()
            raise

    # ------------------------------------------------------------------ recording

    @property
    def recording(self) -> bool:
        """Whether the current training step (the next `record()` call) will be stored."""
        return self._calls % self.every == 0

    @property
    def is_main(self) -> bool:
        """True on rank 0 of the process group, and always without `torch.distributed`."""
        return _distributed.rank(self.group) == 0

    def _kind(self, module: nn.Module) -> str | None:
        if isinstance(module, nn.RNN):
            return "tanh" if module.nonlinearity == "tanh" else "relu"
        for cls, kind in self._KINDS:
            if isinstance(module, cls):
                return kind
        return None

    def _forward_hook(self, name: str, kind: str):
        def hook(module, inputs, output):
            if self._calls % self.every:
                return
            if isinstance(output, tuple):  # nn.RNN returns (sequence, last hidden state)
                output = output[0]
            if not isinstance(output, torch.Tensor):
                return
            with torch.no_grad():
                y = output.detach().float()
                # Sums, not means, so that ranks can add them up: count, Σy, Σy², count of the extra.
                total, squares = y.sum(dtype=torch.float64), _sq(y)
                fired = None
                if kind == "sigmoid":
                    extra = (y * (1 - y) < 0.25 * self.SATURATION_DERIVATIVE).sum(dtype=torch.float64)
                elif kind == "tanh":
                    extra = (1 - y * y < self.SATURATION_DERIVATIVE).sum(dtype=torch.float64)
                elif kind == "relu":
                    units = y.reshape(y.shape[0], -1) if y.dim() > 1 else y.reshape(1, -1)
                    fired = (units != 0).any(dim=0).double()
                    extra = torch.zeros((), dtype=torch.float64, device=y.device)
                else:
                    extra = torch.zeros((), dtype=torch.float64, device=y.device)
                sums = torch.stack([torch.tensor(float(y.numel()), dtype=torch.float64, device=y.device),
                                    total, squares, extra])
            stats = {"kind": kind, "sums": sums, "fired": fired, "grad_sq": None}
            self._activations[name] = stats
            if output.requires_grad:
                output.register_hook(lambda grad: stats.__setitem__("grad_sq", _sq(grad)))

        return hook

    def watch(self, tensor: torch.Tensor, name: str, along: int | None = None) -> torch.Tensor:
        """Record the gradient of any tensor at the next recorded step.

        Args:
            tensor: a tensor that requires grad, e.g. the input sequence of a recurrent
                network (`x.requires_grad_(True)` first).
            name: its name in the step's `"watched"` entry and in the report.
            along: if given, also record the gradient's norm at each index of this
                dimension (a profile, e.g. one value per time step), judged like the layer
                profile. Under `torch.distributed`, do not pass the batch dimension: the
                profiles of the ranks are combined position by position.

        Returns:
            The same tensor, so that `x = recorder.watch(x, "x", along=1)` reads naturally.

        Raises:
            ValueError: the tensor does not require grad.
        """
        if not isinstance(tensor, torch.Tensor) or not tensor.requires_grad:
            raise ValueError(f"watch({name!r}): the tensor must require grad to have a gradient")
        if self._calls % self.every:
            return tensor
        entry = {"along": along, "sq": None, "profile_sq": None}
        self._watched[name] = entry

        def hook(grad):
            g = grad.detach().float()
            entry["sq"] = _sq(g)
            if along is not None:
                dims = [d for d in range(g.dim()) if d != along % g.dim()]
                entry["profile_sq"] = g.pow(2).sum(dim=dims).double()

        tensor.register_hook(hook)
        return tensor

    def record(self) -> dict | None:
        """Store this step's gradients; call it after `loss.backward()`, before `optimizer.step()`.

        Call it at every training step: with `every=k`, only one call in `k` stores anything
        (and only then do the hooks work), the others return `None` at once.

        Returns:
            The step's entry (also appended to `steps`), or `None` on a step that
            `every` skips.

        Raises:
            RuntimeError: no parameter has a gradient — `backward()` was not called.
        """
        if all(p.grad is None for p in self.parameters.values()):
            self._activations, self._watched = {}, {}
            raise RuntimeError(
                "record() found no gradient on any parameter: call loss.backward() before recorder.record()"
            )
        step, self._calls = self._calls, self._calls + 1
        if step % self.every:
            return None
        names = list(self.parameters)
        with_grad = [n for n in names if self.parameters[n].grad is not None]
        norms = _distributed.norms([self.parameters[n] for n in names]
                                   + [self.parameters[n].grad for n in with_grad])
        weights, grads = dict(zip(names, norms)), dict(zip(with_grad, norms[len(names):]))
        parameters = {}
        for name, p in self.parameters.items():
            weight = weights[name]
            if name not in grads:
                reason = "frozen" if not p.requires_grad else "unused"
                parameters[name] = {"grad_norm": None, "weight_norm": weight, "ratio": None, "missing": reason}
                continue
            grad = grads[name]
            ratio = grad / weight if weight > 0 else None
            parameters[name] = {"grad_norm": grad, "weight_norm": weight, "ratio": ratio}
        activations, watched = self._reduce_activations()
        entry = {"step": step, "parameters": parameters, "activations": activations, "watched": watched}
        self.steps.append(entry)
        self._armed = True
        if self.sinks and self.is_main:
            from gradient_flow.sinks import scalars

            diagnosis = self.diagnose()
            values = scalars(entry, diagnosis)
            flags = [f.as_dict() for f in diagnosis["flags"]]
            for sink in self.sinks:
                sink.write(step, values, flags)
        return entry

    def _reduce_activations(self) -> tuple[dict, dict]:
        """The pending forward and watched statistics as floats, summed over ranks if distributed."""
        pending, watched = self._activations, self._watched
        self._activations, self._watched = {}, {}
        parts: list[torch.Tensor] = []
        for stats in pending.values():
            grad = stats["grad_sq"]
            has = torch.ones(1, dtype=torch.float64) if grad is not None else torch.zeros(1, dtype=torch.float64)
            parts += [stats["sums"].cpu(), (grad if grad is not None else torch.zeros((), dtype=torch.float64))
                      .reshape(1).cpu(), has]
            if stats["fired"] is not None:
                parts.append(stats["fired"].cpu())
        for w in watched.values():
            has = w["sq"] is not None
            parts += [torch.tensor([float(has)], dtype=torch.float64),
                      (w["sq"] if has else torch.zeros((), dtype=torch.float64)).reshape(1).cpu()]
            if w["along"] is not None:
                profile = w["profile_sq"]
                parts.append(profile.cpu() if profile is not None else torch.zeros(0, dtype=torch.float64))
        flat = torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)
        world = 1
        if self.distributed:
            world = _distributed.world_size(self.group)
            _distributed.check_layout(len(flat), len(pending) + len(watched), self.group)
            flat = _distributed.all_reduce_sum(flat, self.group)
        values = flat.tolist()
        position = 0

        def take(n):
            nonlocal position
            out = values[position:position + n]
            position += n
            return out

        activations = {}
        for name, stats in pending.items():
            count, total, squares, extra = take(4)
            grad_sq, has = take(2)
            mean = total / count
            var = max(squares - count * mean * mean, 0.0) / (count - 1) if count > 1 else 0.0
            entry = {"kind": stats["kind"], "mean": mean, "std": math.sqrt(var),
                     "grad_norm": math.sqrt(grad_sq) / world if has == world else None}
            if stats["kind"] in ("sigmoid", "tanh"):
                entry["saturated"] = extra / count
            if stats["fired"] is not None:
                fired = take(len(stats["fired"]))
                entry["dead"] = sum(1.0 for f in fired if f == 0) / len(fired) if fired else 0.0
            activations[name] = entry
        out = {}
        for name, w in watched.items():
            has, sq = take(2)
            profile = None
            if w["along"] is not None and w["profile_sq"] is not None:
                profile = [math.sqrt(v) / world for v in take(len(w["profile_sq"]))]
            out[name] = {"along": w["along"], "norm": math.sqrt(sq) / world if has == world else None,
                         "profile": profile}
        return activations, out

    def attach_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        """Record the update-to-weight ratio of every parameter at the optimizer step after each recorded step.

        Args:
            optimizer: any `torch.optim.Optimizer`.

        Raises:
            TypeError: `optimizer` is not a `torch.optim.Optimizer`.
        """
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        self._handles.append(optimizer.register_step_pre_hook(self._before_step))
        self._handles.append(optimizer.register_step_post_hook(self._after_step))

    def _before_step(self, optimizer, args, kwargs):
        if self._armed:
            self._snapshot = {n: p.detach().clone() for n, p in self.parameters.items() if p.grad is not None}

    def _after_step(self, optimizer, args, kwargs):
        if not self._armed:
            return
        self._armed = False
        names = [n for n in self.parameters if n in self._snapshot]
        norms = _distributed.norms([self._snapshot[n] for n in names]
                                   + [self.parameters[n].detach() - self._snapshot[n] for n in names])
        before, change = dict(zip(names, norms)), dict(zip(names, norms[len(names):]))
        updates = {n: (change[n] / before[n] if before.get(n) else None) for n in self.parameters}
        self.updates.append(updates)
        self.update_steps.append(self._calls - 1)
        self._snapshot = {}
        if self.sinks and self.is_main:
            values = {f"update/{n}": u for n, u in updates.items() if u is not None}
            for sink in self.sinks:
                sink.write(self._calls - 1, values, [])

    def detach(self) -> None:
        """Remove every hook this recorder added; the recorded data stays available.

        Also closes the sinks that have a `close()` method.
        """
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._activations, self._watched, self._snapshot = {}, {}, {}
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()

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
        """Names and values of `key` for the weight matrices that have a gradient, input → output.

        Matrices without a gradient (frozen, unused) are left out; an exactly zero gradient
        stays in its place.

        Args:
            step: index into `steps` (the last recorded step by default).
            key: `"ratio"` (gradient-to-weight ratio), `"grad_norm"` or `"weight_norm"`.

        Returns:
            `(names, values)`, two lists of the same length.
        """
        entry = self._step(step)["parameters"]
        names, values = [], []
        for name, p in self.parameters.items():
            value = entry[name][key]
            if p.dim() >= 2 and value is not None:
                names.append(name)
                values.append(value)
        return names, values

    def history(self, name: str, key: str = "grad_norm") -> list:
        """One parameter's `key` at every recorded step (`None` where it had no gradient).

        Raises:
            KeyError: no parameter of that name; the message lists the known names.
        """
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
        """Judge one recorded step.

        Args:
            step: index into `steps` (the last recorded step by default).

        Returns:
            `{"healthy": bool, "flags": [Flag, …], "trends": {where: {"trend_decades", "factor_per_step", …}}}`.

        Raises:
            RuntimeError: nothing recorded yet.
        """
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
        """A short text report of one recorded step.

        The profile's range, every trend, every flag with the layers at fault, parameters
        without a gradient, shared parameters, and the last update-to-weight ratios.

        Args:
            step: index into `steps` (the last recorded step by default).

        Raises:
            RuntimeError: nothing recorded yet.
        """
        entry = self._step(step)
        diagnosis = self.diagnose(step)
        index = entry.get("step", step if step >= 0 else len(self.steps) + step)
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

    def print_report(self, step: int = -1, file: TextIO | None = None) -> str:
        """Print [`report`][gradient_flow.GradientFlowRecorder.report] on rank 0 only; return it on every rank.

        Args:
            step: index into `steps` (the last recorded step by default).
            file: where to print (standard output by default).
        """
        text = self.report(step)
        if self.is_main:
            print(text, file=file if file is not None else sys.stdout)
        return text

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

    @staticmethod
    def _axes(ax):
        if ax is not None:
            return ax
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError('plotting needs matplotlib: pip install "gradient-flow[plot]"') from error
        return plt.subplots()[1]

    def plot_gradients(self, ax: Axes | None = None, key: str = "grad_norm") -> Axes:
        """Plot every weight matrix's `key` over the recorded steps (needs matplotlib).

        Args:
            ax: a matplotlib `Axes` to draw on (a new figure by default).
            key: `"grad_norm"` (default), `"ratio"` or `"weight_norm"`.

        Returns:
            The `Axes`, on a log scale fitted to the data.
        """
        self._step(-1)
        ax = self._axes(ax)
        series = {n: self.history(n, key) for n, p in self.parameters.items() if p.dim() >= 2}
        return self._lines(ax, series, {"grad_norm": "‖∂L/∂W‖", "ratio": "‖∂L/∂W‖ / ‖W‖"}.get(key, key), "recorded step")

    def plot_updates(self, ax: Axes | None = None) -> Axes:
        """Plot every weight matrix's update-to-weight ratio over the recorded optimizer steps.

        The 1e-3 rule of thumb is drawn dashed. Needs matplotlib.

        Args:
            ax: a matplotlib `Axes` to draw on (a new figure by default).

        Returns:
            The `Axes`.

        Raises:
            RuntimeError: no optimizer step was recorded.
        """
        if not self.updates:
            raise RuntimeError("no optimizer step recorded: pass optimizer= to the recorder, or call attach_optimizer()")
        ax = self._axes(ax)
        series = {n: [u[n] for u in self.updates] for n, p in self.parameters.items() if p.dim() >= 2}
        self._lines(ax, series, "‖ΔW‖ / ‖W‖ per step", "optimizer step")
        ax.axhline(1e-3, ls="--", lw=1, color=ax.xaxis.label.get_color())
        return ax
