"""Waveform augmentation for training, and harsh channels for testing robustness.

Training (``Augment``): each utterance crop may get, independently and each
switchable, reverberation with a synthetic room impulse response, additive noise
at a random SNR (white, pink, babble made of other training utterances, or files
from a folder the user gives), and a random gain. Speed perturbation changes the
speaker's voice, so it lives in the dataset (``course.data.wave_crops``), where
each speed-shifted copy becomes a new speaker as in the Kaldi and WeSpeaker recipes.

Every random draw comes from a ``torch.Generator`` the caller seeds from
(seed, epoch, item): a crop is a pure function of those, whichever DataLoader
worker computes it, which is what makes resuming a run exact.

The noise colours and the room impulse response are ``course.signal``'s, shared with SynthVox.
The test-time channels that training never produces live apart, in ``course.data.degrade``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from course.audio import SAMPLE_RATE
from course.signal import coloured_noise, room_impulse_response

NOISE_KINDS = ("white", "pink", "babble", "folder")


@dataclass(frozen=True)
class AugmentConfig:
    """Which augmentations, how often and how strong.

    noise_prob / noise_kinds / snr_db: probability of additive noise, the kinds drawn
        from (uniformly), and the SNR range (dB). "folder" needs ``noise_dir``.
    reverb_prob / rt60_s: probability of reverberation and the RT60 range (s).
    gain_prob / gain_db: probability of a gain change and its range (dB). After CMN a
        gain only shifts log-mel by a constant, so it matters little for fbank + CMN;
        it is here for features without CMN.
    speeds: speed factors besides 1.0; each makes a copy of every training speaker.
    channel_prob: probability of a random narrow band with a μ-law codec, after noise and gain
        (``course.data.augment_channel.band_limit``); 0, the default, draws nothing.
    spec_masks: None, or the keyword arguments of ``course.data.augment_channel.spec_mask``
        (freq_masks, freq_width, time_masks, time_width), applied to the fbank of every crop
        (SpecAugment); None, the default, draws nothing.
    """

    noise_prob: float = 0.6
    noise_kinds: tuple = ("white", "pink", "babble")
    snr_db: tuple = (5.0, 20.0)
    noise_dir: str | None = None
    reverb_prob: float = 0.3
    rt60_s: tuple = (0.2, 0.6)
    gain_prob: float = 0.5
    gain_db: tuple = (-6.0, 6.0)
    speeds: tuple = (0.9, 1.1)
    channel_prob: float = 0.0
    spec_masks: dict | None = None

    def __post_init__(self):
        if self.spec_masks is not None:
            known = {"freq_masks", "freq_width", "time_masks", "time_width"}
            if set(self.spec_masks) - known or any(int(v) < 0 for v in self.spec_masks.values()):
                raise ValueError(f"augment.spec_masks: expected non-negative {sorted(known)}, got {self.spec_masks}")
        for name in ("noise_prob", "reverb_prob", "gain_prob", "channel_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"augment.{name}: expected a probability in [0, 1], got {getattr(self, name)}")
        object.__setattr__(self, "noise_kinds", tuple(self.noise_kinds))
        object.__setattr__(self, "speeds", tuple(float(s) for s in self.speeds))
        unknown = set(self.noise_kinds) - set(NOISE_KINDS)
        if unknown:
            raise ValueError(f"augment.noise_kinds: unknown {sorted(unknown)}; expected some of {NOISE_KINDS}")
        if "folder" in self.noise_kinds and not self.noise_dir:
            raise ValueError("augment.noise_kinds has 'folder' but augment.noise_dir is not set")
        for name in ("snr_db", "rt60_s", "gain_db"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"augment.{name}: expected (low, high), got {getattr(self, name)}")
            object.__setattr__(self, name, (float(low), float(high)))
        if any(not 0.5 <= s <= 2.0 or s == 1.0 for s in self.speeds):
            raise ValueError(f"augment.speeds: expected factors in [0.5, 2] other than 1.0, got {self.speeds}")

    @classmethod
    def from_dict(cls, values: dict | None) -> AugmentConfig | None:
        """None stays None (no augmentation); unknown keys are a clear error."""
        if values is None:
            return None
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"augment: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


def uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def power(x: torch.Tensor) -> torch.Tensor:
    return x.pow(2).mean().clamp(min=1e-10)


def add_noise(speech: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """``speech + g·noise`` with g chosen so that power(speech) / power(g·noise) = 10^(snr/10)."""
    gain = torch.sqrt(power(speech) / power(noise) / 10 ** (snr_db / 10))
    return speech + gain * noise


def fast_convolve(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Linear convolution of 1-D signals through the FFT, cut to ``len(x)`` (SciPy's: measured 2-8x
    faster here than torch.fft for one 2 s crop)."""
    from scipy import signal

    out = signal.fftconvolve(x.numpy(), h.numpy().astype(x.numpy().dtype))[: x.shape[-1]]
    return torch.from_numpy(out.astype("float32", copy=False))


def reverberate(speech: torch.Tensor, rir: torch.Tensor) -> torch.Tensor:
    """Convolve with ``rir`` and restore the input's power."""
    wet = fast_convolve(speech, rir)
    return wet * torch.sqrt(power(speech) / power(wet))


class Augment:
    """``augment(wave, generator) → wave`` following an ``AugmentConfig``.

    ``babble(n, generator)``: a function returning ``n`` samples of other speakers'
    speech (the training set supplies it); needed when "babble" is a noise kind.
    """

    def __init__(self, config: AugmentConfig, babble=None, sample_rate: int = SAMPLE_RATE):
        self.config, self.babble, self.sample_rate = config, babble, sample_rate
        self.noise_files = noise_files(config.noise_dir) if config.noise_dir else []
        if "babble" in config.noise_kinds and babble is None:
            raise ValueError("augment: babble noise needs a source of other speakers' speech")

    def noise(self, kind: str, n: int, generator: torch.Generator) -> torch.Tensor:
        if kind in ("white", "pink"):
            return coloured_noise(n, kind, generator)
        if kind == "babble":
            return self.babble(n, generator)
        return folder_noise(self.noise_files, n, generator, self.sample_rate)

    def __call__(self, wave: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        c = self.config
        # Always draw the same number of random values, whatever is applied, so that one
        # switch does not reshuffle the draws of the others.
        u_reverb, u_noise, u_gain = torch.rand(3, generator=generator).tolist()
        if u_reverb < c.reverb_prob:
            rir = room_impulse_response(uniform(generator, *c.rt60_s), generator, self.sample_rate)
            wave = reverberate(wave, rir)
        if u_noise < c.noise_prob and c.noise_kinds:
            kind = c.noise_kinds[int(torch.randint(len(c.noise_kinds), (), generator=generator))]
            wave = add_noise(wave, self.noise(kind, wave.shape[-1], generator), uniform(generator, *c.snr_db))
        if u_gain < c.gain_prob:
            wave = wave * 10 ** (uniform(generator, *c.gain_db) / 20)
        if c.channel_prob > 0 and float(torch.rand((), generator=generator)) < c.channel_prob:
            from course.data.augment_channel import band_limit

            wave = band_limit(wave, generator, self.sample_rate)
        return wave.clamp(-1.0, 1.0)

    def mask(self, feats: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The fbank of a crop with SpecAugment masks when ``spec_masks`` is set (unchanged otherwise)."""
        if self.config.spec_masks is None:
            return feats
        from course.data.augment_channel import spec_mask

        return spec_mask(feats, generator, **{k: int(v) for k, v in self.config.spec_masks.items()})


def noise_files(folder: str | Path) -> list[Path]:
    """The audio files (wav, flac) under ``folder``; a clear error when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"augment.noise_dir: folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".wav", ".flac"))
    if not files:
        raise FileNotFoundError(f"augment.noise_dir: no .wav or .flac files in {folder}")
    return files


def folder_noise(files: list[Path], n: int, generator: torch.Generator, sample_rate: int = SAMPLE_RATE):
    from course.audio import fix_length, read

    wave, _ = read(files[int(torch.randint(len(files), (), generator=generator))], sample_rate, warn=False)
    return fix_length(wave, n, generator=generator)
