"""Training crops made on the fly: read a random 2 s window, change its speed, augment, fbank.

``WaveCrops`` yields ``(features (80, chunk_frames) float32, speaker index)``, like
``course.data.dataset.SpeakerChunks``, but from the waveform each time, so that
each epoch sees new noise, reverberation and crops. Nothing is kept in memory but
the file list: it runs in DataLoader workers.

Speed perturbation (factors 0.9 and 1.1 by default, with augmentation): each
speed-shifted copy of a speaker is a new speaker (it sounds like another voice),
as in the Kaldi and WeSpeaker recipes; the dataset is then ``len(speeds) + 1``
times longer and has that many times more classes.

Unusable training files (unreadable, empty, shorter than one frame, NaN samples) are skipped
when the dataset is built and reported in one warning (``skipped`` lists them); a
file that fails later, mid-epoch, is replaced by another utterance of the same
speaker and reported once, never a crash.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import torch

from course.audio import SAMPLE_RATE, AudioError, fix_length, info, non_finite_samples
from course.data.augment import Augment, AugmentConfig
from course.data.corpus import read_split
from course.data.dataset import SeededItems
from course.features import FRAME_LENGTH_MS, FRAME_SHIFT_MS, fbank
from course.signal import ms_to_samples, resample

WINDOW, HOP = ms_to_samples(FRAME_LENGTH_MS, SAMPLE_RATE), ms_to_samples(FRAME_SHIFT_MS, SAMPLE_RATE)  # 400, 160


def samples_for(frames: int) -> int:
    """Samples that give exactly ``frames`` 25 ms / 10 ms frames."""
    return WINDOW + (frames - 1) * HOP


class WaveCrops(SeededItems):
    """Random ``chunk_frames``-frame crops of ``split`` under ``root``, augmented when ``augment`` is given.

    Item ``i`` depends only on (seed, epoch, i) (``SeededItems``): ``set_epoch`` draws new crops.
    """

    def __init__(self, root: str | Path, split: str = "train", chunk_frames: int = 200, seed: int = 0,
                 augment: AugmentConfig | dict | None = None, cmn: bool = True):
        if chunk_frames < 1:
            raise ValueError(f"chunk_frames must be ≥ 1, got {chunk_frames}")
        self.root, self.split, self.chunk_frames, self.seed, self.cmn = Path(root), split, chunk_frames, seed, cmn
        self.augment_config = augment if isinstance(augment, AugmentConfig) or augment is None \
            else AugmentConfig.from_dict(augment)
        items, self.skipped = usable(read_split(root, split))
        self.speakers = sorted({spk for spk, _, _ in items})
        index = {spk: i for i, spk in enumerate(self.speakers)}
        self.paths = [p for _, p, _ in items]
        self.frames = [n for _, _, n in items]
        self.labels = [index[spk] for spk, _, _ in items]
        self.by_speaker: dict[int, list[int]] = {}
        for i, label in enumerate(self.labels):
            self.by_speaker.setdefault(label, []).append(i)
        self.speeds = (1.0, *(self.augment_config.speeds if self.augment_config else ()))
        self.augment = Augment(self.augment_config, babble=self.babble) if self.augment_config else None
        self.failed: set[int] = set()

    @property
    def num_speakers(self) -> int:
        return len(self.speakers) * len(self.speeds)

    def __len__(self) -> int:
        return len(self.paths) * len(self.speeds)

    def read_crop(self, utterance: int, samples: int, generator: torch.Generator) -> torch.Tensor:
        """``samples`` samples from a random start (the whole file tiled when shorter)."""
        import soundfile

        from course.audio import read

        path, total = self.paths[utterance], self.frames[utterance]
        if total is None:  # another rate: read it whole, resampled
            return fix_length(read(path, SAMPLE_RATE, warn=False)[0], samples, generator=generator)
        start = int(torch.randint(0, max(1, total - samples + 1), (), generator=generator))
        try:
            data, _ = soundfile.read(str(path), start=start, frames=min(samples, total), dtype="float32",
                                     always_2d=True)
        except Exception as error:  # noqa: BLE001 - libsndfile raises several types
            raise AudioError(f"{path}: unreadable ({error})") from None
        if data.shape[0] == 0:
            raise AudioError(f"{path}: no samples")
        return fix_length(torch.from_numpy(data.mean(axis=1)), samples)

    def babble(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """3-6 other training utterances, summed: the noise of a crowd."""
        count = int(torch.randint(3, 7, (), generator=generator))
        picks = torch.randint(len(self.paths), (count,), generator=generator).tolist()
        return sum(self._safe_crop(u, n, generator) for u in picks)

    def _safe_crop(self, utterance: int, samples: int, generator: torch.Generator) -> torch.Tensor:
        try:
            return self.read_crop(utterance, samples, generator)
        except AudioError as error:
            if utterance not in self.failed:
                self.failed.add(utterance)
                warnings.warn(f"training file skipped mid-epoch: {error}", stacklevel=2)
            others = [u for u in self.by_speaker[self.labels[utterance]] if u not in self.failed]
            if not others:
                raise AudioError(f"every file of speaker {self.speakers[self.labels[utterance]]} "
                                 "is unreadable") from None
            return self._safe_crop(others[utterance % len(others)], samples, generator)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        copy, utterance = divmod(index, len(self.paths))
        speed = self.speeds[copy]
        generator = self.generator(index)
        samples = samples_for(self.chunk_frames)
        wave = self._safe_crop(utterance, math.ceil(samples * speed), generator)
        if speed != 1.0:
            wave = change_speed(wave, speed)
        wave = fix_length(wave, samples)
        if self.augment is not None:
            wave = self.augment(wave, generator)
        feats = fbank(wave, SAMPLE_RATE, mean_norm=self.cmn)
        if self.augment is not None:
            feats = self.augment.mask(feats, generator)
        return feats, self.labels[utterance] + copy * len(self.speakers)


def change_speed(wave: torch.Tensor, speed: float) -> torch.Tensor:
    """Play ``speed`` times faster (pitch and tempo together, like sox ``speed``): resample by 1/speed."""
    numerator = round(speed * 100)
    common = math.gcd(numerator, 100)
    return resample(wave, numerator // common, 100 // common)


def usable(items) -> tuple[list[tuple[str, Path, int | None]], list[str]]:
    """(speaker, path, samples or None when another rate) of the usable files, and the reasons of the others."""
    kept, skipped = [], []
    for speaker, path in items:
        try:
            rate, frames, _ = info(path)
        except (AudioError, FileNotFoundError) as error:
            skipped.append(str(error))
            continue
        if frames * SAMPLE_RATE / rate < WINDOW:
            skipped.append(f"{path}: {frames} samples, shorter than one 25 ms frame")
            continue
        bad = non_finite_samples(path)  # float WAV only; one NaN crop would stop the run as a "diverged" loss
        if bad:
            skipped.append(f"{path}: {bad} NaN or infinite sample(s)")
            continue
        kept.append((speaker, path, frames if rate == SAMPLE_RATE else None))
    if skipped:
        warnings.warn(f"{len(skipped)} training file(s) skipped: " + "; ".join(skipped[:3])
                      + (" ..." if len(skipped) > 3 else ""), stacklevel=3)
    if not kept:
        raise ValueError(f"no usable training files ({len(skipped)} skipped)")
    return kept, skipped
