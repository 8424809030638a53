"""Sinks: write each recorded step's series and flags to a logger.

A sink is any object with a `write(step, scalars, flags)` method (and optionally
`close()`); pass sinks to the recorder and it calls them, on rank 0 only, at every recorded
step and after every recorded optimizer step:

```python
from gradient_flow import GradientFlowRecorder
from gradient_flow.sinks import JSONLinesSink, TensorBoardSink

recorder = GradientFlowRecorder(model, optimizer=optimizer, every=10,
                                sinks=[TensorBoardSink("runs/gradients"), JSONLinesSink("gradients.jsonl")])
```

* `step` is the training step (the number of `record()` calls before this one).
* `scalars` is a flat `{name: float}` dict, with names such as
  `grad_norm/<parameter>`, `ratio/<parameter>`, `update/<parameter>`,
  `activation/<module>/std` (also `mean`, `grad_norm`, `dead`, `saturated`),
  `trend/<profile>` (in decades), `flags/<kind>` (how many flags of that kind),
  `flags/total` and `healthy` (1.0 or 0.0). Missing values (no gradient) are left out.
* `flags` is a list of dicts (`kind`, `where`, `value`, `threshold`, `message`, `layers`).

For Weights & Biases, MLflow or any other logger, wrap its logging call in a
[`CallbackSink`][gradient_flow.sinks.CallbackSink]:

```python
import wandb
sink = CallbackSink(lambda step, scalars, flags: wandb.log(scalars, step=step))
```
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Callable

__all__ = ["scalars", "CallbackSink", "JSONLinesSink", "TensorBoardSink"]


def _clean(name: str) -> str:
    return name.replace(" ", "_")


def scalars(entry: dict, diagnosis: dict | None = None) -> dict[str, float]:
    """The flat `{name: float}` series of one recorded step (see the module documentation).

    Args:
        entry: one of the recorder's `steps`.
        diagnosis: its [`diagnose`][gradient_flow.GradientFlowRecorder.diagnose] result, for
            the trends and flag counts (left out if `None`).
    """
    out: dict[str, float] = {}
    for name, p in entry["parameters"].items():
        for key in ("grad_norm", "weight_norm", "ratio"):
            if p[key] is not None:
                out[f"{key}/{name}"] = float(p[key])
    for name, a in entry["activations"].items():
        for key in ("mean", "std", "grad_norm", "dead", "saturated"):
            if a.get(key) is not None:
                out[f"activation/{name}/{key}"] = float(a[key])
    for name, w in entry["watched"].items():
        if w.get("norm") is not None:
            out[f"watched/{_clean(name)}/grad_norm"] = float(w["norm"])
    if diagnosis is not None:
        for where, trend in diagnosis["trends"].items():
            out[f"trend/{_clean(where)}"] = float(trend["trend_decades"])
        for flag in diagnosis["flags"]:
            out[f"flags/{flag.kind}"] = out.get(f"flags/{flag.kind}", 0.0) + 1.0
        out["flags/total"] = float(len(diagnosis["flags"]))
        out["healthy"] = 1.0 if diagnosis["healthy"] else 0.0
    return out


class CallbackSink:
    """Call a function with each recorded step: the adapter for any logger.

    Args:
        callback: called as `callback(step, scalars, flags)`.
    """

    def __init__(self, callback: Callable[[int, dict, list], Any]):
        self.callback = callback

    def write(self, step: int, scalars: dict, flags: list) -> None:
        """Pass one step's series and flags to the callback."""
        self.callback(step, scalars, flags)


class JSONLinesSink:
    """Append one JSON object per write to a file: `{"step": …, "scalars": {…}, "flags": […]}`.

    JSON lines are read back with `[json.loads(line) for line in open(path)]`, or
    `pandas.read_json(path, lines=True)`, and uploaded as an artifact by any tracker.

    Args:
        target: a path (opened for appending; its folder is created) or an open text file.
    """

    def __init__(self, target: str | os.PathLike | IO[str]):
        if hasattr(target, "write"):
            self.file, self._owned = target, False
        else:
            folder = os.path.dirname(os.fspath(target))
            if folder:
                os.makedirs(folder, exist_ok=True)
            self.file, self._owned = open(target, "a", encoding="utf-8"), True

    def write(self, step: int, scalars: dict, flags: list) -> None:
        """Write one line and flush it."""
        self.file.write(json.dumps({"step": step, "scalars": scalars, "flags": flags}) + "\n")
        self.file.flush()

    def close(self) -> None:
        """Close the file if this sink opened it."""
        if self._owned and not self.file.closed:
            self.file.close()


class TensorBoardSink:
    """Write the series as TensorBoard scalars and the flags as text.

    Needs the `tensorboard` package (`pip install "gradient-flow[tensorboard]"`), which
    `torch.utils.tensorboard` uses.

    Args:
        writer: a `torch.utils.tensorboard.SummaryWriter`, or a log directory for a new
            one (closed by `close()`).
        prefix: prepended to every tag (`"gradient_flow/"` by default), so that the series
            stay together in TensorBoard's list.
    """

    def __init__(self, writer: Any, prefix: str = "gradient_flow/"):
        if isinstance(writer, (str, os.PathLike)):
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as error:
                raise ImportError(
                    'TensorBoardSink needs the tensorboard package: pip install "gradient-flow[tensorboard]"'
                ) from error
            writer, self._owned = SummaryWriter(os.fspath(writer)), True
        else:
            self._owned = False
        self.writer = writer
        self.prefix = prefix

    def write(self, step: int, scalars: dict, flags: list) -> None:
        """One `add_scalar` per series; the flags' messages as one `add_text`."""
        for name, value in scalars.items():
            self.writer.add_scalar(self.prefix + name, value, step)
        if flags:
            self.writer.add_text(self.prefix + "flags", "\n\n".join(f["message"] for f in flags), step)

    def close(self) -> None:
        """Flush the writer, and close it if this sink created it."""
        self.writer.flush()
        if self._owned:
            self.writer.close()
