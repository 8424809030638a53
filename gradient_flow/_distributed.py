"""The recorder's few collective operations, and the norms of sharded parameters (DTensor).

Everything here is a no-op without `torch.distributed`: a single process pays nothing.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from gradient_flow._norms import dense, norm64, square_sums  # noqa: F401  (dense, norm64: re-exported)


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


def norms(tensors: list) -> list[float]:
    """Frobenius norms of whole tensors (see `gradient_flow._norms`), as Python floats.

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
        for (i, _), v in zip(plain, square_sums([t for _, t in plain])):
            out[i] = v ** 0.5
    for group, indices in sharded.items():
        squares = torch.tensor(square_sums([tensors[i].to_local() for i in indices]), dtype=torch.float64)
        squares = all_reduce_sum(squares, group)  # a shard alone is not the parameter
        for i, v in zip(indices, squares.sqrt().tolist()):
            out[i] = v
    return out
