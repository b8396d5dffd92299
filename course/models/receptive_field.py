"""Receptive fields of stacked TDNN layers: counted from the layers, and measured by autograd.

A layer with kernel k and dilation d widens the receptive field by (k − 1)·d frames,
so a stack sees 1 + Σ (k − 1)·d input frames per output frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch


def receptive_field(layers: Iterable[tuple[int, int]]) -> int:
    """Input frames seen by one output frame of a stack of (kernel, dilation) layers."""
    return 1 + sum((kernel - 1) * dilation for kernel, dilation in layers)


def measured_receptive_field(fn: Callable[[torch.Tensor], torch.Tensor], in_dim: int, frames: int = 201,
                             seed: int = 0) -> int:
    """Input frames whose gradient reaches the middle output frame of ``fn`` ((1, in_dim, T) → (1, C, T)).

    ``fn`` may also return a tuple whose first item is the frames (a model's ``frame_features``).
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, in_dim, frames, generator=g, requires_grad=True)
    y = fn(x)
    y = y[0] if isinstance(y, tuple) else y
    y[..., frames // 2].sum().backward()
    touched = (x.grad.abs().sum(dim=1)[0] > 0).nonzero()
    return int(touched.max() - touched.min() + 1) if len(touched) else 0
