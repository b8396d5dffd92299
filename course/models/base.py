"""The contract every speaker-embedding model keeps, and the model registry.

A model maps fbank frames ``x`` (B, F, T) and ``lengths`` (B,) to embeddings
(B, embed_dim) in two halves, as the poolings expect:

    frames, frame_lengths = model.frame_features(x, lengths)   what the pooling receives
    embedding = model.embed(model.pooling(frames, frame_lengths))

``frame_lengths`` follow every time stride of the model (ERes2Net halves T three
times), so the pooling masks exactly the frames that came from padding.
``forward`` is written once, here; a model only says how it makes frames and what
follows its pooling. ``course.models.build(name, **kw)`` makes one by name.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import check_lengths
from course.registry import Registry

MODELS = Registry("model")


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
    and ``embed`` (the layers after the pooling).
    """

    in_dim: int
    embed_dim: int
    pooling: nn.Module

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
