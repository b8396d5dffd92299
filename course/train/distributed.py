"""Several processes, one model: DistributedDataParallel under ``torchrun``.

``torchrun --nproc_per_node=N -m course.train ...`` starts N processes with
RANK, LOCAL_RANK and WORLD_SIZE in their environment. Each process joins the
process group (NCCL on GPUs, gloo on CPUs), takes GPU ``LOCAL_RANK``, draws its
slice of every global batch (``builders.batch_stream``), and DDP averages the
gradients, so N processes at batch b take the steps one process at batch N·b
would. Only rank 0 logs, validates and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    local_rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        """True in the one process that logs, validates and writes files."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1


def setup(device_type: str) -> Context:
    """Join the process group when started by torchrun (WORLD_SIZE > 1); a single process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    context = Context(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), dist.get_world_size())
    if device_type == "cuda":
        torch.cuda.set_device(context.local_rank)
    return context


def mean_over_processes(values: torch.Tensor, context: Context) -> torch.Tensor:
    """The mean of ``values`` over the processes (the values themselves in a single process)."""
    if not context.active:
        return values
    values = values.clone()
    dist.all_reduce(values)
    return values / context.world


def wrap(module: torch.nn.Module, context: Context, device: torch.device) -> torch.nn.Module:
    """``module`` as DistributedDataParallel under torchrun, else unchanged."""
    if not context.active:
        return module
    ids = [device.index if device.index is not None else context.local_rank] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)


def barrier(context: Context) -> None:
    if context.active:
        dist.barrier()
