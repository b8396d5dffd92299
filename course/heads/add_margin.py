"""AM-softmax (additive margin), WeSpeaker's ``add_margin``.

Wang, Cheng, Liu, Liu, "Additive Margin Softmax for Face Verification", IEEE Signal
Processing Letters, 2018 (CosFace, Wang et al., CVPR 2018, is the same head):

    z_y = s (cos θ_y − m),      z_j = s cos θ_j  (j ≠ y),

cos θ_j = x̂ᵀ ŵ_j. Subtracting m in cosine space is linear, so values and
gradients are finite everywhere, cos θ = ±1 included.
"""

from __future__ import annotations

import torch

from course.heads.base import CosineHead


class AddMarginHead(CosineHead):
    """AM-softmax: s (cos θ_y − m) for the true class. Defaults s = 32, m = 0.2.

    Example:
        >>> head = AddMarginHead(embed_dim=2, num_classes=2, scale=10.0, margin=0.2)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.eye(2))
        >>> head(torch.tensor([[1.0, 0.0]]), torch.tensor([0]))  # s (cos 0 − m), s cos 90°
        tensor([[8., 0.]], grad_fn=<MulBackward0>)
    """

    def __init__(self, embed_dim: int, num_classes: int, scale: float = 32.0, margin: float = 0.2):
        super().__init__(embed_dim, num_classes, scale, margin)

    def target(self, cos: torch.Tensor) -> torch.Tensor:
        return cos - self.margin  # cos θ_y − m
