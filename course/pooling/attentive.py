"""Attentive statistics pooling with one scalar weight per frame (ASP).

Okabe et al., "Attentive Statistics Pooling for Deep Speaker Embedding", 2018.
A small network scores every frame h_t ∈ R^D with one number, the scores are
normalised over time, and the weights replace 1/T in the mean and the std:

    e_t = vᵀ f(W h_t + b) + k,            α_t = exp(e_t) / Σ_τ exp(e_τ),
    μ̃ = Σ_t α_t h_t,                      σ̃ = sqrt(Σ_t α_t h_t ⊙ h_t − μ̃ ⊙ μ̃).

Output [μ̃; σ̃] → 2D. f is a non-linearity (tanh or ReLU). The variance is
computed two-pass, Σ α (h − μ̃)², the same number but never negative. The bias k
is the same for every frame and cancels in the softmax (zero gradient): kept
for the equation's parameter count, inert.
"""

from __future__ import annotations

import torch
from torch import nn

from course.pooling.base import Pooling
from course.pooling.numerics import EPS, full_precision, masked_softmax, weighted_mean_std
from course.pooling.reference.attention import asp
from course.pooling.registry import register

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def make_activation(name: str) -> nn.Module:
    """The non-linearity f (or g) of an attention scorer, by name."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}") from None


@register("ASP")
class AttentivePooling(Pooling):
    """Okabe's attentive statistics pooling: scalar weights α_t shared by all channels → 2D.

    Args:
        in_dim: D, channels of the frames.
        bottleneck: rows of W (the attention's hidden size).
        activation: f, "tanh" or "relu".

    Example:
        >>> pool = AttentivePooling(in_dim=8, bottleneck=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), torch.tensor([30, 12]), return_weights=True)
        >>> embedding.shape, alpha.shape
        (torch.Size([2, 16]), torch.Size([2, 1, 30]))
    """

    weights_over = "frames"
    reference = staticmethod(asp)

    def __init__(self, in_dim: int, bottleneck: int = 128, activation: str = "tanh", eps: float = EPS):
        super().__init__()
        self.in_dim, self.out_dim, self.eps = in_dim, 2 * in_dim, eps
        self.activation_name = activation
        self.linear1 = nn.Conv1d(in_dim, bottleneck, kernel_size=1)  # W, b
        self.activation = make_activation(activation)  # f
        self.linear2 = nn.Conv1d(bottleneck, 1, kernel_size=1)  # v, k

    def pool(self, x, mask):
        scores = self.linear2(self.activation(self.linear1(x)))  # e_t: (B, 1, T)
        with full_precision(x):
            alpha = masked_softmax(scores, mask)
            mean, std = weighted_mean_std(x, alpha, self.eps)
            return torch.cat([mean, std], dim=1), alpha

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"activation": "relu", "bottleneck": 5}]

    def equation_parameters(self) -> dict:
        """W, b, v, k of the equation, for ``course.pooling.reference.attention.asp``."""
        return {"W": self.linear1.weight[:, :, 0], "b": self.linear1.bias, "v": self.linear2.weight[0, :, 0],
                "k": self.linear2.bias[0], "f": torch.tanh if self.activation_name == "tanh" else torch.relu}

    def describe_weight_row(self, row: int) -> str:
        return "one weight per frame, shared by all channels"
