"""The recorder's few collective operations, and the norms of sharded parameters (DTensor).

Everything here is a no-op without `torch.distributed`: a single process pays nothing.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def active(group=None) -> bool:
    """A process group with more than one rank is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size(group) > 1


def rank(group=None) -> int:
    return dist.get_rank(group) if dist.is_available() and dist.is_initialized() else 0


def world_size(group=None) -> int:
    return dist.get_world_size(group) if dist.is_available() and dist.is_initialized() else 1


def _device_for(group) -> torch.device:
    """Where a collective's tensor must live: the CPU for gloo, the current GPU for NCCL."""
    backend = dist.get_backend(group)
    if "nccl" in str(backend) and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum(flat: torch.Tensor, group=None) -> torch.Tensor:
    """Element-wise sum over the ranks (float64, returned on the CPU)."""
    buffer = flat.to(_device_for(group), dtype=torch.float64)
    dist.all_reduce(buffer, op=dist.ReduceOp.SUM, group=group)
    return buffer.cpu()


def check_layout(length: int, entries: int, group=None) -> None:
    """Every rank must have hooked the same modules and watched the same tensors this step."""
    mine = torch.tensor([length, entries, -length, -entries], dtype=torch.float64, device=_device_for(group))
    dist.all_reduce(mine, op=dist.ReduceOp.MAX, group=group)
    if mine[0] != length or mine[1] != entries or -mine[2] != length or -mine[3] != entries:
        raise RuntimeError(
            "GradientFlowRecorder: the ranks recorded different activations or watched tensors at this step "
            f"(this rank: {entries} entries, {length} numbers). Every rank must run the same modules, "
            "watch the same tensors and call record() at the same steps."
        )


def _is_dtensor(t) -> bool:
    return type(t).__name__ == "DTensor" and hasattr(t, "to_local") and hasattr(t, "placements")


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


_CHUNK = 1 << 14  # entries converted to float64 at a time: small buffers that stay in cache


def norms64(tensors: list) -> torch.Tensor:
    """`norm64` of many plain tensors at once, as a float64 tensor on the CPU.

    Real tensors are cut into chunks, and each chunk's norm is computed in float64 by one
    multi-tensor call (a large tensor is never converted to float64 whole); the chunks'
    squares are summed per tensor.
    """
    if not tensors:
        return torch.zeros(0, dtype=torch.float64)
    out = [None] * len(tensors)
    chunks, owners = {}, {}
    for i, t in enumerate(tensors):
        t = dense(t)
        if t.is_complex() or t.numel() == 0:
            out[i] = norm64(t).cpu()
            continue
        pieces = t.reshape(-1).split(_CHUNK)
        chunks.setdefault(t.device, []).extend(pieces)
        owners.setdefault(t.device, []).extend([i] * len(pieces))
    for device, pieces in chunks.items():
        squares = torch.stack(torch._foreach_norm(pieces, 2, dtype=torch.float64)).cpu() ** 2
        sums = torch.zeros(len(tensors), dtype=torch.float64).index_add_(0, torch.tensor(owners[device]), squares)
        for i in set(owners[device]):
            out[i] = sums[i].sqrt()
    return torch.stack(out)


def norms(tensors: list) -> list[float]:
    """Frobenius norms of whole tensors, computed in float64 (see `norm64`), as Python floats.

    A plain tensor's norm is local (under DDP every rank holds the same gradient). A sharded
    DTensor (FSDP2's parameters and gradients) contributes the sum of squares of its local
    shard; the shards' sums are added over the mesh's process group in one all_reduce per
    group. A DTensor replicated on its mesh, or on a mesh of more than one dimension, falls
    back to `full_tensor()`.
    """
    out = [0.0] * len(tensors)
    plain, sharded = [], {}
    for i, t in enumerate(tensors):
        if _is_dtensor(t):
            mesh = t.device_mesh
            if mesh.ndim == 1 and all(p.is_shard() for p in t.placements):
                sharded.setdefault(mesh.get_group(), []).append(i)
            elif all(p.is_replicate() for p in t.placements):
                plain.append((i, t.to_local()))
            else:
                plain.append((i, t.full_tensor()))
        else:
            plain.append((i, t))
    if plain:
        values = norms64([t for _, t in plain]).tolist()
        for (i, _), v in zip(plain, values):
            out[i] = v
    for group, indices in sharded.items():
        squares = torch.stack([
            norm64(tensors[i].to_local()).cpu() ** 2 for i in indices
        ])
        squares = all_reduce_sum(squares, group)  # a shard alone is not the parameter
        for i, v in zip(indices, squares.sqrt().tolist()):
            out[i] = v
    return out
