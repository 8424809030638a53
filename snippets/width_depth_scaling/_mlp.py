"""The batched MLP and its two parametrisations, shared by the width experiments.

An ensemble of M bias-free ReLU MLPs, input d_in → n → … → n → 1, stored as stacked
weights (M, fan_in, fan_out) and run with torch.bmm, so that networks of one width train
side by side as one program. Each member may have its own learning rate.

Standard parametrisation (SP): PyTorch's default nn.Linear init, U(±1/√fan_in), for every
layer, and one learning rate for all of them.

μP (Yang & Hu 2021; Yang et al. 2022, their Table 3 for Adam), written relative to a base
width n₀ at which it coincides with SP: input and hidden weights initialised as in SP;
the readout's init scaled by a further √(n₀/n) (variance ∝ 1/n², not SP's 1/n); the Adam learning rate of
the hidden and readout weights scaled by n₀/n, the input layer's kept.
"""

import torch

PARAMETRISATIONS = ("SP", "muP")


def init_weights(width: int, inputs: int, hidden_layers: int, members: int,
                 parametrisation: str, base_width: int, rng: torch.Generator) -> list[torch.Tensor]:
    """Stacked weights [(M, d_in, n), (M, n, n) × (hidden_layers − 1), (M, n, 1)]."""
    if parametrisation not in PARAMETRISATIONS:
        raise ValueError(f"parametrisation {parametrisation!r}: use one of {PARAMETRISATIONS}")
    shapes = [(inputs, width)] + [(width, width)] * (hidden_layers - 1) + [(width, 1)]
    weights = []
    for fan_in, fan_out in shapes:
        bound = fan_in ** -0.5  # nn.Linear's default: kaiming_uniform_(a=√5) = U(±1/√fan_in)
        w = (torch.rand(members, fan_in, fan_out, generator=rng) * 2 - 1) * bound
        weights.append(w)
    if parametrisation == "muP":
        weights[-1] = weights[-1] * (base_width / width) ** 0.5
    return [w.requires_grad_() for w in weights]


def lr_multipliers(width: int, hidden_layers: int, parametrisation: str,
                   base_width: int) -> list[float]:
    """Each layer's learning rate over the global one: all 1 under SP; n₀/n for the hidden
    and readout weights under μP."""
    if parametrisation == "SP":
        return [1.0] * (hidden_layers + 1)
    return [1.0] + [base_width / width] * hidden_layers


def forward(weights: list[torch.Tensor], x: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's output for the inputs x (M, B, d_in): the hidden ReLU activations,
    then the readout (M, B, 1)."""
    outputs, h = [], x
    for w in weights[:-1]:
        h = torch.relu(torch.bmm(h, w))
        outputs.append(h)
    outputs.append(torch.bmm(h, weights[-1]))
    return outputs


class BatchedAdam:
    """Adam (Kingma & Ba 2015; PyTorch's defaults, bias-corrected) for stacked weights,
    with a learning rate per member and per layer: lr[m] · multiplier[layer]."""

    def __init__(self, weights, lr: torch.Tensor, multipliers, betas=(0.9, 0.999), eps=1e-8):
        self.weights, self.multipliers = weights, multipliers
        self.lr = lr.reshape(-1, 1, 1)
        self.betas, self.eps, self.t = betas, eps, 0
        self.m = [torch.zeros_like(w) for w in weights]
        self.v = [torch.zeros_like(w) for w in weights]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        correction1, correction2 = 1 - b1 ** self.t, (1 - b2 ** self.t) ** 0.5
        for w, m, v, k in zip(self.weights, self.m, self.v, self.multipliers):
            m.lerp_(w.grad, 1 - b1)
            v.mul_(b2).addcmul_(w.grad, w.grad, value=1 - b2)
            update = v.sqrt().div_(correction2).add_(self.eps)  # in place: one buffer
            torch.div(m, update, out=update).mul_(self.lr * (k / correction1))
            w.sub_(update)
            w.grad = None


def regression_batch(batch: int, inputs: int, rng: torch.Generator):
    """A fixed synthetic regression batch: Gaussian inputs, a smooth target of them."""
    x = torch.randn(batch, inputs, generator=rng)
    direction = torch.randn(inputs, generator=rng) / inputs ** 0.5
    y = torch.sin(2 * x @ direction).unsqueeze(-1)
    return x, y
