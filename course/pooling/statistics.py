"""Statistics pooling: TAP, TSDP and TSTP.

Snyder, Garcia-Romero, Sell, Povey, Khudanpur, "X-vectors: robust DNN embeddings
for speaker recognition", ICASSP 2018. Over the T valid frames of x ∈ R^{D×T}:
μ = (1/T) Σ_t x_t (TAP), σ = sqrt((1/T) Σ_t (x_t − μ)² ) (TSDP), [μ; σ] (TSTP).
The variance is the biased one (divide by T): the unbiased one is NaN at T = 1.
"""

from __future__ import annotations

import torch

from course.pooling.base import Pooling
from course.pooling.numerics import EPS, masked_mean_std
from course.pooling.reference.statistics import tap, tsdp, tstp
from course.pooling.registry import register


@register("TAP")
class TemporalAveragePooling(Pooling):
    """μ = mean over valid frames → D.

    Example:
        >>> TemporalAveragePooling(in_dim=3)(torch.tensor([[[1.0, 3.0, 9.0]] * 3]), torch.tensor([2]))
        tensor([[2., 2., 2.]])
    """

    weights_over = "none"
    reference = staticmethod(tap)

    def __init__(self, in_dim: int):
        super().__init__()
        self.in_dim, self.out_dim = in_dim, in_dim

    def pool(self, x, mask):
        mean, _ = masked_mean_std(x, mask)
        return mean, None


@register("TSDP")
class TemporalStdPooling(Pooling):
    """σ = sqrt(clamp(biased variance, eps)) over valid frames → D.

    Example:
        >>> TemporalStdPooling(in_dim=1)(torch.tensor([[[1.0, 3.0]]]))  # biased: divide by T
        tensor([[1.]])
    """

    weights_over = "none"
    reference = staticmethod(tsdp)

    def __init__(self, in_dim: int, eps: float = EPS):
        super().__init__()
        self.in_dim, self.out_dim, self.eps = in_dim, in_dim, eps

    def pool(self, x, mask):
        _, std = masked_mean_std(x, mask, self.eps)
        return std, None

    def equation_parameters(self) -> dict:
        return {"eps": self.eps}


@register("TSTP")
class TemporalStatisticsPooling(Pooling):
    """[μ; σ] over valid frames → 2D (the x-vector's statistics pooling).

    Example:
        >>> pool = TemporalStatisticsPooling(in_dim=80)
        >>> pool(torch.randn(4, 80, 200), torch.tensor([200, 150, 90, 3])).shape
        torch.Size([4, 160])
    """

    weights_over = "none"
    reference = staticmethod(tstp)

    def __init__(self, in_dim: int, eps: float = EPS):
        super().__init__()
        self.in_dim, self.out_dim, self.eps = in_dim, 2 * in_dim, eps

    def pool(self, x, mask):
        mean, std = masked_mean_std(x, mask, self.eps)
        return torch.cat([mean, std], dim=1), None

    def equation_parameters(self) -> dict:
        return {"eps": self.eps}
