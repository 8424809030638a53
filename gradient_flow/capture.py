"""Capture: the recorder's hooks, and what one recorded step stores.

The manual (what is recorded, how it is judged, where to call `record()` in a training
loop) is the API reference page, `docs/api.md`.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import TYPE_CHECKING, Any, Iterable, TextIO

import torch
from torch import nn

from gradient_flow import _distributed
from gradient_flow import diagnosis as _diagnosis
from gradient_flow.diagnosis import Flag

if TYPE_CHECKING:  # matplotlib is an optional extra
    from matplotlib.axes import Axes

__all__ = ["GradientFlowRecorder", "unwrap_model", "unwrap_optimizer"]

_MARK = "_gradient_flow_seen"  # set on each gradient tensor a record() has read: (recorder id, version)
SPARSE_MODULES = (nn.Embedding, nn.EmbeddingBag)


def unwrap_model(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """The module a wrapper trains, and the wrappers removed.

    `DistributedDataParallel` and `DataParallel` are unwrapped to their `.module`, a
    `torch.compile`d model to the original module (`_orig_mod`), so that parameter names
    carry no `module.` or `_orig_mod.` prefix. FSDP2 (`fully_shard`) changes the module in
    place and needs no unwrapping. A module compiled in place (`model.compile()`) is
    reported as `"Module.compile"`.

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
            if _compiled_in_place(model):
                removed.append("Module.compile")
            return model, removed


def _compiled_in_place(model: nn.Module) -> bool:
    return getattr(model, "_compiled_call_impl", None) is not None


def unwrap_optimizer(optimizer: Any) -> torch.optim.Optimizer:
    """The `torch.optim.Optimizer` inside a wrapper (accelerate's `AcceleratedOptimizer`, Lightning's, …).

    A wrapper that keeps the real optimizer as `.optimizer` and forwards `step()` to it is
    unwrapped until a plain optimizer remains, so that the step hooks go where the step runs.

    Raises:
        TypeError: neither an optimizer nor a wrapper of one.
    """
    seen = 0
    while isinstance(getattr(optimizer, "optimizer", None), torch.optim.Optimizer) and seen < 8:
        optimizer, seen = optimizer.optimizer, seen + 1
    if not isinstance(optimizer, torch.optim.Optimizer) or not hasattr(optimizer, "_optimizer_step_pre_hooks"):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer or a wrapper holding one as .optimizer, "
            f"got {type(optimizer).__name__}"
        )
    return optimizer


def _sq(t: torch.Tensor) -> torch.Tensor:
    """Sum of squares (of the modulus) of a plain tensor, computed and returned in float64 on its device."""
    return _distributed.norm64(t) ** 2


def _block(name: str) -> str:
    """The block a parameter belongs to: its name up to the first numeric part ("encoder.layers.3")."""
    parts = name.split(".")[:-1]
    for i, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[: i + 1])
    return ".".join(parts) or name


class GradientFlowRecorder:
    """Attach to a model; call [`record`][gradient_flow.GradientFlowRecorder.record] after each backward pass.

    The recorder adds hooks and changes nothing the model computes. The API reference page
    says what is recorded, how it is judged, and where `record()` goes in a training loop
    (gradient accumulation, AMP's `GradScaler`, clipping, closures).

    Args:
        model: any `torch.nn.Module`. `DistributedDataParallel`, `DataParallel` and
            `torch.compile` wrappers are unwrapped (see [`unwrap_model`][gradient_flow.unwrap_model]).
        optimizer: if given, record the update-to-weight ratio at the optimizer step after
            each recorded step. A wrapper holding the optimizer as `.optimizer` (accelerate's
            `AcceleratedOptimizer`) is unwrapped (see also `attach_optimizer`).
        activations: hook the activation modules and the modules owning a weight matrix to
            record their outputs' statistics. `None` (the default) means yes, except for a
            compiled model (`torch.compile` or `Module.compile()`): forward hooks that read
            values break its graph, so they are left out there, with a warning.
        every: record one training step in `every` (counted in optimizer steps, see
            `accumulation`): `record()` is still called at every step, but only steps 0,
            every, 2·every, … store anything; the forward hooks are installed only for those
            steps, so the steps in between run the model as if no recorder were attached.
        accumulation: the number of micro-batches per optimizer step with gradient
            accumulation, when `record()` is called after every micro-batch's backward:
            only the call after the last micro-batch (the full gradient) is recorded.
        scaler: AMP's `torch.amp.GradScaler`, if the loss is scaled: the gradients are
            divided by its scale when `record()` runs before `scaler.unscale_(optimizer)`.
            Without it, a scaler is detected at its first `scaler.step()`, the step's
            recorded gradients are corrected, and a warning says so.
        sinks: where each recorded step's series and flags are also written (see
            [`gradient_flow.sinks`][gradient_flow.sinks]); written on rank 0 only.
        distributed: reduce activation statistics and sharded parameters' norms across
            ranks. `None` (the default) means yes when `torch.distributed` is initialised
            with more than one rank.
        group: the process group to reduce over (default: the whole world).

    Raises:
        TypeError: `model` is not an `nn.Module`, or `optimizer` not an optimizer, or
            the model is wrapped in the first FSDP.
        ValueError: the model has no parameters, or `every` or `accumulation` < 1.

    Attributes:
        steps: one entry per recorded step:
            `{"step": …, "parameters": …, "activations": …, "watched": …}`.
        updates: one `{parameter name: update ratio or None}` per recorded optimizer step.
        update_steps: the training step (the entry's `"step"`) each entry of `updates` follows.
        parameters: the recorded parameters by name (a shared parameter once).
        aliases: for each parameter, its other names (a shared parameter's other uses).
        sparse: parameters left out of the trend, with the reason (embeddings, sparse gradients).
        model: the (unwrapped) module the recorder is attached to.
        wrappers: the wrappers removed from the model given.
    """

    DECADES = _diagnosis.DECADES
    """Fitted change of the profile, in decades, beyond which it is flagged."""
    SATURATED = _diagnosis.SATURATED
    """Fraction of saturated sigmoid/tanh outputs above which a module is flagged."""
    DEAD = _diagnosis.DEAD
    """Fraction of dead ReLU units above which a module is flagged."""
    SATURATION_DERIVATIVE = _diagnosis.SATURATION_DERIVATIVE
    """A unit counts as saturated where the derivative is below this fraction of its maximum."""
    UPDATE_RANGE = _diagnosis.UPDATE_RANGE
    """Rule-of-thumb range for the update-to-weight ratio (report only, never a flag)."""

    _KINDS = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.ReLU, "relu"), (nn.LeakyReLU, "relu"))

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: torch.optim.Optimizer | None = None,
        activations: bool | None = None,
        every: int = 1,
        accumulation: int = 1,
        scaler: Any = None,
        sinks: Iterable[Any] = (),
        distributed: bool | None = None,
        group: Any = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"GradientFlowRecorder needs a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        if not isinstance(accumulation, int) or accumulation < 1:
            raise ValueError(f"accumulation must be a positive integer, got {accumulation!r}")
        model, self.wrappers = unwrap_model(model)
        self.model = model
        self.names: dict[int, str] = {}
        self.aliases: dict[str, list[str]] = {}
        self.parameters: dict[str, nn.Parameter] = {}
        self.sparse: dict[str, str] = {}
        self._layout: list = []
        self._scan_parameters()
        if not self.parameters:
            raise ValueError(f"{type(model).__name__} has no parameters: there is no gradient to record")
        self.every = every
        self.accumulation = accumulation
        self.scaler = scaler
        self.sinks = list(sinks)
        self.group = group
        self.distributed = _distributed.active(group) if distributed is None else bool(distributed)
        self.steps: list[dict] = []
        self.updates: list[dict] = []
        self.update_steps: list[int] = []
        self.optimizer: torch.optim.Optimizer | None = None
        self._calls = 0  # training steps so far (optimizer steps, with accumulation)
        self._micro = 0  # record() calls within the current accumulation window
        self._armed = False  # the next optimizer step follows a recorded step
        self._in_step = False  # between the optimizer's pre- and post-step hooks (a closure runs)
        self._recorded_in_step = False
        self._optimizer_steps = 0
        self._steps_at_last_record: int | None = None
        self._warned: set[str] = set()
        self._handles: list = []
        self._forward: list = []  # the installed forward hooks' handles, one per target, in order
        self._targets: list[tuple[str, nn.Module, str]] = []  # (name, module, kind) whose outputs are checked
        self._hooked: set[int] = set()
        self._activation_modules = 0
        self._activations: dict[str, dict] = {}
        self._watched: dict[str, dict] = {}
        self._snapshot: dict[str, torch.Tensor] = {}  # the weights before the optimizer step (see record())
        self._reference: tuple[str, float] | None = None
        if activations is None:
            activations = not ({"torch.compile", "Module.compile"} & set(self.wrappers))
            if not activations:
                warnings.warn(
                    f"GradientFlowRecorder: the model is compiled ({', '.join(self.wrappers)}: torch.compile); "
                    "activation statistics are off (forward hooks "
                    "that read values break the compiled graph). Gradients and updates are recorded. For "
                    "activation statistics, record the uncompiled module.",
                    stacklevel=2,
                )
        self.activations = bool(activations)
        try:
            if self.activations:
                self._hook_modules()
            if optimizer is not None:
                self.attach_optimizer(optimizer)
        except BaseException:
            self.detach()
            raise

    # ------------------------------------------------------------------ setting up

    def _scan_parameters(self) -> None:
        """(Re)read the model's parameters: names, shared ones' aliases, the sparse ones."""
        self.names, self.aliases, self.parameters = {}, {}, {}
        layout = []
        for name, parameter in self.model.named_parameters(remove_duplicate=False):
            layout.append((name, id(parameter)))
            key = id(parameter)
            if key in self.names:  # a shared parameter appears once, under its first name
                self.aliases[self.names[key]].append(name)
                continue
            self.names[key] = name
            self.aliases[name] = []
            self.parameters[name] = parameter
        self._layout = layout
        for module_name, module in self.model.named_modules():
            if isinstance(module, SPARSE_MODULES):
                for attr, parameter in module.named_parameters(recurse=False):
                    name = self.names.get(id(parameter))
                    if name is not None:
                        self.sparse[name] = (f"{type(module).__name__}: only the rows of the batch's "
                                             "tokens get a gradient")

    def _hook_modules(self) -> None:
        """Find the modules whose outputs are checked (new ones too, after the model changed).

        Their forward hooks are installed only for the steps that are recorded (see
        `_match_hooks_to_next_step`): a module without hooks runs PyTorch's fast path, so the
        steps in between pay nothing for them.
        """
        for name, module in self.model.named_modules():
            if id(module) in self._hooked:
                continue
            kind = self._kind(module)
            if kind is None and any(p.dim() >= 2 for p in module.parameters(recurse=False)):
                kind = "layer"  # a module owning a weight matrix: its output's size is tracked
            if kind:
                self._hooked.add(id(module))
                if kind != "layer":
                    self._activation_modules += 1
                self._targets.append((name or "model", module, kind))
        self._match_hooks_to_next_step()

    def _match_hooks_to_next_step(self) -> None:
        """Install the forward hooks if the next training step is recorded, remove them if not."""
        wanted = self.activations and self.recording
        if wanted and len(self._forward) < len(self._targets):
            for name, module, kind in self._targets[len(self._forward):]:
                self._forward.append(module.register_forward_hook(self._forward_hook(name, kind)))
        elif not wanted and self._forward:
            for handle in self._forward:
                handle.remove()
            self._forward = []

    def _remove_forward_hooks(self) -> None:
        for handle in self._forward:
            handle.remove()
        self._forward, self._targets, self._hooked = [], [], set()
        self._activations = {}
        self.activations = False

    def _sync_parameters(self) -> None:
        """Warn about, and adopt, parameters added or replaced since the recorder was attached."""
        layout = [(name, id(p)) for name, p in self.model.named_parameters(remove_duplicate=False)]
        if layout == self._layout:
            return
        before = dict(self._layout)
        now = dict(layout)
        changed = [n for n in now if before.get(n) != now[n]]
        gone = [n for n in before if n not in now]
        self._scan_parameters()
        if self.activations:
            self._hook_modules()
        warnings.warn(
            "GradientFlowRecorder: the model's parameters changed since the recorder was attached "
            f"(new or replaced: {_diagnosis._shorten(changed) or 'none'}; gone: {_diagnosis._shorten(gone) or 'none'}), "
            "e.g. by replacing a layer or load_state_dict(assign=True). They are recorded from now on; earlier "
            "steps do not have them.",
            stacklevel=3,
        )

    # ------------------------------------------------------------------ recording

    @property
    def recording(self) -> bool:
        """Whether the current training step (the next `record()` call that counts) will be stored."""
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
            if torch.compiler.is_compiling() or self._calls % self.every:
                return
            if isinstance(output, tuple):  # nn.RNN returns (sequence, last hidden state)
                output = output[0]
            if not isinstance(output, torch.Tensor) or output.is_complex() or not output.is_floating_point():
                return
            with torch.no_grad():
                y = output.detach()
                # Sums, not means, so that ranks can add them up: Σy and Σy² (float64), then the
                # count of saturated entries, or each unit's largest |y| (zero: it never fired).
                wide = y.reshape(-1).to(torch.float64)
                sums = [wide.sum(), torch.dot(wide, wide)]
                fired = None
                if kind == "sigmoid":
                    sums.append((y * (1 - y) < 0.25 * self.SATURATION_DERIVATIVE).sum(dtype=torch.float64))
                elif kind == "tanh":
                    sums.append((1 - y * y < self.SATURATION_DERIVATIVE).sum(dtype=torch.float64))
                elif kind == "relu":
                    units = y.reshape(y.shape[0], -1) if y.dim() > 1 else y.reshape(1, -1)
                    fired = units.abs().amax(dim=0) if len(units) else units.new_zeros(units.shape[1])
            stats = {"kind": kind, "count": y.numel(), "sums": sums, "fired": fired, "grad": None}
            self._activations[name] = stats
            if output.requires_grad:
                output.register_hook(lambda grad: stats.__setitem__(
                    "grad", torch.linalg.vector_norm(grad.detach(), dtype=torch.float64).square()))

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
            g = grad.detach()
            entry["sq"] = _sq(g)
            if along is not None:
                magnitude = g.abs() if g.is_complex() else g
                dims = [d for d in range(g.dim()) if d != along % g.dim()]
                entry["profile_sq"] = magnitude.double().pow(2).sum(dim=dims)

        tensor.register_hook(hook)
        return tensor

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, stacklevel=3)

    def _scale(self) -> float:
        """What the recorded gradients must be divided by: a GradScaler's scale, if not yet unscaled."""
        scaler = self.scaler
        if scaler is None or not getattr(scaler, "is_enabled", lambda: False)():
            return 1.0
        states = getattr(scaler, "_per_optimizer_states", {})
        state = states.get(id(self.optimizer)) if self.optimizer is not None else None
        stage = state.get("stage") if state else None
        if stage is not None and getattr(stage, "name", "") == "UNSCALED":
            return 1.0
        if self.optimizer is None and any(getattr(s.get("stage"), "name", "") == "UNSCALED" for s in states.values()):
            return 1.0
        scale = scaler.get_scale() if hasattr(scaler, "get_scale") else 1.0
        return float(scale) if scale else 1.0

    def record(self) -> dict | None:
        """Store this step's gradients; call it after `loss.backward()`, before `optimizer.step()`.

        Call it at every training step: with `every=k`, only one step in `k` stores anything
        (and only then do the hooks work), the others return `None` at once. Inside an
        optimizer's closure (`optimizer.step(closure)`: LBFGS, PyTorch Lightning) it records
        once per optimizer step; the closure's later evaluations return `None`.

        Returns:
            The step's entry (also appended to `steps`), or `None` on a call that is not
            recorded (skipped by `every`, an earlier micro-batch with `accumulation`, a
            repeated call without a new backward pass).

        Raises:
            RuntimeError: no parameter has a gradient — `backward()` was not called.
        """
        if self._in_step and self._recorded_in_step:
            return None  # a closure evaluated again inside the same optimizer step (LBFGS's line search)
        grads = [p.grad for p in self.parameters.values() if p.grad is not None]
        if not grads:
            self._sync_parameters()
            grads = [p.grad for p in self.parameters.values() if p.grad is not None]
        if not grads:
            self._activations, self._watched = {}, {}
            raise RuntimeError(
                "record() found no gradient on any parameter: call loss.backward() before recorder.record()"
            )
        marks = [getattr(g, _MARK, None) for g in grads]
        if all(m is not None and m[0] == id(self) and m[1] == g._version for m, g in zip(marks, grads)):
            warnings.warn(
                "GradientFlowRecorder.record() was called again without a new backward pass: the call is "
                "ignored (call record() once per training step, after loss.backward())",
                stacklevel=2,
            )
            return None
        accumulated = all(m is not None and m[0] == id(self) for m in marks)
        for g in grads:
            setattr(g, _MARK, (id(self), g._version))
        if self._in_step:
            self._recorded_in_step = True
        if self.accumulation > 1:
            self._micro += 1
            if self._micro < self.accumulation:
                return None
            self._micro = 0
        elif (accumulated and self.optimizer is not None and self._steps_at_last_record is not None
              and self._optimizer_steps == self._steps_at_last_record and not self._in_step):
            self._warn_once(
                "accumulation",
                "GradientFlowRecorder: record() was called twice without an optimizer step between, and the "
                "gradients accumulated: with gradient accumulation, call record() once per optimizer step "
                "(after the last micro-batch's backward) or pass accumulation=<micro-batches per step>",
            )
        self._steps_at_last_record = self._optimizer_steps
        step, self._calls = self._calls, self._calls + 1
        self._match_hooks_to_next_step()
        if step % self.every:
            return None
        self._sync_parameters()
        if self.activations and _compiled_in_place(self.model):
            self._remove_forward_hooks()
            self._warn_once("compile", "GradientFlowRecorder: the model was compiled in place (Module.compile()) "
                                       "after the recorder was attached; activation statistics are off from now on")
        names = list(self.parameters)
        with_grad = [n for n in names if self.parameters[n].grad is not None]
        norms = _distributed.norms([self.parameters[n] for n in names]
                                   + [self.parameters[n].grad for n in with_grad])
        scale = self._scale()
        weights, grads_by_name = dict(zip(names, norms)), dict(zip(with_grad, norms[len(names):]))
        parameters = {}
        for name, p in self.parameters.items():
            weight = weights[name]
            if name not in grads_by_name:
                reason = "frozen" if not p.requires_grad else "unused"
                parameters[name] = {"grad_norm": None, "weight_norm": weight, "ratio": None, "missing": reason}
                continue
            if p.grad.layout != torch.strided and name not in self.sparse:
                self.sparse[name] = "a sparse gradient: only some rows get one"
            grad = grads_by_name[name] / scale
            ratio = grad / weight if weight > 0 else None
            parameters[name] = {"grad_norm": grad, "weight_norm": weight, "ratio": ratio}
        activations, watched = self._reduce_activations(scale)
        entry = {"step": step, "parameters": parameters, "activations": activations, "watched": watched}
        if scale != 1.0:
            entry["unscaled_by"] = scale
        self.steps.append(entry)
        self._armed = self.optimizer is not None
        if self._armed:
            self._take_snapshot(with_grad)
            if self.scaler is None and with_grad:  # to detect a GradScaler at its step
                self._reference = (with_grad[0], grads_by_name[with_grad[0]])
        if self.sinks and self.is_main:
            self._write(entry)
        return entry

    def _take_snapshot(self, names: list[str]) -> None:
        """Copy the weights about to be updated, into the buffers of the last snapshot where they fit.

        On the CPU the buffers are kept between recorded steps: allocating a model's worth of
        fresh memory at each one costs more (in page faults) than copying into it. On other
        devices, whose caching allocators reuse memory anyway, they are freed after the step.
        """
        kept = self._snapshot
        snapshot, reused = {}, []
        for name in names:
            p = self.parameters[name].detach()
            buffer = kept.get(name)
            if (buffer is None or _distributed._is_dtensor(p) or buffer.shape != p.shape or buffer.dtype != p.dtype
                    or buffer.device != p.device):
                snapshot[name] = p.clone()  # (a sharded DTensor is always cloned: no multi-tensor copy for it)
            else:
                snapshot[name] = buffer
                reused.append(name)
        if reused:
            torch._foreach_copy_([snapshot[n] for n in reused], [self.parameters[n].detach() for n in reused])
        self._snapshot = snapshot

    def _write(self, entry: dict) -> None:
        from gradient_flow.sinks import scalars

        diagnosis = self.diagnose(self.steps.index(entry))
        values = scalars(entry, diagnosis)
        flags = [f.as_dict() for f in diagnosis["flags"]]
        for sink in self.sinks:
            sink.write(entry["step"], values, flags)

    def _reduce_activations(self, scale: float = 1.0) -> tuple[dict, dict]:
        """The pending forward and watched statistics as floats, summed over ranks if distributed.

        What was computed on the model's device goes to the CPU in two copies (the scalars
        stacked, the per-unit and per-position vectors concatenated); the numbers Python
        already knows (counts, which gradients arrived) follow, so that one all_reduce sums
        everything.
        """
        pending, watched = self._activations, self._watched
        self._activations, self._watched = {}, {}
        scalars: list[torch.Tensor] = []
        vectors: list[torch.Tensor] = []
        known: list[float] = []
        for stats in pending.values():
            grad = stats["grad"]
            scalars += [*stats["sums"], grad if grad is not None else torch.zeros_like(stats["sums"][0])]
            if stats["fired"] is not None:
                vectors.append(stats["fired"])
            known += [float(stats["count"]), float(grad is not None)]
        for w in watched.values():
            has = w["sq"] is not None
            scalars.append(w["sq"] if has else torch.zeros((), dtype=torch.float64))  # every rank: one each
            if w["along"] is not None and w["profile_sq"] is not None:
                vectors.append(w["profile_sq"])
            known.append(float(has))
        parts = [torch.tensor(known, dtype=torch.float64)]
        if scalars:
            parts.insert(0, torch.stack(scalars).cpu() if len({t.device for t in scalars}) == 1
                         else torch.stack([t.cpu() for t in scalars]))
        if vectors:
            parts.insert(1 if scalars else 0, torch.cat([v.reshape(-1).to(torch.float64).cpu() for v in vectors])
                         if len({v.device for v in vectors}) > 1 else torch.cat(vectors).to(torch.float64).cpu())
        flat = torch.cat(parts)
        world = 1
        if self.distributed:
            world = _distributed.world_size(self.group)
            _distributed.check_layout(len(flat), len(pending) + len(watched), self.group)
            flat = _distributed.all_reduce_sum(flat, self.group)
        vector_length = len(flat) - len(scalars) - len(known)
        # the per-unit and per-position vectors stay tensors: a running count of their zeros
        # gives each module's dead units without a Python loop over thousands of units
        vector = flat[len(scalars):len(scalars) + vector_length]
        zeros_before = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(vector == 0, 0, dtype=torch.float64)])
        values = torch.cat([flat[:len(scalars)], flat[len(scalars) + vector_length:]]).tolist()
        cursors = {"scalar": 0, "known": len(scalars), "vector": 0}

        def take(kind: str, n: int = 1) -> list[float]:
            out = values[cursors[kind]:cursors[kind] + n]
            cursors[kind] += n
            return out

        def take_vector(n: int) -> tuple[int, int]:
            start = cursors["vector"]
            cursors["vector"] += n
            return start, start + n

        activations = {}
        for name, stats in pending.items():
            total, squares, *extra = take("scalar", len(stats["sums"]))
            grad_sq = take("scalar")[0]
            count, has = take("known", 2)
            mean = total / count
            var = max(squares - count * mean * mean, 0.0) / (count - 1) if count > 1 else 0.0
            if not math.isfinite(squares):
                var = squares  # NaN or inf: keep it visible, never a quiet 0
            entry = {"kind": stats["kind"], "mean": mean, "std": math.sqrt(var) if var >= 0 else var,
                     "grad_norm": math.sqrt(grad_sq) / world / scale if has == world else None}
            if extra:
                entry["saturated"] = extra[0] / count
            if stats["fired"] is not None:
                start, end = take_vector(len(stats["fired"]))
                dead = float(zeros_before[end] - zeros_before[start])
                entry["dead"] = dead / (end - start) if end > start else 0.0
            activations[name] = entry
        out = {}
        for name, w in watched.items():
            has = take("known")[0]
            sq = take("scalar")[0]
            profile = None
            if w["along"] is not None and w["profile_sq"] is not None:
                start, end = take_vector(len(w["profile_sq"]))
                profile = [math.sqrt(v) / world / scale for v in vector[start:end].tolist()]
            out[name] = {"along": w["along"], "norm": math.sqrt(sq) / world / scale if has == world else None,
                         "profile": profile}
        return activations, out

    def attach_optimizer(self, optimizer: Any) -> None:
        """Record the update-to-weight ratio of every parameter at the optimizer step after each recorded step.

        Args:
            optimizer: any `torch.optim.Optimizer`, or a wrapper holding one as `.optimizer`
                (accelerate's `AcceleratedOptimizer`), which is unwrapped.

        Raises:
            TypeError: `optimizer` is neither.
        """
        optimizer = unwrap_optimizer(optimizer)
        self.optimizer = optimizer
        self._handles.append(optimizer.register_step_pre_hook(self._before_step))
        self._handles.append(optimizer.register_step_post_hook(self._after_step))

    def _before_step(self, optimizer, args, kwargs):
        self._in_step, self._recorded_in_step = True, False
        if self._armed and self.scaler is None and self._reference is not None:
            self._detect_scaler()

    def _detect_scaler(self) -> None:
        """Inside `GradScaler.step`: find the scaler; if record() saw scaled gradients, correct the entry."""
        frame, scaler = sys._getframe(2), None
        for _ in range(6):
            if frame is None:
                break
            candidate = frame.f_locals.get("self")
            if type(candidate).__name__ == "GradScaler" and hasattr(candidate, "get_scale"):
                scaler = candidate
                break
            frame = frame.f_back
        if scaler is None:
            return
        self.scaler = scaler
        name, recorded = self._reference
        grad = self.parameters[name].grad
        if grad is None or not recorded:
            return
        now = float(_distributed.norm64(grad))
        scale = float(scaler.get_scale())
        if now > 0 and scale > 1 and math.isfinite(recorded) and abs(recorded / now / scale - 1) < 1e-3:
            entry = self.steps[-1]
            for p in entry["parameters"].values():
                if p["grad_norm"] is not None:
                    p["grad_norm"] /= scale
                    p["ratio"] = p["ratio"] / scale if p["ratio"] is not None else None
            for a in entry["activations"].values():
                if a.get("grad_norm") is not None:
                    a["grad_norm"] /= scale
            for w in entry["watched"].values():
                w["norm"] = w["norm"] / scale if w["norm"] is not None else None
                w["profile"] = [v / scale for v in w["profile"]] if w["profile"] is not None else None
            entry["unscaled_by"] = scale
            self._warn_once("scaler", (
                f"GradientFlowRecorder: record() read gradients scaled by a GradScaler (scale {scale:g}); this step "
                "was divided by the scale. Call scaler.unscale_(optimizer) before record(), or pass scaler= to "
                "the recorder."))

    def _after_step(self, optimizer, args, kwargs):
        self._in_step = False
        self._optimizer_steps += 1
        if not self._armed:
            return
        self._armed = False
        names = [n for n in self.parameters if n in self._snapshot]
        # ‖θ_before‖ was measured by record(), on the weights the snapshot copied
        weights = self.steps[-1]["parameters"]
        before = {n: weights[n]["weight_norm"] for n in names if n in weights}
        changes = [self._snapshot[n] for n in names]
        if changes:  # the snapshot's buffers now hold θ_before − θ_after
            torch._foreach_sub_(changes, [self.parameters[n].detach() for n in names])
        change = dict(zip(names, _distributed.norms(changes)))
        updates = {n: (change[n] / before[n] if before.get(n) else None) for n in self.parameters}
        self.updates.append(updates)
        step = self.steps[-1]["step"]
        self.update_steps.append(step)
        if any(buffer.device.type != "cpu" for buffer in self._snapshot.values()):
            self._snapshot = {}
        if self.sinks and self.is_main:
            values = {f"update/{n}": u for n, u in updates.items() if u is not None}
            for sink in self.sinks:
                sink.write(step, values, [])

    def detach(self) -> None:
        """Remove every hook this recorder added; the recorded data stays available.

        Also closes the sinks that have a `close()` method.
        """
        for handle in self._handles + self._forward:
            handle.remove()
        self._handles, self._forward, self._targets = [], [], []
        self._hooked = set()
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
        """Names and values of `key` for the weight matrices the trend is fitted to, input → output.

        Matrices without a gradient (frozen, unused) and sparse-gradient parameters
        (embeddings, see `sparse`) are left out; an exactly zero or non-finite gradient stays
        in its place.

        Args:
            step: index into `steps` (the last recorded step by default).
            key: `"ratio"` (gradient-to-weight ratio), `"grad_norm"` or `"weight_norm"`.

        Returns:
            `(names, values)`, two lists of the same length.
        """
        entry = self._step(step)["parameters"]
        names, values = [], []
        for name, p in self.parameters.items():
            if name not in entry or name in self.sparse:
                continue
            value = entry[name][key]
            if p.dim() >= 2 and value is not None:
                names.append(name)
                values.append(value)
        return names, values

    def history(self, name: str, key: str = "grad_norm") -> list:
        """One parameter's `key` at every recorded step (`None` where it had no gradient or did not exist).

        Raises:
            KeyError: no parameter of that name; the message lists the known names.
        """
        if name not in self.parameters:
            raise KeyError(f"no parameter named {name!r}; known: {', '.join(self.parameters)}")
        return [entry["parameters"].get(name, {}).get(key) for entry in self.steps]

    def blocks(self, step: int = -1) -> dict[str, list[str]]:
        """The profile's weight matrices grouped by block (module prefix up to the first index)."""
        names, _ = self.profile(step)
        out: dict[str, list[str]] = {}
        for name in names:
            out.setdefault(_block(name), []).append(name)
        return out

    def diagnose(self, step: int = -1) -> dict:
        """Judge one recorded step.

        Args:
            step: index into `steps` (the last recorded step by default).

        Returns:
            `{"healthy": bool, "flags": [Flag, …], "trends": {where: {"trend_decades",
            "factor_per_step", "per", …}}, "not_judged": {where: why}}`. `healthy` is False
            whenever a flag is raised, including a NaN, infinite or all-zero gradient.

        Raises:
            RuntimeError: nothing recorded yet.
        """
        return _diagnosis.diagnose_entry(self._step(step), self.profile(step), self)

    def report(self, step: int = -1) -> str:
        """A short text report of one recorded step (see [`gradient_flow.report`][gradient_flow.report]).

        Args:
            step: index into `steps` (the last recorded step by default).

        Raises:
            RuntimeError: nothing recorded yet.
        """
        from gradient_flow.report import report

        return report(self, step)

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

    def plot_gradients(self, ax: Axes | None = None, key: str = "grad_norm") -> Axes:
        """Plot every weight matrix's `key` over the recorded steps (needs matplotlib).

        Args:
            ax: a matplotlib `Axes` to draw on (a new figure by default).
            key: `"grad_norm"` (default), `"ratio"` or `"weight_norm"`.

        Returns:
            The `Axes`, on a log scale fitted to the data.
        """
        from gradient_flow.plotting import plot_gradients

        return plot_gradients(self, ax, key)

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
        from gradient_flow.plotting import plot_updates

        return plot_updates(self, ax)


__all__ += ["Flag"]
