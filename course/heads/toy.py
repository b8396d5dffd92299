"""A 2-D toy problem for looking at heads: Gaussian classes in a few dimensions,
a small MLP encoder to 2-D embeddings, trained briefly with any head, and the
regions of the embedding plane each class wins, with and without the margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course.env import torch_threads
from course.heads import build


@dataclass
class ToyResult:
    """What a toy run leaves behind (numpy arrays, float64 where continuous)."""

    embeddings: np.ndarray  # (N, 2) encoder outputs of the training points
    labels: np.ndarray  # (N,)
    weights: np.ndarray  # (K, 2) the head's class vectors w_j
    losses: list[float]
    head: nn.Module  # in eval mode
    accuracy: float


def toy_data(classes: int = 5, per_class: int = 40, dim: int = 8, spread: float = 1.6, seed: int = 0
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """``classes`` Gaussian clusters (unit variance) in ``dim`` dimensions; centres ~ N(0, spread²)."""
    g = torch.Generator().manual_seed(seed)
    centres = spread * torch.randn(classes, dim, generator=g)
    labels = torch.arange(classes).repeat_interleave(per_class)
    inputs = centres[labels] + torch.randn(len(labels), dim, generator=g)
    return inputs, labels


def head_kwargs(name: str, margin: float, scale: float, sphere_m: int = 4) -> dict:
    """The keyword arguments of ``build`` for a head chosen by name with slider values.

    The sphere head's λ schedule is shortened (γ = 1) so that a toy run of a few
    hundred steps reaches λ_min, as a full training run would.
    """
    if name == "softmax":
        return {}
    if name == "sphere":
        return {"margin": int(sphere_m), "gamma": 1.0}
    return {"margin": float(margin), "scale": float(scale)}


def train_toy(name: str = "arc_margin", margin: float = 0.2, scale: float = 32.0, sphere_m: int = 4,
              classes: int = 5, per_class: int = 40, steps: int = 150, lr: float = 0.02, seed: int = 0) -> ToyResult:
    """Train encoder + head full-batch with Adam for ``steps`` steps (deterministic on CPU)."""
    with torch_threads(1):  # a tiny problem: with several threads, hand-offs dominate
        return _train_toy(name, margin, scale, sphere_m, classes, per_class, steps, lr, seed)


def _train_toy(name, margin, scale, sphere_m, classes, per_class, steps, lr, seed) -> ToyResult:
    inputs, labels = toy_data(classes, per_class, seed=seed)
    torch.manual_seed(seed)
    encoder = nn.Sequential(nn.Linear(inputs.shape[1], 32), nn.ReLU(), nn.Linear(32, 2))
    head = build(name, 2, classes, **head_kwargs(name, margin, scale, sphere_m))
    optimiser = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=lr)
    losses = []
    head.train()
    for _ in range(steps):
        head.step()
        loss = nn.functional.cross_entropy(head(encoder(inputs), labels), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    head.eval()
    with torch.no_grad():
        embeddings = encoder(inputs)
        accuracy = float((head(embeddings).argmax(1) == labels).float().mean())
    weight = head.weight.detach()
    return ToyResult(embeddings.double().numpy(), labels.numpy(), weight.double().numpy(), losses, head, accuracy)


@torch.no_grad()
def decision_regions(head: nn.Module, points: np.ndarray) -> np.ndarray:
    """The class each point (M, 2) is assigned at test time: argmax of the logits without margin."""
    logits = head(torch.as_tensor(points, dtype=head.weight.dtype))
    return logits.argmax(1).numpy()


@torch.no_grad()
def margin_regions(head: nn.Module, points: np.ndarray) -> np.ndarray:
    """For each point (M, 2), the class c whose *margin* logit still wins when c is the label,
    or −1 where no class does (the margin zone between classes)."""
    x = torch.as_tensor(points, dtype=head.weight.dtype)
    winner = torch.full((len(x),), -1, dtype=torch.long)
    for c in range(head.weight.shape[0]):
        labels = torch.full((len(x),), c, dtype=torch.long)
        logits = head(x, labels)
        wins = logits[:, c] > logits.masked_fill(nn.functional.one_hot(labels, logits.shape[1]).bool(),
                                                 float("-inf")).amax(1)
        winner[wins] = c
    return winner.numpy()
