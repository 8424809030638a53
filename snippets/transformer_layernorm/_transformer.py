"""A small Transformer encoder in plain matmuls, for an ensemble of independent copies.

Every weight has a leading ensemble dimension E: ``E`` networks of identical shape,
drawn from different random streams, run side by side in one batched forward pass.
Nothing is shared between members, so the gradient of the summed losses is, member by
member, each network's own gradient — an ensemble of runs for the price of one (E = 1 is
one network). The placement of LayerNorm is the only difference between the three block
types:

* ``post``: h ← LN(h + Attn(h)); h ← LN(h + FFN(h))           (Vaswani et al. 2017)
* ``pre``:  h ← h + Attn(LN(h)); h ← h + FFN(LN(h)); a final LN before the head
* ``deep``: h ← LN(α·h + Attn(h)); h ← LN(α·h + FFN(h)), FFN/value/output weights ×β
  (DeepNorm, Wang et al. 2022: α = (2N)^¼, β = (8N)^−¼ for an N-layer encoder)
"""

from __future__ import annotations

import math

import torch
from torch import nn


def xavier(shape, rng: torch.Generator, gain: float = 1.0) -> torch.Tensor:
    """Xavier-normal weights (E, fan_in, fan_out): std gain·√(2/(fan_in + fan_out))."""
    fan_in, fan_out = shape[-2], shape[-1]
    return (
        torch.randn(shape, generator=rng) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    )


# --8<-- [start:blocks]
def layer_norm(
    h: torch.Tensor, gain: torch.Tensor, shift: torch.Tensor
) -> torch.Tensor:
    """LayerNorm over each token's features: no batch statistics."""
    centred = h - h.mean(-1, keepdim=True)
    scale = torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + 1e-5)
    return centred * scale * gain + shift


class Block(nn.Module):
    """One encoder layer: multi-head self-attention and a ReLU FFN, each with a
    residual.
    """

    def __init__(
        self,
        kind: str,
        ensemble: int,
        d: int,
        heads: int,
        ffn: int,
        layers: int,
        rng: torch.Generator,
    ):
        super().__init__()
        self.kind, self.heads = kind, heads
        alpha, beta = 1.0, 1.0
        if kind == "deep":
            alpha, beta = (2 * layers) ** 0.25, (8 * layers) ** -0.25
        self.alpha = alpha
        E = ensemble
        self.wq = nn.Parameter(xavier((E, d, d), rng))
        self.wk = nn.Parameter(xavier((E, d, d), rng))
        self.wv = nn.Parameter(xavier((E, d, d), rng, beta))
        self.wo = nn.Parameter(xavier((E, d, d), rng, beta))
        self.w1 = nn.Parameter(xavier((E, d, ffn), rng, beta))
        self.w2 = nn.Parameter(xavier((E, ffn, d), rng, beta))
        self.ln1 = nn.ParameterList(
            [
                nn.Parameter(torch.ones(E, 1, 1, d)),
                nn.Parameter(torch.zeros(E, 1, 1, d)),
            ]
        )
        self.ln2 = nn.ParameterList(
            [
                nn.Parameter(torch.ones(E, 1, 1, d)),
                nn.Parameter(torch.zeros(E, 1, 1, d)),
            ]
        )

    def attention(self, h):  # h: (E, B, T, d); weights (E, d, d) act on every token
        E, B, T, d = h.shape
        flat = h.reshape(E, B * T, d)
        # noqa: E731
        split = lambda x: x.reshape(E, B, T, self.heads, -1).transpose(2, 3)
        q = split(flat @ self.wq) / math.sqrt(d // self.heads)
        k, v = split(flat @ self.wk), split(flat @ self.wv)
        scores = q @ k.transpose(-1, -2)  # (E, B, heads, T, T)
        weights = torch.exp(scores - scores.amax(-1, keepdim=True))
        # softmax over keys, then mix
        mixed = (weights / weights.sum(-1, keepdim=True)) @ v
        return (mixed.transpose(2, 3).reshape(E, B * T, d) @ self.wo).reshape(
            E, B, T, d
        )

    def ffn(self, h):
        E, B, T, d = h.shape
        return (torch.relu(h.reshape(E, B * T, d) @ self.w1) @ self.w2).reshape(
            E, B, T, d
        )

    def forward(self, h):
        if self.kind == "pre":
            h = h + self.attention(layer_norm(h, *self.ln1))
            return h + self.ffn(layer_norm(h, *self.ln2))
        h = layer_norm(self.alpha * h + self.attention(h), *self.ln1)  # post and deep
        return layer_norm(self.alpha * h + self.ffn(h), *self.ln2)


# --8<-- [end:blocks]


class Encoder(nn.Module):
    """Token and position embeddings, ``layers`` blocks, a per-position read-out."""

    def __init__(
        self,
        kind: str,
        layers: int,
        *,
        ensemble: int = 1,
        d: int = 64,
        heads: int = 4,
        ffn: int | None = None,
        vocab: int = 10,
        length: int = 8,
        outputs: int | None = None,
        seed: int = 0,
    ):
        super().__init__()
        rng = torch.Generator().manual_seed(seed)
        E, ffn = ensemble, ffn or 4 * d
        self.kind = kind
        self.embed = nn.Parameter(
            torch.randn(E, vocab, d, generator=rng) * math.sqrt(0.5)
        )
        self.position = nn.Parameter(
            torch.randn(E, 1, length, d, generator=rng) * math.sqrt(0.5)
        )
        self.blocks = nn.ModuleList(
            Block(kind, E, d, heads, ffn, layers, rng) for _ in range(layers)
        )
        if kind == "pre":  # pre-LN ends with a LayerNorm before the read-out
            self.final = nn.ParameterList(
                [
                    nn.Parameter(torch.ones(E, 1, 1, d)),
                    nn.Parameter(torch.zeros(E, 1, 1, d)),
                ]
            )
        self.head = nn.Parameter(xavier((E, d, outputs or vocab), rng))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) shared by all members, or (E, B, T); returns (E, B, T,
        outputs).
        """
        if tokens.dim() == 2:
            tokens = tokens.expand(self.embed.shape[0], *tokens.shape)
        h = torch.stack([e[t] for e, t in zip(self.embed, tokens)]) + self.position
        for block in self.blocks:
            h = block(h)
        if self.kind == "pre":
            h = layer_norm(h, *self.final)
        E, B, T, d = h.shape
        return (h.reshape(E, B * T, d) @ self.head).reshape(E, B, T, -1)
