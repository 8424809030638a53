"""What the GradientFlowRecorder costs per training step, on the CPU.

Two models, each trained with SGD on a fixed random batch:

* a compact ResNet-18 (the CIFAR variant: 3×3 stem, four stages of two basic blocks,
  11.2 M parameters) on 3×32×32 images, batch 16;
* an MLP of 8 layers of width 512 with ReLU, batch 64;
* a Transformer encoder: 12 of PyTorch's encoder layers (d = 128, 4 heads, feed-forward
  512, post-LN), mean-pooled into a linear head, on 8 sequences of 64 tokens.

For each model the same training step runs bare and under a recorder (with the optimizer
attached), recording every step or every 10th (`every=10`), with and without the activation
hooks; each mode trains its own copy of the model. The time is the process's CPU time
(`time.process_time`, one torch thread), which a busy machine's other processes disturb far
less than wall-clock time. The modes take turns, one block of 10 steps each per round (a
block of `every=10` holds exactly one recorded step), and a mode's overhead is the median over
rounds of (its block's time − the bare block's time in the same round) / the bare block's time.

    python scripts/bench_recorder.py            # the three models, 1 thread
    python scripts/bench_recorder.py --threads 2 --rounds 9
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gradient_flow import GradientFlowRecorder  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.relu2 = nn.ReLU()
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(out)) + self.shortcut(x))


def resnet18(classes: int = 10) -> nn.Module:
    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    inputs = 64
    for outputs, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(inputs, outputs, stride), BasicBlock(outputs, outputs, 1)]
        inputs = outputs
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def mlp(depth: int = 8, width: int = 512, classes: int = 10) -> nn.Module:
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, classes))


class Encoder(nn.Module):
    """12 encoder layers (d = 128), mean-pooled into a classification head."""

    def __init__(self, layers: int = 12, width: int = 128, classes: int = 10):
        super().__init__()
        layer = nn.TransformerEncoderLayer(width, 4, 4 * width, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


MODES = {  # name: recorder options, or None for the bare step
    "bare": None,
    "every step": {"every": 1},
    "every step, no activation hooks": {"every": 1, "activations": False},
    "every 10": {"every": 10},
    "every 10, no activation hooks": {"every": 10, "activations": False},
}
BLOCK = 10  # steps timed at a time: one recording cycle of `every=10`


class Trainer:
    """One mode: its own copy of the model, its optimizer, and (unless bare) its recorder."""

    def __init__(self, model: nn.Module, options: dict | None):
        self.model = copy.deepcopy(model)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1e-3, momentum=0.9)
        self.recorder = (None if options is None
                         else GradientFlowRecorder(self.model, optimizer=self.optimizer, **options))
        self.loss_fn = nn.CrossEntropyLoss()

    def block(self, inputs, targets, steps: int = BLOCK) -> float:
        """CPU seconds per training step over ``steps`` steps (a recorded step first, with `every=10`)."""
        start = time.process_time()
        for _ in range(steps):
            loss = self.loss_fn(self.model(inputs), targets)
            self.optimizer.zero_grad()
            loss.backward()
            if self.recorder is not None:
                self.recorder.record()
            self.optimizer.step()
        return (time.process_time() - start) / steps


def bench(name: str, model: nn.Module, inputs, targets, rounds: int) -> dict:
    """Each round times one block of every mode, one after another; a mode's overhead is the
    median over rounds of its block's time against the bare block of the same round, so that
    the machine's slow drifts (other processes, clock speed) cancel out."""
    trainers = {mode: Trainer(model, options) for mode, options in MODES.items()}
    for trainer in trainers.values():
        trainer.block(inputs, targets)  # warm-up (allocations, the recorder's first step)
    times = {mode: [] for mode in MODES}
    for _ in range(rounds):
        for mode, trainer in trainers.items():
            times[mode].append(trainer.block(inputs, targets))
    for trainer in trainers.values():
        if trainer.recorder is not None:
            trainer.recorder.detach()
    bare = times["bare"]
    print(f"\n{name}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, "
          f"input {tuple(inputs.shape)}, {rounds} rounds of {BLOCK} steps per mode")
    print("| mode | CPU ms per step | overhead (median of rounds) | middle half of rounds |")
    print("| --- | --- | --- | --- |")
    overheads = {}
    for mode, values in times.items():
        if mode == "bare":
            print(f"| {mode} | {statistics.median(values) * 1e3:.1f} | — | — |")
            continue
        ratios = sorted(v / b - 1 for v, b in zip(values, bare))
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        overheads[mode] = quartiles[1] if len(ratios) > 1 else ratios[0]
        print(f"| {mode} | {statistics.median(values) * 1e3:.1f} | {statistics.median(ratios):+.1%} | "
              f"{quartiles[0]:+.1%} … {quartiles[2]:+.1%} |")
    return overheads


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds per model (default: 7 for the ResNet, 40 for the MLP, 20 for the encoder)")
    parser.add_argument("--models", nargs="+", choices=("resnet", "mlp", "encoder"),
                        default=["resnet", "mlp", "encoder"], help="which models (default: all three)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    if "resnet" in args.models:
        bench("ResNet-18", resnet18(), torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,)), args.rounds or 7)
    if "mlp" in args.models:
        bench("MLP 8 × 512", mlp(), torch.randn(64, 512), torch.randint(0, 10, (64,)), args.rounds or 40)
    if "encoder" in args.models:
        bench("TransformerEncoder 12 × d128", Encoder(), torch.randn(8, 64, 128), torch.randint(0, 10, (8,)),
              args.rounds or 20)

if __name__ == "__main__":
    main()
