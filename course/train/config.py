"""What a training run is: one dataclass, serialisable, hashable into a cache key."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from course.env import pick


@dataclass
class TrainConfig:
    """Everything that decides a trained model (with the code and the corpus).

    model/model_kwargs: a name of ``course.train.builders.MODELS`` and its keyword
        arguments (``in_dim`` and ``pooling`` are filled in).
    pooling/pooling_kwargs: any registered pooling.
    head/head_kwargs: a name of ``course.heads.build``; margin_schedule: keyword
        arguments of ``course.heads.MarginScheduler`` (initial, final, start, stop,
        kind) or None for a fixed margin.
    steps, batch_size, chunk_frames: optimiser steps, utterances a batch, frames a crop.
    lr, weight_decay, warmup_steps: Adam with linear warm-up then cosine decay to lr/20.
    grad_clip: maximal gradient norm (None: no clipping).
    corpus: root of a VoxCeleb-layout corpus; None → ``course.data.default_corpus()``.
    device: "cpu", "cuda", ...; None → ``course.env.device()``.
    amp: mixed precision (float16 autocast + gradient scaling), on CUDA only.
    threads: torch CPU threads during the run (None: leave torch's setting); restored after.
    checkpoint_every: steps between checkpoints when ``fit`` is given a checkpoint path.
    """

    model: str = "ecapa"
    model_kwargs: dict = field(default_factory=dict)
    pooling: str = "ASTP"
    pooling_kwargs: dict = field(default_factory=dict)
    head: str = "arc_margin"
    head_kwargs: dict = field(default_factory=dict)
    margin_schedule: dict | None = None
    steps: int = 1000
    batch_size: int = 32
    chunk_frames: int = 200
    lr: float = 1e-3
    weight_decay: float = 1e-5
    warmup_steps: int = 0
    grad_clip: float | None = 5.0
    seed: int = 0
    corpus: str | None = None
    split: str = "train"
    device: str | None = None
    amp: bool = False
    threads: int | None = None
    num_workers: int = 0
    checkpoint_every: int = 100

    def __post_init__(self):
        if self.steps < 1 or self.batch_size < 1 or self.chunk_frames < 1:
            raise ValueError(f"steps, batch_size and chunk_frames must be ≥ 1, got "
                             f"{self.steps}, {self.batch_size}, {self.chunk_frames}")
        if self.lr <= 0:
            raise ValueError(f"lr: expected a positive learning rate, got {self.lr}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads: expected None or ≥ 1, got {self.threads}")
        if self.corpus is not None:
            self.corpus = str(self.corpus)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"TrainConfig: unknown field(s) {sorted(unknown)}")
        return cls(**values)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal configs give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


def small_config(pooling: str = "ASTP", **overrides) -> TrainConfig:
    """A CPU-friendly run: a small SpeechBrain-flavour ECAPA (C = 64, embedding 64, Res2
    scale 4) on 200-frame SynthVox crops, AAM-softmax with the margin ramped in.

    About 10 s in smoke mode and 1-3 min by default on 2 cores. The SpeechBrain flavour
    (BatchNorm after the MFA and inside ASTP's attention) is chosen because, in 200
    steps, its attention moves visibly away from uniform (mean entropy ≈ log T − 0.2
    nats, measured by ``benchmarks/small_config.py``) where the WeSpeaker flavour's
    stays within 0.01 nats of uniform.

    It runs on one CPU thread: its matrices are small, and on a shared 2-core machine
    two threads measured 4-20x slower per step than one (0.8-4.5 s against 0.22 s).
    """
    values = dict(
        model="ecapa",
        model_kwargs={"channels": pick(64, 32), "embed_dim": pick(64, 32), "scale": 4, "se_bottleneck": 32,
                      "flavour": "speechbrain"},
        pooling=pooling,
        head="arc_margin",
        head_kwargs={"margin": 0.2, "scale": 32.0},
        margin_schedule={"initial": 0.0, "final": 0.2, "start": 0, "stop": pick(150, 2), "kind": "linear"},
        steps=pick(200, 6),
        batch_size=pick(16, 8),
        chunk_frames=pick(200, 100),
        lr=pick(3e-3, 1e-3),
        warmup_steps=pick(20, 0),
        threads=1,
    )
    values.update(overrides)
    return TrainConfig(**values)
