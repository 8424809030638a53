"""A small pre-LN Transformer language model for an ensemble of runs, and its training loop.

Every weight has a leading ensemble dimension E: E independent networks, each with its own
learning rate, AdamW ε, QK-LayerNorm switch and z-loss weight, trained side by side as one
batched program. Nothing is shared between members, so the gradient of the summed losses
is, member by member, each network's own gradient.

The block is the pre-LN block of the Transformer chapter, h ← h + Attn(LN(h)),
h ← h + MLP(LN(h)), with causal attention and two optional ingredients of today's
large-model recipes: a LayerNorm on the queries and on the keys (QK-LayerNorm, Dehghani et
al. 2023) and the z-loss on the output's log-partition function (Chowdhery et al. 2022).
The forward pass also returns what the chapter watches: the largest attention logit of
each member and the mean log Z of its output.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from snippets.common import adam_step, generator

#: AdamW's (β₁, β₂), as in Wortsman et al. (2023) and most large-model recipes.
BETAS = (0.9, 0.95)


def layer_norm(h: torch.Tensor, gain: torch.Tensor | None = None) -> torch.Tensor:
    """LayerNorm over the last axis (no bias; a gain if given)."""
    centred = h - h.mean(-1, keepdim=True)
    normed = centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + 1e-5)
    return normed if gain is None else normed * gain


def normal(shape, rng: torch.Generator, std: float) -> nn.Parameter:
    return nn.Parameter(torch.randn(shape, generator=rng) * std)


# --8<-- [start:model]
class Block(nn.Module):
    """One pre-LN block for E members: causal self-attention and a ReLU MLP, each with a
    residual; every weight has the ensemble member on its first axis."""

    def __init__(self, E: int, d: int, heads: int, mlp: int, rng: torch.Generator):
        super().__init__()
        self.heads, std = heads, 1 / math.sqrt(d)
        self.wq, self.wk = normal((E, d, d), rng, std), normal((E, d, d), rng, std)
        self.wv, self.wo = normal((E, d, d), rng, std), normal((E, d, d), rng, std)
        self.w1 = normal((E, d, mlp * d), rng, std)
        self.w2 = normal((E, mlp * d, d), rng, 1 / math.sqrt(mlp * d))
        self.gain1 = nn.Parameter(torch.ones(E, 1, 1, d))
        self.gain2 = nn.Parameter(torch.ones(E, 1, 1, d))

    def forward(self, h: torch.Tensor, qk_norm: torch.Tensor):
        E, B, T, d = h.shape
        head_dim = d // self.heads
        x = layer_norm(h, self.gain1).reshape(E, B * T, d)
        split = lambda w: (x @ w).reshape(E, B, T, self.heads, head_dim).transpose(2, 3)
        q, k, v = split(self.wq), split(self.wk), split(self.wv)
        switch = qk_norm.view(E, 1, 1, 1, 1)
        q = torch.where(switch, layer_norm(q), q)  # QK-LayerNorm where switched on
        k = torch.where(switch, layer_norm(k), k)
        logits = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)  # (E, B, heads, T, T)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        logits = logits.masked_fill(~causal, -math.inf)
        weights = torch.softmax(logits, -1)
        # the attention's entropy in nats, mean over rows (Zhai et al. 2023 watch its collapse)
        self.entropy = -torch.special.xlogy(weights, weights).detach().sum(-1).mean((1, 2, 3))
        mixed = weights @ v
        h = h + (mixed.transpose(2, 3).reshape(E, B * T, d) @ self.wo).view(E, B, T, d)
        x = layer_norm(h, self.gain2).reshape(E, B * T, d)
        h = h + (torch.relu(x @ self.w1) @ self.w2).view(E, B, T, d)
        return h, logits.detach().flatten(1).amax(1)  # each member's largest logit


class TinyLM(nn.Module):
    """E pre-LN Transformer language models (causal), run as one batched program."""

    def __init__(self, ensemble: int, layers: int = 2, d: int = 32, heads: int = 2,
                 vocab: int = 16, length: int = 16, mlp: int = 2, seed: int = 0):
        super().__init__()
        rng = generator(seed)
        E = ensemble
        self.embed = normal((E, vocab, d), rng, 1.0)
        self.position = normal((E, 1, length, d), rng, 1.0)
        self.blocks = nn.ModuleList(Block(E, d, heads, mlp, rng) for _ in range(layers))
        self.readout = nn.ParameterDict({  # registered last: the toolkit lists input → output
            "final_gain": nn.Parameter(torch.ones(E, 1, 1, d)),
            "head": normal((E, d, vocab), rng, 1 / math.sqrt(d)),
        })

    def forward(self, tokens: torch.Tensor, qk_norm: torch.Tensor):
        """tokens (E, B, T); qk_norm (E,) bools. Returns the logits (E, B, T, vocab) and
        each member's largest attention logit q·k/√d_head over layers, heads and tokens;
        keeps each member's mean attention entropy as ``attention_entropy``.
        """
        E, B, T = tokens.shape
        h = self.embed[torch.arange(E).view(E, 1, 1), tokens] + self.position[:, :, :T]
        largest = []
        for block in self.blocks:
            h, block_largest = block(h, qk_norm)
            largest.append(block_largest)
        self.attention_entropy = torch.stack([block.entropy for block in self.blocks]).mean(0)
        out = layer_norm(h, self.readout["final_gain"]).reshape(E, B * T, -1) @ self.readout["head"]
        return out.view(E, B, T, -1), torch.stack(largest).amax(0)
# --8<-- [end:model]


def copy_batch(members: int, batch: int, half: int, vocab: int, rng: torch.Generator):
    """Sequences a₁…a_n SEP a₁…a_{n−1} (token 0 is SEP): from the separator on, each next
    token is the copy of one n positions back. Returns the inputs and the targets, shared
    by every member."""
    first = torch.randint(1, vocab, (batch, half), generator=rng)
    sequence = torch.cat([first, torch.zeros(batch, 1, dtype=torch.long), first], 1)
    inputs, targets = sequence[:, :-1], sequence[:, half:]  # targets: the copied half
    return inputs.expand(members, -1, -1), targets.expand(members, -1, -1)


# --8<-- [start:train]
def train(lr, qk_norm, z_loss, eps, *, replicas: int, loss_scale=None, steps: int, layers: int, d: int, heads: int,
          vocab: int, half: int, batch: int, seed: int, warmup: int = 10,
          weight_decay: float = 1e-4, rms: bool = False) -> dict:
    """Train len(lr) networks, member i with learning rate lr[i], QK-LayerNorm qk_norm[i],
    z-loss weight z_loss[i] and AdamW ε eps[i] (all tensors of shape (E,)), on the same
    batches. Member i starts from initial network i mod ``replicas``, so that settings are
    compared from the same starting points. ``loss_scale`` (E,) multiplies each member's
    loss (and so its gradient) if given.

    A linear warm-up over ``warmup`` steps, then a constant rate. Returns per step and
    member: the loss (cross-entropy on the copied half), the largest attention logit and the
    mean attention entropy, the
    mean log Z of the output, and (if ``rms``) the RMS of the gradient and of the update. A member whose loss
    turns non-finite is frozen (its learning rate set to zero) and marked.
    """
    members = len(lr)
    if members % replicas:
        raise ValueError(f"{members} members do not split into {replicas} replicas")
    model = TinyLM(replicas, layers, d, heads, vocab, 2 * half, seed=seed)
    with torch.no_grad():  # member i starts as initial network i mod replicas
        for p in model.parameters():
            p.data = p.data.repeat(members // replicas, *[1] * (p.dim() - 1))
    params = list(model.parameters())
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    rng = generator(seed + 1)
    alive = torch.ones(members, dtype=torch.bool)
    record = {k: [] for k in ("loss", "max_attention_logit", "attention_entropy", "log_z",
                              "grad_rms", "update_rms")}
    for step in range(1, steps + 1):
        inputs, targets = copy_batch(members, batch, half, vocab, rng)
        logits, largest = model(inputs, qk_norm)
        logits = logits[:, :, half - 1:]  # the positions that predict the copy
        log_z = torch.logsumexp(logits, -1)  # (E, B, half)
        picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        cross_entropy = (log_z - picked).mean((1, 2))
        loss = cross_entropy + z_loss * log_z.pow(2).mean((1, 2))  # PaLM's z-loss
        if loss_scale is not None:
            loss = loss * loss_scale
        grads = torch.autograd.grad(loss.sum(), params)
        alive &= torch.isfinite(loss.detach())
        grads = [torch.nan_to_num(g) for g in grads]
        rate = torch.where(alive, lr * min(1.0, step / warmup), 0.0)
        with torch.no_grad():
            updates = adam_step(params, grads, state, rate, step, BETAS, eps, weight_decay)
        record["loss"].append(torch.where(alive, cross_entropy.detach(), math.inf))
        record["max_attention_logit"].append(largest)
        record["attention_entropy"].append(model.attention_entropy)
        record["log_z"].append(log_z.detach().mean((1, 2)))
        if rms:  # over all of a member's parameters
            flat = lambda tensors: torch.cat([t.reshape(members, -1) for t in tensors], 1)
            record["grad_rms"].append(flat(grads).pow(2).mean(1).sqrt())
            record["update_rms"].append(flat(updates).pow(2).mean(1).sqrt())
    return {k: torch.stack(v).double().numpy() for k, v in record.items() if v}  # (steps, E)
# --8<-- [end:train]
