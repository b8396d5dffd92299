"""Self-checks for the feature exercises (notebook 01): mel scale, framing, CMN."""

from __future__ import annotations

import numpy as np
import torch

from course.checks import check_function
from course.checks.verification import _implemented
from course.features import cmn


def reference_hz_to_mel(freq):
    """Kaldi's (and HTK's) mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * torch.log1p(torch.as_tensor(freq, dtype=torch.float64) / 700.0)


def check_hz_to_mel(fn) -> bool:
    """``fn(freq_hz) -> mel`` on a tensor of frequencies."""
    inputs = [(torch.tensor([0.0, 20.0, 700.0, 1000.0, 8000.0], dtype=torch.float64),),
              (torch.linspace(0, 8000, 33, dtype=torch.float64),)]
    if not _implemented(fn, inputs[0], "hz_to_mel"):
        return False
    return check_function(lambda f: torch.as_tensor(fn(f), dtype=torch.float64), reference_hz_to_mel, inputs,
                          name="hz_to_mel", atol=1e-6)


def reference_frames(wave, frame_length: int, frame_shift: int):
    """Kaldi's framing with snip_edges: only whole frames, frame k starts at k * frame_shift."""
    wave = torch.as_tensor(wave)
    count = 0 if len(wave) < frame_length else 1 + (len(wave) - frame_length) // frame_shift
    return torch.stack([wave[k * frame_shift: k * frame_shift + frame_length] for k in range(count)]) if count \
        else torch.zeros(0, frame_length, dtype=wave.dtype)


def check_frames(fn) -> bool:
    """``fn(wave (N,), frame_length, frame_shift) -> (frames, frame_length)``."""
    wave = torch.arange(1000, dtype=torch.float64)
    inputs = [(wave, 400, 160), (wave[:560], 400, 160), (wave[:559], 400, 160), (wave, 200, 80), (wave[:400], 400, 160)]
    if not _implemented(fn, inputs[0], "frames"):
        return False
    return check_function(lambda w, n, h: torch.as_tensor(np.asarray(fn(w, n, h)), dtype=torch.float64),
                          reference_frames, inputs, name="frames")


def check_cmn(fn) -> bool:
    """``fn(feats (C, T)) -> feats`` with each bin's mean over time removed."""
    g = torch.Generator().manual_seed(0)
    inputs = [(torch.randn(80, 50, generator=g) + 3,), (torch.randn(4, 1, generator=g),)]
    if not _implemented(fn, inputs[0], "cmn"):
        return False
    return check_function(fn, cmn, inputs, name="cmn", atol=1e-5)
