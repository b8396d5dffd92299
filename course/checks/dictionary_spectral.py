"""Self-checks for the dictionary, bilinear and spectral pooling exercises (notebooks 05 and 06).

Each check runs the learner's function on several cases, compares it with the
library (``course.pooling``) and prints ✓ or what is wrong; it returns a bool. On a
wrong answer it also names the common mistake the answer reproduces, when it is
one of those written out below.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course import pooling
from course.checks.engine import COMMON_MISTAKE, Mistake, check_function, exercise, padded_batches
from course.masks import frame_mask
from course.pooling.bilinear import power_normalise
from course.pooling.spectral import dc_statistics

EPS = 1e-5


def _padded_batches(channels: int = 5):
    return padded_batches([(1, channels, 1), (2, channels, 6), (3, channels, 11)])


def _valid(x, lengths):
    return frame_mask(lengths, x.shape[-1]).to(x.dtype)  # (B, 1, T)


def _netvlad(x, lengths, W, b, c, masked=True, intra=True, final=True, over_time=False, centred=True):
    """NetVLAD with switches that reproduce the common mistakes."""
    valid = _valid(x, lengths) if masked else torch.ones_like(x[:, :1])
    logits = torch.einsum("kd,bdt->bkt", W, x) + b[None, :, None]
    if over_time:
        a = torch.softmax(logits.masked_fill(valid == 0, -torch.inf), dim=-1) * valid
    else:
        a = torch.softmax(logits, dim=1) * valid
    V = torch.einsum("bkt,bdt->bkd", a, x * valid) - (a.sum(-1, keepdim=True) * c if centred else 0)
    if intra:
        V = V / V.norm(dim=-1, keepdim=True)
    v = V.flatten(1)
    return v / v.norm(dim=-1, keepdim=True) if final else v


NETVLAD_MISTAKES: list[Mistake] = [
    ("the padding was included (mask forgotten)", lambda *a: _netvlad(*a, masked=False)),
    ("no intra-normalisation: each V_k must be L2-normalised before flattening", lambda *a: _netvlad(*a, intra=False)),
    ("no final L2 normalisation of the flattened vector", lambda *a: _netvlad(*a, final=False)),
    ("the softmax ran over time: a frame is shared among the clusters (softmax over k)",
     lambda *a: _netvlad(*a, over_time=True)),
    ("the centres were not subtracted: V_k sums residuals x_t − c_k", lambda *a: _netvlad(*a, centred=False)),
]


def reference_netvlad(x, lengths, W, b, c):
    """The library's NetVLAD with these assignment weights W, biases b and centres c."""
    pool = pooling.build("NetVLAD", x.shape[1], num_clusters=c.shape[0])
    with torch.no_grad():
        pool.assign.weight.copy_(W.unsqueeze(-1))
        pool.assign.bias.copy_(b)
        pool.centres.copy_(c)
    return pool(x, lengths)


@exercise(reference_netvlad, NETVLAD_MISTAKES)
def check_netvlad(fn: Callable) -> bool:
    """``fn(x (B, D, T), lengths (B,), W (K, D), b (K,), c (K, D)) -> (B, K·D)``: NetVLAD, no ghosts."""
    batches, generator = _padded_batches()
    cases = [(x, n, torch.randn(3, 5, generator=generator), torch.randn(3, generator=generator),
              torch.randn(3, 5, generator=generator)) for x, n in batches]
    return check_function(fn, reference_netvlad, cases, name="your NetVLAD", atol=1e-5,
                          mistakes=NETVLAD_MISTAKES, hint=COMMON_MISTAKE)


def _lde_weights(x, lengths, mu, s, masked=True, over_time=False, sign=-1.0):
    valid = _valid(x, lengths)
    logits = sign * s[None, :, None] * ((x.unsqueeze(1) - mu[None, :, :, None]) ** 2).sum(2)
    if over_time:
        return torch.softmax(logits.masked_fill(valid == 0, -torch.inf), dim=-1) * valid
    w = torch.softmax(logits, dim=1)
    return w * valid if masked else w


LDE_MISTAKES: list[Mistake] = [
    ("padded frames were not set to 0 (mask forgotten)", lambda *a: _lde_weights(*a, masked=False)),
    ("the softmax ran over time, not over the centres", lambda *a: _lde_weights(*a, over_time=True)),
    ("the sign is lost: softmax_c(+s_c‖x − μ_c‖²) favours the *farthest* centre",
     lambda *a: _lde_weights(*a, sign=1.0)),
]


def reference_lde_weights(x, lengths, mu, s):
    """The weights of the library's LDE with centres mu and smoothing factors s."""
    pool = pooling.build("LDE", x.shape[1], num_centres=mu.shape[0]).set_centres(mu, 0.0)
    with torch.no_grad():
        pool.smoothing.copy_(s)
    return pool(x, lengths, return_weights=True)[1]


@exercise(reference_lde_weights, LDE_MISTAKES)
def check_lde_weights(fn: Callable) -> bool:
    """``fn(x (B, D, T), lengths (B,), mu (C, D), s (C,)) -> w (B, C, T)``, zero on padded frames."""
    batches, generator = _padded_batches()
    cases = [(x, n, torch.randn(4, 5, generator=generator), torch.rand(4, generator=generator))
             for x, n in batches]
    return check_function(fn, reference_lde_weights, cases, name="your LDE weights", atol=1e-5,
                          mistakes=LDE_MISTAKES, hint=COMMON_MISTAKE)


def _tiled_cases():
    generator = torch.Generator().manual_seed(1)
    return [(torch.randn(2, 3, w * m, generator=generator), w) for w, m in [(1, 7), (2, 5), (4, 6), (5, 4)]]


def reference_averaged_power(x, window_length):
    """The library's STSP spectra: rectangular unit-sum window of ``window_length``, hop the same."""
    pool = pooling.build("STSP", x.shape[1], window="rectangular", window_length=window_length,
                         hop=window_length, bins=window_length // 2 + 1)
    return pool.spectra(x)[1]


def _averaged_power(x, window_length, scale=True, square=True, average_first=False):
    batch, channels, frames = x.shape
    segments = x.reshape(batch, channels, frames // window_length, window_length)
    spectrum = torch.fft.rfft(segments / window_length if scale else segments, dim=-1)
    if average_first:
        return spectrum.mean(2).abs().pow(2)
    return spectrum.abs().pow(2 if square else 1).mean(2)


POWER_MISTAKES: list[Mistake] = [
    ("the window does not sum to one (w_j = 1, not 1/W): the power is W² times too large",
     lambda x, w: _averaged_power(x, w, scale=False)),
    ("|X_m[k]| where the power |X_m[k]|² belongs", lambda x, w: _averaged_power(x, w, square=False)),
    ("the complex spectra were averaged before squaring: that is |S[k]|², not P[k]",
     lambda x, w: _averaged_power(x, w, average_first=True)),
]


@exercise(reference_averaged_power, POWER_MISTAKES)
def check_averaged_power(fn: Callable) -> bool:
    """``fn(x (B, C, T), W) -> P (B, C, W // 2 + 1)``: rectangular unit-sum window, hop W, W divides T."""
    return check_function(fn, reference_averaged_power, _tiled_cases(), name="your averaged power spectrum", atol=1e-5,
                          mistakes=POWER_MISTAKES, hint=COMMON_MISTAKE)
def reference_parseval_std(s0, power, window_length):
    """σ from the spectrum by the library's ``dc_statistics``."""
    mean = s0[..., None].to(torch.complex64)
    return dc_statistics(mean, power, window_length)[1].clamp(min=0).sqrt()


def _parseval_std(s0, power, window_length, twins="right"):
    counts = torch.full((power.shape[-1],), 1.0 if twins == "none" else 2.0, dtype=power.dtype)
    if twins != "all":
        counts[0] = 1.0
        if window_length % 2 == 0:
            counts[-1] = 1.0
    if twins == "dc":
        counts = torch.zeros_like(counts)
        counts[0] = 1.0
    return ((power * counts).sum(-1) - s0**2).clamp(min=0).sqrt()


PARSEVAL_MISTAKES: list[Mistake] = [
    ("only the DC bin: P[0] − S[0]² misses the variance inside the segments", lambda *a: _parseval_std(*a, twins="dc")),
    ("the one-sided bins were summed as they are: bins 0 < k < W/2 stand for two two-sided bins each",
     lambda *a: _parseval_std(*a, twins="none")),
    ("every bin was doubled: DC (and the Nyquist bin W/2 for even W) have no twin",
     lambda *a: _parseval_std(*a, twins="all")),
]


@exercise(reference_parseval_std, PARSEVAL_MISTAKES)
def check_parseval_std(fn: Callable) -> bool:
    """``fn(S0 (B, C), P (B, C, W // 2 + 1), W) -> σ (B, C)``: statistics pooling's std from the spectrum."""
    cases = []
    for x, window_length in _tiled_cases():
        pool = pooling.build("STSP", x.shape[1], window="rectangular", window_length=window_length,
                             hop=window_length, bins=window_length // 2 + 1)
        first, power = pool.spectra(x)
        cases.append((first[..., 0].real, power, window_length))
    return check_function(fn, reference_parseval_std, cases, name="your Parseval std", atol=1e-5,
                          mistakes=PARSEVAL_MISTAKES, hint=COMMON_MISTAKE)
def _t2(v, safe=True, signed=True, floor="eps", normalise_first=False):
    """T2 with switches that reproduce the common mistakes; ``floor``: "eps" (right), "none", or
    "normalize" (``F.normalize``'s 1e-12 floor on the norm, which only avoids 0/0)."""
    if normalise_first:
        v = v / v.norm(dim=-1, keepdim=True).clamp(min=EPS**0.5)
    magnitude = (v.abs() + EPS).sqrt() - EPS**0.5 if safe else v.abs().sqrt()
    root = torch.sign(v) * magnitude if signed else magnitude
    if normalise_first:
        return root
    if floor == "normalize":
        return root / root.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    squared = root.pow(2).sum(-1, keepdim=True)
    return root / (squared.clamp(min=EPS) if floor == "eps" else squared).sqrt()


_PLAIN = "a plain signed square root sign(v)·sqrt(|v|): use sign(v)·(sqrt(|v| + ε) − sqrt(ε)), finite slope at 0"
_NO_FLOOR = ("no ε floor on the norm: divide by sqrt(max(‖root‖², ε)), or a (near-)zero vector is blown up to "
             "norm 1 (or to NaN)")
T2_MISTAKES: list[Mistake] = [
    (_PLAIN, lambda v: _t2(v, safe=False)),
    (_PLAIN + "; and no ε floor on the norm", lambda v: _t2(v, safe=False, floor="normalize")),
    (_PLAIN + "; and no ε floor on the norm", lambda v: _t2(v, safe=False, floor="none")),
    ("the sign is lost: sqrt(|v| + ε) − sqrt(ε) must keep the sign of v", lambda v: _t2(v, signed=False)),
    (_NO_FLOOR, lambda v: _t2(v, floor="none")),
    (_NO_FLOOR, lambda v: _t2(v, floor="normalize")),
    ("L2 normalisation before the square root: T2 takes the root first", lambda v: _t2(v, normalise_first=True)),
]


@exercise(power_normalise, T2_MISTAKES)
def check_power_normalise(fn: Callable) -> bool:
    """``fn(v (B, N)) -> (B, N)``: ABP's T2, a signed square root (finite slope at 0), then L2 normalisation
    with the squared norm floored at ε = 1e-5.

    The cases separate each step: generic vectors (the safe vs the plain root differ by about sqrt(ε)),
    vectors with zeros (the plain root's gradient is infinite there), and a vector so small that its
    root's squared norm is below ε (only the floor keeps it small instead of blowing it up to norm 1).
    """
    generator = torch.Generator().manual_seed(2)
    cases = [(torch.randn(2, 6, generator=generator),), (torch.randn(3, 4, generator=generator) ** 3,),
             (torch.zeros(1, 5),), (torch.tensor([[0.0, 1.0, -4.0, 0.0]]),),
             (1e-9 * torch.randn(2, 6, generator=generator),)]
    return check_function(fn, power_normalise, cases, name="your T2", atol=1e-5, grad=True,
                          mistakes=T2_MISTAKES, hint=COMMON_MISTAKE)
