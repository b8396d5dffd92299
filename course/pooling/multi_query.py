"""Multi-query multi-head attentive statistics pooling (MQMHASTP).

Zhao, Ma, Ding, Zheng, Liu, Xu, "Multi-Query Multi-Head Attention Pooling and
Inter-TopK Penalty for Speaker Verification", ICASSP 2022 (arXiv:2110.05042).
The D channels are split into H heads h_j ∈ R^{d_h} (d_h = D/H) as in MHA, and
the whole attention is repeated for Q queries, each with its own parameters:

    one layer:   a_{q,j,t} = W_{q,j} h_{j,t} + b_{q,j}                              ∈ R^{d_s}
    two layers:  a_{q,j,t} = W2_{q,j} tanh(W1_{q,j} h_{j,t} + b1_{q,j}) + b2_{q,j}    (W1: d_k × d_h)
    α_{q,j,·,t} = softmax_t(a_{q,j,·,t}),
    μ̃_{q,j} = Σ_t α_{q,j,t} ⊙ h_{j,t},   σ̃_{q,j} = sqrt(Σ_t α_{q,j,t} ⊙ h_{j,t} ⊙ h_{j,t} − μ̃_{q,j} ⊙ μ̃_{q,j}),

concatenated as [μ̃_{1,1}; σ̃_{1,1}; μ̃_{1,2}; σ̃_{1,2}; …] → 2·Q·D. With d_s = 1 each head
has one scalar weight per frame (ASP-like); with d_s = d_h the weights are
channel-wise (ASTP-like). With Q = H = 1, two layers, d_s = d_h and d_k = 128 it is
ECAPA's ASTP without global context. The last layer's biases (b2, or b of the
one-layer scorer) are constant over t and cancel in the softmax: inert, but
kept so that the parameter count matches the reference implementation's.
"""

from __future__ import annotations

import torch
from torch import nn

from course.pooling.base import Pooling
from course.pooling.multi_head import split_heads
from course.pooling.numerics import EPS, full_precision, masked_softmax, weighted_mean_std
from course.pooling.reference.attention import mqmhastp
from course.pooling.registry import register


@register("MQMHASTP")
class MultiQueryMultiHeadAttentiveStatisticsPooling(Pooling):
    """Q queries × H heads of attentive mean and std → 2·Q·D.

    Args:
        in_dim: D (a multiple of ``heads``).
        queries: Q.
        heads: H; d_h = D / H.
        layers: 1 (linear scores) or 2 (bottleneck d_k with tanh).
        d_s: rows of the scores per head: 1 (scalar weights) or d_h (channel-wise).
        d_k: the bottleneck of the two-layer scorer.

    Example:
        >>> pool = MultiQueryMultiHeadAttentiveStatisticsPooling(in_dim=8, queries=2, heads=2, d_k=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), return_weights=True)
        >>> embedding.shape, alpha.shape, pool.describe_weight_row(3)
        (torch.Size([2, 32]), torch.Size([2, 4, 30]), 'query 2 of 2, head 2 of 2')
    """

    weights_over = "frames"
    reference = staticmethod(mqmhastp)

    def __init__(self, in_dim: int, queries: int = 2, heads: int = 4, layers: int = 2, d_s: int = 1,
                 d_k: int = 64, eps: float = EPS):
        super().__init__()
        self.head_dim = split_heads(in_dim, heads)
        if queries < 1:
            raise ValueError(f"queries: expected a positive count, got {queries}")
        if layers not in (1, 2):
            raise ValueError(f"layers: expected 1 or 2, got {layers}")
        if d_s not in (1, self.head_dim):
            raise ValueError(f"d_s: expected 1 or d_h = {self.head_dim}, got {d_s}")
        self.in_dim, self.out_dim, self.eps = in_dim, 2 * queries * in_dim, eps
        self.queries, self.heads, self.layers, self.d_s = queries, heads, layers, d_s
        groups = queries * heads  # one independent scorer per (query, head): grouped 1×1 convolutions
        if layers == 1:
            self.linear1 = nn.Conv1d(queries * in_dim, groups * d_s, kernel_size=1, groups=groups)  # W, b
            self.linear2 = None
        else:
            self.linear1 = nn.Conv1d(queries * in_dim, groups * d_k, kernel_size=1, groups=groups)  # W1, b1
            self.linear2 = nn.Conv1d(groups * d_k, groups * d_s, kernel_size=1, groups=groups)  # W2, b2

    def pool(self, x, mask):
        batch, channels, _ = x.shape
        frames = x.repeat(1, self.queries, 1)  # (B, Q·D, T): query-major, then head, then d_h
        scores = self.linear1(frames)
        if self.linear2 is not None:
            scores = self.linear2(torch.tanh(scores))
        with full_precision(x):
            alpha = masked_softmax(scores, mask)  # (B, Q·H·d_s, T)
            per_channel = alpha.repeat_interleave(self.head_dim, dim=1) if self.d_s == 1 else alpha
            mean, std = weighted_mean_std(frames, per_channel, self.eps)
            groups = self.queries * self.heads
            stats = torch.stack([mean.view(batch, groups, self.head_dim), std.view(batch, groups, self.head_dim)], 2)
            return stats.flatten(1), alpha

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"layers": 1}, {"queries": 3, "heads": 2, "d_s": 6, "d_k": 5},
                {"queries": 1, "heads": 3, "layers": 1, "d_s": 4}]

    def equation_parameters(self) -> dict:
        """Weights as (Q, H, rows, cols) and biases as (Q, H, rows), for ``reference.attention.mqmhastp``."""
        q, h = self.queries, self.heads

        def weight(conv):
            return conv.weight[:, :, 0].reshape(q, h, -1, conv.weight.shape[1])

        def bias(conv):
            return conv.bias.reshape(q, h, -1)

        params = {"W1": weight(self.linear1), "b1": bias(self.linear1)}
        if self.linear2 is not None:
            params |= {"W2": weight(self.linear2), "b2": bias(self.linear2)}
        return params

    def describe_weight_row(self, row: int) -> str:
        query, rest = divmod(row, self.heads * self.d_s)
        head, channel = divmod(rest, self.d_s)
        text = f"query {query + 1} of {self.queries}, head {head + 1} of {self.heads}"
        return text + (f", channel {head * self.head_dim + channel}" if self.d_s > 1 else "")
