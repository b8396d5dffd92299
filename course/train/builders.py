"""Build the pieces of a run from a ``TrainConfig``: data, model, head, optimiser.

Each is looked up by name so that the trainer grows by adding an entry here
(a new model, a new corpus kind), not by editing the loop.
"""

from __future__ import annotations

import functools
import inspect
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course import heads
from course.train.config import TrainConfig


def build_model(config: TrainConfig, in_dim: int = 80) -> nn.Module:
    """The embedding model named by ``config.model`` (``course.models.build``) with ``config.pooling``
    (for models that take a pooling: ACA-Net's attention is its own)."""
    from course import models

    cls = models.model_class(config.model)
    kwargs = {"in_dim": in_dim, **config.model_kwargs}
    if "pooling" in inspect.signature(cls).parameters:
        kwargs.update(pooling=config.pooling, pooling_kwargs=dict(config.pooling_kwargs))
    return cls(**kwargs)


def embed_dim_of(model: nn.Module) -> int:
    """The embedding size: ``model.embed_dim`` where the model declares it."""
    if not hasattr(model, "embed_dim"):
        raise ValueError(f"model {type(model).__name__} has no embed_dim attribute")
    return int(model.embed_dim)


def build_head(config: TrainConfig, embed_dim: int, num_classes: int) -> nn.Module:
    return heads.build(config.head, embed_dim, num_classes, **config.head_kwargs)


def build_dataset(config: TrainConfig) -> Dataset:
    """SpeakerChunks of the configured corpus (the default SynthVox corpus when None).

    The last dataset is kept (with its in-memory fbank features), so that several runs on
    the same corpus in one process, such as the poolings of a notebook, extract features once.
    """
    return _speaker_chunks(corpus_root(config), config.split, config.chunk_frames, config.seed)


@functools.lru_cache(maxsize=1)
def _speaker_chunks(root: str, split: str, chunk_frames: int, seed: int) -> Dataset:
    from course.data.dataset import SpeakerChunks

    return SpeakerChunks(root, split=split, chunk_frames=chunk_frames, seed=seed)


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


def batch_stream(dataset: Dataset, config: TrainConfig, collate_fn=None, start_step: int = 0):
    """Endless collated batches from step ``start_step`` on; ``collate_fn`` defaults to the corpus collate.

    A dataset with ``set_epoch(epoch)`` is told each new epoch (to vary its random crops).
    """
    if collate_fn is None:
        from course.data.dataset import collate as collate_fn
    if len(dataset) < config.batch_size:
        raise ValueError(f"batch_size {config.batch_size} exceeds the {len(dataset)} training utterances")
    per_epoch = len(dataset) // config.batch_size
    epoch, offset = divmod(start_step, per_epoch)
    while True:
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        batches = epoch_batches(len(dataset), config.batch_size, config.seed, epoch)[offset:]
        yield from DataLoader(dataset, batch_sampler=batches, collate_fn=collate_fn, num_workers=config.num_workers)
        epoch, offset = epoch + 1, 0


def build_optimiser(parameters, config: TrainConfig):
    """Adam, linear warm-up over ``warmup_steps`` then cosine decay to lr/20 at ``steps``."""
    optimiser = torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)

    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        span = max(1, config.steps - config.warmup_steps)
        progress = min(1.0, (step - config.warmup_steps) / span)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

    return optimiser, torch.optim.lr_scheduler.LambdaLR(optimiser, factor)


def build_margin_scheduler(config: TrainConfig, head: nn.Module):
    if config.margin_schedule is None:
        return None
    return heads.MarginScheduler(head, **config.margin_schedule)
