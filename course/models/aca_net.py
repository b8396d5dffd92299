"""ACA-Net: learned latents cross-attend to the frames, then attend to each other.

Yip, Truong, Ng, Zhang, Ma, Nguyen, Ni, Zhao, Chng, Ma, "ACA-Net: Towards Lightweight
Speaker Verification using Asymmetric Cross Attention", Interspeech 2023 (arXiv:2305.12121),
seed 003, with the structure of the authors' public example (Yip-Jia-Qi/ACA-Net):

    F  = BN(ReLU(W_in x)) + P                     (B, E, T)  1×1 conv 80 → E; P indexed by time step
    Q  ∈ R^{N×E}, learned latents, the queries
    MLA block, repeated:
      cross-attention ×R:  Q ← Q + Attn(Q, LN(F));   Q ← Q + MLP(LN(Q))     keys and values: the frames
      latent self-attention ×S: the same layer with the latents as keys and values
      aggregation: Q ← ReLU(W_a [Q_0; Q_1; …; Q_S])  Q_0 the last cross-attention layer's output,
                   Q_s latent layer s's: a 1×1 conv from (S + 1)·E channels to E
    e  = BN(Q w_out + b_out) ∈ R^N                Conv1d(E → 1) over each latent: embedding size N

A cross-attention layer costs O(N·T·E) where self-attention over the frames would cost
O(T²·E): the N latents are a fixed-size summary of any T. Padded frames get exactly
zero attention, and nothing else mixes time, so a padded batch gives each utterance
its embedding alone. The public code adds its positional encoding indexed by the
*batch* position (``pe[:x.size(0)]`` on a batch-first tensor), a bug: every frame of an
utterance gets the same vector, so the released model cannot tell frame order. Here P is
the sinusoidal encoding of each frame's time step, which gives the model frame order: a
different inductive bias from the released one. Also unlike the public code: the dropout
defaults to 0.0 (its example uses 0.2), and ``lengths`` with masking are a course addition
(the public model takes no lengths).

With the example configuration (N = 192, E = 256, 2 blocks, R = 2, S = 3, 8 latent
heads, MLPs of 256) the model has 4,553,601 parameters, the count of the public code
(its BatchNorms included).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course.masks import check_lengths, frame_mask, zero_padding
from course.models.base import EmbeddingModel, register
from course.models.blocks import ConvReluBN
from course.models.masking import lengths_mask
from course.pooling.cross_attention import multi_head_attention, sinusoidal_encoding

# A CPU configuration. Its latents start at unit scale: with the public code's 0.02 they start nearly
# equal (notebook 07 measures how far apart, and trains both).
SMALL = dict(latents=64, dim=64, blocks=1, cross_layers=1, latent_layers=1, heads=4, mlp_dim=128,
             latent_mlp_dim=128, latent_std=1.0)


# Notebook 07's check that the trained latents' attention moved away from uniform: log T − mean entropy
# (nats) must exceed this. It lies between the gaps the notebook prints for an untrained model of the
# SMALL configuration and for the trained one; tests/test_models_aca_net.py shows untrained models fail it.
ENTROPY_GAP_THRESHOLD = 0.08


def attention_entropy_gap(model: ACANet, feats: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(log T − the mean entropy of the last cross-attention layer's weights, the weights (N, T)),
    for one utterance ``feats`` (1, in_dim, T). Uniform attention (a plain mean) has gap 0."""
    with torch.no_grad():
        frames, _ = model.frame_features(feats)
        _, weights = model.pooling(frames, return_weights=True)
    weights = weights[0]
    entropy = -(weights * weights.clamp(min=1e-30).log()).sum(-1)
    return math.log(weights.shape[-1]) - entropy.mean().item(), weights


class AttentionLayer(nn.Module):
    """One ACA layer: z = q + W_o Attn(W_q q, W_k LN(kv), W_v LN(kv)); out = z + MLP(LN(z)).

    Layer norms are applied before the attention (to the keys and values) and before the
    GELU MLP, as in the public code; the queries enter the residual unnormalised.
    """

    def __init__(self, dim: int, mlp_dim: int, heads: int = 1, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.query, self.key, self.value, self.out = (nn.Linear(dim, dim) for _ in range(4))  # W_q, W_k, W_v, W_o
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim), nn.Dropout(dropout))

    def forward(self, q: torch.Tensor, kv: torch.Tensor, mask: torch.Tensor | None = None):
        """q (B, N, E), kv (B, T, E), mask (B, 1, T) bool → (q' (B, N, E), α (B, H, N, T))."""
        kv = self.norm1(kv)
        attended, alpha = multi_head_attention(self.query(q), self.key(kv), self.value(kv), self.heads, mask)
        z = q + self.out(attended)
        return z + self.mlp(self.norm2(z)), alpha


class MLABlock(nn.Module):
    """Cross-attention layers, latent self-attention layers, then multi-layer aggregation."""

    def __init__(self, dim: int, cross_layers: int, latent_layers: int, heads: int, mlp_dim: int,
                 latent_mlp_dim: int, dropout: float = 0.0):
        super().__init__()
        self.cross = nn.ModuleList(AttentionLayer(dim, mlp_dim, 1, dropout) for _ in range(cross_layers))
        self.latent = nn.ModuleList(AttentionLayer(dim, latent_mlp_dim, heads, dropout)
                                    for _ in range(latent_layers))
        self.aggregate = nn.Conv1d(dim * (latent_layers + 1), dim, 1)  # W_a

    def forward(self, q: torch.Tensor, frames: torch.Tensor, mask: torch.Tensor | None = None):
        """Latents (B, N, E), frames (B, T, E) → latents, and the cross-attention maps [(B, 1, N, T)]."""
        maps = []
        for layer in self.cross:
            q, alpha = layer(q, frames, mask)
            maps.append(alpha)
        collected = [q]
        for layer in self.latent:
            q, _ = layer(q, q)
            collected.append(q)
        q = torch.relu(self.aggregate(torch.cat(collected, dim=-1).transpose(1, 2))).transpose(1, 2)
        return q, maps


class LatentAggregation(nn.Module):
    """ACA-Net's pooling: frames (B, E, T) → (B, N), the latents after every MLA block, reduced E → 1.

    ``forward(frames, lengths, return_weights)`` as every pooling; the weights are the last
    cross-attention layer's α (B, N, T); ``attention_maps`` gives every layer's.
    """

    def __init__(self, dim: int = 256, latents: int = 192, blocks: int = 2, cross_layers: int = 2,
                 latent_layers: int = 3, heads: int = 8, mlp_dim: int = 256, latent_mlp_dim: int = 256,
                 dropout: float = 0.0, latent_std: float = 0.02):
        super().__init__()
        self.in_dim, self.out_dim = dim, latents
        self.latents = nn.Parameter(nn.init.trunc_normal_(torch.zeros(latents, dim), std=latent_std,
                                                          a=-2.0, b=2.0))  # Q
        self.blocks = nn.ModuleList(MLABlock(dim, cross_layers, latent_layers, heads, mlp_dim, latent_mlp_dim,
                                             dropout) for _ in range(blocks))
        self.reduce = nn.Conv1d(dim, 1, 1)  # w_out, b_out

    def attention_maps(self, frames: torch.Tensor, lengths: torch.Tensor | None = None):
        """(embedding (B, N), [α (B, N, T) of every cross-attention layer, block by block])."""
        lengths = check_lengths(lengths, frames.shape[0], frames.shape[-1])
        mask = frame_mask(lengths, frames.shape[-1], frames.device)
        f = frames.transpose(1, 2)  # (B, T, E)
        q = self.latents.unsqueeze(0).expand(frames.shape[0], -1, -1)
        maps = []
        for block in self.blocks:
            q, block_maps = block(q, f, mask)
            maps += [alpha.mean(dim=1) for alpha in block_maps]
        return self.reduce(q.transpose(1, 2)).squeeze(1), maps

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor | None = None, return_weights: bool = False):
        if frames.dim() != 3 or frames.shape[1] != self.in_dim:
            raise ValueError(f"frames: expected (B, {self.in_dim}, T), got shape {tuple(frames.shape)}")
        embedding, maps = self.attention_maps(frames, lengths)
        return (embedding, maps[-1]) if return_weights else embedding


@register("aca_net", "acanet")
class ACANet(EmbeddingModel):
    """ACA-Net: ``forward(x (B, in_dim, T), lengths) → (B, latents)``; the embedding size is N.

    Args:
        in_dim: feature bins (80 fbank).
        latents: N, learned queries = the embedding size (192).
        dim: E, width of the frames and latents (256).
        blocks: MLA blocks (2); cross_layers: cross-attention layers per block (2, single head);
        latent_layers: latent self-attention layers per block (3), with ``heads`` heads (8).
        mlp_dim, latent_mlp_dim: hidden widths of the cross- and self-attention MLPs (256).
        dropout: after each MLP (0.0; the public example configuration sets 0.2).
        positional: add the time-indexed sinusoidal encoding to the frames.
        latent_std: standard deviation of the latents' truncated-normal initialisation (0.02 as the
            public code; larger values start the latents further apart).

    Example:
        >>> f"{sum(p.numel() for p in ACANet().parameters()):,}"  # the public example configuration
        '4,553,601'
        >>> model = ACANet(latents=16, dim=32, heads=2, mlp_dim=32, latent_mlp_dim=32).eval()
        >>> model(torch.randn(2, 80, 120), torch.tensor([120, 70])).shape  # 16 latents: a 16-dimensional embedding
        torch.Size([2, 16])
    """

    takes_pooling = False  # the latents' cross attention is its pooling

    @classmethod
    def examples(cls) -> list[dict]:
        small = dict(latents=12, dim=16, blocks=1, cross_layers=1, latent_layers=1, heads=2, mlp_dim=16,
                     latent_mlp_dim=16)
        return [small, dict(small, positional=False)]

    def __init__(self, in_dim: int = 80, latents: int = 192, dim: int = 256, blocks: int = 2,
                 cross_layers: int = 2, latent_layers: int = 3, heads: int = 8, mlp_dim: int = 256,
                 latent_mlp_dim: int = 256, dropout: float = 0.0, positional: bool = True,
                 latent_std: float = 0.02):
        super().__init__()
        self.in_dim, self.dim, self.embed_dim, self.positional = in_dim, dim, latents, positional
        self.expand = ConvReluBN(in_dim, dim, 1)  # W_in: 1×1 conv → ReLU → BN
        self.pooling = LatentAggregation(dim, latents, blocks, cross_layers, latent_layers, heads, mlp_dim,
                                         latent_mlp_dim, dropout, latent_std)
        self.norm = nn.BatchNorm1d(latents)

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """F = expand(x) + P ``(B, E, T)``, padded frames zeroed, and the lengths (no stride)."""
        lengths = self.check_input(x, lengths)
        f = self.expand(x)  # frame by frame: nothing mixes time before the attention
        if self.positional:
            f = f + sinusoidal_encoding(x.shape[-1], self.dim, x.device, f.dtype)
        return zero_padding(f, lengths_mask(f, lengths)), lengths

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.norm(pooled)
