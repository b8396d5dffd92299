"""Figures readable in greyscale and by colour-blind readers: every colour map in
``course.viz`` is a perceptually uniform or single-hue sequential map (its lightness
rises or falls monotonically, so order survives greyscale), or the categorical tab10
palette for class identity. jet, rainbow and friends are refused by name."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

VIZ = Path(__file__).resolve().parent.parent / "course" / "viz"
SEQUENTIAL = {"viridis", "cividis", "magma", "inferno", "plasma", "Greys", "gray", "Blues"}
CATEGORICAL = {"tab10"}


def colour_maps_used() -> set[str]:
    names = set()
    for path in VIZ.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"cmap\s*=\s*[\"']([\w_]+)[\"']", text))
        names |= set(re.findall(r"get_cmap\(\s*[\"']([\w_]+)[\"']", text))
    return names


def test_every_colour_map_is_sequential_uniform_or_categorical():
    used = colour_maps_used()
    assert used, "no colour map found: has course/viz moved?"
    assert used <= SEQUENTIAL | CATEGORICAL, f"not readable in greyscale: {sorted(used - SEQUENTIAL - CATEGORICAL)}"


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
def test_sequential_maps_are_monotonic_in_greyscale(name):
    rgb = matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3]
    grey = rgb @ np.array([0.2126, 0.7152, 0.0722])  # relative luminance weights (sRGB, ITU-R BT.709)
    steps = np.diff(grey)
    assert (steps >= -1e-3).all() or (steps <= 1e-3).all(), f"{name}: lightness goes up and down"
