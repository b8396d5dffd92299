"""What a training run is: one dataclass, serialisable, hashable into a cache key."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields

from course.env import pick

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "exponential", "constant")
DATA = ("features", "waves")
AMP = (False, True, "fp16", "bf16")


WHOLE = ("steps", "batch_size", "chunk_frames", "warmup_steps", "seed", "num_workers", "checkpoint_every",
         "val_every", "threads")
REAL = ("momentum", "lr", "weight_decay", "final_lr", "grad_clip")
AT_LEAST = {"warmup_steps": 0, "num_workers": 0, "checkpoint_every": 0, "val_every": 0, "momentum": 0,
            "weight_decay": 0}
OPTIONAL = ("threads", "grad_clip")


def check_numbers(config) -> None:
    """Every numeric field a finite number of the right kind, in range: ``steps=2.5`` or ``lr=nan``
    must fail here with the field's name, not as a TypeError, a silent rounding or a NaN loss mid-run.
    A string that reads as a number is converted (YAML 1.1 reads ``1e-3`` as a string)."""
    for name in WHOLE + REAL:
        value = getattr(config, name)
        if value is None and name in OPTIONAL:
            continue
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        kind = "a whole number" if name in WHOLE else "a finite number"
        if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
                or (name in WHOLE and not float(value).is_integer())):
            raise ValueError(f"{name}: expected {kind}, got {getattr(config, name)!r}")
        if name in WHOLE and isinstance(value, float):
            value = int(value)
        if name in AT_LEAST and value < AT_LEAST[name]:
            raise ValueError(f"{name}: expected at least {AT_LEAST[name]}, got {value}")
        setattr(config, name, value)
    for name in ("model", "pooling", "head", "split"):
        if name == "pooling" and config.pooling is None:  # a model whose pooling is its own (ACA-Net)
            continue
        if not isinstance(getattr(config, name), str):
            raise ValueError(f"{name}: expected a name, got {getattr(config, name)!r}")


@dataclass
class TrainConfig:
    """Everything that decides a trained model (with the code and the corpus).

    model/model_kwargs: a name of ``course.models.available()`` and its keyword
        arguments (``in_dim`` and ``pooling`` are filled in).
    pooling/pooling_kwargs: any registered pooling; None for a model that takes none
        (``takes_pooling = False``: ACA-Net's attention is its own pooling).
    head/head_kwargs: a name of ``course.heads.build``; margin_schedule: keyword
        arguments of ``course.heads.MarginScheduler`` (initial, final, start, stop,
        kind) or None for a fixed margin.
    steps, batch_size, chunk_frames: optimiser steps, utterances a batch (per process
        under torchrun), frames a crop (200 = 2 s).
    optimizer: "adam", "adamw" or "sgd" (with ``momentum``, Nesterov).
    lr, weight_decay, warmup_steps, schedule, final_lr: linear warm-up over
        ``warmup_steps``, then "cosine" or "exponential" decay to ``final_lr``·lr at
        ``steps`` (or "constant").
    grad_clip: maximal gradient norm (None: no clipping).
    data: "features" (fbank of each utterance computed once, kept in memory, cropped:
        ``SpeakerChunks``) or "waves" (a waveform crop read, augmented and turned into
        fbank on the fly in DataLoader workers: ``WaveCrops``).
    augment: None, or the keyword arguments of ``course.data.augment.AugmentConfig``
        (noise, reverberation, gain, speed perturbation); needs data="waves".
    corpus: root of a VoxCeleb-layout corpus; None → ``course.data.default_corpus()``.
    device: "cpu", "cuda", ...; None → ``course.env.device()``.
    amp: mixed precision on CUDA only: False, "bf16", or "fp16" (with a gradient
        scaler); True means "fp16". Ignored on the CPU.
    compile: ``torch.compile`` the model (CUDA runs; slow to start).
    sync_batchnorm: under torchrun, convert BatchNorm layers to SyncBatchNorm.
    threads: torch CPU threads during the run (None: leave torch's setting); restored after.
    num_workers: DataLoader worker processes (0: load in the training process).
    checkpoint_every: steps between checkpoints when ``fit`` is given a checkpoint path.
    val_every: steps between validation EERs on the corpus's trial list (0: only at the end
        when ``fit(validate=True)``).
    distill: None, or {"weight", "teacher", "per_speaker", "center"}: add a cosine loss pulling the
        embedding (through a learned projection) toward a pretrained teacher's embedding of the
        whole training utterance (``course.train.distill``).
    """

    model: str = "ecapa"
    model_kwargs: dict = field(default_factory=dict)
    pooling: str | None = "ASTP"
    pooling_kwargs: dict = field(default_factory=dict)
    head: str = "arc_margin"
    head_kwargs: dict = field(default_factory=dict)
    margin_schedule: dict | None = None
    steps: int = 1000
    batch_size: int = 32
    chunk_frames: int = 200
    optimizer: str = "adam"
    momentum: float = 0.9
    lr: float = 1e-3
    weight_decay: float = 1e-5
    warmup_steps: int = 0
    schedule: str = "cosine"
    final_lr: float = 0.05
    grad_clip: float | None = 5.0
    seed: int = 0
    data: str = "features"
    augment: dict | None = None
    corpus: str | None = None
    split: str = "train"
    device: str | None = None
    amp: bool | str = False
    compile: bool = False
    sync_batchnorm: bool = False
    threads: int | None = None
    num_workers: int = 0
    checkpoint_every: int = 100
    val_every: int = 0
    distill: dict | None = None

    def __post_init__(self):
        check_numbers(self)
        if self.steps < 1 or self.batch_size < 1 or self.chunk_frames < 1:
            raise ValueError(f"steps, batch_size and chunk_frames must be ≥ 1, got "
                             f"{self.steps}, {self.batch_size}, {self.chunk_frames}")
        if self.lr <= 0:
            raise ValueError(f"lr: expected a positive learning rate, got {self.lr}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"grad_clip: expected a positive norm or null (no clipping), got {self.grad_clip}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads: expected None or ≥ 1, got {self.threads}")
        if self.corpus is not None:
            self.corpus = str(self.corpus)
        choices = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "data": DATA, "amp": AMP}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {allowed}, got {getattr(self, name)!r}")
        if not 0 < self.final_lr <= 1:
            raise ValueError(f"final_lr: expected a fraction of lr in (0, 1], got {self.final_lr}")
        if self.augment is not None:
            if self.data != "waves":
                raise ValueError('augment needs data="waves" (augmentation acts on the waveform)')
            from course.data.augment import AugmentConfig

            AugmentConfig.from_dict(self.augment)  # unknown keys and bad ranges fail here, not mid-run
        from course.train.distill import check_distill

        check_distill(self.distill)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"TrainConfig: unknown field(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**values)

    def replace(self, **changes) -> TrainConfig:
        """A copy with ``changes``; unknown names are a clear error."""
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal configs give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


def small_config(pooling: str | None = "ASTP", **overrides) -> TrainConfig:
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


def course_config(pooling: str = "ASTP", augment: bool = True, **overrides) -> TrainConfig:
    """The course model: the model every explorer inspects, trained once by notebook 10 (cached).

    ``small_config``'s small SpeechBrain-flavour ECAPA (C = 64, embedding 64), trained long
    enough to learn: 2 s crops read from the waveform, speed perturbation (0.9, 1.1: three
    times the speakers), noise (white, pink, babble; SNR 5-20 dB), reverberation (RT60
    0.2-0.6 s) and gain, features on the fly in one DataLoader worker while the model trains
    on one thread: two cores. ``augment=False`` trains on the clean crops (cached fbank).
    ``benchmarks/train_course_model.py`` measures its EER against time.
    """
    values = dict(
        batch_size=pick(32, 8),
        steps=pick(800, 12),
        chunk_frames=pick(200, 100),
        lr=pick(3e-3, 1e-3),
        warmup_steps=pick(50, 0),
        margin_schedule={"initial": 0.0, "final": 0.2, "start": 0, "stop": pick(400, 4), "kind": "linear"},
        data="waves" if augment else "features",
        augment={} if augment else None,
        num_workers=1 if augment else 0,
        val_every=pick(200, 12),
    )
    values.update(overrides)
    return small_config(pooling, **values)


def ecapa_voxceleb_config(corpus: str, steps: int = 100_000, **overrides) -> TrainConfig:
    """ECAPA-TDNN C=512 on a prepared VoxCeleb subset, on GPUs (``configs/ecapa_c512_voxceleb.yaml``
    holds the same values; a test keeps them equal). WeSpeaker's examples/voxceleb/v2 recipe: SGD
    0.1 → 5e-5 (exponential, after a warm-up), 200-frame crops, AAM s=32 with m ramped 0 → 0.2,
    speed perturbation, noise and reverberation; bf16 autocast. Not run in this project (no GPU)."""
    values = dict(
        model="ecapa", model_kwargs={"channels": 512, "embed_dim": 192, "flavour": "wespeaker"},
        pooling="ASTP", head="arc_margin", head_kwargs={"margin": 0.2, "scale": 32.0},
        margin_schedule={"initial": 0.0, "final": 0.2, "start": steps // 5, "stop": 2 * steps // 5, "kind": "exp"},
        steps=steps, batch_size=128, chunk_frames=200, optimizer="sgd", momentum=0.9, lr=0.1, final_lr=0.0005,
        schedule="exponential", warmup_steps=6 * steps // 100, weight_decay=1e-4, grad_clip=None, data="waves",
        augment={"noise_kinds": ("white", "pink", "babble"), "snr_db": (0.0, 15.0), "reverb_prob": 0.5,
                 "rt60_s": (0.2, 0.8)},
        corpus=corpus, device="cuda", amp="bf16", num_workers=8, val_every=5000, checkpoint_every=1000)
    values.update(overrides)
    return TrainConfig(**values)
