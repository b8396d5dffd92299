"""Figures for dictionary pooling (notebook 05): which cluster each frame goes to, over time."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course.features import FRAMES_PER_SECOND
from course.viz import figures


def plot_assignments(features: np.ndarray, assignments: np.ndarray, counts: np.ndarray, ghosts: int = 0,
                     frame_rate: float = FRAMES_PER_SECOND, title: str = "") -> plt.Figure:
    """Frames (F, T) on top, the soft assignments (K + G, T) below, and each cluster's soft count.

    The last ``ghosts`` rows of ``assignments`` are GhostVLAD's ghost clusters.
    """
    clusters, frames = assignments.shape
    seconds = frames / frame_rate
    fig, axes = figures.subplots(3, 1, figsize=(11, 8), constrained_layout=True,
                             gridspec_kw={"height_ratios": [2, 2, 1.2]})
    ax = axes[0]
    image = ax.imshow(features, origin="lower", aspect="auto", cmap="viridis",
                      extent=[0, seconds, 0, features.shape[0]])
    fig.colorbar(image, ax=ax, label="log-mel energy (CMN)")
    ax.set(xlabel="time (s)", ylabel="mel bin", title=r"the frames $x_t$")

    ax = axes[1]
    image = ax.imshow(assignments, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                      extent=[0, seconds, -0.5, clusters - 0.5], interpolation="nearest")
    fig.colorbar(image, ax=ax, label=r"assignment $a_{t,k}$")
    winner = assignments.argmax(0)
    ax.plot((np.arange(frames) + 0.5) / frame_rate, winner, ".", ms=2, color="tab:red", label="most likely cluster")
    names = [f"k={k}" for k in range(clusters - ghosts)] + [f"ghost {g}" for g in range(ghosts)]
    ax.set_yticks(range(clusters), names)
    if ghosts:
        ax.axhline(clusters - ghosts - 0.5, color="tab:blue", lw=1.5)
    ax.set(xlabel="time (s)", ylabel="cluster", title="soft assignment of every frame (each column sums to 1)")
    ax.legend(loc="upper right", fontsize=8)

    ax = axes[2]
    colours = ["tab:green"] * (clusters - ghosts) + ["tab:blue"] * ghosts
    ax.bar(range(clusters), counts, color=colours)
    ax.set_xticks(range(clusters), names)
    ax.set(xlabel="cluster", ylabel=r"$\Sigma_t\, a_{t,k}$ (frames)",
           title="soft count per cluster" + (" (blue: ghosts, dropped from the embedding)" if ghosts else ""))
    if title:
        fig.suptitle(title)
    return fig
