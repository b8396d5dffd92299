"""Short-time spectral pooling (STSP) and attentive STSP.

Tu, Mak, "Short-time spectral aggregation for speaker embedding", ICASSP 2021:
transform each channel's time series into the spectral domain by a short-time
Fourier transform, average the spectrogram over the windowed segments and keep
its lowest K bins. The follow-up attentive STSP (same authors; venue and title
not verified here) replaces the plain average over segments by attention
weights, the limitation of STSP the seed article states.

For channel c with valid frames x_0 … x_{n−1}, a window w of W frames (scaled so
that Σ_j w_j = 1), hop h and M = ⌊(n − W)/h⌋ + 1 segments (M = 1, zero-padded,
when n < W):

    X_m[k] = Σ_{j<W} w_j x_{mh+j} e^{−2πi jk/W}          segment m, bin k = 0 … K−1
    S[k]   = Σ_m β_m X_m[k]                             first-order: averaged spectrum (complex)
    P[k]   = Σ_m β_m |X_m[k]|²                          second-order: averaged power spectrogram

with β_m = 1/M (STSP) or attention weights over the valid segments (attentive
STSP). The embedding per channel is [Re S[0…K−1]; Im S[1…K−1]; P[0…K−1]]
(Im S[0] is always 0), flattened over channels as three blocks → C·(3K − 1).
Our reading: the seed's equations are missing, so which spectra are averaged is
ours; window, hop and K are ours too (defaults: Hann, W = 16 frames = 160 ms at
a 10 ms frame shift, h = 8, K = 4, i.e. 0, 6.25, 12.5, 18.75 Hz of feature-map
modulation).

When the DC bins give statistics pooling (derived in notebook 06, tested):
with a rectangular window (w_j = 1/W), hop h = W and W dividing n, every frame
lies in exactly one segment with the same weight, so S[0] = μ exactly, and by
Parseval Σ_{k<W} |X_m[k]|² = (1/W) Σ_j x_{mW+j}² for each segment, so the power
summed over *all* W two-sided bins is E[x²] and σ² = Σ_{k<W} P[k] − S[0]². The
DC power P[0] alone is the mean squared segment mean, which equals E[x²] only
for W = 1: then [S[0]; sqrt(P[0] − S[0]²)] is exactly [μ; σ]. With overlapping
hops, a tapered window or a W that does not tile n, S[0] is a weighted mean
whose frame weights are not uniform, and neither relation holds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course.pooling.base import Pooling
from course.pooling.numerics import at_least_float32, full_precision, masked_softmax
from course.pooling.reference.spectral import attentive_stsp, stsp
from course.pooling.registry import register

WINDOWS = ("hann", "rectangular")


def make_window(name: str, length: int, dtype=torch.float32) -> torch.Tensor:
    """A window of ``length`` frames scaled to sum to one (so S[0] is a weighted mean)."""
    if name == "hann":
        window = torch.hann_window(length, periodic=True, dtype=torch.float64)
    elif name == "rectangular":
        window = torch.ones(length, dtype=torch.float64)
    else:
        raise ValueError(f"window must be one of {WINDOWS}, got {name!r}")
    return (window / window.sum()).to(dtype)


def segment_counts(lengths: torch.Tensor, window_length: int, hop: int) -> torch.Tensor:
    """M = ⌊(n − W)/h⌋ + 1 segments per utterance, at least 1."""
    return ((lengths - window_length).clamp(min=0) // hop + 1).long()


def short_time_spectrum(x: torch.Tensor, mask: torch.Tensor | None, window: torch.Tensor, hop: int, bins: int):
    """STFT along time of every channel: ``(B, C, T)`` → X ``(B, C, M, K)`` and a segment mask ``(B, M)``.

    Padded frames are zeroed first, so the one segment of an utterance shorter
    than the window sees zeros there, as the utterance alone (zero-padded) does.
    """
    width = window.shape[0]
    lengths = mask.sum(dim=(1, 2)) if mask is not None else torch.full((x.shape[0],), x.shape[-1], device=x.device)
    if mask is not None:
        x = x.masked_fill(~mask, 0.0)
    if x.shape[-1] < width:
        x = F.pad(x, (0, width - x.shape[-1]))
    segments = x.unfold(-1, width, hop)  # (B, C, M, W): x_{mh+j}
    spectrum = torch.fft.rfft(segments * window, dim=-1)[..., :bins]  # X_m[k]
    counts = segment_counts(lengths, width, hop)
    valid = torch.arange(segments.shape[2], device=x.device)[None, :] < counts[:, None]
    return spectrum, valid


def spectral_statistics(spectrum: torch.Tensor, beta: torch.Tensor):
    """S[k] = Σ_m β_m X_m[k] and P[k] = Σ_m β_m |X_m[k]|², with β ``(B, M)``."""
    beta = beta[:, None, :, None]
    first = (beta * spectrum).sum(dim=2)
    power = (beta * spectrum.abs().pow(2)).sum(dim=2)
    return first, power


def two_sided_counts(window_length: int, bins: int | None = None, dtype=torch.float32, device=None) -> torch.Tensor:
    """How many two-sided bins each one-sided bin k = 0 … bins − 1 stands for: 1 for DC, 1 for the
    Nyquist bin W/2 (even W), 2 for every other bin (P[k] = P[W − k] for a real signal)."""
    bins = window_length // 2 + 1 if bins is None else bins
    counts = torch.full((bins,), 2.0, dtype=dtype, device=device)
    counts[0] = 1.0
    if window_length % 2 == 0 and bins > window_length // 2:
        counts[window_length // 2] = 1.0  # the Nyquist bin has no twin
    return counts


def dc_statistics(first: torch.Tensor, power: torch.Tensor, window_length: int):
    """μ = S[0] and σ² = Σ_{k<W} P[k] − S[0]² from the one-sided bins (all W // 2 + 1 of them).

    Exact for a rectangular unit-sum window whose hop equals W and tiles the
    utterance (see the module docstring); the one-sided bins 1 … ⌈W/2⌉ − 1
    stand for two two-sided bins each (``two_sided_counts``).
    """
    if power.shape[-1] != window_length // 2 + 1:
        raise ValueError(f"dc_statistics needs all {window_length // 2 + 1} one-sided bins, got {power.shape[-1]}")
    counts = two_sided_counts(window_length, dtype=power.dtype, device=power.device)
    mean = first[..., 0].real
    return mean, (power * counts).sum(-1) - mean**2


def embedding(first: torch.Tensor, power: torch.Tensor) -> torch.Tensor:
    """[Re S[0…K−1]; Im S[1…K−1]; P[0…K−1]] per channel, as three flattened blocks."""
    return torch.cat([first.real.flatten(1), first.imag[..., 1:].flatten(1), power.flatten(1)], dim=1)


class _SpectralPooling(Pooling):
    """What STSP and attentive STSP share: the STFT of every channel, then β-weighted spectra.

    Subclasses implement ``segment_weights(spectrum, valid, x)`` → β ``(B, 1, M)``.
    """

    weights_over = "segments"

    def __init__(self, in_dim: int, window_length: int, hop: int, bins: int, window: str):
        super().__init__()
        if window_length < 1 or hop < 1:
            raise ValueError(f"window_length and hop must be ≥ 1, got {window_length}, {hop}")
        if not 1 <= bins <= window_length // 2 + 1:
            raise ValueError(f"bins must be in [1, window_length // 2 + 1 = {window_length // 2 + 1}], got {bins}")
        self.in_dim, self.out_dim = in_dim, in_dim * (3 * bins - 1)
        self.window_length, self.hop, self.bins = window_length, hop, bins
        self.order_invariant = window_length == 1 and hop == 1  # else the non-DC bins see the frame order
        self.register_buffer("window", make_window(window, window_length), persistent=False)

    def spectrum(self, x, mask):
        x = at_least_float32(x)
        return short_time_spectrum(x, mask, self.window.to(x.dtype), self.hop, self.bins)

    def segment_weights(self, spectrum: torch.Tensor, valid: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - abstract

    def weighted_spectra(self, x, mask):
        """S, P and β for frames ``(B, C, T)`` and their mask."""
        with full_precision(x):
            spectrum, valid = self.spectrum(x, mask)
        beta = self.segment_weights(spectrum, valid, x)
        with full_precision(x):
            first, power = spectral_statistics(spectrum, beta[:, 0])
        return first, power, beta

    def pool(self, x, mask):
        first, power, beta = self.weighted_spectra(x, mask)
        with full_precision(x):
            return embedding(first, power), beta

    def spectra(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        """The averaged spectrum S (B, C, K), complex, and power P (B, C, K) that the embedding holds."""
        x, mask = self.frames_and_mask(x, lengths)
        first, power, _ = self.weighted_spectra(x, mask)
        return first, power

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.spectral``."""
        return {"w": self.window, "hop": self.hop, "K": self.bins}

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"window": "rectangular", "window_length": 5, "hop": 2, "bins": 3},
                {"window_length": 4, "hop": 4, "bins": 3}, {"window_length": 1, "hop": 1, "bins": 1}]

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, window_length={self.window_length}, hop={self.hop}, bins={self.bins}"


@register("STSP")
class ShortTimeSpectralPooling(_SpectralPooling):
    """STSP → C·(3K − 1); returns the segment weights β (B, 1, M), uniform over valid segments.

    Args:
        in_dim: C, channels of the frames.
        window_length: W, frames per segment.
        hop: h, frames between segment starts.
        bins: K, lowest frequency bins kept (≤ W // 2 + 1).
        window: "hann" or "rectangular" (scaled to unit sum either way).

    Example:
        >>> pool = ShortTimeSpectralPooling(in_dim=8, window_length=16, hop=8, bins=4)
        >>> embedding, beta = pool(torch.randn(2, 8, 40), torch.tensor([40, 24]), return_weights=True)
        >>> embedding.shape, beta[:, 0].tolist()  # (40 − 16) // 8 + 1 = 4 segments, (24 − 16) // 8 + 1 = 2
        (torch.Size([2, 88]), [[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]])
        >>> first, power = pool.spectra(torch.randn(2, 8, 40))
        >>> first.dtype, power.shape
        (torch.complex64, torch.Size([2, 8, 4]))
    """

    reference = staticmethod(stsp)

    def __init__(self, in_dim: int, window_length: int = 16, hop: int = 8, bins: int = 4,
                 window: str = "hann"):
        super().__init__(in_dim, window_length, hop, bins, window)

    def segment_weights(self, spectrum, valid, x):
        beta = valid.to(spectrum.real.dtype)
        return (beta / beta.sum(dim=1, keepdim=True)).unsqueeze(1)  # 1/M on valid segments


@register("AttentiveSTSP")
class AttentiveShortTimeSpectralPooling(_SpectralPooling):
    """Attentive STSP → C·(3K − 1); returns the segment attention β (B, 1, M).

    A segment's score is vᵀ tanh(W d_m + b) + k, where d_m ∈ R^C holds the
    segment's DC values X_m[0] (its windowed mean, one per channel); β is the
    softmax of the scores over the valid segments.

    Args: as STSP, plus ``bottleneck``, rows of W.

    Example:
        >>> pool = AttentiveShortTimeSpectralPooling(in_dim=8, bottleneck=4)
        >>> embedding, beta = pool(torch.randn(2, 8, 40), torch.tensor([40, 24]), return_weights=True)
        >>> embedding.shape, beta.shape, torch.allclose(beta.sum(-1), torch.ones(2, 1))
        (torch.Size([2, 88]), torch.Size([2, 1, 4]), True)
    """

    reference = staticmethod(attentive_stsp)

    def __init__(self, in_dim: int, window_length: int = 16, hop: int = 8, bins: int = 4,
                 window: str = "hann", bottleneck: int = 64):
        super().__init__(in_dim, window_length, hop, bins, window)
        self.score = nn.Sequential(nn.Conv1d(in_dim, bottleneck, 1), nn.Tanh(),  # W, b
                                   nn.Conv1d(bottleneck, 1, 1))  # v, k

    def segment_weights(self, spectrum, valid, x):
        logits = self.score(spectrum[..., 0].real.to(x.dtype))  # (B, 1, M) from d_m
        with full_precision(x):
            return masked_softmax(logits, valid.unsqueeze(1), dim=-1)  # over valid segments

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.spectral.attentive_stsp``."""
        first, second = self.score[0], self.score[2]
        return {**super().equation_parameters(), "W": first.weight[:, :, 0], "b": first.bias,
                "v": second.weight[0, :, 0], "k": second.bias[0]}

    @classmethod
    def examples(cls) -> list[dict]:
        return super().examples()[:3]
