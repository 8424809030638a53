"""gradient_flow: see which layers of your model get too little or too much gradient.

Attach a [`GradientFlowRecorder`][gradient_flow.GradientFlowRecorder] to any
`torch.nn.Module`, call `record()` after each backward pass, and read a report that flags
vanishing and exploding gradients, saturated and dead units, and names the layers at fault:

```python
import torch
from torch import nn
from gradient_flow import GradientFlowRecorder

model = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1))
recorder = GradientFlowRecorder(model)
model(torch.randn(32, 8)).pow(2).mean().backward()
recorder.record()
print(recorder.report())
```

Modules: `gradient_flow.capture` (the recorder's hooks),
[`gradient_flow.diagnosis`][gradient_flow.diagnosis] (thresholds, the fitted trend, flags),
[`gradient_flow.report`][gradient_flow.report] (the text report), `gradient_flow.plotting`,
[`gradient_flow.sinks`][gradient_flow.sinks] (TensorBoard, JSON lines, any logger),
[`gradient_flow.checks`][gradient_flow.checks] (the initial-loss check, before the first step),
`gradient_flow.lightning` (a PyTorch Lightning callback) and `gradient_flow.integrations`
(a Hugging Face `TrainerCallback`), the last two optional extras.
"""

from gradient_flow.capture import GradientFlowRecorder, unwrap_model, unwrap_optimizer
from gradient_flow.checks import InitialLossCheck, initial_loss_check
from gradient_flow.diagnosis import Flag, fitted_trend, flag_kinds

__version__ = "0.2.0"

__all__ = ["GradientFlowRecorder", "Flag", "unwrap_model", "unwrap_optimizer", "fitted_trend", "flag_kinds",
           "initial_loss_check", "InitialLossCheck", "__version__"]
