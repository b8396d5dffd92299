"""A-softmax (multiplicative angular margin), WeSpeaker's ``sphere``.

Liu, Wen, Yu, Li, Raj, Song, "SphereFace: Deep Hypersphere Embedding for Face
Recognition", CVPR 2017. The target angle is multiplied by an integer m (4):

    ψ(θ) = (−1)^k cos(mθ) − 2k,   k = ⌊mθ/π⌋,   θ ∈ [kπ/m, (k+1)π/m],

a monotone decreasing continuation of cos(mθ) over [0, π]. Training starts from
plain cosine logits and blends ψ in with λ, as WeSpeaker does:

    λ = max(λ_min, base · (1 + γ · iteration)^(−power)),   (5, 1000, 0.12, 1)
    z_y = ‖x‖ (cos θ_y + (ψ(θ_y) − cos θ_y) / (1 + λ)),   z_j = ‖x‖ cos θ_j,

so the logits are scaled by the embedding norm ‖x‖, not by a fixed s. This λ
annealing is SphereFace's own recipe (the authors' Caffe code: base 1000, γ 0.12,
power 1, λ_min 5), which WeSpeaker copies. Because of it the margin m is never
ramped: ``update(m)`` accepts an integer m ≥ 1 only, and a ``MarginScheduler``
ramping a fractional margin (0 → 0.2) is refused with a clear error instead of
being rounded to m = 1 (which would silently remove the margin).
cos(mθ) is the Chebyshev polynomial T_m(cos θ) (no arccos in the gradient
path); k uses arccos on a detached cos θ, piecewise constant anyway.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course.heads.base import check_inputs, cosine, target_mask


def chebyshev(cos: torch.Tensor, m: int) -> torch.Tensor:
    """T_m(cos θ) = cos(mθ) by the recurrence T_{n+1} = 2x T_n − T_{n−1}."""
    previous, current = torch.ones_like(cos), cos
    if m == 0:
        return previous
    for _ in range(m - 1):
        previous, current = current, 2 * cos * current - previous
    return current


def psi(cos: torch.Tensor, m: int) -> torch.Tensor:
    """ψ(θ) = (−1)^k cos(mθ) − 2k with k = ⌊mθ/π⌋, from cos θ."""
    theta = cos.detach().clamp(-1.0, 1.0).acos()
    k = torch.floor(m * theta / math.pi).clamp(max=m - 1)  # θ = π exactly stays in the last piece
    sign = 1.0 - 2.0 * torch.remainder(k, 2)  # (−1)^k
    return sign * chebyshev(cos, m) - 2.0 * k


def lambda_at(iteration: int, base: float = 1000.0, gamma: float = 0.12, power: float = 1.0,
              lambda_min: float = 5.0) -> float:
    """λ = max(λ_min, base (1 + γ · iteration)^(−power))."""
    return max(lambda_min, base * (1.0 + gamma * iteration) ** (-power))


class SphereHead(nn.Module):
    """A-softmax with integer margin m (default 4) and WeSpeaker's λ schedule.

    ``iteration`` counts training steps: the training loop calls ``step()`` once per
    step, before the step's forward pass (so the first step runs at iteration 1, as
    in WeSpeaker). The forward pass itself changes nothing. ``iteration`` is a
    buffer, so it is saved and restored with the model.

    Example:
        >>> head = SphereHead(embed_dim=4, num_classes=3)
        >>> head.step()
        >>> head(torch.randn(2, 4), torch.tensor([0, 2])).shape, int(head.iteration), round(head.lamb, 1)
        (torch.Size([2, 3]), 1, 892.9)
    """

    def __init__(self, embed_dim: int, num_classes: int, margin: int = 4, base: float = 1000.0,
                 gamma: float = 0.12, power: float = 1.0, lambda_min: float = 5.0):
        super().__init__()
        if int(margin) != margin or margin < 1:
            raise ValueError(f"margin: A-softmax needs an integer m ≥ 1, got {margin}")
        self.embed_dim, self.num_classes = embed_dim, num_classes
        self.margin = int(margin)  # m
        self.base, self.gamma, self.power, self.lambda_min = base, gamma, power, lambda_min
        self.weight = nn.Parameter(torch.empty(num_classes, embed_dim))  # w_j
        nn.init.xavier_uniform_(self.weight)
        self.register_buffer("iteration", torch.zeros((), dtype=torch.long))

    @property
    def lamb(self) -> float:
        """λ at the current iteration."""
        return lambda_at(int(self.iteration), self.base, self.gamma, self.power, self.lambda_min)

    def step(self) -> None:
        """Advance the λ schedule by one training step (call it before the step's forward pass)."""
        self.iteration += 1

    def update(self, margin: float) -> None:
        """Set the integer m ≥ 1; anything else is an error (the warm-up is λ's job, not m's)."""
        if margin != int(margin) or margin < 1:
            raise ValueError(f"margin: A-softmax multiplies the angle by an integer m ≥ 1, got {margin}; "
                             "it is warmed up by its λ schedule (base, gamma, power, lambda_min), so do not "
                             "ramp its margin with a MarginScheduler (use margin_schedule=None)")
        self.margin = int(margin)

    def target(self, cos: torch.Tensor) -> torch.Tensor:
        """cos θ + (ψ(θ) − cos θ) / (1 + λ), before the ‖x‖ scaling."""
        return cos + (psi(cos, self.margin) - cos) / (1.0 + self.lamb)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_inputs(embeddings, labels, self.embed_dim, self.num_classes)
        cos = cosine(embeddings, self.weight).clamp(-1.0, 1.0)
        norm = embeddings.norm(dim=1, keepdim=True)  # ‖x‖
        if labels is None:
            return norm * cos
        logits = torch.where(target_mask(labels, cos), self.target(cos), cos)
        return norm * logits

    def extra_repr(self) -> str:
        return f"{self.embed_dim}, {self.num_classes}, margin={self.margin}"
