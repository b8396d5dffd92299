"""SynthVox sessions: each recording session has its own channel.

A channel is a band limit (Butterworth high- and low-pass), a colouring
(spectral tilt and two peaking filters), optional room reverberation (an
exponentially decaying noise impulse response), additive noise (white, pink,
brown or mains hum) at a session SNR, and a level; the room and the noise colours
are ``course.signal``'s. Utterances jitter the SNR and the level a little. This
is what makes verification hard for a baseline that only looks at the average
spectrum: the same speaker sounds different in two sessions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

from course.audio import SAMPLE_RATE
from course.signal import coloured_noise, ms_to_samples, room_impulse_response

NOISES = ("white", "pink", "brown", "hum")
# The room: reverberant energy a quarter of the direct path's (6 dB below), and the decay constant 6.9
# (59.9 dB over RT60, not ln 1000) that every corpus so far was generated with.
_ROOM = {"direct_to_reverberant_db": 20 * math.log10(2), "log_decay": 6.9}


@dataclass(frozen=True)
class Channel:
    highpass_hz: float
    lowpass_hz: float
    tilt: float              # first-order pre-filter coefficient (x[n] + tilt * x[n-1])
    peaks: tuple             # ((centre Hz, gain dB, Q), ...)
    rt60_s: float            # 0 = no reverberation
    noise: str
    snr_db: float
    level_dbfs: float        # RMS level of the speech

    def as_dict(self) -> dict:
        return asdict(self)


def sample_channel(r: np.random.Generator, severity: float = 1.0) -> Channel:
    """Draw a session channel; ``severity`` scales how far it strays from a clean one (0 = clean-ish)."""
    s = severity
    return Channel(
        highpass_hz=float(r.uniform(40, 40 + 160 * s)), lowpass_hz=float(r.uniform(7800 - 3800 * s, 7800)),
        tilt=float(r.uniform(-0.4 * s, 0.4 * s)),
        peaks=tuple((float(r.uniform(250, 5000)), float(r.uniform(-5 * s, 5 * s)), float(r.uniform(0.7, 2.5)))
                    for _ in range(2)),
        rt60_s=float(r.uniform(0.1, 0.1 + 0.3 * s)) if r.random() < 0.3 * s else 0.0,
        noise=NOISES[int(r.choice(len(NOISES), p=(0.5, 0.35, 0.1, 0.05)))], snr_db=float(r.uniform(40 - 25 * s, 40)),
        level_dbfs=float(r.uniform(-26 - 5 * s, -26 + 5 * s)))


def apply_channel(speech: np.ndarray, channel: Channel, r: np.random.Generator, snr_jitter_db: float = 2.0,
                  level_jitter_db: float = 1.5, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Speech (float64, clean) through ``channel`` → float64 in [-1, 1]; ``r`` draws the utterance's noise."""
    x = speech.astype(np.float64)
    x = signal.lfilter([1.0, channel.tilt], [1.0], x)
    for centre, gain_db, q in channel.peaks:
        b, a = _peaking(centre, gain_db, q, sample_rate)
        x = signal.lfilter(b, a, x)
    if channel.rt60_s > 0:
        x = signal.fftconvolve(x, room_impulse_response(channel.rt60_s, r, sample_rate, **_ROOM))[: len(x)]
    x = signal.sosfilt(_bandpass(channel.highpass_hz, min(channel.lowpass_hz, 0.49 * sample_rate), sample_rate), x)
    speech_power = np.mean(x**2) + 1e-12
    snr = channel.snr_db + r.normal(0, snr_jitter_db)
    noise = _noise(channel.noise, len(x), r, sample_rate)
    x = x + noise * np.sqrt(speech_power / (np.mean(noise**2) + 1e-12) / 10 ** (snr / 10))
    level = channel.level_dbfs + r.normal(0, level_jitter_db)
    x = x * (10 ** (level / 20) / np.sqrt(speech_power))
    return np.clip(x, -1.0, 32767 / 32768)


@lru_cache(maxsize=256)
def _bandpass(low: float, high: float, fs: int) -> np.ndarray:
    return signal.butter(4, [low, high], btype="bandpass", fs=fs, output="sos")


def _peaking(centre: float, gain_db: float, q: float, fs: int):
    # RBJ audio-EQ-cookbook peaking filter.
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * min(centre, 0.45 * fs) / fs
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a_gain, -2 * np.cos(w0), 1 - alpha * a_gain])
    a = np.array([1 + alpha / a_gain, -2 * np.cos(w0), 1 - alpha / a_gain])
    return b / a[0], a / a[0]


def _noise(kind: str, n: int, r: np.random.Generator, fs: int) -> np.ndarray:
    if kind != "hum":  # filtered, not spectrally shaped: the corpora were generated so
        return coloured_noise(n, kind, r, method="filter")
    white = r.standard_normal(n)  # drawn before the hum's phases, as always
    f0 = 50 if r.random() < 0.5 else 60
    phases = r.uniform(0, 2 * np.pi, 4)
    t = np.arange(ms_to_samples(50, fs)) / fs  # 50 ms: a whole number of periods of 50 and 60 Hz
    hum = sum(np.sin(2 * np.pi * f0 * k * t + p) / k for k, p in zip((1, 2, 3, 5), phases, strict=True))
    return np.resize(hum, n) + 0.3 * white
