"""Plots for the margin heads: target logits against the angle, a margin
schedule, and 2-D embeddings over the regions each class wins."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from course.viz import figures


def plot_target_logits(theta_degrees: np.ndarray, curves: dict[str, np.ndarray], title: str | None = None,
                       ylim: tuple[float, float] | None = None):
    """Each head's target logit divided by its scale, against θ_y in degrees (``ylim`` clips the view)."""
    fig, ax = figures.subplots(figsize=(7, 4.2))
    for label, values in curves.items():
        ax.plot(theta_degrees, values, label=label, lw=2)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("angle θ between embedding and its class vector (degrees)")
    ax.set_ylabel("target logit / scale")
    ax.set_title(title or "Target logit of each head against the angle θ")
    ax.set_xlim(theta_degrees[0], theta_degrees[-1])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_margin_schedule(steps: np.ndarray, margins: dict[str, np.ndarray]):
    """Margin m against the training step for one or more schedules."""
    fig, ax = figures.subplots(figsize=(6, 3.2))
    for label, values in margins.items():
        ax.plot(steps, values, label=label, lw=2)
    ax.set_xlabel("training step")
    ax.set_ylabel("margin m (radians)")
    ax.set_title("Margin schedule")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_toy_embeddings(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, grid: np.ndarray,
                        decision: np.ndarray, margin: np.ndarray, losses: list[float], title: str):
    """Left: embeddings over the regions each class wins, strong where it still wins *with*
    its margin and pale where it wins only without it (the margin zone).
    Right: the training loss.

    ``grid`` is (G, G, 2) points of the plane; ``decision``/``margin`` (G, G) class indices
    (−1 in ``margin`` where no class wins with its margin).
    """
    classes = len(weights)
    colours = plt.get_cmap("tab10")(np.arange(classes) % 10)
    fig, (ax, ax_loss) = figures.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1.35, 1]})
    extent = (grid[0, 0, 0], grid[0, -1, 0], grid[0, 0, 1], grid[-1, 0, 1])
    pale = ListedColormap(0.25 * colours[:, :3] + 0.75)
    ax.imshow(decision, origin="lower", extent=extent, cmap=pale, vmin=-0.5, vmax=classes - 0.5,
              interpolation="nearest")
    strong = np.ma.masked_less(margin, 0)
    ax.imshow(strong, origin="lower", extent=extent, cmap=ListedColormap(0.55 * colours[:, :3] + 0.45),
              vmin=-0.5, vmax=classes - 0.5, interpolation="nearest")
    ax.scatter(embeddings[:, 0], embeddings[:, 1], c=colours[labels], s=12, edgecolors="k", linewidths=0.3)
    radius = 0.45 * (extent[1] - extent[0])
    for j, w in enumerate(weights):
        tip = radius * w / np.linalg.norm(w)
        ax.annotate("", xy=tip, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": colours[j], "lw": 2})
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("embedding dimension 1")
    ax.set_ylabel("embedding dimension 2")
    ax.set_title(title, fontsize=10)
    ax_loss.plot(np.arange(1, len(losses) + 1), losses, color="k")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("cross-entropy (nats, log scale)")
    ax_loss.set_title("Training loss of the toy run", fontsize=10)
    ax_loss.grid(alpha=0.3)
    fig.tight_layout()
    return fig
