"""Asymmetric cross-attention pooling written as the formulas: one utterance h ∈ R^{C×T}.

``aca(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]`` for the ACA
module (ACA-Net, Interspeech 2023, arXiv:2305.12121). Loops over latents n,
heads and frames t; vectors are rows, as in the paper's Q Kᵀ V.
"""

from __future__ import annotations

import math

import torch

from course.pooling.reference.common import softmax


def positional_encoding(t: int, dim: int) -> torch.Tensor:
    """P_t[2i] = sin(t / 10000^{2i/dim}), P_t[2i+1] = cos(t / 10000^{2i/dim})."""
    p = torch.zeros(dim, dtype=torch.float64)
    for i in range(0, dim, 2):
        p[i] = math.sin(t / 10000 ** (i / dim))
        if i + 1 < dim:
            p[i + 1] = math.cos(t / 10000 ** (i / dim))
    return p


def layer_norm(z: torch.Tensor, gamma, beta, eps) -> torch.Tensor:
    """(z − mean(z)) / sqrt(var(z) + eps) · γ + β over the last axis (biased variance)."""
    mean = z.mean()
    var = ((z - mean) ** 2).mean()
    return (z - mean) / torch.sqrt(var + eps) * gamma + beta


def gelu(z: torch.Tensor) -> torch.Tensor:
    """GELU(z) = z Φ(z) = z (1 + erf(z / √2)) / 2."""
    return 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))


def aca(h, Q, W_in, b_in, W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o, ln1, mlp, ln2, w_out, b_out,
        heads: int, positional: bool) -> torch.Tensor:
    """One ACA block: latents Q (N×E) attend to the frames; e_n = w_outᵀ Z_n + b_out → N."""
    T, (N, E) = h.shape[1], Q.shape
    d = E // heads
    F = [W_in @ h[:, t] + b_in + (positional_encoding(t, E).to(h.dtype) if positional else 0) for t in range(T)]
    keys = [W_k @ f + b_k for f in F]
    values = [W_v @ f + b_v for f in F]
    W1, b1, W2, b2 = mlp
    e = []
    for n in range(N):
        q = W_q @ Q[n] + b_q
        o = []
        for head in range(heads):
            part = slice(head * d, (head + 1) * d)
            alpha = softmax(torch.stack([q[part] @ keys[t][part] / math.sqrt(d) for t in range(T)]))
            o.append(sum(alpha[t] * values[t][part] for t in range(T)))
        z = layer_norm(Q[n] + W_o @ torch.cat(o) + b_o, *ln1)
        z = layer_norm(z + W2 @ gelu(W1 @ z + b1) + b2, *ln2)
        e.append(w_out @ z + b_out)
    return torch.stack(e)
