"""Channel and feature-space augmentations: a random narrow band with a codec, and spectral masks.

``band_limit`` plays a training crop through a random telephone-like channel: a band-pass whose
edges are drawn (low 100-600 Hz, high 2.6-5.5 kHz), and with probability one half 8-bit μ-law
companding (G.711's law, μ = 255). It is a *family* around the harsh test channel
``course.data.degrade.telephone`` (300-3400 Hz, 8 kHz, μ-law), not that channel itself: the edges
vary and there is no 8 kHz resampling, but a model trained with it has seen phone-like audio, which
a benchmark reporting the telephone condition must say.

``spec_mask`` is SpecAugment's frequency and time masking (Park et al., Interspeech 2019, §2:
``F`` consecutive mel channels ``[f0, f0 + f)`` with ``f ~ U[0, F]``, and ``T`` consecutive frames,
set to the mean, here 0 after CMN); time warping is left out.
"""

from __future__ import annotations

import math

import torch

from course.audio import SAMPLE_RATE

MU = 255.0


def mu_law(wave: torch.Tensor, mu: float = MU) -> torch.Tensor:
    """Compand to 8-bit μ-law codes and back (the quantisation error of a G.711 line), peak-normalised."""
    peak = wave.abs().max().clamp(min=1e-6)
    x = wave / peak
    code = torch.round((torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu) + 1) / 2 * mu)
    y = code / mu * 2 - 1
    return torch.sign(y) * ((1 + mu) ** y.abs() - 1) / mu * peak


def band_limit(wave: torch.Tensor, generator: torch.Generator, sample_rate: int = SAMPLE_RATE,
               low_hz: tuple = (100.0, 600.0), high_hz: tuple = (2600.0, 5500.0), codec_prob: float = 0.5):
    """``wave`` through a random band-pass (4th-order Butterworth, edges drawn from ``low_hz`` and
    ``high_hz``) and, with probability ``codec_prob``, μ-law companding; the power is kept."""
    import numpy as np
    from scipy import signal

    from course.data.augment import power, uniform

    low, high = uniform(generator, *low_hz), uniform(generator, *high_hz)
    codec = float(torch.rand((), generator=generator)) < codec_prob
    sos = signal.butter(4, [low, min(high, 0.45 * sample_rate)], btype="bandpass", fs=sample_rate, output="sos")
    out = torch.from_numpy(signal.sosfilt(sos, wave.double().numpy()).astype(np.float32))
    if codec:
        out = mu_law(out)
    return out * torch.sqrt(power(wave) / power(out))


def spec_mask(feats: torch.Tensor, generator: torch.Generator, freq_masks: int = 2, freq_width: int = 8,
              time_masks: int = 2, time_width: int = 20, value: float = 0.0) -> torch.Tensor:
    """A copy of ``feats`` ``(F, T)`` with ``freq_masks`` bands of up to ``freq_width`` channels and
    ``time_masks`` spans of up to ``time_width`` frames set to ``value`` (SpecAugment; 0 = the mean after CMN).
    Every mask draws its width and start, so the draws do not depend on the input."""
    out = feats.clone()
    for axis, count, width in ((0, freq_masks, freq_width), (1, time_masks, time_width)):
        size = out.shape[axis]
        for _ in range(count):
            w = int(torch.randint(0, width + 1, (), generator=generator))
            start = int(torch.randint(0, max(1, size - w + 1), (), generator=generator))
            if axis == 0:
                out[start:start + w] = value
            else:
                out[:, start:start + w] = value
    return out
