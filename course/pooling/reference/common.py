"""What the equation-literal poolings share: softmax, L2 normalisation, signed square root.

Written as the formulas, for vectors (or rows along the last axis).
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS


def softmax(z: torch.Tensor) -> torch.Tensor:
    """exp(z_k) / Σ_j exp(z_j) along the last axis (shifted by the max, which cancels)."""
    z = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    return z / z.sum(dim=-1, keepdim=True)


def l2_normalise(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """v / ‖v‖, with ‖v‖² floored at eps."""
    return v / torch.sqrt(torch.clamp((v * v).sum(), min=eps))


def signed_sqrt(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """sign(v)·(sqrt(|v| + eps) − sqrt(eps)), the signed square root with a finite slope at 0."""
    return torch.sign(v) * (torch.sqrt(torch.abs(v) + eps) - eps**0.5)
