"""Training data: random fixed-length fbank chunks of a corpus's training utterances.

``SpeakerChunks`` yields ``(features (80, chunk_frames) float32, speaker index)``.
Features are computed once per utterance and kept in memory (SynthVox is small);
once every utterance of the split has been computed they are also saved under
``course.paths.cache_dir("features")``, keyed by the corpus manifests, so the
next process (another notebook) loads them instead of recomputing. Each access
crops a random window (seeded), and utterances shorter than the chunk are
repeated (``course.audio.fix_length``). ``collate`` pads a batch to its
longest item and returns the lengths, so variable-length batches work too.
``SeededItems`` holds the seed rule (seed, epoch, item) of every training dataset, this one and
``course.data.wave_crops.WaveCrops``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch.utils.data import Dataset

from course.audio import fix_length, read
from course.data.corpus import SPLIT_FILE, check_audio, read_split
from course.features import fbank
from course.paths import atomic_path

# Bump when the features computed for a file change (course.features.fbank), to void disk caches.
FEATURE_VERSION = 1


def item_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of item ``index`` in ``epoch`` of a run seeded ``seed``: distinct for every triple in use
    (epochs < 1_000_003, items < 10_000_019), so no two crops share their draws."""
    return (seed * 1_000_003 + epoch) * 10_000_019 + index


class SeededItems(Dataset):
    """A training dataset whose item ``i`` in epoch ``e`` is a pure function of (seed, e, i), whichever
    DataLoader worker computes it: what makes a resumed run draw exactly the crops of an uninterrupted one.
    Subclasses set ``self.seed`` and draw from ``self.generator(index)``."""

    seed: int = 0
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw new items: item ``i`` of epoch ``e`` depends only on (seed, e, i)."""
        self.epoch = epoch

    def generator(self, index: int) -> torch.Generator:
        """A fresh generator seeded for item ``index`` of the current epoch."""
        return torch.Generator().manual_seed(item_seed(self.seed, self.epoch, index))


class SpeakerChunks(SeededItems):
    """Fbank chunks and speaker labels of ``split`` ("train", "val", "test", "train+val") under ``root``.

    ``chunk_frames=None`` returns whole utterances (for evaluation or variable-length batches).
    Item ``i`` with the same ``seed`` and epoch (``set_epoch``, ``SeededItems``) is always the same crop.
    """

    def __init__(self, root: str | Path, split: str = "train", chunk_frames: int | None = 200, seed: int = 0,
                 cmn: bool = True, cache: bool = True, disk_cache: bool = True):
        if chunk_frames is not None and chunk_frames < 1:
            raise ValueError(f"chunk_frames must be a positive number of frames or None, got {chunk_frames}")
        self.root, self.split, self.chunk_frames = Path(root), split, chunk_frames
        self.seed, self.cmn, self.cache = seed, cmn, cache
        items = read_split(root, split)
        check_audio([p for _, p in items])
        self.speakers = sorted({spk for spk, _ in items})
        index = {spk: i for i, spk in enumerate(self.speakers)}
        self.paths = [p for _, p in items]
        self.labels = [index[spk] for spk, _ in items]
        self._features: dict[int, torch.Tensor] = {}
        self._disk = self._cache_file() if cache and disk_cache else None
        if self._disk is not None and self._disk.is_file():
            self._load()

    def _cache_file(self) -> Path:
        from course.paths import cache_dir

        digest = hashlib.sha1(f"{FEATURE_VERSION}|{self.root.resolve()}|{self.split}|{self.cmn}".encode())
        for name in (SPLIT_FILE, "COMPLETE", "voxceleb.json"):
            if (self.root / name).is_file():
                digest.update((self.root / name).read_bytes())
        return cache_dir("features") / f"{digest.hexdigest()[:20]}.pt"

    def _load(self) -> None:
        try:
            stored = torch.load(self._disk, weights_only=True)
        except Exception:  # noqa: BLE001 - a damaged cache is only recomputed
            return
        if stored.get("paths") == self._relative_paths():
            self._features = dict(enumerate(stored["features"]))

    def _relative_paths(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in self.paths]

    def _save(self) -> None:
        with atomic_path(self._disk) as tmp:
            torch.save({"paths": self._relative_paths(),
                        "features": [self._features[i] for i in range(len(self.paths))]}, tmp)

    @property
    def num_speakers(self) -> int:
        return len(self.speakers)

    def __len__(self) -> int:
        return len(self.paths)

    def features(self, index: int) -> torch.Tensor:
        """Whole-utterance fbank ``(80, T)`` of item ``index`` (cached in memory)."""
        feats = self._features.get(index)
        if feats is None:
            wave, rate = read(self.paths[index], warn=False)
            try:
                feats = fbank(wave, rate, mean_norm=self.cmn)
            except ValueError as error:  # e.g. shorter than one 25 ms frame
                raise ValueError(f"{self.paths[index]}: {error}") from None
            if self.cache:
                self._features[index] = feats
                if self._disk is not None and len(self._features) == len(self.paths):
                    self._save()
        return feats

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        feats = self.features(index)
        if self.chunk_frames is not None:
            feats = fix_length(feats, self.chunk_frames, generator=self.generator(index))
        return feats, self.labels[index]


def collate(batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``[(feats (C, T_i), label), ...]`` → ``(feats (B, C, T_max) zero-padded, lengths (B,), labels (B,))``."""
    if not batch:
        raise ValueError("collate: empty batch")
    lengths = torch.tensor([f.shape[-1] for f, _ in batch], dtype=torch.long)
    feats = torch.zeros(len(batch), batch[0][0].shape[0], int(lengths.max()))
    for i, (f, _) in enumerate(batch):
        feats[i, :, : f.shape[-1]] = f
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return feats, lengths, labels
