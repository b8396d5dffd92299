"""Asymmetric cross-attention (ACA) pooling: learned latent queries attend to the frames.

Yip et al., "ACA-Net", Interspeech 2023 (arXiv:2305.12121): a small, fixed set of
N learned latents Q ∈ R^{N×E} cross-attends to the T frames (keys and values),
so a variable-length sequence becomes N fixed-size vectors whatever T is. One
block of it as a pooling layer, with H heads of size d = E/H:

    F       = W_in x + P                          frames projected to E, plus a time-indexed encoding P
    α_{h}   = softmax_t(Q W_q,h (F W_k,h)ᵀ / √d)   (N × T per head, padded frames masked out)
    Z       = LN(Q + concat_h(α_h F W_v,h) W_o)   residual + LayerNorm
    Z       = LN(Z + GELU-MLP(Z))
    e       = Z w_out + b_out ∈ R^N               ACA-Net's final Conv1d(E → 1): embedding size = N

ACA-Net stacks such blocks with latent self-attention and multi-layer
aggregation (the ACA-Net notebook); here one cross-attention block pools.
The positional encoding P is the sinusoidal one indexed by the frame's time
step t (the reference code indexes it by batch position, a bug). With
``positional=False`` the pooling is invariant to permuting the frames.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course.masks import zero_padding
from course.pooling.base import Pooling
from course.pooling.numerics import at_least_float32, full_precision, masked_softmax
from course.pooling.reference.cross_attention import aca
from course.pooling.registry import register


def sinusoidal_encoding(frames: int, dim: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """P ∈ R^{dim×T}: P[2i, t] = sin(t / 10000^{2i/dim}), P[2i+1, t] = cos(t / 10000^{2i/dim})."""
    t = torch.arange(frames, device=device, dtype=torch.float64)
    rates = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2, device=device, dtype=torch.float64) / dim)
    angles = rates[:, None] * t[None, :]  # (ceil(dim/2), T)
    encoding = torch.zeros(dim, frames, device=device, dtype=torch.float64)
    encoding[0::2] = torch.sin(angles)
    encoding[1::2] = torch.cos(angles[: dim // 2])
    return encoding.to(dtype)


def multi_head_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int,
                         mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention of queries (B, L, E) on keys and values (B, T, E), H heads.

    α_h = softmax_t(q_h k_hᵀ / √d) with padded frames (``mask`` (B, 1, T), True on
    valid frames) at exactly zero weight; returns concat_h(α_h v_h) (B, L, E) and
    α (B, H, L, T) in float32. Shared by this pooling and the ACA-Net model.
    """
    def split(z):  # (B, L, E) → (B, H, L, d)
        return z.unflatten(-1, (heads, z.shape[-1] // heads)).transpose(1, 2)

    q, k, v = split(q), split(k), split(v)
    scores = torch.einsum("bhnd,bhtd->bhnt", q, k) / math.sqrt(q.shape[-1])
    with full_precision(scores):  # the pooling numerics policy: weights and weighted sums in float32
        alpha = masked_softmax(scores, mask.unsqueeze(1) if mask is not None else None, dim=-1)
        attended = torch.einsum("bhnt,bhtd->bhnd", alpha, at_least_float32(v))  # weighted sum over time
    return attended.transpose(1, 2).flatten(2), alpha


@register("ACA")
class AsymmetricCrossAttentionPooling(Pooling):
    """One ACA block → N; returns the attention (B, N, T), averaged over heads, as weights.

    Args:
        in_dim: C, channels of the frames.
        latents: N, learned queries (= the embedding size).
        dim: E, width of the latents.
        heads: H, attention heads (E must divide by H).
        positional: add the time-indexed sinusoidal encoding to the frames.
        mlp_ratio: hidden width of the MLP, in multiples of E.

    Example:
        >>> pool = AsymmetricCrossAttentionPooling(in_dim=8, latents=5, dim=16, heads=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), torch.tensor([30, 4]), return_weights=True)
        >>> embedding.shape, alpha.shape  # one attention row per latent
        (torch.Size([2, 5]), torch.Size([2, 5, 30]))
    """

    weights_over = "frames"
    reference = staticmethod(aca)

    def __init__(self, in_dim: int, latents: int = 192, dim: int = 64, heads: int = 4,
                 positional: bool = True, mlp_ratio: int = 2):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.in_dim, self.out_dim = in_dim, latents
        self.dim, self.heads, self.positional = dim, heads, positional
        self.order_invariant = not positional
        self.latents = nn.Parameter(torch.randn(latents, dim) / math.sqrt(dim))  # Q
        self.frames_in = nn.Conv1d(in_dim, dim, kernel_size=1)  # W_in
        self.query = nn.Linear(dim, dim)  # W_q (all heads)
        self.key = nn.Linear(dim, dim)  # W_k
        self.value = nn.Linear(dim, dim)  # W_v
        self.out = nn.Linear(dim, dim)  # W_o
        self.norm1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.reduce = nn.Linear(dim, 1)  # w_out, b_out: Conv1d(E → 1) over each latent

    def pool(self, x, mask):
        batch, _, frames = x.shape
        f = self.frames_in(zero_padding(x, mask))  # (B, E, T)
        if self.positional:
            f = f + sinusoidal_encoding(frames, self.dim, x.device, f.dtype)
        f = f.transpose(1, 2)  # (B, T, E)
        latents = self.latents.unsqueeze(0).expand(batch, -1, -1)
        attended, alpha = multi_head_attention(self.query(latents), self.key(f), self.value(f), self.heads, mask)
        z = self.norm1(latents + self.out(attended))
        z = self.norm2(z + self.mlp(z))
        e = self.reduce(z).squeeze(-1)  # (B, N)
        return at_least_float32(e), alpha.mean(dim=1)

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.cross_attention.aca``."""
        mlp_in, mlp_out = self.mlp[0], self.mlp[2]
        return {"Q": self.latents, "W_in": self.frames_in.weight[:, :, 0], "b_in": self.frames_in.bias,
                "W_q": self.query.weight, "b_q": self.query.bias, "W_k": self.key.weight, "b_k": self.key.bias,
                "W_v": self.value.weight, "b_v": self.value.bias, "W_o": self.out.weight, "b_o": self.out.bias,
                "ln1": (self.norm1.weight, self.norm1.bias, self.norm1.eps),
                "mlp": (mlp_in.weight, mlp_in.bias, mlp_out.weight, mlp_out.bias),
                "ln2": (self.norm2.weight, self.norm2.bias, self.norm2.eps),
                "w_out": self.reduce.weight[0], "b_out": self.reduce.bias[0],
                "heads": self.heads, "positional": self.positional}

    def describe_weight_row(self, row: int) -> str:
        return f"latent {row + 1} of {self.out_dim} (mean over {self.heads} heads)"

    @classmethod
    def examples(cls) -> list[dict]:
        small = {"latents": 5, "dim": 16, "heads": 4}
        return [small, {**small, "positional": False}, {"latents": 3, "dim": 8, "heads": 2}]
