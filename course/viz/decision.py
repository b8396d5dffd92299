"""Plots of decisions: one operating point on the score histograms and the DET curve, and the
reliability (calibration) diagram (pure functions, used by ``course.widgets.threshold``)."""

from __future__ import annotations

import numpy as np

from course.viz.figures import subplots
from course.viz.scores import plot_det, plot_score_histograms, probit


def operating_point(scores, labels, threshold: float) -> dict:
    """Counts and rates of accepting ``score ≥ threshold``: false accepts (non-targets accepted) and false
    rejects (targets rejected)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    fa, fr = int((s[~y] >= threshold).sum()), int((s[y] < threshold).sum())
    return {"threshold": float(threshold), "false_accepts": fa, "false_rejects": fr, "nontargets": int((~y).sum()),
            "targets": int(y.sum()), "p_fa": fa / max(1, (~y).sum()), "p_miss": fr / max(1, y.sum())}


def plot_operating_point(scores, labels, point: dict, name: str, xlabel: str = "score", title: str = ""):
    """Left: the score histograms with the threshold; right: the DET curve with the point it gives."""
    fig, (left, right) = subplots(1, 2, figsize=(11, 4.2))
    plot_score_histograms(scores, labels, ax=left, xlabel=xlabel, threshold=point["threshold"],
                          title=f"{name}: scores and the threshold")
    plot_det({name: (scores, labels)}, ax=right, title="DET curve and the chosen operating point")
    clip = 1e-4
    x, y = probit(np.clip(point["p_fa"], clip, 1 - clip)), probit(np.clip(point["p_miss"], clip, 1 - clip))
    right.plot(x, y, "s", color="crimson", ms=9, label="threshold", zorder=5)
    right.legend(loc="upper right", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def reliability(llrs, labels, prior: float, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted posterior per bin, observed fraction of targets per bin, trials per bin) when ``llrs`` are
    read as log-likelihood ratios at the list's own prior ``prior`` (the target fraction)."""
    llr, y = np.asarray(llrs, dtype=float), np.asarray(labels).astype(bool)
    posterior = 1 / (1 + np.exp(-(llr + np.log(prior / (1 - prior)))))
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(posterior, edges) - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=posterior, minlength=bins) / np.maximum(counts, 1)
    observed = np.bincount(index, weights=y.astype(float), minlength=bins) / np.maximum(counts, 1)
    keep = counts > 0
    return predicted[keep], observed[keep], counts[keep]


def plot_reliability(systems: dict, labels, prior: float, ax=None, title: str = "Reliability diagram"):
    """``systems`` maps a name to LLRs of the same trials: observed target fraction against the predicted
    posterior (the diagonal is perfect calibration); marker area ∝ trials in the bin."""
    if ax is None:
        _, ax = subplots(figsize=(4.8, 4.6))
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for name, llrs in systems.items():
        predicted, observed, counts = reliability(llrs, labels, prior)
        ax.plot(predicted, observed, "-", alpha=0.6)
        ax.scatter(predicted, observed, s=8 + 200 * counts / counts.max(), label=name, alpha=0.8)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted P(target | score)", ylabel="observed fraction of targets",
           title=title)
    ax.legend(fontsize=8, loc="upper left")
    return ax.figure
