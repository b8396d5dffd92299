"""The plain softmax head: logits W x + b, trained with cross-entropy.

z_j = w_jᵀ x + b_j = ‖w_j‖ ‖x‖ cos θ_j + b_j: the class decision depends on norms
as well as angles, which is what the margin heads remove. ``style="wespeaker"``
is WeSpeaker's ``softmax`` projection, BatchNorm → ReLU → Linear.
"""

from __future__ import annotations

import torch
from torch import nn

from course.heads.base import check_inputs

STYLES = ("plain", "wespeaker")


class SoftmaxHead(nn.Module):
    """Linear classifier on embeddings; ``labels`` are accepted and ignored.

    Example:
        >>> head = SoftmaxHead(embed_dim=192, num_classes=10)
        >>> head(torch.randn(4, 192), torch.tensor([0, 3, 9, 3])).shape  # logits W x + b
        torch.Size([4, 10])
    """

    def __init__(self, embed_dim: int, num_classes: int, style: str = "plain"):
        super().__init__()
        if style not in STYLES:
            raise ValueError(f"style: expected one of {STYLES}, got {style!r}")
        self.embed_dim, self.num_classes, self.style = embed_dim, num_classes, style
        self.margin = 0.0
        self.linear = nn.Linear(embed_dim, num_classes)  # W, b
        if style == "wespeaker":
            self.pre = nn.Sequential(nn.BatchNorm1d(embed_dim), nn.ReLU())
        else:
            self.pre = nn.Identity()

    @property
    def weight(self) -> torch.Tensor:
        return self.linear.weight

    def update(self, margin: float) -> None:
        """A ``MarginScheduler`` hook: the plain softmax has no margin, so only 0 is accepted."""
        if margin != 0:
            raise ValueError(f"margin: the plain softmax head has no margin, got {margin}; use "
                             "'add_margin' or 'arc_margin' to train with one")

    def step(self) -> None:
        """One training step begins: nothing to advance."""

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_inputs(embeddings, labels, self.embed_dim, self.num_classes)
        return self.linear(self.pre(embeddings))
