"""Distillation from a real model: pull the small model's embedding toward a pretrained teacher's.

``TrainConfig.distill = {"weight": w, "teacher": "speechbrain_ecapa", "per_speaker": k, "center": c}``
adds to the classification loss ``w · mean(1 − cos(P e_student, e_teacher))`` over the items of a batch
that have a teacher embedding, where ``P`` is a learned linear map (no bias) from the student's embedding
size to the teacher's (192 for SpeechBrain's VoxCeleb ECAPA), trained with the model.

``center`` (default False, the first recipe) subtracts the mean of the teacher's embeddings of the
training utterances from every target first. Why: the teacher's raw embeddings share one large
direction (``benchmarks/teacher_targets.py``, on the default SynthVox training utterances: the mean of
the unit-length targets has norm 0.69, and two different speakers' targets have cosine 0.48 on average,
-0.01 once centred), so without centring a student that outputs that common direction for every
utterance brings the loss from 1 to 0.31 while knowing nothing about voices. Centred targets leave
only what tells the teacher's voices apart. The mean comes from the training utterances' embeddings,
which the training already has; nothing scored is used.

The choice of target (stated, because training crops are random): the teacher embeds each training
utterance **whole and clean, once**; every random 2 s crop of it, augmented or not, is pulled toward
that one embedding. So the teacher runs once per utterance (cached on disk, see ``teacher_embeddings``),
and the student is asked to map a noisy short crop to what a VoxCeleb model hears in the clean whole
utterance. Speed-perturbed copies (``WaveCrops`` with speeds) are other "speakers" whose audio the
teacher never heard: they get no target (masked out), only the classification loss. ``per_speaker``
(default: all) embeds only the first k utterances (sorted) of every training speaker, to bound the
teacher's CPU cost (about 0.35 CPU-s an utterance for the 20.8M-parameter teacher on this machine).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset

from course.paths import atomic_path, cache_dir

TEACHERS = ("speechbrain_ecapa", "stand_in")
KEYS = {"weight", "teacher", "per_speaker", "center"}


def check_distill(values: dict | None) -> None:
    """Fail early (when the config is made) on unknown keys, a bad weight or an unknown teacher."""
    if values is None:
        return
    unknown = set(values) - KEYS
    if unknown:
        raise ValueError(f"distill: unknown key(s) {sorted(unknown)}; known: {sorted(KEYS)}")
    if float(values.get("weight", 1.0)) < 0:
        raise ValueError(f"distill.weight: expected ≥ 0, got {values['weight']}")
    if values.get("teacher", TEACHERS[0]) not in TEACHERS:
        raise ValueError(f"distill.teacher: expected one of {TEACHERS}, got {values['teacher']!r}")
    per = values.get("per_speaker")
    if per is not None and int(per) < 1:
        raise ValueError(f"distill.per_speaker: expected None or ≥ 1, got {per}")


def load_teacher(name: str):
    """(model in eval mode, its feature function) of a teacher name."""
    from course import pretrained

    if name == "speechbrain_ecapa":
        return pretrained.speechbrain_ecapa(progress=False)
    if name == "stand_in":
        from course.features import speechbrain_fbank

        return pretrained.stand_in_model(), speechbrain_fbank
    raise ValueError(f"distill.teacher: expected one of {TEACHERS}, got {name!r}")


def teacher_files(root: str | Path, split: str = "train", per_speaker: int | None = None) -> list[Path]:
    """The utterances the teacher embeds: every one of ``split``, or the first ``per_speaker`` of each speaker."""
    from course.data.corpus import read_split

    by_speaker: dict[str, list[Path]] = {}
    for speaker, path in read_split(root, split):
        by_speaker.setdefault(speaker, []).append(Path(path))
    return [p for spk in sorted(by_speaker) for p in sorted(by_speaker[spk])[:per_speaker]]


def cache_file(teacher: str, root: str | Path, split: str, per_speaker: int | None) -> Path:
    """Keyed by the teacher, the corpus (its path and manifests) and the selection."""
    from course.data.corpus import SPLIT_FILE

    root = Path(root)
    digest = hashlib.sha1(f"{teacher}|{root.resolve()}|{split}|{per_speaker}".encode())
    for name in (SPLIT_FILE, "COMPLETE"):
        if (root / name).is_file():
            digest.update((root / name).read_bytes())
    return cache_dir("teacher") / f"{teacher}-{digest.hexdigest()[:16]}.pt"


def teacher_embeddings(root: str | Path, split: str = "train", teacher: str = "speechbrain_ecapa",
                       per_speaker: int | None = None, progress: bool = False) -> dict:
    """{"embeddings": {relative path: (D,) float32}, "cpu_seconds", "seconds", "files"}: the teacher's
    whole-utterance embeddings of ``split`` under ``root``, computed once (one CPU thread) and cached;
    a second call loads them (``from_cache`` True)."""
    from course.env import torch_threads
    from course.evaluate import embed_files
    from course.train.loop import cpu_time

    root = Path(root)
    path = cache_file(teacher, root, split, per_speaker)
    if path.is_file():
        try:
            return {**torch.load(path, weights_only=False), "from_cache": True}
        except Exception:  # noqa: BLE001 - a torn cache is recomputed
            pass
    files = teacher_files(root, split, per_speaker)
    start, cpu_start = time.perf_counter(), cpu_time()
    with torch_threads(1), torch.random.fork_rng(devices=[]):  # the run's random draws never depend on the cache
        model, features = load_teacher(teacher)
        embedded = embed_files(model, files, progress=progress, features=features)
    payload = {"embeddings": {p.relative_to(root).as_posix(): e for p, e in embedded.items()},
               "cpu_seconds": cpu_time() - cpu_start, "seconds": time.perf_counter() - start, "files": len(files),
               "teacher": teacher}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return {**payload, "from_cache": False}


class WithTargets(Dataset):
    """A training dataset (``SpeakerChunks`` or ``WaveCrops``) whose items also carry the teacher's
    embedding of their utterance: ``(feats, label, target (D,), has_target)``; items without one (speed
    copies, utterances left out by ``per_speaker``) carry zeros and ``has_target`` False."""

    def __init__(self, dataset, root: str | Path, embeddings: dict, center: bool = False):
        self.dataset, self.root = dataset, Path(root)
        self.targets = [embeddings.get(self._relative(p)) for p in dataset.paths]
        if all(t is None for t in self.targets):
            raise ValueError(f"distill: the teacher embeddings match none of the {len(dataset.paths)} "
                             f"training files under {root}")
        if center:  # the mean of the targets the training has: see the module's note on ``center``
            mean = torch.stack([t for t in self.targets if t is not None]).float().mean(0)
            self.targets = [None if t is None else t.float() - mean for t in self.targets]
        self.dim = next(t for t in self.targets if t is not None).shape[-1]

    def _relative(self, path) -> str:
        path = Path(path)
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.resolve().relative_to(self.root.resolve()).as_posix()

    @property
    def num_speakers(self) -> int:
        return self.dataset.num_speakers

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def __getitem__(self, index: int):
        feats, label = self.dataset[index]
        copy, utterance = divmod(index, len(self.dataset.paths))
        target = self.targets[utterance] if copy == 0 else None
        if target is None:
            return feats, label, torch.zeros(self.dim), False
        return feats, label, target, True


def collate_with_targets(batch):
    """``collate`` of the (feats, label) parts, plus ``targets (B, D)`` and ``has_target (B,)``."""
    from course.data.dataset import collate

    feats, lengths, labels = collate([(f, label) for f, label, _, _ in batch])
    targets = torch.stack([t for _, _, t, _ in batch])
    has = torch.tensor([bool(h) for _, _, _, h in batch])
    return feats, lengths, labels, targets, has


def distill_loss(projected: torch.Tensor, targets: torch.Tensor, has_target: torch.Tensor) -> torch.Tensor:
    """Mean ``1 − cos(projected, target)`` over the items with a target (0 when there are none)."""
    if not bool(has_target.any()):
        return projected.sum() * 0.0
    cos = nn.functional.cosine_similarity(projected[has_target].float(), targets[has_target].float(), dim=-1)
    return (1 - cos).mean()


def projection(student_dim: int, teacher_dim: int) -> nn.Module:
    """The learned map from the student's embedding to the teacher's space (a plain Linear, no bias)."""
    return nn.Linear(student_dim, teacher_dim, bias=False)
