"""Numerics every pooling shares, and the one autocast policy they all follow.

Autocast policy. A pooling's learned layers (``Conv1d``, ``Linear``, ``LayerNorm``)
run in whatever precision autocast chooses. Everything from the scores on (the
softmax, weighted sums over time, means, variances, normalisations) runs inside
``full_precision(x)``, in ``compute_dtype(x)``: float32 for half, bfloat16 and
float32 input, float64 for float64 input, so ``torch.autograd.gradcheck`` can
check it. Embeddings therefore come out in float32 (or float64).

Finite at the edges. A standard deviation is ``sqrt(clamp(var, EPS))``, an L2
normalisation divides by ``sqrt(max(‖v‖², EPS))`` and the signed square root has
a finite slope at 0: values *and* gradients stay finite on constant input, one
frame, or a zero vector.
"""

from __future__ import annotations

import contextlib

import torch

EPS = 1e-5  # variance floor: sqrt'(var) = 1/(2 sqrt(var)) stays below 1/(2 sqrt(EPS))


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float32 for half/bfloat16/float32 input, float64 for float64 input."""
    return torch.promote_types(x.dtype, torch.float32)


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in ``compute_dtype(x)``: half and bfloat16 up to float32, float64 stays float64."""
    return x.to(compute_dtype(x))


def full_precision(x: torch.Tensor):
    """Context that switches autocast off on ``x``'s device (statistics in float32)."""
    if x.device.type in ("cpu", "cuda", "mps", "xpu"):
        return torch.autocast(device_type=x.device.type, enabled=False)
    return contextlib.nullcontext()  # pragma: no cover - other devices


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` in ``compute_dtype``, masked positions at exactly zero weight."""
    logits = at_least_float32(logits)
    if mask is not None:
        logits = logits.masked_fill(~mask, float("-inf"))
    return torch.softmax(logits, dim=dim)


def uniform_weights(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Weights ``1/T_valid`` on valid frames, shape ``(B, 1, T)``, in ``compute_dtype``."""
    batch, _, frames = x.shape
    if mask is None:
        return x.new_full((batch, 1, frames), 1.0 / frames, dtype=compute_dtype(x))
    mask = mask.to(compute_dtype(x))
    return mask / mask.sum(dim=-1, keepdim=True)


def weighted_mean_std(x: torch.Tensor, weights: torch.Tensor, eps: float = EPS
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and standard deviation over time, in ``compute_dtype``.

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


def l2_normalise(v: torch.Tensor, dim: int = -1, eps: float = EPS) -> torch.Tensor:
    """v / sqrt(max(‖v‖², eps)): the L2 normalisation, finite at v = 0."""
    return v / v.pow(2).sum(dim=dim, keepdim=True).clamp(min=eps).sqrt()


def signed_sqrt(v: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """sign(v)·(sqrt(|v| + eps) − sqrt(eps)): signed square root with a finite slope at 0.

    Equal to sign(v)·sqrt(|v|) up to at most sqrt(eps) (3.2e-3 at eps = 1e-5); the
    plain version has an infinite derivative at v = 0, e.g. a zero variance.
    """
    return torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)
