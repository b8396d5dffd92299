"""The x-vector TDNN.

Snyder, Garcia-Romero, Sell, Povey, Khudanpur, "X-vectors: robust DNN embeddings for
speaker recognition", ICASSP 2018, Table 1:

    frame1  context [t−2, t+2]       → 512   Conv1d(k=5, d=1)
    frame2  context {t−2, t, t+2}    → 512   Conv1d(k=3, d=2)
    frame3  context {t−3, t, t+3}    → 512   Conv1d(k=3, d=3)
    frame4  context {t}              → 512   Conv1d(k=1)
    frame5  context {t}              → 1500  Conv1d(k=1)
    stats pooling over T             → 3000  (any registered pooling here; TSTP by default)
    segment6                         → 512   the embedding, taken before its nonlinearity
    segment7                         → 512   ReLU → BN → Linear → ReLU → BN, used in training only

Each frame layer is Conv1d → ReLU → BN, with "same" padding so the time axis keeps its
length (Kaldi's layers shrink it instead), and padded frames are zeroed before each
convolution that reads neighbours, so ``lengths`` give batch-invariant embeddings.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import zero_padding
from course.models.base import EmbeddingModel, register
from course.models.blocks import ConvReluBN
from course.models.masking import lengths_mask
from course.pooling import build as build_pooling

FRAME_LAYERS = ((512, 5, 1), (512, 3, 2), (512, 3, 3), (512, 1, 1), (1500, 1, 1))  # (width, kernel, dilation)


@register("xvector", "tdnn")
class XVector(EmbeddingModel):
    """x-vector: ``forward(x (B, in_dim, T), lengths) → (B, embed_dim)``, the segment6 output.

    Args:
        in_dim: feature bins (80 fbank here; the paper's DNN took 24-dimensional filterbanks,
            25 ms frames mean-normalised over a sliding window of up to 3 s, Snyder et al.,
            ICASSP 2018; its i-vector baselines used MFCCs).
        frame_layers: (width, kernel, dilation) per frame layer; the paper's by default.
        embed_dim: width of segment6, the embedding (512).
        hidden_dim: width of segment7 (512), the classifier's input in training.
        pooling: any registered pooling name (TSTP: mean and standard deviation);
            pooling_kwargs are passed to it.
        padding_mode: "zeros", or "reflect" as SpeechBrain's Xvector.

    Example:
        >>> model = XVector().eval()
        >>> f"{sum(p.numel() for p in model.parameters()):,}"  # segment7 included
        '4,619,668'
        >>> model(torch.randn(2, 80, 120), torch.tensor([120, 70])).shape  # the second is padded after 70 frames
        torch.Size([2, 512])
    """

    takes_pooling = True

    @classmethod
    def examples(cls) -> list[dict]:
        return [dict(frame_layers=((16, 5, 1), (16, 3, 2), (32, 1, 1)), embed_dim=12)]

    def __init__(self, in_dim: int = 80, frame_layers=FRAME_LAYERS, embed_dim: int = 512,
                 hidden_dim: int = 512, pooling: str = "TSTP", pooling_kwargs: dict | None = None,
                 padding_mode: str = "zeros"):
        super().__init__()
        self.in_dim, self.embed_dim = in_dim, embed_dim
        layers, width = [], in_dim
        for out, kernel, dilation in frame_layers:
            layers.append(ConvReluBN(width, out, kernel, dilation, padding_mode))
            width = out
        self.frames = nn.ModuleList(layers)
        self.pooling = build_pooling(pooling, width, **(pooling_kwargs or {}))
        self.segment6 = nn.Linear(self.pooling.out_dim, embed_dim)
        self.segment7 = nn.Sequential(nn.ReLU(), nn.BatchNorm1d(embed_dim), nn.Linear(embed_dim, hidden_dim),
                                      nn.ReLU(), nn.BatchNorm1d(hidden_dim))

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """frame5's output ``(B, 1500, T)``, padded frames zeroed, and its lengths (the input's: no stride)."""
        lengths = self.check_input(x, lengths)
        mask = lengths_mask(x, lengths)
        for layer in self.frames:
            x = layer(x, mask)
        return zero_padding(x, mask), lengths

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.segment6(pooled)

    def hidden(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """segment7's output, the input of the paper's softmax classifier (training only)."""
        return self.segment7(self(x, lengths))

