"""NetVLAD and GhostVLAD written as the formulas: one utterance h ∈ R^{D×T}, loops over t and k.

``netvlad(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]`` for the
NetVLAD and GhostVLAD modules (Xie, Nagrani, Chung, Zisserman, ICASSP 2019).
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS
from course.pooling.reference.common import l2_normalise, softmax


def soft_assignments(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a_{t,k} = softmax_k(w_kᵀ h_t + b_k) over all K + G clusters → (T, K + G)."""
    return torch.stack([softmax(W @ h[:, t] + b) for t in range(h.shape[1])])


def netvlad(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor, c: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """V_k = Σ_t a_{t,k} (h_t − c_k) for the K kept clusters (rows of c); intra-L2, flatten, L2 → K·D."""
    T, K = h.shape[1], c.shape[0]
    a = soft_assignments(h, W, b)  # ghost columns K … K+G−1 are never read below
    V = [sum(a[t, k] * (h[:, t] - c[k]) for t in range(T)) for k in range(K)]
    V = [l2_normalise(V_k, eps) for V_k in V]
    return l2_normalise(torch.cat(V), eps)
