"""The contract every speaker-embedding model keeps, and the model registry.

A model maps fbank frames ``x`` (B, F, T) and ``lengths`` (B,) to embeddings
(B, embed_dim) in two halves, as the poolings expect:

    frames, frame_lengths = model.frame_features(x, lengths)   what the pooling receives
    embedding = model.embed(model.pooling(frames, frame_lengths))

``frame_lengths`` follow every time stride of the model (ERes2Net halves T three
times), so the pooling masks exactly the frames that came from padding.
``forward`` is written once, here; a model only says how it makes frames and what
follows its pooling. ``course.models.build(name, **kw)`` makes one by name.

Each registered class declares ``takes_pooling``: whether its constructor takes ``pooling`` and
``pooling_kwargs`` (a registered pooling name), or its pooling is its own (ACA-Net's attention).
Training reads the declaration instead of inspecting the constructor.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from course.masks import check_lengths
from course.registry import Registry

EXAMPLE_IN_DIM = 24  # the feature bins the configurations of ``examples()`` are written for


def _check(name: str, cls) -> None:
    """The declarations a model class must make (see ``EmbeddingModel``)."""
    if not (isinstance(cls, type) and issubclass(cls, EmbeddingModel)):
        raise TypeError(f"model {name!r}: {getattr(cls, '__name__', cls)} must subclass "
                        "course.models.base.EmbeddingModel")
    if not isinstance(cls.__dict__.get("takes_pooling"), bool):
        raise TypeError(f"model {name!r}: declare takes_pooling = True (the constructor takes pooling and "
                        f"pooling_kwargs) or False (its pooling is its own) on {cls.__name__}")


MODELS = Registry("model", _check)


def register(name: str, *aliases: str, replace: bool = False):
    """Class decorator: ``build(name, **kw)`` (or any alias) constructs this class."""
    return MODELS.register(name, *aliases, replace=replace)


def available() -> list[str]:
    """Every registered model name (aliases left out), sorted."""
    return sorted(MODELS.names())


def model_class(name: str) -> type[nn.Module]:
    """The class registered as ``name`` (or an alias of it), case-insensitive."""
    return MODELS.get(name)


def build(name: str, **kwargs) -> nn.Module:
    """Construct the model called ``name`` with its keyword arguments."""
    return model_class(name)(**kwargs)


class EmbeddingModel(nn.Module):
    """Base of every model: one input check, one ``forward``.

    Subclasses set ``in_dim`` (feature bins), ``embed_dim`` and ``pooling`` in
    ``__init__`` and implement ``frame_features`` (after calling ``check_input``)
    and ``embed`` (the layers after the pooling). They declare:

    - ``takes_pooling``: True when the constructor takes ``pooling`` and ``pooling_kwargs``
      (any registered pooling), False when the pooling is part of the model;
      ``@register`` refuses a class that does not say.
    - ``examples()``: a few small constructor configurations for ``in_dim = EXAMPLE_IN_DIM``,
      which tests/test_models_registry.py builds and checks.
    """

    registered_name: ClassVar[str]
    takes_pooling: ClassVar[bool]
    in_dim: int
    embed_dim: int
    pooling: nn.Module

    @classmethod
    def examples(cls) -> list[dict]:
        """Small constructor keywords (for ``in_dim = EXAMPLE_IN_DIM``) the contract tests check."""
        return []

    def check_input(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor | None:
        """Validate frames ``x`` (B, in_dim, T) and ``lengths``; the lengths as a tensor (or None)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a tensor of frames (B, {self.in_dim}, T), got {type(x).__name__}")
        if x.dim() != 3 or x.shape[1] != self.in_dim:
            time_first = x.dim() == 3 and x.shape[2] == self.in_dim
            raise ValueError(f"x: expected frames (B, {self.in_dim}, T) for {type(self).__name__}, got shape "
                             f"{tuple(x.shape)}" + (" (time first? transpose to (B, F, T))" if time_first else ""))
        if x.shape[0] == 0 or x.shape[-1] == 0:  # else a ZeroDivisionError, a conv or an FFT error deep inside
            raise ValueError(f"x: an empty batch of frames, shape {tuple(x.shape)} (B and T must be ≥ 1)")
        return check_lengths(lengths, x.shape[0], x.shape[-1])

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:  # pragma: no cover - abstract
        """The frames the pooling receives, padded frames zeroed, and their lengths (None if none given)."""
        raise NotImplementedError

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """The layers after the pooling: pooled statistics → the embedding."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        frames, frame_lengths = self.frame_features(x, lengths)
        return self.embed(self.pooling(frames, frame_lengths))
