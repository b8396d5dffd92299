"""Attentive bilinear pooling written as the formulas: H = hᵀ ∈ R^{L×D}, A ∈ R^{K×L}.

``abp(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]`` for the ABP
module (as the seed cites it: "Attentive Bilinear Pooling (ABP) - Interspeech
2020"; authors and title not verified).
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS
from course.pooling.reference.common import l2_normalise, signed_sqrt, softmax


def T2(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Signed square root, then L2 normalisation."""
    return l2_normalise(signed_sqrt(v, eps), eps)


def abp(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """A = softmax_L(W H ᵀ + b); μ_k = Σ_l A_kl H_l; σ²_k = Σ_l A_kl (H_l − μ_k)²; [T2(T1 μ); T2(T1 σ²)]."""
    H = h.T  # L × D, one row per frame
    L, K = H.shape[0], W.shape[0]
    A = torch.stack([softmax(torch.stack([W[k] @ H[l] + b[k] for l in range(L)])) for k in range(K)])
    mu = [sum(A[k, l] * H[l] for l in range(L)) for k in range(K)]
    sigma2 = [sum(A[k, l] * (H[l] - mu[k]) ** 2 for l in range(L)) for k in range(K)]
    return torch.cat([T2(torch.cat(mu), eps), T2(torch.cat(sigma2), eps)])
