"""Log-mel filterbank features, Kaldi-compatible.

``fbank`` is the reference: ``torchaudio.compliance.kaldi.fbank`` with the
options speaker-verification recipes use (80 mel bins, 25 ms windows every
10 ms, Povey window, pre-emphasis 0.97, per-frame DC removal, ``snip_edges``),
on the waveform scaled to the int16 range like Kaldi's, then utterance mean
normalisation (CMN). Dither is 0 by default, the course's choice for
determinism: Kaldi's default is 1.0 and some recipes train with it (WeSpeaker's
VoxCeleb configurations), torchaudio's is 0.0; ``dither=`` turns it on.

``BatchFbank`` is the batched, GPU-friendly path built on
``torchaudio.transforms.MelSpectrogram``: pre-emphasis on the whole signal
instead of per frame, no per-frame DC removal, triangles linear in Hz rather
than in mel. After CMN, on speech, the mean absolute difference from ``fbank``
is below ``BATCH_TOLERANCE`` (natural-log units) over the whole matrix, and below
``BATCH_TOLERANCE_PER_BIN`` in every mel bin from ``BATCH_FIRST_CLOSE_BIN`` up
(above ~100 Hz); the lowest bins differ more (about 1 in bin 0) because Kaldi
removes each frame's DC offset. tests/test_features.py checks these numbers.
"""

from __future__ import annotations

import warnings

import torch

from course.audio import SAMPLE_RATE
from course.env import torch_threads
from course.masks import frame_mask, time_mean, zero_padding
from course.signal import ms_to_samples

NUM_MEL_BINS = 80
FRAME_LENGTH_MS = 25.0
FRAME_SHIFT_MS = 10.0
FRAMES_PER_SECOND = 1000.0 / FRAME_SHIFT_MS  # 100 fbank frames a second
# |batched - Kaldi| after CMN, log units; measured on SynthVox speech: 0.014-0.019 overall,
# <= 0.012 per bin from bin 3 up, 0.7-0.9 in bin 0.
BATCH_TOLERANCE = 0.05
BATCH_TOLERANCE_PER_BIN = 0.03
BATCH_FIRST_CLOSE_BIN = 3
_INT16 = 32768.0


def num_frames(num_samples: int, sample_rate: int = SAMPLE_RATE, frame_length_ms: float = FRAME_LENGTH_MS,
               frame_shift_ms: float = FRAME_SHIFT_MS) -> int:
    """Frames Kaldi makes from ``num_samples`` with ``snip_edges`` (whole windows only)."""
    win = ms_to_samples(frame_length_ms, sample_rate)
    hop = ms_to_samples(frame_shift_ms, sample_rate)
    return 0 if num_samples < win else 1 + (num_samples - win) // hop


def cmn(feats: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Subtract each utterance's mean over time from ``(C, T)`` or ``(B, C, T)`` features.

    With ``lengths`` only the valid frames count, and the padding stays zero.
    """
    if lengths is None:
        return feats - feats.mean(dim=-1, keepdim=True)
    mask = frame_mask(lengths, feats.shape[-1], feats.device)  # (B, 1, T)
    return zero_padding(feats - time_mean(feats, mask)[..., None], mask)  # an empty utterance stays all zero


def fbank(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE, num_mel_bins: int = NUM_MEL_BINS,
          frame_length: float = FRAME_LENGTH_MS, frame_shift: float = FRAME_SHIFT_MS,
          mean_norm: bool = True, dither: float = 0.0, **renamed) -> torch.Tensor:
    """Kaldi log-mel filterbank ``(num_mel_bins, T)`` of a waveform ``(samples,)`` or ``(1, samples)``.

    ``mean_norm``: subtract each bin's mean over time (``cmn``). ``cmn=`` is its old name, still
    accepted with a DeprecationWarning (as a parameter it shadowed the function).
    """
    mean_norm = _old_cmn_keyword(mean_norm, renamed)
    import torchaudio.compliance.kaldi as kaldi

    wave = torch.as_tensor(waveform)
    if wave.dim() == 2 and wave.shape[0] == 1:
        wave = wave[0]
    if wave.dim() != 1:
        raise ValueError(f"waveform: expected (samples,) or (1, samples), got shape {tuple(wave.shape)}")
    win = ms_to_samples(frame_length, sample_rate)
    if wave.numel() < win:
        raise ValueError(f"waveform: {wave.numel()} samples is shorter than one {frame_length} ms frame ({win})")
    # One utterance's fbank is many small operations: on a busy machine, waking a second thread for
    # each costs far more than it saves (measured: 24 utterances, 2.7-5.9 s on 2 threads, 0.3 s on 1).
    with torch_threads(1):
        feats = kaldi.fbank(wave.float().unsqueeze(0) * _INT16, num_mel_bins=num_mel_bins, frame_length=frame_length,
                            frame_shift=frame_shift, dither=dither, sample_frequency=sample_rate,
                            window_type="povey", energy_floor=0.0).T.contiguous()
    return cmn(feats) if mean_norm else feats


class BatchFbank(torch.nn.Module):
    """Batched log-mel fbank ``(B, samples) -> (B, 80, T)`` on any device (MelSpectrogram).

    Approximates ``fbank`` within ``BATCH_TOLERANCE`` after CMN (see the module docstring).
    ``forward(waves, lengths=None)`` takes lengths in samples and returns frame lengths.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, num_mel_bins: int = NUM_MEL_BINS,
                 frame_length: float = FRAME_LENGTH_MS, frame_shift: float = FRAME_SHIFT_MS,
                 preemphasis: float = 0.97, mean_norm: bool = True):
        super().__init__()
        import torchaudio

        self.sample_rate, self.mean_norm, self.preemphasis = sample_rate, mean_norm, preemphasis
        self.win = ms_to_samples(frame_length, sample_rate)
        self.hop = ms_to_samples(frame_shift, sample_rate)
        n_fft = 1 << (self.win - 1).bit_length()  # Kaldi rounds the FFT size up to a power of two
        self.pad = (n_fft - self.win) // 2
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, win_length=self.win, hop_length=self.hop, f_min=20.0,
            f_max=sample_rate / 2, n_mels=num_mel_bins, window_fn=_povey_window, power=2.0, center=False,
            mel_scale="htk", norm=None)

    def forward(self, waves: torch.Tensor, lengths: torch.Tensor | None = None):
        if waves.dim() == 1:
            waves = waves.unsqueeze(0)
        x = waves.float() * _INT16
        x = torch.cat([x[:, :1] * (1 - self.preemphasis), x[:, 1:] - self.preemphasis * x[:, :-1]], dim=1)
        # Centre each win-long Kaldi frame inside the n_fft-long STFT frame: same frames, same |FFT|.
        x = torch.nn.functional.pad(x, (self.pad, self.pad))
        feats = self.mel(x).clamp(min=torch.finfo(torch.float32).eps).log()
        frame_lengths = None
        if lengths is not None:
            frame_lengths = ((lengths - self.win).div(self.hop, rounding_mode="floor") + 1).clamp(min=0)
        if self.mean_norm:
            feats = cmn(feats, frame_lengths)
        return feats if lengths is None else (feats, frame_lengths)


def _povey_window(length: int) -> torch.Tensor:
    # Kaldi's "povey" window: a Hann window (symmetric) raised to the power 0.85.
    return torch.hann_window(length, periodic=False).pow(0.85)


# --- SpeechBrain's features (what its pretrained VoxCeleb models were trained on) -----------------
#
# ``speechbrain.lobes.features.Fbank(n_mels=80)`` then ``InputNormalization("sentence",
# std_norm=False)``, written out: centred STFT (zero padding, 400-point FFT, periodic Hamming
# window of 25 ms every 10 ms, no pre-emphasis, no DC removal) on the waveform in [-1, 1];
# power spectrum; symmetric triangular mel filters (each as wide on both sides as its left
# half: SpeechBrain's choice) from 0 to 8 kHz; 10·log10 with a floor of 1e-10 and every value
# clamped at most ``top_db`` = 80 dB below the utterance's maximum; then the mean over time
# subtracted. The Kaldi ``fbank`` above is natural-log energy on the int16 scale: after CMN it
# differs from this by about a factor 10/ln(10) ≈ 4.34 in scale and in the filter shapes, which a
# pretrained model notices (notebook 12 measures it).

SB_N_FFT = 400
SB_AMIN = 1e-10
SB_TOP_DB = 80.0


def speechbrain_mel_filters(num_mel_bins: int = NUM_MEL_BINS, n_fft: int = SB_N_FFT, sample_rate: int = SAMPLE_RATE,
                            f_min: float = 0.0, f_max: float | None = None) -> torch.Tensor:
    """SpeechBrain's triangular mel filters as a ``(n_fft // 2 + 1, num_mel_bins)`` matrix."""
    import math

    f_max = sample_rate // 2 if f_max is None else f_max
    to_mel = lambda hz: 2595 * math.log10(1 + hz / 700)  # noqa: E731 - the HTK mel scale, two lines
    mel = torch.linspace(to_mel(f_min), to_mel(f_max), num_mel_bins + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    centre, band = hz[1:-1], (hz[1:] - hz[:-1])[:-1]  # band: the distance to the previous centre
    freqs = torch.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    slope = (freqs[None, :] - centre[:, None]) / band[:, None]  # (mels, freqs)
    return torch.clamp(torch.minimum(slope + 1.0, 1.0 - slope), min=0.0).T.contiguous()


def _old_cmn_keyword(mean_norm: bool, renamed: dict) -> bool:
    unknown = sorted(set(renamed) - {"cmn"})
    if unknown:
        raise TypeError(f"fbank() got unexpected keyword argument(s) {unknown}")
    if "cmn" not in renamed:
        return mean_norm
    warnings.warn("fbank(cmn=...) is deprecated: use fbank(mean_norm=...)", DeprecationWarning, stacklevel=3)
    return bool(renamed["cmn"])


def speechbrain_fbank(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE, num_mel_bins: int = NUM_MEL_BINS,
                      mean_norm: bool = True, top_db: float = SB_TOP_DB) -> torch.Tensor:
    """SpeechBrain's log-mel fbank in dB ``(num_mel_bins, T)`` of a waveform ``(samples,)`` in [-1, 1].

    Equal to ``speechbrain.lobes.features.Fbank(n_mels=num_mel_bins)`` followed (with ``mean_norm``)
    by sentence mean normalisation, transposed to channels first. T = 1 + samples // 160.
    """
    wave = torch.as_tensor(waveform)
    if wave.dim() == 2 and wave.shape[0] == 1:
        wave = wave[0]
    if wave.dim() != 1:
        raise ValueError(f"waveform: expected (samples,) or (1, samples), got shape {tuple(wave.shape)}")
    if wave.numel() <= SB_N_FFT // 2:
        raise ValueError(f"waveform: {wave.numel()} samples is too short for SpeechBrain's centred STFT "
                         f"(needs more than {SB_N_FFT // 2})")
    win = ms_to_samples(FRAME_LENGTH_MS, sample_rate, "nearest")
    hop = ms_to_samples(FRAME_SHIFT_MS, sample_rate, "nearest")
    with torch_threads(1):
        spec = torch.stft(wave.float()[None], SB_N_FFT, hop, win, torch.hamming_window(win), center=True,
                          pad_mode="constant", normalized=False, onesided=True, return_complex=True)
        power = torch.view_as_real(spec).pow(2).sum(-1).transpose(1, 2)  # (1, T, freqs)
        mel = torch.matmul(power, speechbrain_mel_filters(num_mel_bins, SB_N_FFT, sample_rate))
        db = power_to_db(mel[0], top_db).T.contiguous()
    return cmn(db) if mean_norm else db


def power_to_db(power: torch.Tensor, top_db: float = SB_TOP_DB, amin: float = SB_AMIN) -> torch.Tensor:
    """10·log10 of an utterance's mel power ``(T, M)`` (floored at ``amin``), clamped at most ``top_db``
    below its maximum over the whole utterance: SpeechBrain's ``Filterbank._amplitude_to_DB``."""
    db = 10 * torch.log10(torch.clamp(power, min=amin))  # the reference power is 1: no offset
    return torch.max(db, db.amax() - top_db)


FEATURES = {"kaldi": fbank, "speechbrain": speechbrain_fbank}
# what the values of each kind are, for a colour bar (both subtract each bin's mean over the utterance)
FEATURE_UNITS = {"kaldi": "log energy after CMN (Kaldi fbank)",
                 "speechbrain": "dB after mean norm. (SpeechBrain Fbank)"}


def for_model(model) -> callable:
    """The feature function a model expects: its ``feature_type`` attribute ("kaldi" when absent)."""
    kind = getattr(model, "feature_type", "kaldi")
    if kind not in FEATURES:
        raise ValueError(f"model.feature_type: expected one of {sorted(FEATURES)}, got {kind!r}")
    return FEATURES[kind]


def units_for_model(model) -> str:
    """What the values of ``for_model(model)``'s features are ("log energy after CMN (Kaldi fbank)"...)."""
    for_model(model)  # the same error for an unknown kind
    return FEATURE_UNITS[getattr(model, "feature_type", "kaldi")]


# --- Frame-level proxies for "is this frame speech?" on SpeechBrain's frame grid (t · 10 ms, centred) ----


def _centred_frames(waveform: torch.Tensor, window: int, hop: int) -> torch.Tensor:
    """(1 + samples // hop, window) windows centred at t · hop, zero-padded at both ends."""
    wave = torch.as_tensor(waveform).float().reshape(-1)
    padded = torch.nn.functional.pad(wave, (window // 2, window - window // 2))
    return padded.unfold(0, window, hop)[: 1 + wave.numel() // hop]


def frame_energy_db(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE, window_ms: float = FRAME_LENGTH_MS,
                    shift_ms: float = FRAME_SHIFT_MS) -> torch.Tensor:
    """Mean power of each Hamming-windowed frame in dB (re full scale), one value per SpeechBrain frame."""
    win, hop = ms_to_samples(window_ms, sample_rate), ms_to_samples(shift_ms, sample_rate)
    frames = _centred_frames(waveform, win, hop) * torch.hamming_window(win)
    return 10 * torch.log10(frames.pow(2).mean(-1).clamp(min=1e-12))


def periodicity(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE, f0_range: tuple[float, float] = (60.0, 400.0),
                window_ms: float = 40.0, shift_ms: float = FRAME_SHIFT_MS) -> torch.Tensor:
    """A voicing proxy in [0, 1] per SpeechBrain frame: the highest normalised autocorrelation of a
    ``window_ms`` window at a lag of one pitch period (``f0_range``), corrected for the window's
    overlap at that lag (unbiased). Near 1 for a steady voiced vowel, near 0 for noise and silence."""
    win, hop = ms_to_samples(window_ms, sample_rate), ms_to_samples(shift_ms, sample_rate)
    frames = _centred_frames(waveform, win, hop)
    frames = frames - frames.mean(-1, keepdim=True)
    spectrum = torch.fft.rfft(frames, n=2 * win)
    acf = torch.fft.irfft(spectrum.abs().pow(2), n=2 * win)[:, :win]  # Σ_t x_t x_{t+τ}
    low, high = int(sample_rate / f0_range[1]), int(sample_rate / f0_range[0])
    lags = torch.arange(low, high + 1)
    unbiased = acf[:, lags] / (win - lags) * win / acf[:, :1].clamp(min=1e-12)
    return unbiased.amax(-1).clamp(0.0, 1.0)
