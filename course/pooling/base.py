"""The Pooling contract: what every registered pooling declares and does.

Shapes follow the course convention: frames ``x`` are ``(B, C, T)`` or
``(B, C, F, T)`` (flattened to ``C·F`` channels), ``lengths`` is a LongTensor
``(B,)`` of valid frames per utterance, or None when every frame is valid.
Masks and lengths come from ``course.masks``; softmax, statistics and the
autocast policy from ``course.pooling.numerics``.

A new pooling subclasses ``Pooling``, registers itself with
``@register("NAME")`` (``course.pooling.registry``) and declares the class
attributes and methods below; the contract tests (tests/test_pooling_contract.py)
then check it like every other pooling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import nn

from course.masks import check_lengths, frame_mask, zero_padding

WEIGHTS_OVER = ("frames", "clusters", "segments", "none")
EXAMPLE_IN_DIM = 12  # the channel count the configurations of ``examples()`` are written for


def flatten_frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, T)`` as is; ``(B, C, F, T)`` → ``(B, C·F, T)``."""
    if x.dim() == 4:
        return x.flatten(1, 2)
    if x.dim() != 3:
        raise ValueError(f"x: expected (B, C, T) or (B, C, F, T) frames, got shape {tuple(x.shape)}")
    return x


class Pooling(nn.Module):
    """Base class: handles 4-D input, validates ``lengths``, builds the mask; states the contract.

    Subclasses set ``self.in_dim`` and ``self.out_dim`` in ``__init__`` and implement
    ``pool(x, mask) -> (embedding, weights_or_None)`` on ``(B, C, T)`` frames,
    where ``mask`` is a boolean ``(B, 1, T)`` tensor or None. They declare:

    - ``weights_over``: what the weights returned with ``return_weights=True`` are a
      distribution over: ``"frames"`` (attention, each row sums to one over the valid
      frames), ``"clusters"`` (soft assignments, each frame's column sums to one),
      ``"segments"`` (one weight per STFT segment) or ``"none"`` (no weights).
    - ``reference``: the equation-literal twin in ``course.pooling.reference``
      (a ``staticmethod``); ``pool.reference(h, **pool.equation_parameters())``
      equals ``pool(h[None])[0]`` for one utterance ``h`` (C, T).
    - ``equation_parameters()``: the symbols of the equation, by the reference's
      argument names.
    - ``describe_weight_row(row)``: what row ``row`` of the weights is (a head, a
      query, a channel), for the explorers.
    - ``examples()``: constructor keywords for ``in_dim = EXAMPLE_IN_DIM`` that the
      contract tests build and check; small enough for gradcheck.
    - ``order_invariant``: whether permuting the valid frames leaves the embedding
      unchanged (an instance attribute where it depends on the configuration).

    ``registered_name`` is set by ``@register``.
    """

    registered_name: ClassVar[str]
    weights_over: ClassVar[str | None] = None
    reference: ClassVar[Callable[..., torch.Tensor] | None] = None
    order_invariant: bool = True
    in_dim: int
    out_dim: int

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                return_weights: bool = False):
        embedding, weights = self.pool(*self.frames_and_mask(x, lengths))
        return (embedding, weights) if return_weights else embedding

    def frames_and_mask(self, x: torch.Tensor, lengths: torch.Tensor | None):
        """Validated ``(B, C, T)`` frames and their boolean ``(B, 1, T)`` mask (None without lengths)."""
        x = flatten_frames(x)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"x: {type(self).__name__} was built for {self.in_dim} channels "
                             f"(C·F for 4-D input), got {x.shape[1]}")
        if x.shape[-1] == 0:
            raise ValueError(f"x: no frames (T = 0) in a batch of shape {tuple(x.shape)}")
        lengths = check_lengths(lengths, x.shape[0], x.shape[-1])
        mask = frame_mask(lengths, x.shape[-1], x.device)
        # Padded frames set to 0: a NaN or inf there would survive ``weights * x`` (0 · NaN = NaN)
        # although its weight is 0. Zero padding (what the models feed in) is left bit-identical.
        return zero_padding(x, mask), mask

    def pool(self, x: torch.Tensor, mask: torch.Tensor | None):  # pragma: no cover - abstract
        raise NotImplementedError

    def equation_parameters(self) -> dict:
        """The keyword arguments of ``reference`` (none for a pooling without parameters)."""
        return {}

    def describe_weight_row(self, row: int) -> str:
        """What row ``row`` of the weights (flattened to rows × time) stands for."""
        return f"row {row}"

    def spectra(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        """The spectra a spectral pooling averages (only ``weights_over == "segments"``)."""
        raise NotImplementedError(f"{type(self).__name__} is not a spectral pooling: it has no spectra")

    @classmethod
    def examples(cls) -> list[dict]:
        """Constructor keywords (for ``in_dim = EXAMPLE_IN_DIM``) that the contract tests check."""
        return [{}]

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}"
