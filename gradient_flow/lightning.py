"""A PyTorch Lightning callback that runs a recorder during `trainer.fit`.

Needs Lightning (`pip install "gradient-flow[lightning]"`):

```python
from lightning.pytorch import Trainer
from gradient_flow.lightning import GradientFlowCallback

callback = GradientFlowCallback(every=10)
Trainer(callbacks=[callback]).fit(module, data)
print(callback.recorder.report())
```

The series go to the trainer's loggers (`log_metrics`), prefixed with `gradient_flow/`.
"""

from __future__ import annotations

from typing import Any

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the standalone package name
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError as error:
        raise ImportError(
            'gradient_flow.lightning needs PyTorch Lightning: pip install "gradient-flow[lightning]"'
        ) from error

from gradient_flow.recorder import GradientFlowRecorder
from gradient_flow.sinks import CallbackSink

__all__ = ["GradientFlowCallback"]


class GradientFlowCallback(Callback):
    """Attach a [`GradientFlowRecorder`][gradient_flow.GradientFlowRecorder] for the length of `fit`.

    The recorder is created at the start of `fit` on the LightningModule and the first
    optimizer, records before each optimizer step, writes to the trainer's loggers, and is
    detached at the end of `fit` (also when it fails). With gradient accumulation it records
    the accumulated gradient, once per optimizer step. Lightning calls this hook inside the
    optimizer's closure; the recorder copies the weights in `record()`, so the update-to-weight
    ratios are recorded too.

    Args:
        every: record one optimizer step in `every`.
        log: write the series to the trainer's loggers.
        **options: passed on to the recorder (`activations=`, `sinks=`, …).

    Attributes:
        recorder: the recorder of the last `fit` (`None` before).
    """

    def __init__(self, every: int = 10, log: bool = True, **options: Any):
        super().__init__()
        self.every, self.log, self.options = every, log, options
        self.recorder: GradientFlowRecorder | None = None
        self._trainer = None

    def _log(self, step: int, scalars: dict, flags: list) -> None:
        for logger in self._trainer.loggers:
            logger.log_metrics({f"gradient_flow/{k}": v for k, v in scalars.items()}, step=step)

    def on_fit_start(self, trainer, pl_module) -> None:
        self._trainer = trainer
        sinks = list(self.options.pop("sinks", ()))
        if self.log:
            sinks.append(CallbackSink(self._log))
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        self.recorder = GradientFlowRecorder(pl_module, optimizer=optimizer, every=self.every, sinks=sinks,
                                             **self.options)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self.recorder is not None:
            self.recorder.record()

    def on_fit_end(self, trainer, pl_module) -> None:
        if self.recorder is not None:
            self.recorder.detach()

    def on_exception(self, trainer, pl_module, exception) -> None:
        if self.recorder is not None:
            self.recorder.detach()
