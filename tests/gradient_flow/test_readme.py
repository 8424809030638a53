"""The README's "Use it on your model" examples run as printed, on a small model of our own."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest
import torch
from torch import nn

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Use it on your model", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def namespace() -> dict:
    torch.manual_seed(0)
    layers = []
    for _ in range(10):
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 4))  # deep sigmoid: the report flags vanishing
    inputs, targets = torch.randn(32, 16), torch.randn(32, 4)
    return {"model": model, "loss_fn": nn.functional.mse_loss, "inputs": inputs, "targets": targets,
            "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "loader": [(inputs, targets)] * 12}


def test_the_first_example_runs_as_written_in_an_empty_namespace_and_prints_a_report():
    first = examples()[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(first, {})  # nothing defined beforehand: it must run as printed
    assert printed.getvalue().startswith("Gradient flow at training step 0")
    assert "VANISHING" in printed.getvalue() and "at fault: 0.weight" in printed.getvalue()


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib (the [plot] extra) is not installed")
def test_the_training_loop_example_records_every_tenth_step_and_detaches():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scope = namespace()
    exec("\n".join(examples()[0].splitlines()[:3]), scope)  # the imports of the first example
    exec(examples()[1], scope)
    recorder = scope["recorder"]
    assert [entry["step"] for entry in recorder.steps] == [0, 10] and len(recorder.updates) == 2
    assert all(not m._forward_hooks for m in scope["model"].modules())
    plt.close("all")
