"""A Hugging Face `transformers` callback that runs a recorder during `Trainer.train()`.

Needs `transformers` (and the `accelerate` its `Trainer` uses):

```python
from transformers import Trainer
from gradient_flow.integrations import GradientFlowTrainerCallback

callback = GradientFlowTrainerCallback(every=10)
Trainer(model=model, args=args, train_dataset=data, callbacks=[callback]).train()
print(callback.recorder.report())
```

The recorder is attached to the Trainer's model and optimizer (accelerate's
`AcceleratedOptimizer` is unwrapped) when training begins, records once per optimizer step
— the accumulated gradient, with `gradient_accumulation_steps` — and is detached when
training ends. The Trainer clips gradients (`max_grad_norm`) before this callback runs, so
the recorded gradient is the clipped one; clipping rescales every layer alike and leaves the
trend unchanged.
"""

from __future__ import annotations

from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as error:
    raise ImportError("gradient_flow.integrations needs transformers: pip install transformers") from error

from gradient_flow.capture import GradientFlowRecorder

__all__ = ["GradientFlowTrainerCallback"]


class GradientFlowTrainerCallback(TrainerCallback):
    """Attach a [`GradientFlowRecorder`][gradient_flow.GradientFlowRecorder] for the length of `Trainer.train()`.

    Args:
        every: record one optimizer step in `every`.
        print_every: print the report of every this many-th recorded step on the main
            process (0: never; the report is always available as `recorder.report()`).
        **options: passed on to the recorder (`activations=`, `sinks=`, …).

    Attributes:
        recorder: the recorder of the last `train()` (`None` before).
    """

    def __init__(self, every: int = 10, print_every: int = 0, **options: Any):
        self.every, self.print_every, self.options = every, print_every, options
        self.recorder: GradientFlowRecorder | None = None

    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        if model is None:
            raise ValueError("GradientFlowTrainerCallback: the Trainer passed no model to on_train_begin")
        self.recorder = GradientFlowRecorder(model, optimizer=optimizer, every=self.every, **self.options)

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.recorder is None:
            return
        entry = self.recorder.record()
        if entry is not None and self.print_every and state.is_world_process_zero \
                and (len(self.recorder.steps) - 1) % self.print_every == 0:
            print(self.recorder.report())

    def on_train_end(self, args, state, control, **kwargs):
        if self.recorder is not None:
            self.recorder.detach()
