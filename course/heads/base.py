"""What the cosine heads share: cos θ between embeddings and class weights, and the
target mask that applies a margin to the true class only.

A head maps embeddings ``(B, D)`` and integer labels ``(B,)`` to logits ``(B, N)``
for cross-entropy. Without labels (``labels=None``) a head returns its logits with
no margin, as used at test time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cosine(embeddings: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """cos θ_{ij} = x̂_iᵀ ŵ_j for embeddings (B, D) and class weights (N, D) → (B, N)."""
    return F.linear(F.normalize(embeddings, dim=1), F.normalize(weight, dim=1))


def target_mask(labels: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Boolean (B, N), True at (i, y_i)."""
    return F.one_hot(labels.long(), logits.shape[1]).bool()


def check_inputs(embeddings: torch.Tensor, labels: torch.Tensor | None, embed_dim: int, num_classes: int) -> None:
    """Clear errors for the usual mistakes instead of a deep torch trace."""
    if embeddings.dim() != 2 or embeddings.shape[1] != embed_dim:
        raise ValueError(f"embeddings: expected shape (B, {embed_dim}), got {tuple(embeddings.shape)}")
    if labels is None:
        return
    if labels.dim() != 1 or labels.shape[0] != embeddings.shape[0]:
        raise ValueError(f"labels: expected shape ({embeddings.shape[0]},), got {tuple(labels.shape)}")
    if labels.is_floating_point():
        raise ValueError("labels: expected integer class indices, got floats")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels: every label must be in [0, {num_classes - 1}], got "
                         f"min {int(labels.min())}, max {int(labels.max())}")


class CosineHead(nn.Module):
    """A head whose logits are s · cos θ, with the true class's cos θ replaced by
    ``target(cos θ)`` (the margin). Subclasses define ``target``.

    Example (without labels there is no margin: the test-time logits):
        >>> from course.heads import AddMarginHead
        >>> head = AddMarginHead(embed_dim=2, num_classes=2, scale=10.0)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.eye(2))
        >>> head(torch.tensor([[0.0, 3.0]]))
        tensor([[ 0., 10.]], grad_fn=<MulBackward0>)
    """

    def __init__(self, embed_dim: int, num_classes: int, scale: float = 32.0, margin: float = 0.0):
        super().__init__()
        if scale <= 0:
            raise ValueError(f"scale: expected a positive number, got {scale}")
        self.embed_dim, self.num_classes = embed_dim, num_classes
        self.scale = float(scale)  # s
        self.margin = float(margin)  # m
        self.weight = nn.Parameter(torch.empty(num_classes, embed_dim))  # w_j, one row a class
        nn.init.xavier_uniform_(self.weight)

    def update(self, margin: float) -> None:
        """Set the margin m (what a margin scheduler calls)."""
        self.margin = float(margin)

    def step(self) -> None:
        """One training step begins: nothing to advance (the sphere head's λ schedule does)."""

    def target(self, cos: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_inputs(embeddings, labels, self.embed_dim, self.num_classes)
        cos = cosine(embeddings, self.weight)
        if labels is None:
            return self.scale * cos
        logits = torch.where(target_mask(labels, cos), self.target(cos), cos)
        return self.scale * logits

    def extra_repr(self) -> str:
        return f"{self.embed_dim}, {self.num_classes}, scale={self.scale}, margin={self.margin}"
