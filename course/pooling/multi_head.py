"""Two ways to give attention pooling several heads: split the channels, or vary the temperature.

MHA: India, Safari, Hernando, "Self Multi-Head Attention for Speaker
Recognition", 2019 (arXiv:1906.09890). The D channels are split into H heads of
d_h = D/H; head j scores its own slice h_{j,t} of each frame with a vector u_j:

    α_{j,t} = softmax_t(u_jᵀ h_{j,t}),     c_j = Σ_t α_{j,t} h_{j,t},     [c_1; …; c_H] → D

(or [μ̃; σ̃] → 2D with ``with_std=True``, the statistics version). India et al.
divide the scores by √d_h; we do not, a reparametrisation (u_j/√d_h is just
another u_j) that changes only the initial scale and learning speed of u_j.

MR-MHA: Wang, Fang, Yao, Li, "Multi-Resolution Multi-Head Attention in Deep
Speaker Embedding", ICASSP 2020. Every head sees all D channels ("global"
heads) and has its own temperature τ_j, which, for the same scores, sharpens
(τ < 1) or flattens (τ > 1) its weights:

    e_{j,t} = v_jᵀ tanh(W h_t + b) + k_j,   α_{j,t} = softmax_t(e_{j,t} / τ_j),
    [μ̃_1; σ̃_1; …; μ̃_H; σ̃_H] → 2·D·H.

Which layers the heads share is our choice (our sources do not say): here W, b
are shared and v_j, k_j, τ_j are per head; the temperatures are fixed
hyperparameters, 1, 2, 4, … by default (also our choice). With v_j and k_j
learnable, a fixed τ_j is a reparametrisation: e/τ = (v/τ)ᵀ tanh(·) + k/τ, so a
head at τ_j equals a head at τ = 1 with v_j/τ_j, k_j/τ_j (notebook 04 shows it);
τ_j sets the initial sharpness and the learning speed, not what a head can
express. The biases k_j are constant over t and cancel in the softmax: they
are kept (for parameter counts like the references') but receive no gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from course.pooling.base import Pooling
from course.pooling.numerics import EPS, full_precision, masked_softmax, weighted_mean_std
from course.pooling.reference.attention import mha, mr_mha
from course.pooling.registry import register


def split_heads(in_dim: int, heads: int) -> int:
    """d_h = D / H, or a clear error when H does not divide D."""
    if heads < 1 or in_dim % heads:
        raise ValueError(f"heads: in_dim={in_dim} must be a positive multiple of heads={heads}")
    return in_dim // heads


@register("MHA")
class MultiHeadAttentionPooling(Pooling):
    """Channels split into H heads, one score vector u_j per head → D (or 2D with std).

    Args:
        in_dim: D (a multiple of ``heads``).
        heads: H.
        with_std: append the weighted standard deviation (→ 2D).

    Example:
        >>> pool = MultiHeadAttentionPooling(in_dim=8, heads=2, with_std=True)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), return_weights=True)
        >>> embedding.shape, alpha.shape, pool.describe_weight_row(1)
        (torch.Size([2, 16]), torch.Size([2, 2, 30]), 'head 2 of 2 (channels 4–7)')
    """

    weights_over = "frames"
    reference = staticmethod(mha)

    def __init__(self, in_dim: int, heads: int = 4, with_std: bool = False, eps: float = EPS):
        super().__init__()
        self.head_dim = split_heads(in_dim, heads)
        self.in_dim, self.heads, self.with_std, self.eps = in_dim, heads, with_std, eps
        self.out_dim = 2 * in_dim if with_std else in_dim
        # u_j as a grouped 1×1 convolution: output j sees only the channels of head j.
        self.score = nn.Conv1d(in_dim, heads, kernel_size=1, groups=heads, bias=False)

    def pool(self, x, mask):
        scores = self.score(x)
        with full_precision(x):
            alpha = masked_softmax(scores, mask)  # α_{j,t}: (B, H, T)
            per_channel = alpha.repeat_interleave(self.head_dim, dim=1)  # each head's weight on its d_h channels
            mean, std = weighted_mean_std(x, per_channel, self.eps)
            return (torch.cat([mean, std], dim=1) if self.with_std else mean), alpha

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"heads": 3, "with_std": True}]

    def equation_parameters(self) -> dict:
        """u (H × d_h), for ``course.pooling.reference.attention.mha``."""
        return {"u": self.score.weight[:, :, 0], "with_std": self.with_std}

    def describe_weight_row(self, row: int) -> str:
        first = row * self.head_dim
        return f"head {row + 1} of {self.heads} (channels {first}–{first + self.head_dim - 1})"


@register("MR-MHA")
class MultiResolutionMultiHeadAttentionPooling(Pooling):
    """H global heads with temperatures τ_j, each weighted mean and std → 2·D·H.

    Args:
        in_dim: D.
        heads: H (ignored when ``temperatures`` is given).
        temperatures: τ_1 … τ_H; default 2^0, 2^1, …, 2^(H−1).
        bottleneck: rows of the shared W.

    Example:
        >>> pool = MultiResolutionMultiHeadAttentionPooling(in_dim=8, temperatures=(1.0, 4.0), bottleneck=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), return_weights=True)
        >>> embedding.shape, alpha.shape, pool.describe_weight_row(1)
        (torch.Size([2, 32]), torch.Size([2, 2, 30]), 'head 2 of 2 (τ = 4)')
    """

    weights_over = "frames"
    reference = staticmethod(mr_mha)

    def __init__(self, in_dim: int, heads: int = 4, temperatures: Sequence[float] | None = None,
                 bottleneck: int = 128, eps: float = EPS):
        super().__init__()
        temperatures = [2.0**j for j in range(heads)] if temperatures is None else list(temperatures)
        if not temperatures or min(temperatures) <= 0:
            raise ValueError(f"temperatures: expected positive values, got {temperatures}")
        self.heads = len(temperatures)
        self.in_dim, self.out_dim, self.eps = in_dim, 2 * in_dim * self.heads, eps
        self.linear1 = nn.Conv1d(in_dim, bottleneck, kernel_size=1)  # W, b (shared)
        self.linear2 = nn.Conv1d(bottleneck, self.heads, kernel_size=1)  # v_j, k_j stacked over j
        self.register_buffer("temperature", torch.tensor(temperatures).view(1, -1, 1))  # τ_j

    def pool(self, x, mask):
        scores = self.linear2(torch.tanh(self.linear1(x)))  # e_{j,t}: (B, H, T)
        batch, channels, frames = x.shape
        with full_precision(x):
            alpha = masked_softmax(scores / self.temperature, mask)
            # Every head pools all channels: repeat the frames once per head, (B, H·D, T).
            mean, std = weighted_mean_std(x.repeat(1, self.heads, 1), alpha.repeat_interleave(channels, dim=1),
                                          self.eps)
            stats = torch.stack([mean.view(batch, self.heads, channels), std.view(batch, self.heads, channels)], 2)
            return stats.flatten(1), alpha  # [μ̃_1; σ̃_1; μ̃_2; σ̃_2; …]

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"temperatures": (0.5, 3.0), "bottleneck": 5}]

    def equation_parameters(self) -> dict:
        """W, b, V (H × bottleneck), k, τ, for ``course.pooling.reference.attention.mr_mha``."""
        return {"W": self.linear1.weight[:, :, 0], "b": self.linear1.bias, "V": self.linear2.weight[:, :, 0],
                "k": self.linear2.bias, "temperatures": self.temperature.flatten().tolist()}

    def describe_weight_row(self, row: int) -> str:
        return f"head {row + 1} of {self.heads} (τ = {self.temperature.flatten()[row].item():g})"
