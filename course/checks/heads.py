"""Self-checks for the margin-head exercises (notebook 09)."""

from __future__ import annotations

import math

import torch

from course.checks import check_function
from course.heads.arc_margin import ArcMarginHead
from course.heads.sphere import psi


def reference_am_logits(cos: torch.Tensor, labels: torch.Tensor, scale: float, margin: float) -> torch.Tensor:
    """s (cos θ_j − m [j = y])."""
    onehot = torch.nn.functional.one_hot(labels, cos.shape[1]).to(cos.dtype)
    return scale * (cos - margin * onehot)


def reference_arc_target(cos: torch.Tensor, margin: float) -> torch.Tensor:
    """cos(θ + m) with WeSpeaker's fallback past θ = π − m."""
    head = ArcMarginHead(1, 1, margin=margin)
    return head.target(cos)


def _cos_examples(seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(4, 5, generator=g, dtype=torch.float64) * 2 - 1,
            torch.tensor([-1.0, -0.99, -0.5, 0.0, 0.5, 0.99, 1.0], dtype=torch.float64)]


def check_am_logits(fn) -> bool:
    """``fn(cos (B, N), labels (B,), scale, margin) -> logits (B, N)``."""
    g = torch.Generator().manual_seed(1)
    cos = torch.rand(6, 4, generator=g, dtype=torch.float64) * 2 - 1
    labels = torch.randint(0, 4, (6,), generator=g)
    inputs = [(cos, labels, 32.0, 0.2), (cos, labels, 10.0, 0.35), (cos[:1], labels[:1], 1.0, 0.0)]
    return check_function(fn, reference_am_logits, inputs, name="am_logits", grad=True)


def check_arc_target(fn) -> bool:
    """``fn(cos, margin) -> cos(θ + m)`` with the fallback; finite gradients at cos θ = ±1 too."""
    inputs = [(cos, m) for cos in _cos_examples() for m in (0.2, 0.5)]
    return check_function(fn, reference_arc_target, inputs, name="arc_target", grad=True, atol=1e-5)


def check_sphere_psi(fn) -> bool:
    """``fn(theta, m) -> ψ(θ) = (−1)^k cos(mθ) − 2k``, k = ⌊mθ/π⌋, for θ in [0, π)."""
    theta = torch.linspace(0, math.pi * 0.999, 50, dtype=torch.float64)

    def reference(theta, m):
        return psi(theta.cos(), m)

    inputs = [(theta, m) for m in (1, 2, 3, 4)]
    return check_function(fn, reference, inputs, name="sphere_psi", atol=1e-6)
