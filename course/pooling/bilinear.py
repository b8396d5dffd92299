"""Attentive bilinear pooling (ABP).

As the seed article cites it: "Attentive Bilinear Pooling (ABP) - Interspeech
2020" (authors and title not verified here). With H ∈ R^{L×D} the frames (L of
them) and K attention heads:

    A   = softmax_L(conv1x1(H)) ∈ R^{K×L}           (each row sums to 1 over the frames)
    m   = A H ∈ R^{K×D}                              row m_k: head k's attentive mean (unnormalised)
    μ   = T2(T1(m))                                  first-order attentive statistics, K·D
    σ²  = T2(T1(A (H − m_k)⊙(H − m_k)))              second-order attentive statistics, K·D
    out = [μ; σ²] → 2·K·D

A H is the bilinear (outer-product) pooling of the attention map with the
frames, summed over time, as in cross-layer bilinear pooling. T1 reshapes to a
vector; T2 is a signed square root followed by L2 normalisation (applied to μ
and σ² separately). The second-order term is our reading of the seed, whose
equation image is missing: the per-head attentive variance Σ_l A_kl (H_l − m_k)²,
computed as A(H⊙H) − μ⊙μ after shifting H by its plain mean (the variance does
not change; the cancellation does) and clamped at 0. The signed square root is
``numerics.signed_sqrt``: its slope stays finite at 0, e.g. a zero variance.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import zero_padding
from course.pooling.base import Pooling
from course.pooling.numerics import EPS, at_least_float32, full_precision, l2_normalise, masked_softmax, signed_sqrt
from course.pooling.reference.bilinear import abp
from course.pooling.registry import register


def power_normalise(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """T2: signed square root, then L2 normalisation of the whole vector."""
    return l2_normalise(signed_sqrt(v, eps), dim=-1, eps=eps)


@register("ABP")
class AttentiveBilinearPooling(Pooling):
    """ABP → 2·K·D; returns the attention map A (B, K, T) as weights.

    Args:
        in_dim: D, channels of the frames.
        heads: K, rows of the attention map.

    Example:
        >>> pool = AttentiveBilinearPooling(in_dim=8, heads=2)
        >>> embedding, a = pool(torch.randn(2, 8, 30), torch.tensor([30, 7]), return_weights=True)
        >>> embedding.shape, a.shape
        (torch.Size([2, 32]), torch.Size([2, 2, 30]))
        >>> torch.allclose(embedding.view(2, 2, -1).norm(dim=-1), torch.ones(2, 2))  # [μ; σ²], each of unit norm
        True
    """

    weights_over = "frames"
    reference = staticmethod(abp)

    def __init__(self, in_dim: int, heads: int = 4, eps: float = EPS):
        super().__init__()
        self.in_dim, self.out_dim, self.eps, self.heads = in_dim, 2 * heads * in_dim, eps, heads
        self.attention = nn.Conv1d(in_dim, heads, kernel_size=1)  # the 1×1 convolution

    def pool(self, x, mask):
        x = zero_padding(x, mask)
        logits = self.attention(x)  # (B, K, T)
        with full_precision(x):
            a = masked_softmax(logits, mask, dim=-1)  # A: softmax over frames
            x = at_least_float32(x)
            mean = torch.einsum("bkt,bdt->bkd", a, x)  # A H
            # A (H⊙H) − μ⊙μ: one pass, no (B, K, D, T) tensor; shifting by the frames' plain
            # mean first keeps the subtraction well conditioned, the clamp keeps it ≥ 0
            shift = x.mean(-1, keepdim=True) if mask is None else (x.sum(-1, keepdim=True) / mask.sum(-1, keepdim=True))
            centred = x - shift
            var = (torch.einsum("bkt,bdt->bkd", a, centred.pow(2)) - (mean - shift.transpose(1, 2)).pow(2)).clamp(min=0)
            first = power_normalise(mean.flatten(1), self.eps)
            second = power_normalise(var.flatten(1), self.eps)
            return torch.cat([first, second], dim=1), a

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.bilinear.abp``."""
        return {"W": self.attention.weight[:, :, 0], "b": self.attention.bias, "eps": self.eps}

    def describe_weight_row(self, row: int) -> str:
        return f"head {row + 1} of {self.heads}"

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"heads": 2}]
