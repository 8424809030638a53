"""gradient_flow: see which layers of your model get too little or too much gradient.

Attach a [`GradientFlowRecorder`][gradient_flow.GradientFlowRecorder] to any
`torch.nn.Module`, call `record()` after each backward pass, and read a report that flags
vanishing and exploding gradients, saturated and dead units, and names the layers at fault:

```python
from gradient_flow import GradientFlowRecorder

recorder = GradientFlowRecorder(model)
loss_fn(model(inputs), targets).backward()
recorder.record()
print(recorder.report())
```

Modules: [`gradient_flow.recorder`][gradient_flow.recorder] (the recorder and its manual),
[`gradient_flow.sinks`][gradient_flow.sinks] (TensorBoard, JSON lines, any logger), and
`gradient_flow.lightning` (a PyTorch Lightning callback, an optional extra).
"""

from gradient_flow.recorder import Flag, GradientFlowRecorder, unwrap_model

__version__ = "0.1.0"

__all__ = ["GradientFlowRecorder", "Flag", "unwrap_model", "__version__"]
