"""Scoring trials: cosine similarity, optional mean subtraction, adaptive score normalisation.

Cosine scoring compares two length-normalised embeddings. Subtracting a mean
embedding (estimated on training data) first removes the direction every
embedding shares, which otherwise inflates every score. AS-Norm (adaptive
symmetric normalisation, Matejka et al., Interspeech 2017, as used by the
WeSpeaker recipes) standardises each score with the statistics of the top-k
scores of each side against a cohort of other speakers.
"""

from __future__ import annotations

import torch


def normalize(emb: torch.Tensor, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Subtract ``mean`` (if given) and scale each row to unit length."""
    emb = torch.as_tensor(emb, dtype=torch.float32)
    if mean is not None:
        emb = emb - torch.as_tensor(mean, dtype=emb.dtype)
    return torch.nn.functional.normalize(emb, dim=-1)


def cosine_scores(emb_a: torch.Tensor, emb_b: torch.Tensor, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Row-wise cosine similarity of two ``(N, D)`` embedding sets → ``(N,)``."""
    emb_a, emb_b = torch.as_tensor(emb_a), torch.as_tensor(emb_b)
    if emb_a.shape != emb_b.shape or emb_a.dim() != 2:
        raise ValueError(f"emb_a and emb_b must both be (N, D); got {tuple(emb_a.shape)} and {tuple(emb_b.shape)}")
    return (normalize(emb_a, mean) * normalize(emb_b, mean)).sum(-1)


def score_trials(embeddings: dict, trials, mean: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine scores and labels of ``trials`` ((label, enrol, test) triples) from ``embeddings[path]``."""
    missing = [p for _, a, b in trials for p in (a, b) if p not in embeddings]
    if missing:
        raise KeyError(f"{len(missing)} trial file(s) have no embedding, e.g. {missing[0]}")
    a = torch.stack([torch.as_tensor(embeddings[e]) for _, e, _ in trials])
    b = torch.stack([torch.as_tensor(embeddings[t]) for _, _, t in trials])
    labels = torch.tensor([int(lab) for lab, _, _ in trials])
    return cosine_scores(a, b, mean), labels


def as_norm(scores: torch.Tensor, emb_a: torch.Tensor, emb_b: torch.Tensor, cohort: torch.Tensor,
            top_k: int = 300, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Adaptive s-norm: ½[(s − μ_a)/σ_a + (s − μ_b)/σ_b] over each side's top-k cohort scores."""
    cohort = normalize(cohort, mean)
    k = min(top_k, cohort.shape[0])

    def stats(emb):
        top = (normalize(emb, mean) @ cohort.T).topk(k, dim=-1).values
        return top.mean(-1), top.std(-1).clamp(min=1e-6) if k > 1 else torch.ones(top.shape[0])

    (mu_a, sd_a), (mu_b, sd_b) = stats(emb_a), stats(emb_b)
    return 0.5 * ((scores - mu_a) / sd_a + (scores - mu_b) / sd_b)
