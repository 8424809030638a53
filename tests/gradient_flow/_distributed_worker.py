"""The body of each rank in test_distributed.py (a module of its own, so spawn can import it).

Each rank takes its half of one global batch, trains one step under DistributedDataParallel
and one under FSDP2 (fully_shard), with a recorder attached, and writes what it recorded to
``<folder>/rank<r>.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from gradient_flow import GradientFlowRecorder

BATCH, WIDTH = 16, 8


def make_model() -> nn.Module:
    """Linear layers with sigmoid, tanh and ReLU between them; some ReLU units fire rarely."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(WIDTH, WIDTH), nn.Sigmoid(),
        nn.Linear(WIDTH, WIDTH), nn.Tanh(),
        nn.Linear(WIDTH, 2 * WIDTH), nn.ReLU(),
        nn.Linear(2 * WIDTH, WIDTH),
    )
    with torch.no_grad():
        model[0].weight.mul_(6.0)  # a partly saturated sigmoid
        model[2].weight.mul_(4.0)  # a partly saturated tanh
        model[4].bias.fill_(-0.2)  # ReLU units that fire on a few examples only
    return model


def make_batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(BATCH, WIDTH, generator=generator), torch.randn(BATCH, WIDTH, generator=generator)


def train_step(model: nn.Module, recorder: GradientFlowRecorder, optimizer, inputs, targets) -> None:
    inputs = recorder.watch(inputs.clone().requires_grad_(True), "inputs", along=1)
    loss = nn.functional.mse_loss(model(inputs), targets)  # a mean over the examples, as DDP assumes
    optimizer.zero_grad()
    loss.backward()
    recorder.record()
    optimizer.step()


def summary(recorder: GradientFlowRecorder) -> dict:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        recorder.print_report()
    return {"step": recorder.steps[-1], "updates": recorder.updates[-1], "report": recorder.report(),
            "printed": printed.getvalue(), "flags": [f.as_dict() for f in recorder.diagnose()["flags"]]}


def run(rank: int, world: int, port: int, folder: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=timedelta(seconds=60))
    try:
        inputs, targets = make_batch()
        part = slice(rank * BATCH // world, (rank + 1) * BATCH // world)
        out = {}

        ddp = nn.parallel.DistributedDataParallel(make_model())
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
        with GradientFlowRecorder(ddp, optimizer=optimizer) as recorder:
            train_step(ddp, recorder, optimizer, inputs[part], targets[part])
        out["ddp"] = summary(recorder)
        out["ddp"]["wrappers"] = recorder.wrappers

        from torch.distributed.fsdp import fully_shard

        model = make_model()
        for layer in model:
            if isinstance(layer, nn.Linear):
                fully_shard(layer)
        fully_shard(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with GradientFlowRecorder(model, optimizer=optimizer) as recorder:
            train_step(model, recorder, optimizer, inputs[part], targets[part])
        out["fsdp"] = summary(recorder)
        out["fsdp"]["local_shape"] = list(model[0].weight.to_local().shape)
        with open(os.path.join(folder, f"rank{rank}.json"), "w") as file:
            json.dump(out, file)
        dist.barrier()  # no rank tears gloo down while another still talks to it
    finally:
        dist.destroy_process_group()
