"""Learnable dictionary encoding (LDE).

Cai, Chen, Li, "Exploring the Encoding Layer and Loss Function in End-to-End
Speaker and Language Recognition System", 2018 (arXiv:1804.05160). A dictionary
of C learnable centres μ_c and one learnable smoothing factor s_c per centre:

    r_{t,c} = x_t − μ_c,
    w_{t,c} = exp(−s_c ‖r_{t,c}‖²) / Σ_{c'} exp(−s_{c'} ‖r_{t,c'}‖²),
    e_c     = Σ_t w_{t,c} r_{t,c} / Σ_t w_{t,c}                 (normalise="weights", default)
    e_c     = Σ_t w_{t,c} r_{t,c} / T                           (normalise="frames")

and the embedding is [e_1; …; e_C] → C·D.

Normalisation (our choice, stated because the source is ambiguous): by default
e_c divides by the soft count Σ_t w_{t,c}, so e_c is the mean residual of the
frames assigned to centre c, whatever the utterance length and however many
frames the centre attracts (the GMM-supervector view). ``normalise="frames"``
divides by T instead, which keeps the soft count inside e_c. The soft count is
floored at ``eps`` so an unused centre gives a finite e_c.

s_c starts at 1/D so that s_c‖r‖² is of order one for unit-variance channels.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import zero_padding
from course.pooling.base import Pooling
from course.pooling.numerics import EPS, at_least_float32, full_precision, masked_softmax
from course.pooling.reference.lde import lde
from course.pooling.registry import register


@register("LDE")
class LearnableDictionaryEncoding(Pooling):
    """LDE → C·D; returns the assignments w (B, C, T) as weights.

    Args:
        in_dim: D, channels of the frames.
        num_centres: C, dictionary size.
        normalise: "weights" (divide by Σ_t w_tc) or "frames" (divide by T).

    Example:
        >>> pool = LearnableDictionaryEncoding(in_dim=8, num_centres=4)
        >>> embedding, w = pool(torch.randn(2, 8, 30), torch.tensor([30, 9]), return_weights=True)
        >>> embedding.shape, w.shape  # each frame's assignments sum to one over the centres
        (torch.Size([2, 32]), torch.Size([2, 4, 30]))
    """

    weights_over = "clusters"
    reference = staticmethod(lde)

    def __init__(self, in_dim: int, num_centres: int = 8, normalise: str = "weights", eps: float = EPS):
        super().__init__()
        if normalise not in ("weights", "frames"):
            raise ValueError(f"normalise must be 'weights' or 'frames', got {normalise!r}")
        self.in_dim, self.out_dim, self.eps = in_dim, num_centres * in_dim, eps
        self.normalise = normalise
        self.centres = nn.Parameter(torch.randn(num_centres, in_dim))  # μ_c
        self.smoothing = nn.Parameter(torch.full((num_centres,), 1.0 / in_dim))  # s_c

    def pool(self, x, mask):
        with full_precision(x):
            x = at_least_float32(zero_padding(x, mask))
            centres, s = self.centres.to(x.dtype), self.smoothing.to(x.dtype)
            # ‖x_t − μ_c‖² = ‖x_t‖² − 2 μ_cᵀ x_t + ‖μ_c‖², without the (B, C, D, T) residual tensor
            distance = (x.pow(2).sum(1, keepdim=True) - 2 * torch.einsum("cd,bdt->bct", centres, x)
                        + centres.pow(2).sum(1)[None, :, None]).clamp(min=0)
            w = masked_softmax(-s[None, :, None] * distance, None, dim=1)  # softmax over centres
            if mask is not None:
                w = w * mask
            # Σ_t w_tc r_tc = Σ_t w_tc x_t − (Σ_t w_tc) μ_c
            count = w.sum(-1)  # (B, C) soft counts
            e = torch.einsum("bct,bdt->bcd", w, x) - count.unsqueeze(-1) * centres
            if self.normalise == "weights":
                e = e / count.clamp(min=self.eps).unsqueeze(-1)
            else:
                frames = mask.sum(-1) if mask is not None else torch.full_like(count[:, :1], x.shape[-1])
                e = e / frames.to(x.dtype).unsqueeze(-1)
            return e.flatten(1), w

    @torch.no_grad()
    def set_centres(self, centres: torch.Tensor, smoothing: float) -> LearnableDictionaryEncoding:
        """Set μ_c to ``centres`` (C, D) and every s_c to ``smoothing``."""
        if centres.shape != self.centres.shape:
            raise ValueError(f"centres: expected shape {tuple(self.centres.shape)}, got {tuple(centres.shape)}")
        self.centres.copy_(centres)
        self.smoothing.fill_(smoothing)
        return self

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.lde.lde``."""
        return {"mu": self.centres, "s": self.smoothing, "normalise": self.normalise, "eps": self.eps}

    def describe_weight_row(self, row: int) -> str:
        return f"centre {row + 1} of {self.centres.shape[0]}"

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"normalise": "frames"}, {"num_centres": 3}]
