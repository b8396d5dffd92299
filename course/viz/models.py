"""Plots for the model notebooks: receptive fields, parameter counts, SE gates, sqrt gradients."""

from __future__ import annotations

import numpy as np

from course.features import FRAME_SHIFT_MS
from course.viz import figures


def plot_receptive_field(names, counted, measured=None, title="Receptive field after each layer"):
    """Frames (and milliseconds at a 10 ms shift) seen by one output frame, layer by layer."""
    fig, ax = figures.subplots(figsize=(7, 3.5))
    steps = np.arange(len(names))
    ax.plot(steps, counted, "o-", label="counted: 1 + Σ (k − 1)·d")
    if measured is not None:
        ax.plot(steps, measured, "x", markersize=10, label="measured by autograd")
    for step, frames in zip(steps, counted, strict=True):
        ax.annotate(f"{frames} ({frames * FRAME_SHIFT_MS / 1000:.2f} s)", (step, frames),
                    textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    ax.set_xticks(steps, names, rotation=20)
    ax.set_ylim(0, max(counted) * 1.2)
    ax.set_xlabel("layer")
    ax.set_ylabel("receptive field (frames)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_parameter_bars(table: dict[str, dict[str, int]], title="Parameters per layer"):
    """Grouped bars: ``table[flavour][layer] = parameters``; the total of each flavour in the legend."""
    flavours = list(table)
    layers = list(table[flavours[0]])
    fig, ax = figures.subplots(figsize=(8, 3.8))
    width = 0.8 / len(flavours)
    steps = np.arange(len(layers))
    for i, flavour in enumerate(flavours):
        counts = np.array([table[flavour][layer] for layer in layers]) / 1e6
        ax.bar(steps + (i - (len(flavours) - 1) / 2) * width, counts, width,
               label=f"{flavour} ({sum(table[flavour].values()):,} total)")
    if len(flavours) == 2:  # say where the two differ
        for step, layer in zip(steps, layers, strict=True):
            diff = table[flavours[1]][layer] - table[flavours[0]][layer]
            if diff:
                top = max(table[f][layer] for f in flavours) / 1e6
                ax.annotate(f"{diff:+,d}", (step, top), textcoords="offset points", xytext=(0, 4),
                            ha="center", fontsize=9, color="C3")
    ax.set_xticks(steps, layers, rotation=20)
    ax.set_xlabel("layer")
    ax.set_ylabel("parameters (millions)")
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_se_gates(gates, names, title="SE gates of one utterance"):
    """Each block's channel gates s ∈ (0, 1), sorted, one line per block."""
    fig, ax = figures.subplots(figsize=(7, 3.5))
    for gate, name in zip(gates, names, strict=True):
        gate = np.sort(np.asarray(gate))[::-1]
        ax.plot(np.linspace(0, 1, len(gate)), gate, label=f"{name}: mean {gate.mean():.2f}")
    ax.set_xlabel("channels, sorted by gate (fraction)")
    ax.set_ylabel("gate s (0 = off, 1 = on)")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sqrt_gradients(variances, gradients: dict[str, np.ndarray], title="Gradient of σ near zero variance",
                        ylabel="|∂σ/∂v|"):
    """A gradient against the variance v on log axes, one line per way of computing σ.

    Infinite or NaN values are drawn as red crosses along the top of the plot.
    """
    fig, ax = figures.subplots(figsize=(7, 3.8))
    variances = np.asarray(variances)
    finite = [g[np.isfinite(g) & (g > 0)] for g in map(np.asarray, gradients.values())]
    top = max(g.max() for g in finite if len(g)) * 10
    any_bad = False
    for name, grad in gradients.items():
        grad = np.asarray(grad, dtype=float)
        bad, zero = ~np.isfinite(grad), grad == 0
        label = name + (" (0 where the line stops)" if zero.any() else "")
        ax.plot(variances, np.where(bad | zero, np.nan, grad), "o-", label=label, markersize=3)
        if bad.any():
            any_bad = True
            ax.plot(variances[bad], np.full(bad.sum(), top), "x", color="red", markersize=9)
    if any_bad:
        ax.annotate("inf / NaN", (variances.min(), top), textcoords="offset points", xytext=(4, -12), color="red")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("variance of the input frames")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
