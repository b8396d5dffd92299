"""Signal pieces shared by the SynthVox generator and training augmentation, written once.

- ``ms_to_samples`` / ``samples_to_ms``: durations at a sample rate (frames, windows, delays);
- ``coloured_noise``: Gaussian noise whose power falls as 1/f^α (white α = 0, pink 1, brown 2);
- ``room_impulse_response``: a direct path and an exponentially decaying Gaussian tail (Polack's model);
- ``resample``: band-limited resampling, by sinc interpolation (torchaudio) or through the FFT.

Random draws come from the caller's generator, a ``torch.Generator`` (training: torch tensors, float32) or a
``numpy.random.Generator`` (SynthVox: numpy arrays, float64), and the result is of that library. Where the two
users computed a piece differently (the pink filter, the RIR's decay constant, the resampler), both ways are
kept as parameters: SynthVox's corpora are cached by configuration and must stay byte for byte the same, and
a training crop must stay the same function of its generator (exact resume, cached models).

Base layer: imports torch and numpy only (scipy and torchaudio inside the functions that need them), and
takes every sample rate as an argument, so ``course.audio`` and ``course.features`` can use it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # α: power ∝ 1/f^α (0, -3, -6 dB/octave)

# Paul Kellet's economy pink-noise filter (-3 dB/octave within 0.5 dB over the audio band).
_PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
_PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)
_BROWN_POLE = 0.995  # a leaky integrator: -6 dB/octave above ~13 Hz at 16 kHz, finite power


def ms_to_samples(ms: float, sample_rate: int, rounding: str = "down") -> int:
    """Samples in ``ms`` milliseconds: rounded down (Kaldi's window and hop, 25 ms → 400 at 16 kHz)
    or to the ``"nearest"`` sample (SpeechBrain's window, filter delays)."""
    exact = sample_rate * ms / 1000
    if rounding == "down":
        return int(exact)
    if rounding == "nearest":
        return int(round(exact))
    raise ValueError(f"rounding: expected 'down' or 'nearest', got {rounding!r}")


def samples_to_ms(samples: float, sample_rate: int) -> float:
    """Milliseconds that ``samples`` samples last at ``sample_rate``."""
    return samples * 1000 / sample_rate


def gaussian(n: int, generator) -> torch.Tensor | np.ndarray:
    """``n`` samples of unit white Gaussian noise from ``generator`` (torch float32 or numpy float64)."""
    if isinstance(generator, torch.Generator):
        return torch.randn(n, generator=generator)
    return generator.standard_normal(n)


def coloured_noise(n: int, colour: str, generator, method: str = "spectrum") -> torch.Tensor | np.ndarray:
    """``n`` samples of white, pink or brown Gaussian noise drawn from ``generator`` (of its library).

    ``method="spectrum"``: the white noise's spectrum divided by f^(α/2), exact at every frequency, the DC
    bin dropped (training's noise). ``method="filter"``: white noise through an IIR filter, Kellet's for
    pink, a leaky integrator for brown (SynthVox's noise; its corpora were made with it).
    """
    if colour not in COLOURS:
        raise ValueError(f"colour: expected one of {sorted(COLOURS)}, got {colour!r}")
    white = gaussian(n, generator)
    if colour == "white":
        return white
    if method == "spectrum":
        x = torch.as_tensor(white)
        spectrum = torch.fft.rfft(x)
        f = torch.arange(spectrum.shape[0], dtype=x.dtype).clamp(min=1)
        spectrum = spectrum / (f.sqrt() if colour == "pink" else f)
        spectrum[0] = 0
        return _like(torch.fft.irfft(spectrum, n), white)
    if method == "filter":
        from scipy import signal

        b, a = (_PINK_B, _PINK_A) if colour == "pink" else ([1.0], [1.0, -_BROWN_POLE])
        return _like(signal.lfilter(b, a, _numpy(white)), white)
    raise ValueError(f"method: expected 'spectrum' or 'filter', got {method!r}")


def room_impulse_response(rt60: float, generator, sample_rate: int, direct_to_reverberant_db: float = 0.0,
                          log_decay: float = 3 * math.log(10)) -> torch.Tensor | np.ndarray:
    """A room impulse response ``rt60`` seconds long: 1 (the direct path) then Gaussian noise from ``generator``
    decaying as exp(-log_decay·t/rt60), its energy ``direct_to_reverberant_db`` below the direct path's.

    The default ``log_decay`` = ln 1000 is a 60 dB decay over ``rt60`` (the definition of RT60); SynthVox
    passes the 6.9 its corpora were generated with (59.9 dB).
    """
    n = max(2, int(rt60 * sample_rate))
    tail = gaussian(n, generator)
    gain = 10 ** (-direct_to_reverberant_db / 20)
    if isinstance(tail, torch.Tensor):
        t = torch.arange(n, dtype=torch.float32) / sample_rate
        tail = tail * torch.exp(-log_decay * t / rt60)
        tail[0] = 0
        tail = tail / tail.norm() * gain
    else:  # the same in numpy; its last bits round as SynthVox's always have
        t = np.arange(n) / sample_rate
        tail = tail * np.exp(-log_decay * t / rt60)
        tail[0] = 0.0
        tail *= gain / np.sqrt(np.sum(tail**2))
    tail[0] = 1.0
    return tail


def resample(wave, orig_rate: int, new_rate: int, method: str = "sinc"):
    """``wave`` (torch or numpy, returned as such) from ``orig_rate`` to ``new_rate``.

    ``method="sinc"``: torchaudio's windowed-sinc interpolation (reading files, speed perturbation);
    ``"fft"``: an ideal low-pass through one FFT, padded to a length that makes both FFTs fast, exact for
    a whole utterance (SynthVox, from espeak-ng's 22.05 kHz).
    """
    if method == "sinc":
        import torchaudio.functional as AF

        if orig_rate == new_rate:
            return wave
        return _like(AF.resample(torch.as_tensor(wave), orig_rate, new_rate), wave)
    if method == "fft":
        return _like(_fft_resample(_numpy(wave), orig_rate, new_rate), wave)
    raise ValueError(f"method: expected 'sinc' or 'fft', got {method!r}")


def _fft_resample(x: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    from scipy import fft

    up, down = new_rate // math.gcd(orig_rate, new_rate), orig_rate // math.gcd(orig_rate, new_rate)
    blocks = fft.next_fast_len(-(-len(x) // down))
    while not _smooth(blocks * down) or not _smooth(blocks * up):
        blocks += 1
    spectrum = fft.rfft(x, blocks * down)
    out = fft.irfft(spectrum[: blocks * up // 2 + 1], blocks * up) * (up / down)
    return out[: -(-len(x) * up // down)]


def _smooth(n: int) -> bool:
    """Whether ``n`` has no prime factor above 7 (a fast FFT length)."""
    for p in (2, 3, 5, 7):
        while n % p == 0:
            n //= p
    return n == 1


def _numpy(x) -> np.ndarray:
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _like(x, reference):
    """``x`` in the library of ``reference`` (a torch tensor keeps its dtype)."""
    if isinstance(reference, torch.Tensor):
        return torch.as_tensor(x).to(reference.dtype)
    return x.numpy() if isinstance(x, torch.Tensor) else x
