"""Self-attentive pooling (SAP): r attention heads, each a weighted mean.

Zhu, Ko, Snyder, Mak, Povey, "Self-Attentive Speaker Embeddings for
Text-Independent Speaker Verification", Interspeech 2018. With the frames as the
rows of H ∈ R^{T×D}:

    A = softmax(g(H W1) W2) ∈ R^{T×r}   (softmax over the T frames of each column),
    E = Aᵀ H ∈ R^{r×D},                 flattened → r·D.

No standard deviation: each head is a weighted mean. The paper adds a penalty
‖AᵀA − I‖²_F so that the heads attend to different frames (``penalty`` below).
g is a non-linearity (ReLU by default here, tanh as an option).
"""

from __future__ import annotations

import torch
from torch import nn

from course.pooling.attentive import make_activation
from course.pooling.base import Pooling
from course.pooling.numerics import at_least_float32, full_precision, masked_softmax
from course.pooling.reference.attention import sap
from course.pooling.registry import register


@register("SAP")
class SelfAttentivePooling(Pooling):
    """r heads of scalar weights over time, each giving a weighted mean → r·D.

    Args:
        in_dim: D.
        heads: r, columns of W2.
        bottleneck: d_a, columns of W1.
        activation: g, "relu" or "tanh".

    Example:
        >>> pool = SelfAttentivePooling(in_dim=8, heads=2, bottleneck=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), return_weights=True)
        >>> embedding.shape, alpha.shape, SelfAttentivePooling.penalty(alpha).shape
        (torch.Size([2, 16]), torch.Size([2, 2, 30]), torch.Size([]))
    """

    weights_over = "frames"
    reference = staticmethod(sap)

    def __init__(self, in_dim: int, heads: int = 4, bottleneck: int = 128, activation: str = "relu"):
        super().__init__()
        self.in_dim, self.out_dim, self.heads = in_dim, heads * in_dim, heads
        self.activation_name = activation
        self.linear1 = nn.Conv1d(in_dim, bottleneck, kernel_size=1, bias=False)  # W1 (no bias in the paper)
        self.activation = make_activation(activation)  # g
        self.linear2 = nn.Conv1d(bottleneck, heads, kernel_size=1, bias=False)  # W2

    def pool(self, x, mask):
        scores = self.linear2(self.activation(self.linear1(x)))
        with full_precision(x):
            alpha = masked_softmax(scores, mask)  # Aᵀ: (B, r, T)
            embedding = torch.einsum("brt,bdt->brd", alpha, at_least_float32(x))  # E = Aᵀ H
            return embedding.flatten(1), alpha

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"heads": 1}, {"heads": 3, "bottleneck": 6, "activation": "tanh"}]

    @staticmethod
    def penalty(weights: torch.Tensor) -> torch.Tensor:
        """‖AᵀA − I‖²_F averaged over the batch, from the ``(B, r, T)`` weights."""
        gram = weights @ weights.transpose(1, 2)
        eye = torch.eye(weights.shape[1], device=weights.device, dtype=weights.dtype)
        return (gram - eye).pow(2).sum(dim=(1, 2)).mean()

    def equation_parameters(self) -> dict:
        """W1 (D×d_a), W2 (d_a×r) and g, for ``course.pooling.reference.attention.sap``."""
        return {"W1": self.linear1.weight[:, :, 0].T, "W2": self.linear2.weight[:, :, 0].T,
                "g": torch.relu if self.activation_name == "relu" else torch.tanh}

    def describe_weight_row(self, row: int) -> str:
        return f"head {row + 1} of {self.heads}"
