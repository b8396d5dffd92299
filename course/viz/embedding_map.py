"""A 2-D map of embeddings: t-SNE written out in a few lines of torch, and its scatter plot.

van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 2008. For each point
i, Gaussian affinities p_{j|i} ∝ exp(−‖x_i − x_j‖² / 2σ_i²), with σ_i found by
bisection so that the perplexity 2^{H(P_i)} equals ``perplexity``; symmetrised
p_ij = (p_{j|i} + p_{i|j}) / 2N. In the map, Student-t affinities
q_ij ∝ (1 + ‖y_i − y_j‖²)^{−1}; gradient descent on KL(P‖Q) with momentum and
early exaggeration (P × 12 for the first quarter of the steps). Exact O(N²): fine
for the few hundred test utterances of SynthVox.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from course.viz import figures


def affinities(x: torch.Tensor, perplexity: float) -> torch.Tensor:
    """Symmetric input affinities P (N, N), each row's σ set by bisection on the perplexity."""
    n = x.shape[0]
    d2 = torch.cdist(x, x).pow(2)
    target = math.log(perplexity)
    beta = torch.ones(n, dtype=x.dtype)  # 1 / 2σ²
    low, high = torch.zeros(n, dtype=x.dtype), torch.full((n,), float("inf"), dtype=x.dtype)
    eye = torch.eye(n, dtype=torch.bool)
    for _ in range(60):
        logits = (-d2 * beta[:, None]).masked_fill(eye, -float("inf"))
        p = torch.softmax(logits, dim=1)
        entropy = -(p * torch.log(p.clamp(min=1e-30))).sum(1)  # nats
        too_flat = entropy > target  # raise beta (narrower Gaussian)
        low = torch.where(too_flat, beta, low)
        high = torch.where(too_flat, high, beta)
        beta = torch.where(torch.isinf(high), beta * 2, (low + high) / 2)
    return (p + p.T) / (2 * n)


def tsne(x, dims: int = 2, perplexity: float = 30.0, steps: int = 500, lr: float | None = None,
         seed: int = 0) -> np.ndarray:
    """The t-SNE map ``(N, dims)`` of ``x`` ``(N, D)`` (float64 inside; deterministic for a seed).

    ``lr=None``: max(N / 48, 50), the step size Belkina et al. (2019) recommend (N / exaggeration / 4);
    a fixed 200 diverged here for N = 100.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"tsne: need at least 4 points, got {n}")
    perplexity = min(perplexity, (n - 1) / 3)
    lr = lr if lr is not None else max(n / 48, 50.0)
    p = affinities(x, perplexity).clamp(min=1e-12)
    y = 1e-4 * torch.randn(n, dims, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    velocity = torch.zeros_like(y)
    for step in range(steps):
        exaggeration = 12.0 if step < steps // 4 else 1.0
        momentum = 0.5 if step < steps // 4 else 0.8
        squared = (y * y).sum(1)
        inv = 1.0 / (1.0 + (squared[:, None] + squared[None, :] - 2 * y @ y.T).clamp(min=0))
        inv.fill_diagonal_(0)
        q = (inv / inv.sum()).clamp(min=1e-12)
        weight = (exaggeration * p - q) * inv  # ∂KL/∂y_i = 4 Σ_j (p_ij − q_ij)(1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j)
        grad = 4 * (weight.sum(1, keepdim=True) * y - weight @ y)
        velocity = momentum * velocity - lr * grad
        y = y + velocity
        y = y - y.mean(0)
    return y.numpy()


def plot_embedding_map(points: np.ndarray, labels, ax=None, title: str = "t-SNE map of the embeddings"):
    """Scatter the 2-D ``points`` coloured by speaker ``labels``."""
    if ax is None:
        _, ax = figures.subplots(figsize=(5.5, 5.0))
    labels = np.asarray(labels)
    names = sorted(set(labels.tolist()))
    colours = plt.get_cmap("tab10")  # ten distinguishable hues; the marker tells the 11th speaker from the 1st
    for k, name in enumerate(names):
        chosen = labels == name
        ax.scatter(points[chosen, 0], points[chosen, 1], s=12, color=colours(k % colours.N),
                   marker="os^vD"[k // colours.N % 5], label=str(name))
    ax.set_title(title)
    ax.set_xlabel("t-SNE 1 (no unit)")
    ax.set_ylabel("t-SNE 2 (no unit)")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
