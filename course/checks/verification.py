"""Self-checks for the verification exercises (notebook 00): cosine scoring, error rates, EER.

Each check also recognises the usual wrong answers and names the mistake.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from course import metrics
from course.checks import IT_LOOKS_LIKE, assert_passes, check_function, exercise, is_stub
from course.scoring import cosine_scores

__all__ = ["assert_passes", "check_cosine", "check_eer", "check_error_rates"]  # assert_passes: notebooks import it here


def _embedding_pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 16, generator=g), torch.randn(7, 16, generator=g)
    return [(a, b), (a, 3 * a), (a[:1] + 5, b[:1] + 5)]


COSINE_MISTAKES = {
    "the plain dot product: divide by both norms": lambda a, b: (a * b).sum(-1),
    "only one embedding divided by its norm: divide by both": lambda a, b: (a * b).sum(-1) / a.norm(dim=-1),
    "normalisation over the wrong dimension (dim=0, across embeddings): use dim=-1, within each row":
        lambda a, b: (F.normalize(a, dim=0) * F.normalize(b, dim=0)).sum(-1),
}


@exercise(cosine_scores, COSINE_MISTAKES)
def check_cosine(fn) -> bool:
    """``fn(emb_a (N, D), emb_b (N, D)) -> (N,)`` row-wise cosine similarity."""
    if is_stub(fn, _embedding_pairs()[0], "cosine"):
        return False
    return check_function(fn, cosine_scores, _embedding_pairs(), name="cosine", mistakes=COSINE_MISTAKES)


def reference_error_rates(scores, labels, threshold) -> tuple[float, float]:
    """(P_miss, P_fa) when trials scoring ``>= threshold`` are accepted."""
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    return float(np.mean(scores[labels] < threshold)), float(np.mean(scores[~labels] >= threshold))


def _score_cases():
    r = np.random.default_rng(3)
    scores = np.round(np.concatenate([r.normal(1, 1, 30), r.normal(0, 1, 70)]), 1)  # rounded: ties
    labels = np.r_[np.ones(30, int), np.zeros(70, int)]
    order = r.permutation(100)
    return scores[order], labels[order]


def _strict(scores, labels, threshold):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    return float(np.mean(scores[labels] <= threshold)), float(np.mean(scores[~labels] > threshold))


def _counts(scores, labels, threshold):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    return float(np.sum(scores[labels] < threshold)), float(np.sum(scores[~labels] >= threshold))


ERROR_RATE_MISTAKES = {
    "a strict threshold (score > θ): a trial scoring exactly θ is accepted, so use ≥": _strict,
    "(P_fa, P_miss) in the wrong order: return (P_miss, P_fa)":
        lambda s, y, t: reference_error_rates(s, y, t)[::-1],
    "counts instead of rates: divide by the number of targets and of non-targets": _counts,
}


@exercise(reference_error_rates, ERROR_RATE_MISTAKES)
def check_error_rates(fn) -> bool:
    """``fn(scores, labels, threshold) -> (P_miss, P_fa)``; accept when score >= threshold."""
    scores, labels = _score_cases()
    if is_stub(fn, (scores, labels, 0.0), "error_rates"):
        return False
    for threshold in (-1.0, 0.0, 0.5, 0.6, 3.5):
        try:
            got = fn(scores, labels, threshold)
        except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
            print(f"✗ error_rates raised {type(error).__name__}: {error}")
            return False
        want = reference_error_rates(scores, labels, threshold)
        if got is None or len(got) != 2 or not np.allclose(np.asarray(got, float), want, atol=1e-9):
            print(f"✗ at threshold {threshold}: got {got}, expected (P_miss, P_fa) = {want}")
            for description, wrong in ERROR_RATE_MISTAKES.items():
                if got is not None and len(got) == 2 and np.allclose(np.asarray(got, float),
                                                                     wrong(scores, labels, threshold), atol=1e-9):
                    print(f"  {IT_LOOKS_LIKE.format(description)}")
                    break
            return False
    print("✓ error_rates matches the reference at every threshold (ties included)")
    return True


def _eer_cuts(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    cuts = np.r_[np.unique(scores), np.inf]
    miss = np.array([np.mean(scores[labels] < t) for t in cuts])
    fa = np.array([np.mean(scores[~labels] >= t) for t in cuts])
    return miss, fa, int(np.argmax(miss - fa >= 0))


def _eer_no_interpolation(scores, labels):
    miss, _, k = _eer_cuts(scores, labels)
    return miss[k]


def _eer_closest_average(scores, labels):
    miss, fa, _ = _eer_cuts(scores, labels)
    k = int(np.argmin(np.abs(miss - fa)))
    return (miss[k] + fa[k]) / 2


EER_MISTAKES = {
    "a percentage: return a fraction (0.25, not 25)": lambda s, y: 100 * metrics.eer(s, y),
    "P_miss at the first cut where P_miss ≥ P_fa, without interpolating with the cut before":
        _eer_no_interpolation,
    "the mean of P_miss and P_fa at the cut where they are closest, without interpolating": _eer_closest_average,
}


@exercise(metrics.eer, EER_MISTAKES)
def check_eer(fn, atol: float = 1e-9) -> bool:
    """``fn(scores, labels) -> EER`` (a fraction), compared with ``course.metrics.eer``."""
    scores, labels = _score_cases()
    if is_stub(fn, (scores, labels), "eer"):
        return False
    cases = [(scores, labels), (scores[:20], labels[:20]), (np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))]
    mistakes = {description: (lambda s, y, wrong=wrong: torch.tensor(float(wrong(s, y))))
                for description, wrong in EER_MISTAKES.items()}
    return check_function(lambda s, y: torch.tensor(float(fn(s, y))), lambda s, y: torch.tensor(metrics.eer(s, y)),
                          cases, name="eer", atol=atol, rtol=0, mistakes=mistakes)
