"""Plots of verification scores: the DET curve and the score histograms (pure functions)."""

from __future__ import annotations

import numpy as np
import torch

from course import metrics
from course.viz import figures

_TICKS = np.array([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9])


def probit(p) -> np.ndarray:
    """The standard normal quantile Φ⁻¹(p) (torch's ndtri: scipy.stats takes seconds to import)."""
    return torch.special.ndtri(torch.as_tensor(np.asarray(p, dtype=np.float64))).numpy()


def det_coordinates(scores, labels, clip: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """(probit(P_fa), probit(P_miss)) of every operating point; rates clipped to [clip, 1 − clip]."""
    p_miss, p_fa, _ = metrics.det_curve(scores, labels)
    return probit(np.clip(p_fa, clip, 1 - clip)), probit(np.clip(p_miss, clip, 1 - clip))


def plot_det(systems: dict, ax=None, title: str = "DET curve"):
    """DET curves on normal-deviate axes; ``systems`` maps a name to (scores, labels). EER marked."""
    if ax is None:
        _, ax = figures.subplots(figsize=(5.2, 5.0))
    lowest = 0.5
    for name, (scores, labels) in systems.items():
        x, y = det_coordinates(scores, labels)
        e = metrics.eer(scores, labels)
        lowest = min(lowest, e / 4, max(1.0 / len(np.asarray(scores)), 1e-3))
        line, = ax.plot(x, y, label=f"{name} (EER {100 * e:.1f}%)")
        ax.plot(probit(e), probit(e), "o", color=line.get_color())
    ticks = _TICKS[(_TICKS >= lowest * 0.99) & (_TICKS <= 0.9)]
    positions = probit(ticks)
    labels_ = [f"{100 * t:g}" for t in ticks]
    limits = (positions[0] - 0.1, positions[-1] + 0.1)
    ax.plot(limits, limits, ":", color="grey", lw=1, label="P_miss = P_fa")
    ax.set(xticks=positions, xticklabels=labels_, yticks=positions, yticklabels=labels_, xlim=limits, ylim=limits,
           xlabel="false-alarm rate (%)", ylabel="miss rate (%)", title=title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return ax.figure


def plot_score_histograms(scores, labels, ax=None, bins: int = 40, xlabel: str = "cosine score",
                          title: str = "Scores of target and non-target trials", threshold: float | None = None):
    """Overlaid densities of target and non-target scores, with the EER threshold (or ``threshold``)."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    if ax is None:
        _, ax = figures.subplots(figsize=(6, 3.4))
    edges = np.histogram_bin_edges(scores, bins=bins)
    ax.hist(scores[~labels], bins=edges, density=True, alpha=0.55, label=f"non-target ({(~labels).sum()})")
    ax.hist(scores[labels], bins=edges, density=True, alpha=0.55, label=f"target ({labels.sum()})")
    if threshold is None:
        value, threshold = metrics.eer(scores, labels, return_threshold=True)
        name = f"EER threshold ({100 * value:.1f}% EER)"
    else:
        name = "threshold"
    ax.axvline(threshold, color="black", ls="--", lw=1, label=name)
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend(fontsize=8)
    return ax.figure
