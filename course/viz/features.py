"""Plots of waveforms, frames, filterbanks and spectrogram-like features (pure functions)."""

from __future__ import annotations

import numpy as np

from course.audio import SAMPLE_RATE
from course.features import FRAME_SHIFT_MS
from course.viz import figures


def plot_waveform(wave, sample_rate: int = SAMPLE_RATE, ax=None, title: str = "Waveform"):
    wave = np.asarray(wave)
    if ax is None:
        _, ax = figures.subplots(figsize=(8, 2.2))
    ax.plot(np.arange(len(wave)) / sample_rate, wave, lw=0.5)
    ax.set(xlabel="time (s)", ylabel="amplitude", title=title, xlim=(0, len(wave) / sample_rate))
    return ax.figure


def plot_features(feats, ax=None, title: str = "Log-mel filterbank", frame_shift_ms: float = FRAME_SHIFT_MS,
                  ylabel: str = "mel bin", colorbar: str = "log energy"):
    """A (bins, frames) matrix as an image, time in seconds along x."""
    feats = np.asarray(feats)
    if ax is None:
        _, ax = figures.subplots(figsize=(8, 3))
    seconds = feats.shape[1] * frame_shift_ms / 1000
    image = ax.imshow(feats, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                      extent=(0, seconds, -0.5, feats.shape[0] - 0.5))
    ax.set(xlabel="time (s)", ylabel=ylabel, title=title)
    ax.figure.colorbar(image, ax=ax, label=colorbar, pad=0.01)
    return ax.figure


def plot_filterbank(banks, sample_rate: int = SAMPLE_RATE, ax=None, title: str = "Mel filterbank", every: int = 1):
    """Triangular filters (bins, fft_bins) against frequency in Hz."""
    banks = np.asarray(banks)
    if ax is None:
        _, ax = figures.subplots(figsize=(8, 2.6))
    freqs = np.arange(banks.shape[1]) * sample_rate / (2 * (banks.shape[1] - 1))
    for row in banks[::every]:
        ax.plot(freqs, row, lw=0.8)
    ax.set(xlabel="frequency (Hz)", ylabel="weight", title=title, xlim=(0, sample_rate / 2))
    return ax.figure


def plot_frames(wave, frame_length: int, frame_shift: int, count: int = 4, sample_rate: int = SAMPLE_RATE, ax=None,
                window=None, title: str = "Framing"):
    """The first ``count`` frames marked on the waveform (and the window shape over the first)."""
    wave = np.asarray(wave)
    span = frame_shift * (count - 1) + frame_length
    if ax is None:
        _, ax = figures.subplots(figsize=(8, 2.4))
    t = np.arange(span) / sample_rate * 1000
    ax.plot(t, wave[:span], lw=0.7, color="black")
    peak = np.abs(wave[:span]).max() or 1.0
    for k in range(count):
        start = k * frame_shift
        ax.axvspan(start / sample_rate * 1000, (start + frame_length) / sample_rate * 1000, alpha=0.12,
                   color=f"C{k}")
    if window is not None:
        ax.plot(t[:frame_length], peak * np.asarray(window), color="C3", lw=1.2, label="window (frame 0)")
        ax.legend(fontsize=8, loc="upper right")
    ax.set(xlabel="time (ms)", ylabel="amplitude", title=title)
    return ax.figure
