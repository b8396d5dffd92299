"""AAM-softmax (additive angular margin), WeSpeaker's ``arc_margin``.

Deng, Guo, Xue, Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
Recognition", CVPR 2019:

    z_y = s cos(θ_y + m),      z_j = s cos θ_j  (j ≠ y).

cos(θ + m) = cos θ cos m − sin θ sin m with sin θ = sqrt(1 − cos²θ), no arccos.
Past θ = π − m, cos(θ + m) would rise again (θ + m > π), rewarding a worse angle,
so the target is replaced there:

- ``easy_margin=True``: the margin applies only where cos θ > 0 (θ < π/2);
- otherwise WeSpeaker's fallback, cos θ − (1 + cos(π − m)) where cos θ ≤ cos(π − m):
  it meets cos(θ + m) = −1 at θ = π − m and keeps decreasing with θ beyond.

sqrt(1 − cos²θ) has an infinite derivative at cos θ = ±1 (and torch.where turns
0 · ∞ into NaN even in the branch not taken), so 1 − cos²θ is clamped to
≥ 1e-12: values move by < 1e-6, gradients stay finite.
"""

from __future__ import annotations

import math

import torch

from course.heads.base import CosineHead

SINE_SQUARED_FLOOR = 1e-12


def safe_sine(cos: torch.Tensor) -> torch.Tensor:
    """sin θ = sqrt(1 − cos²θ) for θ ∈ [0, π], with a finite gradient at cos θ = ±1."""
    return (1.0 - cos * cos).clamp(min=SINE_SQUARED_FLOOR).sqrt()


class ArcMarginHead(CosineHead):
    """AAM-softmax: s cos(θ_y + m) for the true class. Defaults s = 32, m = 0.2.

    Example:
        >>> head = ArcMarginHead(embed_dim=2, num_classes=2, scale=10.0, margin=math.pi / 3)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.eye(2))
        >>> head(torch.tensor([[1.0, 0.0]]), torch.tensor([0])).round(decimals=4)  # s cos(0 + 60°)
        tensor([[5., 0.]], grad_fn=<RoundBackward1>)
    """

    def __init__(self, embed_dim: int, num_classes: int, scale: float = 32.0, margin: float = 0.2,
                 easy_margin: bool = False):
        super().__init__(embed_dim, num_classes, scale, margin)
        self.easy_margin = easy_margin

    def target(self, cos: torch.Tensor) -> torch.Tensor:
        m = self.margin
        phi = cos * math.cos(m) - safe_sine(cos) * math.sin(m)  # cos(θ + m)
        if self.easy_margin:
            return torch.where(cos > 0, phi, cos)
        threshold = math.cos(math.pi - m)  # cos θ ≤ this ⇔ θ + m ≥ π
        return torch.where(cos > threshold, phi, cos - (1.0 + threshold))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", easy_margin={self.easy_margin}"
