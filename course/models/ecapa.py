"""ECAPA-TDNN, layer by layer as seed 001 traces it.

Desplanques, Thienpondt, Demuynck, "ECAPA-TDNN: Emphasized Channel Attention,
Propagation and Aggregation in TDNN Based Speaker Verification", Interspeech 2020.

    (B, 80, T) → layer1 Conv1d(k=5) → ReLU → BN                  (B, C, T)
               → 3 SE-Res2Blocks, k=3, dilation 2, 3, 4, scale 8   (B, C, T) each
               → MFA: concat of the three → Conv1d(k=1) → ReLU     (B, C_mfa, T)
               → pooling (ASTP with global context)               (B, 2·C_mfa)
               → BN → Linear                                      (B, 192)

Two reference flavours differ only in details:

- ``"wespeaker"``: the last Res2 split passes through; no BN after the MFA; attention
  conv → tanh → conv. 6,190,720 parameters at C=512.
- ``"speechbrain"``: the first split passes through; BN after the MFA's ReLU; attention
  conv → ReLU → BN → tanh → conv. 6,194,048 parameters at C=512: the 3,328 more are the
  MFA BN (2·1536) and the attention BN (2·128). SpeechBrain pads its convolutions by
  reflection: pass ``padding_mode="reflect"`` to match it exactly (``course.models.speechbrain_weights``).

Unlike both, every layer here honours ``lengths``: padded frames never reach a valid one
(see ``course.models.masking``), so a padded batch embeds each utterance as it would alone.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import zero_padding
from course.models.base import EmbeddingModel, register
from course.models.blocks import ConvReluBN, SERes2Block
from course.models.masking import lengths_mask
from course.pooling import build as build_pooling

FLAVOURS = ("wespeaker", "speechbrain")


@register("ecapa", "ecapa_tdnn")
class ECAPA_TDNN(EmbeddingModel):  # noqa: N801 - the paper's name
    """ECAPA-TDNN speaker-embedding model: ``forward(x (B, in_dim, T), lengths) → (B, embed_dim)``.

    Args:
        in_dim: feature bins (80 fbank).
        channels: C, width of layer1 and the SE-Res2Blocks (512 or 1024; 64-256 on a CPU).
        mfa_channels: C_mfa, width of the multi-layer feature aggregation; None → 3·C
            (1536 at C=512 in both references; WeSpeaker keeps 1536 at C=1024 too).
        embed_dim: size of the embedding (192).
        scale: Res2 splits per block (8).
        passthrough: which Res2 split passes through unchanged, "first" or "last";
            None → the flavour's ("last" for WeSpeaker, "first" for SpeechBrain).
        flavour: "wespeaker" or "speechbrain" (BN after the MFA and inside the attention).
        pooling: any registered pooling name; pooling_kwargs are passed to it (for ASTP
            the flavour sets ``attention_norm`` unless given).
        dilations, kernel_size, se_bottleneck: the blocks' dilations (2, 3, 4), kernel (3)
            and SE bottleneck (128).
        padding_mode: "zeros", or "reflect" as SpeechBrain.

    Example:
        >>> f"{sum(p.numel() for p in ECAPA_TDNN().parameters()):,}"  # WeSpeaker's ECAPA_TDNN_GLOB_c512
        '6,190,720'
        >>> model = ECAPA_TDNN(channels=64).eval()  # a CPU-sized width
        >>> model(torch.randn(2, 80, 120), torch.tensor([120, 70])).shape  # the second is padded after 70 frames
        torch.Size([2, 192])
    """

    takes_pooling = True

    @classmethod
    def examples(cls) -> list[dict]:
        small = dict(channels=16, mfa_channels=48, scale=4, se_bottleneck=8, embed_dim=12)
        return [small, dict(small, flavour="speechbrain", padding_mode="reflect", pooling="TSTP")]

    def __init__(self, in_dim: int = 80, channels: int = 512, mfa_channels: int | None = None,
                 embed_dim: int = 192, scale: int = 8, passthrough: str | None = None,
                 flavour: str = "wespeaker", pooling: str = "ASTP", pooling_kwargs: dict | None = None,
                 dilations: tuple[int, ...] = (2, 3, 4), kernel_size: int = 3, se_bottleneck: int = 128,
                 padding_mode: str = "zeros"):
        super().__init__()
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour: expected one of {FLAVOURS}, got {flavour!r}")
        speechbrain = flavour == "speechbrain"
        passthrough = passthrough or ("first" if speechbrain else "last")
        mfa_channels = mfa_channels or 3 * channels
        self.in_dim, self.channels, self.mfa_channels, self.embed_dim = in_dim, channels, mfa_channels, embed_dim
        self.flavour = flavour

        self.layer1 = ConvReluBN(in_dim, channels, 5, padding_mode=padding_mode)
        self.blocks = nn.ModuleList(
            SERes2Block(channels, kernel_size, d, scale, se_bottleneck, passthrough, padding_mode)
            for d in dilations)
        self.mfa = ConvReluBN(len(dilations) * channels, mfa_channels, 1, norm=speechbrain)
        kwargs = dict(pooling_kwargs or {})
        if pooling.upper() == "ASTP":
            kwargs.setdefault("attention_norm", speechbrain)
        self.pooling = build_pooling(pooling, mfa_channels, **kwargs)
        self.pool_norm = nn.BatchNorm1d(self.pooling.out_dim)
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The MFA output ``(B, C_mfa, T)``, padded frames zeroed, and its lengths (the input's: no stride)."""
        lengths = self.check_input(x, lengths)
        mask = lengths_mask(x, lengths)
        h = self.layer1(x, mask)
        outputs = []
        for block in self.blocks:
            h = block(h, mask)
            outputs.append(h)
        return zero_padding(self.mfa(torch.cat(outputs, dim=1)), mask), lengths

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.embedding(self.pool_norm(pooled))
