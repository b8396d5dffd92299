"""Figures for short-time spectral pooling (notebook 06): one channel's time series, its
short-time spectrogram, the averaged spectrum with the kept bins, and the DC values
next to statistics pooling's mean and standard deviation."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course.viz import figures


def plot_stsp(views: dict, title: str = "") -> plt.Figure:
    """Four panels from ``course.widgets.stsp.stsp_views``; returns the figure."""
    fig, axes = figures.subplots(2, 2, figsize=(12, 7.5), constrained_layout=True)
    rate = views["frame_rate"]
    series = views["series"]
    time = np.arange(len(series)) / rate

    ax = axes[0, 0]
    ax.plot(time, series, lw=1, color="tab:blue")
    width = views["window_length"] / rate
    for start in views["segment_starts"] / rate:
        ax.axvspan(start, start + width, color="tab:orange", alpha=0.06)
    ax.axhline(views["tstp_mean"], color="k", ls="--", lw=1, label="mean (statistics pooling)")
    ax.set(xlabel="time (s)", ylabel="feature value", title=f"channel {views['channel']}: time series "
           f"({len(views['segment_starts'])} segments of {views['window_length']} frames, hop {views['hop']})")
    ax.legend(loc="upper right", fontsize=8)

    ax = axes[0, 1]
    spectrogram = 10 * np.log10(np.maximum(views["spectrogram"], 1e-10))
    freqs = views["freqs"]
    image = ax.imshow(spectrogram.T, origin="lower", aspect="auto", cmap="magma",
                      extent=[views["segment_starts"][0] / rate - 0.5 * views["hop"] / rate,
                              views["segment_starts"][-1] / rate + 0.5 * views["hop"] / rate,
                              freqs[0] - 0.5 * (freqs[1] - freqs[0]) if len(freqs) > 1 else -0.5,
                              freqs[-1] + 0.5 * (freqs[1] - freqs[0]) if len(freqs) > 1 else 0.5])
    fig.colorbar(image, ax=ax, label="power |X_m[k]|² (dB)")
    ax.set(xlabel="segment start (s)", ylabel="modulation frequency (Hz)", title="short-time spectrogram")

    ax = axes[1, 0]
    kept = views["kept_bins"]
    colours = ["tab:red" if k < kept else "0.78" for k in range(len(freqs))]  # light grey: apart from red in greyscale
    ax.bar(freqs, views["averaged_power"], width=0.8 * (freqs[1] - freqs[0]) if len(freqs) > 1 else 0.8,
           color=colours)
    ax.set_yscale("log")
    ax.set(xlabel="modulation frequency (Hz)", ylabel="averaged power P[k]",
           title=f"averaged spectrum: the lowest {kept} bin(s) (red) are kept")

    ax = axes[1, 1]
    labels = ["mean", "std"]
    positions = np.arange(2)
    bars = [("statistics pooling", [views["tstp_mean"], views["tstp_std"]], "k"),
            ("DC only: S[0], √(P[0]−S[0]²)", [views["dc_mean"], views["dc_std"]], "tab:red"),
            ("Parseval: S[0], √(Σ_k P[k]−S[0]²)", [views["dc_mean"], views["parseval_std"]], "#c5b0d5")]
    for i, (label, values, colour) in enumerate(bars):
        offsets = positions + (i - 1) * 0.27
        ax.bar(offsets, values, width=0.25, label=label, color=colour, alpha=0.8)
        for x, v in zip(offsets, values):
            ax.annotate(f"{v:.3f}", (x, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(positions, labels)
    ax.axhline(0, color="k", lw=0.5)
    verdict = "hold exactly" if views["dc_is_statistics"] else "do not hold here"
    ax.set(ylabel="value (feature units)", title=f"S[0] = mean and Parseval std: {verdict}\n"
           "(rectangular window, hop = W, W divides T);\nDC-only std = std only for W = 1")
    ax.legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    return fig


def plot_power_shares(freqs: np.ndarray, shares: dict, kept: int, title: str = "") -> plt.Figure:
    """Each input's averaged power per bin as a share of its total (one line per input), kept bins shaded."""
    fig, ax = figures.subplots(figsize=(9, 3.5), constrained_layout=True)
    step = freqs[1] - freqs[0] if len(freqs) > 1 else 1.0
    ax.axvspan(freqs[0] - step / 2, freqs[kept - 1] + step / 2, color="tab:red", alpha=0.1,
               label=f"the {kept} kept bins")
    for name, share in shares.items():
        ax.plot(freqs, share, "o-", ms=4, label=name)
    ax.set_yscale("log")
    ax.set(xlabel="modulation frequency (Hz)", ylabel="share of the total power",
           title=(title or "averaged spectrum, mean over channels") + "\n(one-sided bins 0 < k < W/2 counted twice: "
           "their mirror bins W − k hold the same power)")
    ax.legend(fontsize=8)
    return fig
