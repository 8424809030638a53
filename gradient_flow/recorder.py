"""The recorder, as it was imported before the package was split in four modules.

`gradient_flow.recorder` keeps the old import path working; the code lives in
`capture` (the hooks and what a recorded step stores),
`diagnosis` (thresholds, the fitted trend, flags),
`report` (the text report) and `plotting`.
"""

from gradient_flow.capture import GradientFlowRecorder, unwrap_model, unwrap_optimizer
from gradient_flow.diagnosis import Flag, fitted_trend

__all__ = ["GradientFlowRecorder", "Flag", "unwrap_model", "unwrap_optimizer", "fitted_trend"]
