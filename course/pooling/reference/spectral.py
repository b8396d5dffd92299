"""Short-time spectral pooling written as the formulas: one utterance h ∈ R^{C×n}.

``stsp(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]`` for the
STSP module and ``attentive_stsp`` for AttentiveSTSP (Tu and Mak, ICASSP 2021).
The DFT is spelled out with cosines and sines: X = Σ_j w_j x_j (cos θ − i sin θ),
θ = 2π jk/W.
"""

from __future__ import annotations

import math

import torch

from course.pooling.reference.common import softmax


def stft(h: torch.Tensor, w: torch.Tensor, hop: int, K: int):
    """X_m[k] = Σ_{j<W} w_j x_{mh+j} e^{−2πi jk/W} per channel → (Re, Im), each (C, M, K).

    M = ⌊(n − W)/h⌋ + 1 segments; an utterance shorter than the window is
    zero-padded to one segment.
    """
    W = w.shape[0]
    C, n = h.shape
    if n < W:
        h = torch.cat([h, h.new_zeros(C, W - n)], dim=1)
    M = (max(n, W) - W) // hop + 1
    re = h.new_zeros(C, M, K)
    im = h.new_zeros(C, M, K)
    for m in range(M):
        for k in range(K):
            for j in range(W):
                theta = 2 * math.pi * j * k / W
                re[:, m, k] += w[j] * h[:, m * hop + j] * math.cos(theta)
                im[:, m, k] -= w[j] * h[:, m * hop + j] * math.sin(theta)
    return re, im


def spectral_embedding(re, im, beta) -> torch.Tensor:
    """S[k] = Σ_m β_m X_m[k], P[k] = Σ_m β_m |X_m[k]|²; [Re S; Im S[1:]; P] as three blocks."""
    M = re.shape[1]
    S_re = sum(beta[m] * re[:, m] for m in range(M))
    S_im = sum(beta[m] * im[:, m] for m in range(M))
    P = sum(beta[m] * (re[:, m] ** 2 + im[:, m] ** 2) for m in range(M))
    return torch.cat([S_re.flatten(), S_im[:, 1:].flatten(), P.flatten()])


def stsp(h: torch.Tensor, w: torch.Tensor, hop: int, K: int) -> torch.Tensor:
    """STSP: the plain average over the M segments, β_m = 1/M."""
    re, im = stft(h, w, hop, K)
    M = re.shape[1]
    return spectral_embedding(re, im, [1.0 / M] * M)


def attentive_stsp(h, w, hop, K, W, b, v, k) -> torch.Tensor:
    """Attentive STSP: β = softmax_m(vᵀ tanh(W d_m + b) + k), d_m = Re X_m[0] (the segment's DC)."""
    re, im = stft(h, w, hop, K)
    M = re.shape[1]
    e = torch.stack([v @ torch.tanh(W @ re[:, m, 0] + b) + k for m in range(M)])
    return spectral_embedding(re, im, softmax(e))
