"""Build the pieces of a run from a ``TrainConfig``: data, model, head, optimiser.

Each is looked up by name so that the trainer grows by adding an entry here
(a new model, a new corpus kind), not by editing the loop.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course import heads
from course.train.config import TrainConfig


def build_model(config: TrainConfig, in_dim: int = 80) -> nn.Module:
    """The embedding model named by ``config.model`` (``course.models.build``) with ``config.pooling``.

    The model class declares ``takes_pooling``: a model whose pooling is its own (ACA-Net's attention)
    takes ``pooling=None``, and a pooling named for it is refused rather than silently ignored."""
    from course import models

    cls = models.model_class(config.model)
    kwargs = {"in_dim": in_dim, **config.model_kwargs}
    if cls.takes_pooling:
        if config.pooling is None:
            raise ValueError(f"pooling: model {config.model!r} needs a pooling; name one of "
                             "course.pooling.available()")
        kwargs.update(pooling=config.pooling, pooling_kwargs=dict(config.pooling_kwargs))
    elif config.pooling is not None or config.pooling_kwargs:
        raise ValueError(f"pooling: model {config.model!r} takes no pooling (its pooling is its own), got "
                         f"pooling={config.pooling!r}" + (f", pooling_kwargs={config.pooling_kwargs!r}"
                                                          if config.pooling_kwargs else "")
                         + "; set pooling=None")
    return cls(**kwargs)


def embed_dim_of(model: nn.Module) -> int:
    """The embedding size: ``model.embed_dim`` where the model declares it."""
    if not hasattr(model, "embed_dim"):
        raise ValueError(f"model {type(model).__name__} has no embed_dim attribute")
    return int(model.embed_dim)


def build_head(config: TrainConfig, embed_dim: int, num_classes: int) -> nn.Module:
    return heads.build(config.head, embed_dim, num_classes, **config.head_kwargs)


def build_dataset(config: TrainConfig) -> Dataset:
    """The training crops of the configured corpus (the default SynthVox corpus when None).

    data="features": ``SpeakerChunks``; the last one is kept (with its in-memory fbank
    features), so that several runs on the same corpus in one process, such as the
    poolings of a notebook, extract features once. data="waves": ``WaveCrops``, read,
    augmented and turned into features on the fly.
    """
    if config.data == "waves":
        from course.data.wave_crops import WaveCrops

        return WaveCrops(corpus_root(config), config.split, config.chunk_frames, config.seed, config.augment)
    return _speaker_chunks(corpus_root(config), config.split, config.chunk_frames, config.seed)


@functools.lru_cache(maxsize=1)
def _speaker_chunks(root: str, split: str, chunk_frames: int, seed: int) -> Dataset:
    from course.data.dataset import SpeakerChunks

    return SpeakerChunks(root, split=split, chunk_frames=chunk_frames, seed=seed)


def distill_dataset(config: TrainConfig, dataset: Dataset) -> Dataset:
    """``dataset`` with the teacher's whole-utterance embeddings attached (``course.train.distill``),
    computed once for the configured corpus and cached."""
    from course.train.distill import WithTargets, teacher_embeddings

    root = corpus_root(config)
    teacher = teacher_embeddings(root, config.split, config.distill.get("teacher", "speechbrain_ecapa"),
                                 config.distill.get("per_speaker"))
    return WithTargets(dataset, root, teacher["embeddings"], center=bool(config.distill.get("center", False)))


def corpus_root(config: TrainConfig) -> str:
    if config.corpus is not None:
        return config.corpus
    from course.data import default_corpus

    return str(default_corpus())


def epoch_batches(size: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The index batches of one epoch: a permutation drawn from (seed, epoch) alone, so a
    resumed run sees exactly the batches an uninterrupted one would. The tail is dropped."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(size, generator=generator).tolist()
    return [order[i:i + batch_size] for i in range(0, size - batch_size + 1, batch_size)]


def batch_stream(dataset: Dataset, config: TrainConfig, collate_fn=None, start_step: int = 0,
                 rank: int = 0, world: int = 1, pin_memory: bool = False):
    """Endless collated batches from step ``start_step`` on; ``collate_fn`` defaults to the corpus collate.

    Under torchrun (``world`` processes), every process draws the same global batches of
    ``world · batch_size`` items and takes slice ``rank``: together they see exactly what
    one process with a ``world`` times larger batch sees (the distributed sampler).
    A dataset with ``set_epoch(epoch)`` is told each new epoch (to vary its random crops).
    """
    if collate_fn is None:
        from course.data.dataset import collate as collate_fn
    step_items = config.batch_size * world
    if len(dataset) < step_items:
        raise ValueError(f"batch_size {config.batch_size} × {world} process(es) exceeds the {len(dataset)} "
                         "training utterances")
    per_epoch = len(dataset) // step_items
    epoch, offset = divmod(start_step, per_epoch)
    while True:
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        batches = [b[rank * config.batch_size:(rank + 1) * config.batch_size]
                   for b in epoch_batches(len(dataset), step_items, config.seed, epoch)[offset:]]
        yield from DataLoader(dataset, batch_sampler=batches, collate_fn=collate_fn, num_workers=config.num_workers,
                              pin_memory=pin_memory)
        epoch, offset = epoch + 1, 0


def build_optimiser(parameters, config: TrainConfig):
    """The optimiser (Adam, AdamW or SGD with Nesterov momentum) and its learning-rate schedule:
    linear warm-up over ``warmup_steps``, then cosine or exponential decay to ``final_lr``·lr."""
    parameters = list(parameters)
    if config.optimizer == "sgd":
        optimiser = torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, nesterov=True,
                                    weight_decay=config.weight_decay)
    else:
        cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
        optimiser = cls(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return optimiser, torch.optim.lr_scheduler.LambdaLR(optimiser, functools.partial(lr_factor, config=config))


def lr_factor(step: int, config: TrainConfig) -> float:
    """The learning rate at ``step`` as a fraction of ``config.lr``."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    span = max(1, config.steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    if config.schedule == "exponential":
        return config.final_lr ** progress
    return config.final_lr + (1 - config.final_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def build_margin_scheduler(config: TrainConfig, head: nn.Module):
    if config.margin_schedule is None:
        return None
    return heads.MarginScheduler(head, **config.margin_schedule)
