"""Learnable dictionary encoding written as the formulas: one utterance h ∈ R^{D×T}.

``lde(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]`` for the LDE
module (Cai, Chen, Li 2018, arXiv:1804.05160).
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS
from course.pooling.reference.common import softmax


def lde_weights(h: torch.Tensor, mu: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """w_{t,c} = softmax_c(−s_c ‖h_t − μ_c‖²) → (T, C)."""
    C = mu.shape[0]
    rows = []
    for t in range(h.shape[1]):
        distances = torch.stack([((h[:, t] - mu[c]) ** 2).sum() for c in range(C)])
        rows.append(softmax(-s * distances))
    return torch.stack(rows)


def lde(h: torch.Tensor, mu: torch.Tensor, s: torch.Tensor, normalise: str = "weights",
        eps: float = EPS) -> torch.Tensor:
    """e_c = Σ_t w_{t,c} (h_t − μ_c) / (Σ_t w_{t,c} or T), concatenated over c → C·D."""
    T, C = h.shape[1], mu.shape[0]
    w = lde_weights(h, mu, s)
    e = []
    for c in range(C):
        total = sum(w[t, c] * (h[:, t] - mu[c]) for t in range(T))
        norm = torch.clamp(w[:, c].sum(), min=eps) if normalise == "weights" else T
        e.append(total / norm)
    return torch.cat(e)
