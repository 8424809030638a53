"""Sums of squares of whole tensors: exact to about one part in a million, cheap enough for every step.

A large float32 tensor is measured in rows of `ROW` entries: one kernel reads it once and
gives each row's norm in float32 (a sum of only `ROW` squares, so float32's rounding stays
near 1e-7 of it), and the rows' squares are added in float64. The conformance tests measure
the result against a float64 reference and hold it to `FLOAT32_RELATIVE_ERROR`.

float32 squares are exact only inside float32's range. Where a tensor's sum of squares is
below `UNDERFLOW_GUARD` per entry (entries near 1e-19 and below, whose squares underflow),
or is not finite (a square overflowed, or the tensor holds inf or NaN), the tensor is
measured again with every entry converted to float64 before it is squared (`norm64`).
Every other dtype (float16, bfloat16, float64, complex: the modulus) is measured that way
from the start, and so are small float32 tensors (at most `SMALL` entries), all in one call.
"""

from __future__ import annotations

import functools

import torch

ROW = 256
"""Entries per row of a large float32 tensor: each row's squares are summed in float32."""

SMALL = 1 << 14
"""Tensors of at most this many entries (biases, norms' scales) are measured in float64, all in one call."""

UNDERFLOW_GUARD = 1e-30
"""A float32 sum of squares below this per entry is measured again in float64.

Each square that underflows loses less than float32's smallest normal number (1.2e-38),
so above the guard the squares lost to underflow are below 1.2e-8 of the sum.
"""

FLOAT32_RELATIVE_ERROR = 1e-6
"""The largest relative error the float32 path is allowed against a float64 reference."""


def dense(t: torch.Tensor) -> torch.Tensor:
    """A plain strided view of a tensor's stored values (a sparse gradient's non-zero entries)."""
    t = t.detach()
    if t.layout == torch.strided:
        return t
    if t.is_sparse:
        return t.coalesce().values()
    return t.to_dense()


def norm64(t: torch.Tensor) -> torch.Tensor:
    """Frobenius norm computed in float64 whatever the tensor's dtype (a complex tensor: of its modulus).

    Every entry is converted to float64 before it is squared, so that gradients of 1e-27
    (whose squares are below float32's smallest subnormal) keep their true norm, and
    float16/bfloat16 entries are squared without overflow.
    """
    t = dense(t)
    if t.is_complex():
        return torch.linalg.vector_norm(t.to(torch.complex128))
    return torch.linalg.vector_norm(t, dtype=torch.float64)


def _row_norms(t: torch.Tensor) -> torch.Tensor:
    """The float32 norms of a tensor's rows of `ROW` entries (and of the shorter last one)."""
    flat = t.reshape(-1)
    whole = flat.numel() - flat.numel() % ROW
    if whole == flat.numel():
        return torch.linalg.vector_norm(flat.view(-1, ROW), dim=1)
    tail = torch.linalg.vector_norm(flat[whole:]).reshape(1)
    if not whole:
        return tail
    return torch.cat([torch.linalg.vector_norm(flat[:whole].view(-1, ROW), dim=1), tail])


@functools.lru_cache(maxsize=64)
def _owners(lengths: tuple[int, ...]) -> torch.Tensor:
    """Which tensor each row belongs to (the same model gives the same lengths at every step)."""
    return torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))


def square_sums(tensors: list) -> list[float]:
    """The sum of squares (of the modulus) of each tensor, as Python floats."""
    tensors = [dense(t) for t in tensors]
    out: list[float | None] = [None] * len(tensors)
    large: dict[torch.device, list[int]] = {}
    small: dict[torch.device, list[int]] = {}
    for i, t in enumerate(tensors):
        if t.dtype == torch.float32 and t.numel() > 0:
            (large if t.numel() > SMALL else small).setdefault(t.device, []).append(i)
    for indices in large.values():
        rows = [_row_norms(tensors[i]) for i in indices]
        owners = _owners(tuple(len(r) for r in rows))
        squares = torch.cat(rows).cpu().double().square()
        totals = torch.zeros(len(indices), dtype=torch.float64).index_add_(0, owners, squares).tolist()
        for i, total in zip(indices, totals):
            if total == total and total != float("inf") and total >= UNDERFLOW_GUARD * tensors[i].numel():
                out[i] = total
    for indices in small.values():  # one call for all of them, each entry converted to float64
        norms = torch._foreach_norm([tensors[i] for i in indices], 2, dtype=torch.float64)
        for i, v in zip(indices, (torch.stack(norms).cpu() ** 2).tolist()):
            out[i] = v
    rest = [i for i, v in enumerate(out) if v is None]
    if rest:
        exact = torch.stack([norm64(tensors[i]).cpu() for i in rest]) ** 2
        for i, v in zip(rest, exact.tolist()):
            out[i] = v
    return out
