"""Self-checks for the margin-head exercises (notebook 09).

Each check also recognises the usual wrong answers and names the mistake.
"""

from __future__ import annotations

import math

import torch

from course.checks import check_function, exercise, is_stub
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


def _onehot(labels, cos):
    return torch.nn.functional.one_hot(labels, cos.shape[1]).to(cos.dtype)


AM_MISTAKES = {
    "the margin subtracted from every class: only the target column y gets − m":
        lambda cos, y, s, m: s * (cos - m),
    "the margin left unscaled, s·cos θ − m: the whole logit is scaled, s(cos θ − m)":
        lambda cos, y, s, m: s * cos - m * _onehot(y, cos),
    "the margin added: the target must win by m, so it gets cos θ − m":
        lambda cos, y, s, m: s * (cos + m * _onehot(y, cos)),
}


@exercise(reference_am_logits, AM_MISTAKES)
def check_am_logits(fn) -> bool:
    """``fn(cos (B, N), labels (B,), scale, margin) -> logits (B, N)``."""
    g = torch.Generator().manual_seed(1)
    cos = torch.rand(6, 4, generator=g, dtype=torch.float64) * 2 - 1
    labels = torch.randint(0, 4, (6,), generator=g)
    inputs = [(cos, labels, 32.0, 0.2), (cos, labels, 10.0, 0.35), (cos[:1], labels[:1], 1.0, 0.0)]
    if is_stub(fn, inputs[0], "am_logits"):
        return False
    return check_function(fn, reference_am_logits, inputs, name="am_logits", grad=True, mistakes=AM_MISTAKES)


def _arc_variant(cos, m, fallback="default", sine="floored"):
    s = (1 - cos * cos).clamp(min=1e-12).sqrt() if sine == "floored" else (1 - cos * cos).clamp(0, 1).sqrt()
    phi = cos * math.cos(m) - s * math.sin(m)
    if fallback == "easy":
        return torch.where(cos > 0, phi, cos)
    if fallback == "none":
        return phi
    threshold = math.cos(math.pi - m)
    return torch.where(cos > threshold, phi, cos - (1 + threshold))


ARC_MISTAKES = {
    "easy_margin's fallback (cos θ where cos θ ≤ 0): the exercise asks for the default one, "
    "cos θ − (1 + cos(π − m)) past θ = π − m": lambda c, m: _arc_variant(c, m, fallback="easy"),
    "no fallback: cos(θ + m) rises again past θ = π − m": lambda c, m: _arc_variant(c, m, fallback="none"),
    # an unfloored sine and an arccos give the same values and the same NaN gradients at ±1
    "an infinite slope at cos θ = ±1 (an unfloored sin θ = √(1 − cos²θ), or an arccos), which torch.where "
    "turns into NaN: use cos θ cos m − sin θ sin m with 1 − cos²θ clamped at 1e-12":
        lambda c, m: _arc_variant(c, m, sine="clamp01"),
}


@exercise(reference_arc_target, ARC_MISTAKES)
def check_arc_target(fn) -> bool:
    """``fn(cos, margin) -> cos(θ + m)`` with the fallback; finite gradients at cos θ = ±1 too."""
    inputs = [(cos, m) for cos in _cos_examples() for m in (0.2, 0.5)]
    if is_stub(fn, inputs[0], "arc_target"):
        return False
    return check_function(fn, reference_arc_target, inputs, name="arc_target", grad=True, atol=1e-5,
                          mistakes=ARC_MISTAKES)


def reference_sphere_psi(theta, m):
    """The library's ψ, given θ."""
    return psi(theta.cos(), m)


def _psi_variant(theta, m, sign=True, shift=True):
    k = torch.floor(m * theta / math.pi)
    return ((-1) ** k if sign else 1) * torch.cos(m * theta) - (2 * k if shift else 0)


SPHERE_MISTAKES = {
    "cos(mθ) alone: it rises again after θ = π/m; the piecewise (−1)^k … − 2k makes it decrease":
        lambda theta, m: torch.cos(m * theta),
    "the − 2k forgotten: each piece must start where the previous one ended":
        lambda t, m: _psi_variant(t, m, shift=False),
    "the sign (−1)^k forgotten: every other piece of cos(mθ) rises": lambda t, m: _psi_variant(t, m, sign=False),
}


@exercise(reference_sphere_psi, SPHERE_MISTAKES)
def check_sphere_psi(fn) -> bool:
    """``fn(theta, m) -> ψ(θ) = (−1)^k cos(mθ) − 2k``, k = ⌊mθ/π⌋, for θ in [0, π)."""
    theta = torch.linspace(0, math.pi * 0.999, 50, dtype=torch.float64)
    inputs = [(theta, m) for m in (1, 2, 3, 4)]
    return check_function(fn, reference_sphere_psi, inputs, name="sphere_psi", atol=1e-6, mistakes=SPHERE_MISTAKES)
