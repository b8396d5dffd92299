"""Statistics pooling written as the formulas: one utterance h ∈ R^{D×T}, a loop over t.

Snyder et al., "X-vectors: robust DNN embeddings for speaker recognition",
ICASSP 2018. Mirrors ``course.pooling.statistics`` (TAP, TSDP, TSTP).
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS


def tap(h: torch.Tensor) -> torch.Tensor:
    """μ = (1/T) Σ_t h_t."""
    T = h.shape[1]
    mu = torch.zeros_like(h[:, 0])
    for t in range(T):
        mu = mu + h[:, t]
    return mu / T


def tsdp(h: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """σ = sqrt(max((1/T) Σ_t (h_t − μ)², eps)), the biased variance (÷T, never ÷(T−1))."""
    T = h.shape[1]
    mu = tap(h)
    var = torch.zeros_like(mu)
    for t in range(T):
        var = var + (h[:, t] - mu) ** 2
    return torch.sqrt(torch.clamp(var / T, min=eps))


def tstp(h: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """[μ; σ] → 2D."""
    return torch.cat([tap(h), tsdp(h, eps)])
