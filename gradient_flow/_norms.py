"""Sums of squares of whole tensors: exact to about one part in a million, cheap enough for every step.

A large float32 tensor is squared into a reused float32 scratch buffer (so that measuring a step
allocates no new memory, whose page faults cost more on the CPU than the arithmetic) and
summed by PyTorch's cascade summation, at most `SLICE` entries at a time; the slices'
sums are added in float64. Each square is rounded once and the cascade adds a few more
roundings per level, so the relative error stays near 1e-7 (the conformance tests measure
it against a float64 reference and hold it to `FLOAT32_RELATIVE_ERROR`).

float32 squares are exact only inside float32's range. Where a tensor's sum of squares is
below `UNDERFLOW_GUARD` per entry (entries near 1e-19 and below, whose squares underflow),
or is not finite (a square overflowed, or the tensor holds inf or NaN), the tensor is
measured again with every entry converted to float64 before it is squared (`norm64`).
Every other dtype (float16, bfloat16, float64, complex: the modulus) is measured that way
from the start, and so are small float32 tensors (at most `SMALL` entries), all in one call.
"""

from __future__ import annotations

import torch

SLICE = 1 << 20
"""Entries squared into the scratch buffer at a time (4 MB of float32)."""

SMALL = 1 << 14
"""Tensors of at most this many entries (biases, norms' scales) are measured in float64 at once, in one call."""

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


class SquareSums:
    """Sums of squares of many tensors, with one scratch buffer per device kept between calls."""

    def __init__(self) -> None:
        self._scratch: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}

    def _buffer(self, device: torch.device, entries: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        buffer = self._scratch.get((device, dtype))
        if buffer is None or buffer.numel() < entries:
            buffer = torch.empty(entries, dtype=dtype, device=device)
            self._scratch[(device, dtype)] = buffer
        return buffer

    @staticmethod
    def sum_and_squares(t: torch.Tensor) -> torch.Tensor:
        """[Σt, Σt²] of a real tensor, in float64 on its device, without a synchronisation.

        Each entry is converted to float64 before it is summed and squared: an activation's
        statistics need float64's headroom, since its variance is Σt²/n − mean², a
        difference of two sums. (These tensors are freed at once, so PyTorch's allocator
        reuses their memory: no scratch buffer is needed.)
        """
        wide = t.detach().reshape(-1).to(torch.float64)
        return torch.stack([wide.sum(), torch.dot(wide, wide)])

    def __call__(self, tensors: list) -> list[float]:
        """The sum of squares (of the modulus) of each tensor, as Python floats."""
        tensors = [dense(t) for t in tensors]
        out: list[float | None] = [None] * len(tensors)
        sums, owners = [], []
        small: dict[torch.device, list[int]] = {}
        for i, t in enumerate(tensors):
            if t.dtype != torch.float32 or t.numel() == 0:
                continue
            if t.numel() <= SMALL:
                small.setdefault(t.device, []).append(i)
                continue
            if not t.is_contiguous() and t.numel() > SLICE:
                t = t.contiguous()
            buffer = self._buffer(t.device, min(t.numel(), SLICE))
            if t.is_contiguous():
                for piece in t.reshape(-1).split(SLICE):
                    squares = buffer[:piece.numel()]
                    torch.mul(piece, piece, out=squares)
                    sums.append(squares.sum())
                    owners.append(i)
            else:  # a strided view of at most SLICE entries, squared into contiguous scratch
                squares = buffer[:t.numel()].view(t.shape)
                torch.mul(t, t, out=squares)
                sums.append(squares.sum())
                owners.append(i)
        if sums:
            by_device: dict[torch.device, list[int]] = {}
            for k, s in enumerate(sums):
                by_device.setdefault(s.device, []).append(k)
            values = [0.0] * len(sums)
            for indices in by_device.values():
                for k, v in zip(indices, torch.stack([sums[k] for k in indices]).double().cpu().tolist()):
                    values[k] = v
            totals: dict[int, float] = {}
            for i, v in zip(owners, values):
                totals[i] = totals.get(i, 0.0) + v
            for i, total in totals.items():
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
