"""Numerics shared by the dictionary, bilinear, spectral and cross-attention poolings.

Statistics run in float32 under autocast (``full_precision``) and in float64 when
the input is float64, so ``torch.autograd.gradcheck`` can check them.
Normalisations are written so that values *and* gradients stay finite at a zero
vector (constant input, one frame).
"""

from __future__ import annotations

import contextlib

import torch

from course.pooling.base import EPS


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float32 for half/bfloat16/float32 input, float64 for float64 input."""
    return torch.promote_types(x.dtype, torch.float32)


def full_precision(x: torch.Tensor):
    """Context that switches autocast off on ``x``'s device (statistics in float32)."""
    if x.device.type in ("cpu", "cuda", "mps", "xpu"):
        return torch.autocast(device_type=x.device.type, enabled=False)
    return contextlib.nullcontext()  # pragma: no cover - other devices


def softmax(logits: torch.Tensor, mask: torch.Tensor | None, dim: int) -> torch.Tensor:
    """Softmax over ``dim`` with masked positions at exactly zero; float32 or float64."""
    logits = logits.to(compute_dtype(logits))
    if mask is not None:
        logits = logits.masked_fill(~mask, float("-inf"))
    return torch.softmax(logits, dim=dim)


def l2_normalise(v: torch.Tensor, dim: int = -1, eps: float = EPS) -> torch.Tensor:
    """v / sqrt(max(‖v‖², eps)): the L2 normalisation, finite at v = 0."""
    return v / v.pow(2).sum(dim=dim, keepdim=True).clamp(min=eps).sqrt()


def signed_sqrt(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """sign(v)·(sqrt(|v| + eps) − sqrt(eps)): signed square root with a finite slope at 0.

    Equal to sign(v)·sqrt(|v|) up to at most sqrt(eps) (3.2e-3 at eps = 1e-5); the
    plain version has an infinite derivative at v = 0, e.g. a zero variance.
    """
    return torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)


def zero_padding(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Frames with the padded positions set to 0, so garbage there never reaches a layer."""
    return x if mask is None else x.masked_fill(~mask, 0.0)
