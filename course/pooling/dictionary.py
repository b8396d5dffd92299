"""Dictionary pooling: NetVLAD and GhostVLAD.

NetVLAD: Arandjelović, Gronát, Torii, Pajdla, Sivic, "NetVLAD: CNN architecture
for weakly supervised place recognition", CVPR 2016. GhostVLAD: Zhong,
Arandjelović, Zisserman, "GhostVLAD for set-based face recognition", ACCV 2018.
Xie, Nagrani, Chung, Zisserman, "Utterance-level Aggregation for Speaker
Recognition in the Wild", ICASSP 2019, applied both to speakers (on a thin-ResNet).
Each frame x_t ∈ R^D is softly assigned to K + G clusters,

    a_{t,k} = softmax_k(w_kᵀ x_t + b_k),            k = 1 … K + G,
    V_k     = Σ_t a_{t,k} (x_t − c_k),              k = 1 … K (the G ghost clusters are dropped),

then every residual sum V_k is L2-normalised ("intra-normalisation"), the K of
them are flattened, and the K·D vector is L2-normalised again. Ghost clusters
(G > 0) absorb frames without contributing to the embedding: GhostVLAD. V_k is
a sum over frames, so padded frames (assignment 0) change nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from course.masks import zero_padding
from course.pooling.base import Pooling
from course.pooling.numerics import EPS, at_least_float32, full_precision, l2_normalise, masked_softmax
from course.pooling.reference.dictionary import netvlad
from course.pooling.registry import register


@register("NetVLAD")
class NetVLAD(Pooling):
    """NetVLAD → K·D; returns the soft assignments (B, K + G, T) as weights.

    Args:
        in_dim: D, channels of the frames.
        num_clusters: K, clusters kept in the embedding.
        ghost_clusters: G, clusters that take part in the softmax only.

    Example:
        >>> pool = NetVLAD(in_dim=8, num_clusters=4, ghost_clusters=1)
        >>> embedding, a = pool(torch.randn(2, 8, 30), torch.tensor([30, 9]), return_weights=True)
        >>> embedding.shape, a.shape  # the ghost's assignments are returned, not pooled
        (torch.Size([2, 32]), torch.Size([2, 5, 30]))
    """

    weights_over = "clusters"
    reference = staticmethod(netvlad)

    def __init__(self, in_dim: int, num_clusters: int = 8, ghost_clusters: int = 0, eps: float = EPS):
        super().__init__()
        if num_clusters < 1 or ghost_clusters < 0:
            raise ValueError(f"num_clusters must be ≥ 1 and ghost_clusters ≥ 0, got {num_clusters}, {ghost_clusters}")
        self.in_dim, self.out_dim, self.eps = in_dim, num_clusters * in_dim, eps
        self.num_clusters, self.ghost_clusters = num_clusters, ghost_clusters
        self.assign = nn.Conv1d(in_dim, num_clusters + ghost_clusters, kernel_size=1)  # w_k, b_k
        self.centres = nn.Parameter(0.1 * torch.randn(num_clusters, in_dim))  # c_k

    def pool(self, x, mask):
        x = zero_padding(x, mask)
        logits = self.assign(x)  # (B, K+G, T), may be half precision under autocast
        with full_precision(x):
            a = masked_softmax(logits, None, dim=1)  # a_{t,k}: softmax over clusters
            if mask is not None:
                a = a * mask  # padded frames are assigned nowhere
            x = at_least_float32(x)
            kept = a[:, : self.num_clusters]  # drop the ghosts
            centres = self.centres.to(x.dtype)
            # V_k = Σ_t a_tk x_t − (Σ_t a_tk) c_k
            v = torch.einsum("bkt,bdt->bkd", kept, x) - kept.sum(-1).unsqueeze(-1) * centres
            v = l2_normalise(v, dim=-1, eps=self.eps)  # intra-normalisation
            return l2_normalise(v.flatten(1), dim=-1, eps=self.eps), a

    @torch.no_grad()
    def set_centres(self, centres: torch.Tensor, alpha: float) -> NetVLAD:
        """Make a_{t,k} the soft nearest-centre rule softmax_k(−α‖x_t − c_k‖²).

        −α‖x − c_k‖² = 2α c_kᵀx − α‖c_k‖² − α‖x‖², and the last term is the same for
        every k, so it cancels in the softmax: w_k = 2α c_k, b_k = −α‖c_k‖² (as in
        Arandjelović et al.'s NetVLAD initialisation). ``centres`` has K + G rows;
        the last G are the ghosts.
        """
        if centres.shape != (self.num_clusters + self.ghost_clusters, self.in_dim):
            raise ValueError(f"centres: expected shape ({self.num_clusters + self.ghost_clusters}, {self.in_dim}), "
                             f"got {tuple(centres.shape)}")
        centres = centres.to(self.centres.dtype)
        self.assign.weight.copy_(2 * alpha * centres.unsqueeze(-1))
        self.assign.bias.copy_(-alpha * centres.pow(2).sum(-1))
        self.centres.copy_(centres[: self.num_clusters])
        return self

    def equation_parameters(self) -> dict:
        """The symbols of the equations, for ``reference.dictionary.netvlad``."""
        return {"W": self.assign.weight[:, :, 0], "b": self.assign.bias, "c": self.centres[: self.num_clusters],
                "eps": self.eps}

    def describe_weight_row(self, row: int) -> str:
        kind = "cluster" if row < self.num_clusters else "ghost cluster"
        return f"{kind} {row + 1} of {self.num_clusters + self.ghost_clusters}"

    @classmethod
    def examples(cls) -> list[dict]:
        return [{}, {"num_clusters": 3}]


def kmeans(frames: torch.Tensor, k: int, iterations: int = 20, seed: int = 0) -> torch.Tensor:
    """k centres of ``frames`` (N, D) by Lloyd's algorithm from k random frames (for initialising)."""
    if frames.dim() != 2 or frames.shape[0] < k:
        raise ValueError(f"frames: expected (N ≥ {k}, D), got {tuple(frames.shape)}")
    frames = frames.float()
    generator = torch.Generator().manual_seed(seed)
    centres = frames[torch.randperm(frames.shape[0], generator=generator)[:k]].clone()
    for _ in range(iterations):
        nearest = torch.cdist(frames, centres).argmin(dim=1)
        for j in range(k):
            members = frames[nearest == j]
            if len(members):
                centres[j] = members.mean(0)
    return centres


@register("GhostVLAD")
class GhostVLAD(NetVLAD):
    """NetVLAD with G ghost clusters (default 2) that soak up uninformative frames → K·D.

    Example:
        >>> pool = GhostVLAD(in_dim=8, num_clusters=4)
        >>> embedding, a = pool(torch.randn(1, 8, 30), return_weights=True)
        >>> embedding.shape, a.shape, pool.describe_weight_row(5)
        (torch.Size([1, 32]), torch.Size([1, 6, 30]), 'ghost cluster 6 of 6')
    """

    def __init__(self, in_dim: int, num_clusters: int = 8, ghost_clusters: int = 2, eps: float = EPS):
        super().__init__(in_dim, num_clusters, ghost_clusters, eps)
