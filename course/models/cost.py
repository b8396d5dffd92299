"""What a model costs: parameters, FLOPs, activation memory and time, measured the same way for all.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (2 per multiply-add of
matrix products and convolutions; elementwise operations are not counted). Activation
memory is the bytes of the tensors autograd saves for the backward pass, collected by
``torch.autograd.graph.saved_tensors_hooks``: what training must hold, independent of
the allocator. Times are the median of ``repeats`` runs after a warm-up, in wall-clock
and process CPU seconds (on a shared machine the CPU time is the steadier of the two).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def forward_flops(model: nn.Module, *inputs) -> int:
    """Floating-point operations of one forward pass (matrix products and convolutions)."""
    with FlopCounterMode(display=False) as counter:  # (under no_grad its module tracker trips on parameters)
        model(*inputs)
    return int(counter.get_total_flops())


def saved_activation_bytes(fn: Callable[[], torch.Tensor]) -> int:
    """Bytes of the distinct tensors autograd saves for backward while ``fn()`` runs."""
    seen: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return sum(seen.values())


def median_seconds(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> tuple[float, float]:
    """(wall, CPU) seconds of one call of ``fn``: medians over ``repeats`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def training_step(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Callable[[], None]:
    """A closure doing one optimiser step of ``model`` on ``x`` (a stand-in loss: the mean square)."""
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step():
        optimiser.zero_grad(set_to_none=True)
        model(x, lengths).pow(2).mean().backward()
        optimiser.step()

    return step
