"""Plots of attention weights over time, aligned with the waveform and the fbank.

Every panel shares one time axis in seconds: samples at ``n / sample_rate``,
fbank frames and attention weights at their window centres (Kaldi frames with
snip_edges: frame t covers [t·10 ms, t·10 ms + 25 ms)).
"""

from __future__ import annotations

import numpy as np

from course.features import FRAME_LENGTH_MS, FRAME_SHIFT_MS
from course.viz import figures

FRAME_SHIFT_S = FRAME_SHIFT_MS / 1000
FRAME_LENGTH_S = FRAME_LENGTH_MS / 1000


def frame_times(frames: int, shift_s: float = FRAME_SHIFT_S, length_s: float = FRAME_LENGTH_S) -> np.ndarray:
    """Centre of each analysis window, in seconds."""
    return np.arange(frames) * shift_s + length_s / 2


def attention_entropy(weights) -> np.ndarray:
    """Entropy of each row of weights over time divided by log T: 1 = uniform, 0 = one frame.

    ``weights`` (..., T) sum to one over the last axis.
    """
    w = np.asarray(weights, dtype=np.float64)
    frames = w.shape[-1]
    if frames < 2:
        return np.ones(w.shape[:-1])
    entropy = -(w * np.log(np.clip(w, 1e-30, None))).sum(axis=-1)
    return entropy / np.log(frames)


def entropy_gap(weights) -> np.ndarray:
    """log T − entropy of each row of weights, in nats: 0 for uniform weights (statistics pooling)."""
    w = np.asarray(weights)
    return (1 - attention_entropy(w)) * np.log(max(w.shape[-1], 2))


def plot_attention_timeline(waveform, sample_rate: int, fbank, weights, row: int = 0,
                            title: str = "Attention over time", row_label: str | None = None,
                            fbank_label: str = "log energy after CMN (Kaldi fbank)"):
    """Waveform, log-mel fbank, the chosen row of weights and all rows, on one time axis.

    Args:
        waveform: (samples,) audio in [−1, 1].
        fbank: (mel bins, T) log-mel features.
        weights: (rows, T) attention weights of the pooling, each row summing to one.
        row: the row drawn as a curve (a head, a query or a channel).
        fbank_label: what the fbank's values are, for its colour bar
            (``course.features.units_for_model(model)``: dB for SpeechBrain's features).
    """
    waveform, fbank, weights = np.asarray(waveform), np.asarray(fbank), np.asarray(weights)
    frames = weights.shape[-1]
    t = frame_times(frames)
    edges = (0.0, frames * FRAME_SHIFT_S + FRAME_LENGTH_S - FRAME_SHIFT_S)
    fig = figures.figure(figsize=(10, 8.5))
    grid = fig.add_gridspec(4, 2, width_ratios=[1, 0.018], height_ratios=[1, 1.3, 1.2, 1.3], wspace=0.02)
    axes = [fig.add_subplot(grid[0, 0])]
    axes += [fig.add_subplot(grid[i, 0], sharex=axes[0]) for i in range(1, 4)]
    for ax in axes[:3]:
        ax.tick_params(labelbottom=False)
    axes[0].plot(np.arange(len(waveform)) / sample_rate, waveform, lw=0.5, color="0.25")
    axes[0].set_ylabel("amplitude")
    axes[0].set_title(title)
    image = axes[1].imshow(fbank, origin="lower", aspect="auto", cmap="magma",
                           extent=(edges[0], edges[1], 0, fbank.shape[0]))
    axes[1].set_ylabel("mel bin")
    fig.colorbar(image, cax=fig.add_subplot(grid[1, 1]), label=fbank_label)
    axes[2].plot(t, weights[row], color="C0", lw=1.5, label=row_label or f"row {row}")
    axes[2].axhline(1.0 / frames, color="0.5", ls="--", lw=1, label="uniform 1/T (statistics pooling)")
    axes[2].set_ylabel(r"weight $\alpha_t$")
    axes[2].set_ylim(bottom=0)
    axes[2].legend(loc="upper right", fontsize=8, framealpha=0.7)
    scaled = axes[3].imshow(weights * frames, origin="lower", aspect="auto", cmap="viridis",
                            extent=(edges[0], edges[1], -0.5, weights.shape[0] - 0.5), interpolation="nearest")
    axes[3].set_ylabel("row (head/query/channel)")
    axes[3].set_xlabel("time (s)")
    fig.colorbar(scaled, cax=fig.add_subplot(grid[3, 1]), label=r"$\alpha_t \cdot T$ (1 = uniform)")
    axes[3].set_xlim(0, max(len(waveform) / sample_rate, edges[1]))
    fig.subplots_adjust(left=0.08, right=0.93, top=0.95, bottom=0.07, hspace=0.12)
    return fig


def plot_entropy_gaps(gaps: dict[str, float], threshold: float | None = None,
                      title: str = "How far from uniform is the attention?", baseline: dict[str, float] | None = None):
    """log T − entropy of the weights, in nats, per label, and their mean as the last bar: 0 = uniform.

    ``threshold`` is drawn on the mean bar only (what a notebook asserts); ``baseline`` (same labels,
    e.g. the untrained model) is drawn as grey bars beside each value.
    """
    names = list(gaps) + ["mean over utterances"]
    values = list(gaps.values()) + [float(np.mean(list(gaps.values())))]
    rows = np.arange(len(names))
    height = 0.4 if baseline is not None else 0.8
    fig, ax = figures.subplots(figsize=(9.5, 1.6 + 0.45 * len(names)))
    bars = ax.barh(rows - (height / 2 if baseline is not None else 0), values, height=height, color="C0",
                   label="trained")
    ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    if baseline is not None:
        before = [baseline[n] for n in gaps] + [float(np.mean([baseline[n] for n in gaps]))]
        bars = ax.barh(rows + height / 2, before, height=height, color="0.6", label="untrained")
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2, color="0.35")
    if threshold is not None:
        last = rows[-1]
        ax.plot([threshold, threshold], [last - 0.5, last + 0.5], color="C3", ls="--", lw=1.5,
                label=f"asserted: mean ≥ {threshold:g} nats")
    ax.set_yticks(rows, names)
    ax.axhline(rows[-1] - 0.5, color="0.3", lw=0.8)
    ax.set_xlim(0, 1.15 * max(values + ([threshold] if threshold is not None else []) + [1e-3]))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14 * 8 / (len(names) + 2)), ncol=3)
    ax.set_xlabel("log T − entropy of the weights (nats; 0 = uniform)")
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
