"""ERes2Net: a 2-D Res2Net with attentional local and global feature fusion.

Chen, Zheng, Wang, Cheng, Chen, Qi, "An Enhanced Res2Net with Local and Global
Feature Fusion for Speaker Verification", Interspeech 2023 (arXiv:2305.12838),
built as 3D-Speaker's ``ERes2Net`` builds it (seed 004). The fbank (B, F, T) is an
image (B, 1, F, T):

    stem      3×3 conv, m channels, BN, ReLU                          (B, m,   F,   T)
    stage 1   3 Res2Net basic blocks                                  (B, 2m,  F,   T)
    stage 2   4 blocks, the first with stride 2                       (B, 4m,  F/2, T/2)
    stage 3   6 blocks with local feature fusion (LFF), stride 2      (B, 8m,  F/4, T/4)
    stage 4   3 blocks with LFF, stride 2                             (B, 16m, F/8, T/8)
    GFF       g2 = AFF(s2, D1(s1)), g3 = AFF(s3, D2(g2)), g4 = AFF(s4, D3(g3))
              D_j: 3×3 stride-2 conv doubling the channels
    pooling   over 16m·F/8 channels (TSTP by default) → Linear → 192

A basic block (width w = ⌊planes·32/64⌋, scale s = 2, expansion 2): 1×1 conv
(stride here) → BN → act; split into x_1 … x_s; y_1 = K_1(x_1); y_i = K_i(x_i + y_{i−1})
in stages 1–2 (Res2Net), y_i = K_i(AFF(y_{i−1}, x_i)) in stages 3–4 (LFF); K_i is
3×3 conv → BN → act; concat → 1×1 conv → BN; plus the shortcut; act. "act" is
3D-Speaker's ReLU clipped at 20 (Hardtanh(0, 20)); the stem uses a plain ReLU as there.

AFF (attentional feature fusion, Eq. (3)–(4)): A = BN(W2 SiLU(BN(W1 [x; y]))), W1, W2
1×1 convs to C/r and C (r = 4), w = 1 + tanh(A) ∈ (0, 2), z = x ⊙ w + y ⊙ (2 − w).

Lengths: a stride-2 convolution (3×3 with padding 1, or 1×1) maps L valid frames to
⌈L/2⌉, so T shrinks 8× and an utterance of any L ≥ 1 keeps at least one frame
(⌈1/2⌉ = 1). Padded frames are zeroed before every 3×3 convolution (the only layers
that mix time; the utterance alone would see zero padding there), so a padded batch
gives each utterance its embedding alone. m = 32 has 6,610,688 parameters, m = 64
22,462,784 (3D-Speaker's base and large, counted).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course.masks import frame_mask, zero_padding
from course.models.base import EmbeddingModel, register
from course.pooling import build as build_pooling

STAGE_BLOCKS = (3, 4, 6, 3)


def strided_lengths(lengths: torch.Tensor | None, stride: int = 2) -> torch.Tensor | None:
    """Valid frames after a stride-``stride`` convolution of kernel 3 and padding 1 (or kernel 1): ⌈L/stride⌉."""
    return None if lengths is None or stride == 1 else (lengths + stride - 1) // stride


def strided_size(size: int, strides: int = 3) -> int:
    """A size (T or F) after ``strides`` stride-2 convolutions."""
    for _ in range(strides):
        size = (size + 1) // 2
    return size


def time_mask(lengths: torch.Tensor | None, frames: int, like: torch.Tensor) -> torch.Tensor | None:
    """Float mask (B, 1, 1, T) for (B, C, F, T) maps: 1 on valid frames."""
    if lengths is None:
        return None
    return frame_mask(lengths, frames, like.device).unsqueeze(1).to(like.dtype)


def clipped_relu() -> nn.Module:
    """3D-Speaker's activation: ReLU clipped at 20."""
    return nn.Hardtanh(0.0, 20.0)


class AFF(nn.Module):
    """Attentional feature fusion: z = x ⊙ w + y ⊙ (2 − w), w = 1 + tanh(BN(W2 SiLU(BN(W1 [x; y]))))."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        inner = max(1, channels // reduction)  # C/r (at least one channel in tiny models)
        self.attention = nn.Sequential(
            nn.Conv2d(2 * channels, inner, 1), nn.BatchNorm2d(inner), nn.SiLU(),  # W1, BN, SiLU
            nn.Conv2d(inner, channels, 1), nn.BatchNorm2d(channels))  # W2, BN: A

    def weights(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """w = 1 + tanh(A) ∈ (0, 2), the share of x at each channel, frequency and frame."""
        return 1.0 + torch.tanh(self.attention(torch.cat((x, y), dim=1)))

    def forward(self, x: torch.Tensor, y: torch.Tensor, return_weights: bool = False):
        w = self.weights(x, y)
        z = x * w + y * (2.0 - w)
        return (z, w) if return_weights else z


class ERes2NetBlock(nn.Module):
    """A Res2Net basic block (``fuse=False``) or an ERes2Net block with local feature fusion (``fuse=True``)."""

    expansion = 2

    def __init__(self, in_planes: int, planes: int, stride: int = 1, base_width: int = 32, scale: int = 2,
                 fuse: bool = False):
        super().__init__()
        width = math.floor(planes * base_width / 64)
        out_planes = planes * self.expansion
        self.width, self.stride = width, stride
        self.conv1 = nn.Conv2d(in_planes, width * scale, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width * scale)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(scale))  # K_i
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale))
        self.fuse = nn.ModuleList(AFF(width) for _ in range(scale - 1)) if fuse else None  # U in LFF
        self.conv3 = nn.Conv2d(width * scale, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Identity()
        if stride != 1 or in_planes != out_planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_planes))
        self.act = clipped_relu()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask``: the (B, 1, 1, T) mask of the *output* (after this block's stride)."""
        splits = self.act(self.bn1(self.conv1(x))).split(self.width, dim=1)
        outputs = []
        for i, (conv, bn, x_i) in enumerate(zip(self.convs, self.bns, splits, strict=True)):
            if i == 0:
                h = x_i
            elif self.fuse is None:
                h = x_i + outputs[-1]  # Res2Net: add the previous split's output
            else:
                h = self.fuse[i - 1](outputs[-1], x_i)  # LFF: fuse it by attention
            outputs.append(self.act(bn(conv(zero_padding(h, mask)))))  # the 3×3 conv mixes time
        out = self.bn3(self.conv3(torch.cat(outputs, dim=1)))
        return self.act(out + self.shortcut(x))


@register("eres2net")
class ERes2Net(EmbeddingModel):
    """ERes2Net: ``forward(x (B, in_dim, T), lengths) → (B, embed_dim)``.

    Args:
        in_dim: feature bins F (80 fbank): the image height.
        channels: m, the stem's channels (32: base, 64: large); stage j outputs 2^j·m.
        embed_dim: size of the embedding (192).
        blocks: basic blocks per stage ((3, 4, 6, 3)).
        base_width, scale: Res2Net width (32, so w = planes/2) and splits (2).
        reduction: r of every AFF (4).
        fuse_stages: stages (1-based) whose blocks use local feature fusion ((3, 4)).
        pooling: any registered pooling over 16m·⌈F/8⌉ channels (TSTP); pooling_kwargs go to it.

    Example:
        >>> f"{sum(p.numel() for p in ERes2Net().parameters()):,}"  # 3D-Speaker's ERes2Net base
        '6,610,688'
        >>> model = ERes2Net(channels=8).eval()  # a CPU-sized stem
        >>> model(torch.randn(2, 80, 120), torch.tensor([120, 70])).shape  # the second is padded after 70 frames
        torch.Size([2, 192])
    """

    takes_pooling = True

    @classmethod
    def examples(cls) -> list[dict]:
        return [dict(channels=4, blocks=(1, 1, 1, 1), embed_dim=12)]

    def __init__(self, in_dim: int = 80, channels: int = 32, embed_dim: int = 192,
                 blocks: tuple[int, ...] = STAGE_BLOCKS, base_width: int = 32, scale: int = 2,
                 reduction: int = 4, fuse_stages: tuple[int, ...] = (3, 4), pooling: str = "TSTP",
                 pooling_kwargs: dict | None = None):
        super().__init__()
        if len(blocks) != 4:
            raise ValueError(f"blocks: expected four stages, got {blocks}")
        self.in_dim, self.channels, self.embed_dim = in_dim, channels, embed_dim
        self.stem = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(channels)
        in_planes, stages = channels, []
        for index, count in enumerate(blocks):
            planes = channels * 2 ** index
            layers = []
            for b in range(count):
                stride = 2 if index > 0 and b == 0 else 1
                layers.append(ERes2NetBlock(in_planes, planes, stride, base_width, scale,
                                            fuse=index + 1 in fuse_stages))
                in_planes = planes * ERes2NetBlock.expansion
            stages.append(nn.ModuleList(layers))
        self.stages = nn.ModuleList(stages)
        # GFF: D_j doubles the channels of the fused output j while halving F and T; AFF with stage j+1
        self.downsample = nn.ModuleList(nn.Conv2d(channels * 2 ** (j + 1), channels * 2 ** (j + 2), 3, stride=2,
                                                  padding=1, bias=False) for j in range(3))
        self.global_fuse = nn.ModuleList(AFF(channels * 2 ** (j + 2), reduction) for j in range(3))
        self.out_bins = strided_size(in_dim)
        self.out_channels = channels * 16
        self.pooling = build_pooling(pooling, self.out_channels * self.out_bins, **(pooling_kwargs or {}))
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def trace(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> dict:
        """Every intermediate map by name: ``stem``, stage outputs ``s1``…``s4``, fused ``g2``…``g4``, the GFF
        fusion weights ``w2``…``w4`` (B, C, F, T) and the valid lengths ``lengths1``…``lengths4``."""
        lengths = self.check_input(x, lengths)
        h = x.unsqueeze(1)  # (B, 1, F, T): the fbank as an image
        mask = time_mask(lengths, h.shape[-1], h)
        h = torch.relu(self.stem_bn(self.stem(zero_padding(h, mask))))
        out = {"stem": h}
        for j, stage in enumerate(self.stages, start=1):
            for block in stage:
                if block.stride > 1:  # T and the valid lengths shrink here
                    lengths = strided_lengths(lengths, block.stride)
                    mask = time_mask(lengths, (h.shape[-1] + block.stride - 1) // block.stride, h)
                h = block(h, mask)
            out[f"s{j}"], out[f"lengths{j}"], out[f"mask{j}"] = h, lengths, mask
            if j == 1:
                fused = h
            else:  # GFF: the finer fused map, downsampled, fused with this stage's output
                down = self.downsample[j - 2](zero_padding(fused, out[f"mask{j - 1}"]))
                fused, out[f"w{j}"] = self.global_fuse[j - 2](h, down, return_weights=True)
                out[f"g{j}"] = fused
        out["frames"] = zero_padding(fused, mask)
        return out

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fused stage-4 map ``(B, 16m, ⌈F/8⌉, ⌈T/8⌉)``, padded frames zeroed, and ⌈⌈⌈L/2⌉/2⌉/2⌉."""
        out = self.trace(x, lengths)
        return out["frames"], out["lengths4"]

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.embedding(pooled)
