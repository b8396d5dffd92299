"""Attentive statistics pooling with channel-wise weights (ASTP), as in ECAPA-TDNN.

Desplanques, Thienpondt, Demuynck, "ECAPA-TDNN: Emphasized Channel Attention,
Propagation and Aggregation in TDNN Based Speaker Verification", Interspeech 2020,
Eqs. (7)-(9) with channel-dependent weights:

    e_{t,c} = v_cᵀ f(W x̃_t + b) + k_c,      α_{t,c} = softmax_t(e_{t,c}),
    μ̃_c = Σ_t α_{t,c} x_{t,c},              σ̃_c = sqrt(Σ_t α_{t,c} (x_{t,c} − μ̃_c)²),

where x̃_t = [x_t; μ; σ] appends the utterance's global mean and standard
deviation to every frame ("global context") or is x_t alone. f is tanh; the
SpeechBrain flavour (``attention_norm=True``) inserts ReLU and BatchNorm before
it. Output [μ̃; σ̃] → 2D. The variance is the two-pass Σ α (x − μ̃)², equal to the
paper's Σ α x² − μ̃² but never negative.

The context's σ is the biased standard deviation over the valid frames with the
course's floor, sqrt(max(var, 1e-5)); WeSpeaker uses the unbiased ``torch.var``
and sqrt(var + 1e-10) (a factor sqrt(T/(T − 1)) apart): mind it when loading
its weights. The biases k_c are constant over t and cancel in softmax_t (zero
gradient); they are kept so that parameter counts and state dicts match the
references'.
"""

from __future__ import annotations

import torch
from torch import nn

from course.pooling.base import Pooling
from course.pooling.numerics import (
    EPS,
    at_least_float32,
    full_precision,
    masked_mean_std,
    masked_softmax,
    weighted_mean_std,
)
from course.pooling.reference.attention import astp
from course.pooling.registry import register


def global_context(x: torch.Tensor, mask: torch.Tensor | None, eps: float = EPS) -> torch.Tensor:
    """x̃_t = [x_t; μ; σ] for every frame: ``(B, C, T)`` → ``(B, 3C, T)``."""
    mean, std = masked_mean_std(x, mask, eps)
    frames = x.shape[-1]
    context = [mean.unsqueeze(-1).expand(-1, -1, frames), std.unsqueeze(-1).expand(-1, -1, frames)]
    return torch.cat([at_least_float32(x)] + context, dim=1).to(x.dtype)


@register("ASTP")
class AttentiveStatisticsPooling(Pooling):
    """ECAPA's attentive statistics pooling → 2D.

    Args:
        in_dim: D, channels of the frames.
        bottleneck: rows of W (128 in ECAPA-TDNN).
        global_context: append μ and σ of the utterance to each frame.
        attention_norm: SpeechBrain's ReLU → BatchNorm between W and tanh.

    Example:
        >>> pool = AttentiveStatisticsPooling(in_dim=8, bottleneck=4)
        >>> embedding, alpha = pool(torch.randn(2, 8, 30), torch.tensor([30, 12]), return_weights=True)
        >>> embedding.shape, alpha.shape  # one weight per channel and frame
        (torch.Size([2, 16]), torch.Size([2, 8, 30]))
    """

    weights_over = "frames"
    reference = staticmethod(astp)

    def __init__(self, in_dim: int, bottleneck: int = 128, global_context: bool = True,
                 attention_norm: bool = False, eps: float = EPS):
        super().__init__()
        self.in_dim, self.out_dim, self.eps = in_dim, 2 * in_dim, eps
        self.global_context = global_context
        context_dim = 3 * in_dim if global_context else in_dim
        self.linear1 = nn.Conv1d(context_dim, bottleneck, kernel_size=1)  # W, b
        self.norm = nn.Sequential(nn.ReLU(), nn.BatchNorm1d(bottleneck)) if attention_norm else nn.Identity()
        self.linear2 = nn.Conv1d(bottleneck, in_dim, kernel_size=1)  # v_c, k_c stacked over c

    def pool(self, x, mask):
        context = global_context(x, mask, self.eps) if self.global_context else x
        scores = self.linear2(torch.tanh(self.norm(self.linear1(context))))  # e_{t,c}
        with full_precision(x):
            alpha = masked_softmax(scores, mask)  # softmax over valid t
            mean, std = weighted_mean_std(x, alpha, self.eps)
            return torch.cat([mean, std], dim=1), alpha

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"global_context": False, "bottleneck": 7}]

    def equation_parameters(self) -> dict:
        """W, b, V (rows v_cᵀ), k, for ``course.pooling.reference.attention.astp`` (without BatchNorm)."""
        if not isinstance(self.norm, nn.Identity):
            raise ValueError("equation_parameters: the reference has no BatchNorm; build with attention_norm=False")
        return {"W": self.linear1.weight[:, :, 0], "b": self.linear1.bias, "V": self.linear2.weight[:, :, 0],
                "k": self.linear2.bias, "global_context": self.global_context}

    def describe_weight_row(self, row: int) -> str:
        return f"channel {row} of {self.in_dim}"
