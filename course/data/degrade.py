"""Test-time channels that training never produces, to ask whether an embedding transfers.

Each condition comes from a *generator* that ``course.data.augment`` (training) does not have, so a
model cannot have learned the condition itself:

- **telephone**: band-pass 300-3400 Hz, down to 8 kHz and back, 8-bit μ-law (training never band-limits);
- **reverb**: a Schroeder reverberator (four parallel feedback combs, then two all-passes; Schroeder,
  "Natural sounding artificial reverberation", JAES 1962) at RT60 1.2 s, the reverberant part 6 dB
  above the direct one. Training reverberates with exponentially decaying noise impulse responses
  (``course.signal.room_impulse_response``), a different model of a room, at RT60 ≤ 0.6 s;
- **noise**: mains hum (50 or 60 Hz with decaying harmonics) plus sparse crackle at SNR 0-5 dB;
  training noise is white, pink or babble at 5-20 dB.

``degrade(wave, condition, generator)`` draws everything from ``generator`` (seeded per file by the caller).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course.audio import SAMPLE_RATE
from course.data.augment import add_noise, uniform
from course.signal import ms_to_samples

CONDITIONS = ("clean", "telephone", "reverb", "noise")
CONDITION_TITLES = {"clean": "as recorded", "telephone": "telephone band 300-3400 Hz, 8 kHz, μ-law",
                    "reverb": "Schroeder reverberator, RT60 1.2 s (not training's noise RIRs)",
                    "noise": "mains hum and crackle at SNR 0-5 dB (not training's noise kinds)"}


def telephone(wave: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Band-pass 300-3400 Hz, down to 8 kHz and back, 8-bit μ-law: a narrowband phone line."""
    from scipy import signal

    from course.signal import resample

    sos = signal.butter(6, [300, 3400], btype="bandpass", fs=sample_rate, output="sos")
    narrow = torch.from_numpy(signal.sosfilt(sos, wave.double().numpy()).astype(np.float32))
    narrow = resample(narrow, sample_rate, 8000)
    mu = 255.0
    peak = narrow.abs().max().clamp(min=1e-6)
    x = narrow / peak
    code = torch.round((torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu) + 1) / 2 * mu)
    x = torch.sign(code / mu * 2 - 1) * ((1 + mu) ** (code / mu * 2 - 1).abs() - 1) / mu
    return resample(x * peak, 8000, sample_rate)[: wave.shape[-1]]


def schroeder_reverb(wave: torch.Tensor, rt60: float, sample_rate: int = SAMPLE_RATE,
                     reverberant_to_direct_db: float = 6.0) -> torch.Tensor:
    """Four parallel feedback combs (29.7-43.7 ms, gain 10^(−3·delay/RT60): −60 dB after RT60), then two
    all-passes (5.0 and 1.7 ms, gain 0.7), mixed with the dry signal; the level of the input is kept."""
    from scipy import signal

    x = wave.double().numpy()
    wet = np.zeros_like(x)
    for delay_ms in (29.7, 37.1, 41.1, 43.7):
        d = ms_to_samples(delay_ms, sample_rate, "nearest")
        g = 10 ** (-3 * (delay_ms / 1000) / rt60)
        a = np.zeros(d + 1)
        a[0], a[d] = 1.0, -g
        wet += signal.lfilter([1.0], a, x)
    for delay_ms in (5.0, 1.7):
        d = ms_to_samples(delay_ms, sample_rate, "nearest")
        b, a = np.zeros(d + 1), np.zeros(d + 1)
        b[0], b[d], a[0], a[d] = -0.7, 1.0, 1.0, -0.7
        wet = signal.lfilter(b, a, wet)
    scale = math.sqrt((x ** 2).sum() / max((wet ** 2).sum(), 1e-12)) * 10 ** (reverberant_to_direct_db / 20)
    out = x + scale * wet
    out *= math.sqrt((x ** 2).sum() / max((out ** 2).sum(), 1e-12))
    return torch.from_numpy(out.astype(np.float32))


def hum_and_crackle(n: int, generator: torch.Generator, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Mains hum (50 or 60 Hz, harmonics 1-10 with amplitudes ~1/k and random phases) plus crackle
    (sparse random impulses, about 20 a second), normalised to unit power."""
    f0 = 50.0 if uniform(generator, 0, 1) < 0.5 else 60.0
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    phases = torch.rand(10, generator=generator, dtype=torch.float64) * 2 * math.pi
    hum = sum(torch.sin(2 * math.pi * f0 * k * t + phases[k - 1]) / k for k in range(1, 11))
    clicks = (torch.rand(n, generator=generator, dtype=torch.float64) < 20 / sample_rate).double()
    crackle = clicks * torch.randn(n, generator=generator, dtype=torch.float64) * 8
    noise = hum + crackle
    return (noise / noise.pow(2).mean().sqrt().clamp(min=1e-12)).float()


def degrade(wave: torch.Tensor, condition: str, generator: torch.Generator,
            sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """``wave`` through one of ``CONDITIONS``; the draws come from ``generator``."""
    if condition == "clean":
        return wave
    if condition == "telephone":
        return telephone(wave, sample_rate)
    if condition == "reverb":
        return schroeder_reverb(wave, 1.2, sample_rate)
    if condition == "noise":
        return add_noise(wave, hum_and_crackle(wave.shape[-1], generator, sample_rate),
                         uniform(generator, 0.0, 5.0)).clamp(-1.0, 1.0)
    raise ValueError(f"condition: expected one of {CONDITIONS}, got {condition!r}")
