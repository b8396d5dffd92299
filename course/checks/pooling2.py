"""Self-checks for the dictionary, bilinear and spectral pooling exercises (notebooks 05 and 06).

Each check runs the learner's function on several cases, compares it with the
library (``course.pooling``) and prints ✓ or what is wrong; it returns a bool.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course import pooling
from course.checks import check_function
from course.pooling.bilinear import power_normalise
from course.pooling.spectral import dc_statistics


def _padded_batches(channels: int = 5):
    generator = torch.Generator().manual_seed(0)
    cases = []
    for batch, frames in [(1, 1), (2, 6), (3, 11)]:
        x = torch.randn(batch, channels, frames, generator=generator)
        lengths = torch.randint(1, frames + 1, (batch,), generator=generator)
        lengths[0] = frames
        for i, n in enumerate(lengths.tolist()):
            x[i, :, n:] = 9.0  # padding garbage: must not leak into the embedding
        cases.append((x, lengths))
    return cases, generator


def check_netvlad(fn: Callable) -> bool:
    """``fn(x (B, D, T), lengths (B,), W (K, D), b (K,), c (K, D)) -> (B, K·D)``: NetVLAD, no ghosts."""
    batches, generator = _padded_batches()
    cases = [(x, n, torch.randn(3, 5, generator=generator), torch.randn(3, generator=generator),
              torch.randn(3, 5, generator=generator)) for x, n in batches]

    def reference(x, lengths, W, b, c):
        pool = pooling.build("NetVLAD", x.shape[1], num_clusters=c.shape[0])
        with torch.no_grad():
            pool.assign.weight.copy_(W.unsqueeze(-1))
            pool.assign.bias.copy_(b)
            pool.centres.copy_(c)
        return pool(x, lengths)

    return check_function(fn, reference, cases, name="your NetVLAD", atol=1e-5)


def check_lde_weights(fn: Callable) -> bool:
    """``fn(x (B, D, T), lengths (B,), mu (C, D), s (C,)) -> w (B, C, T)``, zero on padded frames."""
    batches, generator = _padded_batches()
    cases = [(x, n, torch.randn(4, 5, generator=generator), torch.rand(4, generator=generator))
             for x, n in batches]

    def reference(x, lengths, mu, s):
        pool = pooling.build("LDE", x.shape[1], num_centres=mu.shape[0]).set_centres(mu, 0.0)
        with torch.no_grad():
            pool.smoothing.copy_(s)
        return pool(x, lengths, return_weights=True)[1]

    return check_function(fn, reference, cases, name="your LDE weights", atol=1e-5)


def _tiled_cases():
    generator = torch.Generator().manual_seed(1)
    return [(torch.randn(2, 3, w * m, generator=generator), w) for w, m in [(1, 7), (2, 5), (4, 6), (5, 4)]]


def check_averaged_power(fn: Callable) -> bool:
    """``fn(x (B, C, T), W) -> P (B, C, W // 2 + 1)``: rectangular unit-sum window, hop W, W divides T."""

    def reference(x, window_length):
        pool = pooling.build("STSP", x.shape[1], window="rectangular", window_length=window_length,
                             hop=window_length, bins=window_length // 2 + 1)
        return pool.spectra(x)[1]

    return check_function(fn, reference, _tiled_cases(), name="your averaged power spectrum", atol=1e-5)


def check_parseval_std(fn: Callable) -> bool:
    """``fn(S0 (B, C), P (B, C, W // 2 + 1), W) -> σ (B, C)``: statistics pooling's std from the spectrum."""
    cases = []
    for x, window_length in _tiled_cases():
        pool = pooling.build("STSP", x.shape[1], window="rectangular", window_length=window_length,
                             hop=window_length, bins=window_length // 2 + 1)
        first, power = pool.spectra(x)
        cases.append((first[..., 0].real, power, window_length))

    def reference(s0, power, window_length):
        mean = s0[..., None].to(torch.complex64)
        return dc_statistics(mean, power, window_length)[1].clamp(min=0).sqrt()

    return check_function(fn, reference, cases, name="your Parseval std", atol=1e-5)


def check_power_normalise(fn: Callable) -> bool:
    """``fn(v (B, N)) -> (B, N)``: ABP's T2, a signed square root (finite slope at 0), then L2 normalisation."""
    generator = torch.Generator().manual_seed(2)
    cases = [(torch.randn(2, 6, generator=generator),), (torch.randn(3, 4, generator=generator) ** 3,),
             (torch.zeros(1, 5),), (torch.tensor([[0.0, 1.0, -4.0, 0.0]]),)]
    return check_function(fn, power_normalise, cases, name="your T2", atol=1e-5, grad=True)
