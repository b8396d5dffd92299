"""Attention pooling written as the formulas: one utterance h ∈ R^{D×T}, loops over t and heads.

Each function mirrors one module of ``course.pooling`` and takes the symbols of
its equation by name; ``module.equation_parameters()`` hands them over, so
``asp(h, **pool.equation_parameters())`` equals ``pool(h[None])[0]``. Weighted
variances are written the papers' way, Σ α h ⊙ h − μ ⊙ μ (one pass); the modules
compute the same number two-pass, Σ α (h − μ)², which cannot go negative.
"""

from __future__ import annotations

import torch

from course.pooling.numerics import EPS
from course.pooling.reference.common import softmax


def attentive_mean_std(h: torch.Tensor, alpha: torch.Tensor, eps: float = EPS):
    """μ̃ = Σ_t α_t h_t,  σ̃ = sqrt(Σ_t α_t h_t ⊙ h_t − μ̃ ⊙ μ̃); α is (T,) or (D, T)."""
    T = h.shape[1]
    alpha = alpha.expand_as(h) if alpha.dim() == 2 else alpha.expand(h.shape[0], T)
    mu = sum(alpha[:, t] * h[:, t] for t in range(T))
    second = sum(alpha[:, t] * h[:, t] * h[:, t] for t in range(T))
    return mu, torch.sqrt(torch.clamp(second - mu * mu, min=eps))


def asp(h, W, b, v, k, f=torch.tanh, eps=EPS):
    """Okabe et al. 2018: e_t = vᵀ f(W h_t + b) + k, scalar α_t → [μ̃; σ̃]."""
    T = h.shape[1]
    e = torch.stack([v @ f(W @ h[:, t] + b) + k for t in range(T)])
    mu, sigma = attentive_mean_std(h, softmax(e), eps)
    return torch.cat([mu, sigma])


def astp(h, W, b, V, k, global_context=True, eps=EPS):
    """ECAPA: e_{t,c} = v_cᵀ tanh(W x̃_t + b) + k_c, x̃_t = [h_t; μ; σ] or h_t; channel-wise α → [μ̃; σ̃]."""
    T = h.shape[1]
    mu, sigma = attentive_mean_std(h, torch.full((T,), 1.0 / T, dtype=h.dtype), eps)  # plain mean and std
    frames = [torch.cat([h[:, t], mu, sigma]) if global_context else h[:, t] for t in range(T)]
    e = torch.stack([V @ torch.tanh(W @ x_t + b) + k for x_t in frames], dim=1)  # (D, T)
    mu_tilde, sigma_tilde = attentive_mean_std(h, softmax(e), eps)
    return torch.cat([mu_tilde, sigma_tilde])


def sap(h, W1, W2, g=torch.relu):
    """Zhu et al. 2018: A = softmax(g(H W1) W2) over frames, E = Aᵀ H, flattened (H = hᵀ, T×D)."""
    H = h.T
    A = softmax((g(H @ W1) @ W2).T).T  # (T, r), each column sums to one over T
    E = A.T @ H  # (r, D)
    return E.flatten()


def mha(h, u, with_std=False, eps=EPS):
    """India et al. 2019: head j scores its slice, α_{j,t} = softmax_t(u_jᵀ h_{j,t}); [c_1; …; c_H]."""
    heads, d_h = u.shape
    means, stds = [], []
    for j in range(heads):
        h_j = h[j * d_h:(j + 1) * d_h]
        alpha_j = softmax(torch.stack([u[j] @ h_j[:, t] for t in range(h.shape[1])]))
        mu_j, sigma_j = attentive_mean_std(h_j, alpha_j, eps)
        means.append(mu_j)
        stds.append(sigma_j)
    return torch.cat(means + stds) if with_std else torch.cat(means)


def mr_mha(h, W, b, V, k, temperatures, eps=EPS):
    """Wang et al. 2020: e_{j,t} = v_jᵀ tanh(W h_t + b) + k_j, α_j = softmax(e_j / τ_j); [μ̃_j; σ̃_j] per head."""
    T = h.shape[1]
    out = []
    for j, tau in enumerate(temperatures):
        e_j = torch.stack([V[j] @ torch.tanh(W @ h[:, t] + b) + k[j] for t in range(T)])
        out += attentive_mean_std(h, softmax(e_j / tau), eps)
    return torch.cat(out)


def mqmhastp(h, W1, b1, W2=None, b2=None, eps=EPS):
    """Zhao et al. 2022: for each query q and head j, a_{q,j,t} from a 1- or 2-layer scorer of h_{j,t},
    softmax over t, attentive [μ̃_{q,j}; σ̃_{q,j}]; W (Q, H, rows, cols), b (Q, H, rows)."""
    Q, H, _, d_h = W1.shape
    T = h.shape[1]
    out = []
    for q in range(Q):
        for j in range(H):
            h_j = h[j * d_h:(j + 1) * d_h]
            if W2 is None:
                a = torch.stack([W1[q, j] @ h_j[:, t] + b1[q, j] for t in range(T)], dim=1)
            else:
                a = torch.stack([W2[q, j] @ torch.tanh(W1[q, j] @ h_j[:, t] + b1[q, j]) + b2[q, j]
                                 for t in range(T)], dim=1)  # (d_s, T)
            alpha = softmax(a)
            out += attentive_mean_std(h_j, alpha[0] if alpha.shape[0] == 1 else alpha, eps)
    return torch.cat(out)
