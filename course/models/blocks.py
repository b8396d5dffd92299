"""Building blocks shared by the TDNN and ECAPA-TDNN models.

Every block takes frames ``(B, C, T)`` and an optional float mask ``(B, 1, T)``
(1 on valid frames, from ``course.models.masking.lengths_mask``) and keeps the
time axis: "same" padding, either zeros (``padding_mode="zeros"``) or
SpeechBrain's reflection (``"reflect"``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course.masks import time_mean, zero_padding
from course.models.masking import reflect_pad

PADDING_MODES = ("zeros", "reflect")


class ConvReluBN(nn.Module):
    """One TDNN layer: dilated Conv1d → ReLU → BatchNorm (the order of Kaldi, SpeechBrain, WeSpeaker).

    A TDNN layer with context {t − d·(k−1)/2, …, t, …, t + d·(k−1)/2} in steps of d is a
    Conv1d with kernel k and dilation d (Snyder et al., ICASSP 2018). ``norm=False`` drops
    the BatchNorm (WeSpeaker's MFA layer).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1,
                 padding_mode: str = "zeros", norm: bool = True):
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode: expected one of {PADDING_MODES}, got {padding_mode!r}")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size: must be odd to keep the time axis, got {kernel_size}")
        self.pad = dilation * (kernel_size - 1) // 2
        self.reflect = padding_mode == "reflect" and self.pad > 0
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation,
                              padding=0 if self.reflect else self.pad)
        self.bn = nn.BatchNorm1d(out_channels) if norm else nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.reflect:
            x = reflect_pad(x, self.pad, mask)
        elif self.pad > 0:
            x = zero_padding(x, mask)  # the utterance alone would see zeros here
        return self.bn(F.relu(self.conv(x), inplace=True))


class Res2Conv(nn.Module):
    """The Res2Net hierarchical convolution inside ECAPA-TDNN's SE-Res2Block (Desplanques et al., 2020).

    The channels are cut into ``scale`` splits x_1 … x_s. One split passes through
    unchanged; the others go through a ConvReluBN each, every split adding the output of
    the previous one first: y_1 = K_1(x_1), y_i = K_i(x_i + y_{i−1}). The receptive field
    grows with each split. ``passthrough="last"`` is WeSpeaker's choice, ``"first"``
    SpeechBrain's.
    """

    def __init__(self, channels: int, kernel_size: int = 3, dilation: int = 1, scale: int = 8,
                 passthrough: str = "last", padding_mode: str = "zeros"):
        super().__init__()
        if scale < 2 or channels % scale:
            raise ValueError(f"scale: must be ≥ 2 and divide channels={channels}, got {scale}")
        if passthrough not in ("first", "last"):
            raise ValueError(f"passthrough: expected 'first' or 'last', got {passthrough!r}")
        self.scale, self.passthrough = scale, passthrough
        width = channels // scale
        self.convs = nn.ModuleList(ConvReluBN(width, width, kernel_size, dilation, padding_mode)
                                   for _ in range(scale - 1))  # K_1 … K_{s−1}

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        splits = x.chunk(self.scale, dim=1)
        kept, inputs = (splits[0], splits[1:]) if self.passthrough == "first" else (splits[-1], splits[:-1])
        outputs = []
        for i, (conv, x_i) in enumerate(zip(self.convs, inputs, strict=True)):
            outputs.append(conv(x_i if i == 0 else x_i + outputs[-1], mask))
        outputs.insert(0 if self.passthrough == "first" else len(outputs), kept)
        return torch.cat(outputs, dim=1)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation over time, as in ECAPA-TDNN (Desplanques et al., Interspeech 2020).

    z = mean_t h_t over valid frames; s = σ(W2 ReLU(W1 z + b1) + b2); output h_t ⊙ s.
    """

    def __init__(self, channels: int, bottleneck: int = 128):
        super().__init__()
        self.linear1 = nn.Linear(channels, bottleneck)  # W1, b1
        self.linear2 = nn.Linear(bottleneck, channels)  # W2, b2

    def gate(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The channel gates s ∈ (0, 1)^C per utterance, ``(B, C)``."""
        z = time_mean(x, mask)
        return torch.sigmoid(self.linear2(F.relu(self.linear1(z))))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return x * self.gate(x, mask).unsqueeze(-1)


class SERes2Block(nn.Module):
    """ECAPA-TDNN's SE-Res2Block: 1×1 TDNN → Res2 dilated conv → 1×1 TDNN → SE, plus the input.

    Desplanques, Thienpondt, Demuynck, Interspeech 2020, Fig. 2.
    """

    def __init__(self, channels: int, kernel_size: int = 3, dilation: int = 1, scale: int = 8,
                 se_bottleneck: int = 128, passthrough: str = "last", padding_mode: str = "zeros"):
        super().__init__()
        self.tdnn1 = ConvReluBN(channels, channels, 1)
        self.res2 = Res2Conv(channels, kernel_size, dilation, scale, passthrough, padding_mode)
        self.tdnn2 = ConvReluBN(channels, channels, 1)
        self.se = SqueezeExcitation(channels, se_bottleneck)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.tdnn2(self.res2(self.tdnn1(x), mask))
        return self.se(h, mask) + x
