"""What every pooling shares: shape handling, masks and masked statistics.

Shapes follow the course convention: frames ``x`` are ``(B, C, T)`` or
``(B, C, F, T)`` (flattened to ``C·F`` channels), ``lengths`` is a LongTensor
``(B,)`` of valid frames per utterance, or None when every frame is valid.
Statistics are computed in float32 even under autocast, and a standard
deviation is always ``sqrt(clamp(var, eps))``: finite values and gradients on
constant or one-frame input.
"""

from __future__ import annotations

import torch
from torch import nn

EPS = 1e-5  # variance floor: sqrt'(var) = 1/(2 sqrt(var)) stays below 1/(2 sqrt(EPS))


def flatten_frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, T)`` as is; ``(B, C, F, T)`` → ``(B, C·F, T)``."""
    if x.dim() == 4:
        return x.flatten(1, 2)
    if x.dim() != 3:
        raise ValueError(f"x: expected (B, C, T) or (B, C, F, T) frames, got shape {tuple(x.shape)}")
    return x


def check_lengths(lengths: torch.Tensor | None, batch: int, frames: int) -> torch.Tensor | None:
    """Validate ``lengths`` (B,) against a batch of ``frames`` frames; None passes through."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(f"lengths: expected shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point():
        raise ValueError("lengths: expected integer frame counts (LongTensor), got floats")
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


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """Half and bfloat16 up to float32; float64 stays float64 (gradcheck needs it)."""
    return x if x.dtype == torch.float64 else x.float()


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax in float32 (or float64) with masked positions at exactly zero weight."""
    logits = at_least_float32(logits)
    if mask is not None:
        logits = logits.masked_fill(~mask, float("-inf"))
    return torch.softmax(logits, dim=dim)


def uniform_weights(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Weights ``1/T_valid`` on valid frames, shape ``(B, 1, T)``, float32."""
    batch, _, frames = x.shape
    if mask is None:
        return x.new_full((batch, 1, frames), 1.0 / frames, dtype=at_least_float32(x).dtype)
    mask = mask.to(at_least_float32(x).dtype)
    return mask / mask.sum(dim=-1, keepdim=True)


def weighted_mean_std(x: torch.Tensor, weights: torch.Tensor, eps: float = EPS
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and standard deviation over time, in float32.

    ``weights`` broadcast against ``x`` (B, C, T) and sum to one over T. Two-pass
    variance Σ w (x − μ)², which unlike E[x²] − μ² cannot go negative.
    """
    x = at_least_float32(x)
    mean = (weights * x).sum(dim=-1)
    var = (weights * (x - mean.unsqueeze(-1)).pow(2)).sum(dim=-1)
    return mean, var.clamp(min=eps).sqrt()


def masked_mean_std(x: torch.Tensor, mask: torch.Tensor | None, eps: float = EPS
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (biased) standard deviation over the valid frames."""
    return weighted_mean_std(x, uniform_weights(x, mask), eps)


class Pooling(nn.Module):
    """Base class: handles 4-D input, validates ``lengths`` and builds the mask.

    Subclasses set ``self.out_dim`` in ``__init__`` and implement
    ``pool(x, mask) -> (embedding, weights_or_None)`` on ``(B, C, T)`` frames,
    where ``mask`` is a boolean ``(B, 1, T)`` tensor or None.
    """

    in_dim: int
    out_dim: int

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                return_weights: bool = False):
        x = flatten_frames(x)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"x: {type(self).__name__} was built for {self.in_dim} channels "
                             f"(C·F for 4-D input), got {x.shape[1]}")
        lengths = check_lengths(lengths, x.shape[0], x.shape[-1])
        embedding, weights = self.pool(x, frame_mask(lengths, x.shape[-1], x.device))
        return (embedding, weights) if return_weights else embedding

    def pool(self, x: torch.Tensor, mask: torch.Tensor | None):  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}"
