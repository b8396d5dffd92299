"""Self-checks for the feature exercises (notebook 01): mel scale, framing, CMN.

Each check also recognises the usual wrong answers and names the mistake.
"""

from __future__ import annotations

import numpy as np
import torch

from course.checks import check_function, exercise, is_stub
from course.features import cmn


def reference_hz_to_mel(freq):
    """Kaldi's (and HTK's) mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * torch.log1p(torch.as_tensor(freq, dtype=torch.float64) / 700.0)


HZ_TO_MEL_MISTAKES = {
    "the natural log with HTK's 2595, which goes with log10 (2595·log10 = 1127·ln to 5 digits)":
        lambda f: 2595.0 * torch.log(1 + f / 700.0),
    "log10 with Kaldi's 1127: 1127 goes with the natural log": lambda f: 1127.0 * torch.log10(1 + f / 700.0),
    "the 1 + forgotten inside the log: 1127·ln(1 + f/700) maps 0 Hz to 0 mel": lambda f: 1127.0 * torch.log(f / 700.0),
}


@exercise(reference_hz_to_mel, HZ_TO_MEL_MISTAKES)
def check_hz_to_mel(fn) -> bool:
    """``fn(freq_hz) -> mel`` on a tensor of frequencies."""
    inputs = [(torch.tensor([0.0, 20.0, 700.0, 1000.0, 8000.0], dtype=torch.float64),),
              (torch.linspace(0, 8000, 33, dtype=torch.float64),)]
    if is_stub(fn, inputs[0], "hz_to_mel"):
        return False
    return check_function(lambda f: torch.as_tensor(fn(f), dtype=torch.float64), reference_hz_to_mel, inputs,
                          name="hz_to_mel", atol=1e-6, mistakes=HZ_TO_MEL_MISTAKES)


def reference_frames(wave, frame_length: int, frame_shift: int):
    """Kaldi's framing with snip_edges: only whole frames, frame k starts at k * frame_shift."""
    wave = torch.as_tensor(wave)
    count = 0 if len(wave) < frame_length else 1 + (len(wave) - frame_length) // frame_shift
    return torch.stack([wave[k * frame_shift: k * frame_shift + frame_length] for k in range(count)]) if count \
        else torch.zeros(0, frame_length, dtype=wave.dtype)


def _frames_without_plus_one(wave, frame_length, frame_shift):
    count = max(0, (len(wave) - frame_length) // frame_shift)
    return torch.stack([wave[k * frame_shift: k * frame_shift + frame_length] for k in range(count)]) if count \
        else torch.zeros(0, frame_length, dtype=wave.dtype)


FRAMES_MISTAKES = {
    "one frame too few: T = 1 + ⌊(L − N)/H⌋, the + 1 counts the frame at t = 0": _frames_without_plus_one,
    "frames that do not overlap (every frame_length samples): frame t starts at t·frame_shift":
        lambda w, n, h: reference_frames(w, n, n),
}


@exercise(reference_frames, FRAMES_MISTAKES)
def check_frames(fn) -> bool:
    """``fn(wave (N,), frame_length, frame_shift) -> (frames, frame_length)``, also shorter than one window."""
    wave = torch.arange(1000, dtype=torch.float64)
    inputs = [(wave, 400, 160), (wave[:560], 400, 160), (wave[:559], 400, 160), (wave, 200, 80), (wave[:400], 400, 160),
              (wave[:399], 400, 160), (wave[:10], 400, 160)]
    if is_stub(fn, inputs[0], "frames"):
        return False
    try:
        fn(wave[:399], 400, 160)
    except Exception as error:  # noqa: BLE001 - e.g. an unguarded unfold
        print(f"✗ frames on 399 samples (shorter than one 400-sample window) raised {type(error).__name__}: {error}")
        print("  It looks like the short signal is not guarded: with snip_edges Kaldi keeps no frame, "
              "so return an empty (0, frame_length) tensor.")
        return False
    return check_function(lambda w, n, h: torch.as_tensor(np.asarray(fn(w, n, h)), dtype=torch.float64),
                          reference_frames, inputs, name="frames", mistakes=FRAMES_MISTAKES)


CMN_MISTAKES = {
    "mean and variance normalisation (CMVN): CMN only subtracts the mean":
        lambda x: (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True),
    "the mean over the mel bins (dim 0) instead of over time (dim 1)": lambda x: x - x.mean(dim=0, keepdim=True),
    "one global mean for the whole matrix: each mel bin has its own mean over time": lambda x: x - x.mean(),
}


@exercise(cmn, CMN_MISTAKES)
def check_cmn(fn) -> bool:
    """``fn(feats (C, T)) -> feats`` with each bin's mean over time removed."""
    g = torch.Generator().manual_seed(0)
    inputs = [(torch.randn(80, 50, generator=g) + 3,), (torch.randn(4, 1, generator=g),)]
    if is_stub(fn, inputs[0], "cmn"):
        return False
    return check_function(fn, cmn, inputs, name="cmn", atol=1e-5, mistakes=CMN_MISTAKES)
