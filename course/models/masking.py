"""Masks for frame-level models: padded frames must never leak into valid ones.

A padded batch gives each utterance the same embedding as the utterance alone
only if nothing computed from padded frames reaches a valid frame. Two kinds of
layer mix time: a convolution with kernel > 1 (it reads neighbours) and a mean
over time (SE, pooling). Before a convolution the padded frames are set to the
value the utterance alone would see there (zero, or the reflection of its last
valid frames); means are taken over valid frames only. In evaluation mode
BatchNorm and ReLU act frame by frame, so padded frames may hold anything between
two such layers. In training mode BatchNorm's batch statistics include the padded
frames, so the batch-invariance property is a property of ``.eval()``.
"""

from __future__ import annotations

import torch

from course.masks import check_lengths, frame_mask


def lengths_mask(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor | None:
    """Validate ``lengths`` against ``x`` (B, C, T); a float ``(B, 1, T)`` mask, or None."""
    lengths = check_lengths(lengths, x.shape[0], x.shape[-1])
    if lengths is None:
        return None
    return frame_mask(lengths, x.shape[-1], x.device).to(x.dtype)


def reflect_pad(x: torch.Tensor, pad: int, mask: torch.Tensor | None) -> torch.Tensor:
    """Reflect-pad time by ``pad`` frames on both sides, each utterance at its own end.

    Without a mask this is ``F.pad(x, (pad, pad), mode="reflect")``. With one, the
    frames after utterance b's last valid frame L_b − 1 are its reflection
    x[L_b − 2], x[L_b − 3], …, exactly what the utterance alone would be padded with
    (indices clamped to the valid range for utterances of ``pad`` frames or fewer, where
    torch's reflection is undefined).
    """
    batch, frames = x.shape[0], x.shape[-1]
    if mask is None and frames > pad:
        return torch.nn.functional.pad(x, (pad, pad), mode="reflect")
    if mask is None:
        lengths = torch.full((batch,), frames, device=x.device)
    else:
        lengths = mask[:, 0, :].sum(dim=-1).long()  # (B,)
    t = torch.arange(-pad, frames + pad, device=x.device)  # time of each padded position
    last = (lengths - 1)[:, None]
    index = t.abs()[None, :].expand(len(lengths), -1)  # left edge: x[-t]
    index = torch.where(index > last, 2 * last - index, index)  # right edge: x[2(L−1) − t]
    index = torch.minimum(index.clamp(min=0), last)  # utterances shorter than pad
    return x.gather(-1, index[:, None, :].expand(-1, x.shape[1], -1))
