"""Lengths and masks: which frames of a padded batch are real.

Frame-level tensors are ``(B, C, T)``; ``lengths`` is a LongTensor ``(B,)`` of
valid frames per utterance, or None when every frame is valid. A mask is
``(B, 1, T)``, True (or 1.0) on valid frames, None when there is no padding.
Every function accepts a boolean mask or a 0/1 float one, so poolings (boolean)
and models (float, multiplied in) share them.
"""

from __future__ import annotations

import torch


def check_lengths(lengths: torch.Tensor | None, batch: int, frames: int) -> torch.Tensor | None:
    """Validate ``lengths`` (B,) against a batch of ``frames`` frames; None passes through."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(f"lengths: expected shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool:  # a bool mask is not a length
        raise ValueError(f"lengths: expected integer frame counts (LongTensor), got {lengths.dtype}")
    if len(lengths) and (int(lengths.min()) < 1 or int(lengths.max()) > frames):
        raise ValueError(f"lengths: every length must be in [1, {frames}], got "
                         f"min {int(lengths.min())}, max {int(lengths.max())}")
    return lengths


def frame_mask(lengths: torch.Tensor | None, frames: int, device=None) -> torch.Tensor | None:
    """Boolean ``(B, 1, T)`` mask, True on valid frames; None when ``lengths`` is None."""
    if lengths is None:
        return None
    steps = torch.arange(frames, device=device if device is not None else lengths.device)
    return (steps[None, :] < lengths.to(steps.device)[:, None]).unsqueeze(1)


def zero_padding(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Padded frames set to exactly 0 (a copy; inf or NaN there too); ``x`` itself without a mask."""
    return x if mask is None else x.masked_fill(~mask.bool(), 0.0)


def time_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the valid frames: ``(B, C, T)`` → ``(B, C)``."""
    if mask is None:
        return x.mean(dim=-1)
    return zero_padding(x, mask).sum(dim=-1) / mask.sum(dim=-1).to(x.dtype)
