"""Self-checks for the training exercises (notebook 10)."""

from __future__ import annotations

import torch

from course.checks import check_function, exercise
from course.data.augment import add_noise
from course.scoring import as_norm


@exercise(add_noise)
def check_add_noise(fn) -> bool:
    """``fn(speech (N,), noise (N,), snr_db) -> speech + g·noise`` with power(speech)/power(g·noise) = 10^(snr/10)."""
    g = torch.Generator().manual_seed(0)
    speech, noise = torch.randn(400, generator=g, dtype=torch.float64), torch.rand(400, generator=g,
                                                                                   dtype=torch.float64) - 0.5
    inputs = [(speech, noise, snr) for snr in (0.0, 5.0, 20.0, -3.0)]
    return check_function(fn, add_noise, inputs, name="add_noise", atol=1e-6)


def reference_lr(step: int, steps: int, warmup: int, final: float) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine from 1 to ``final`` at ``steps``."""
    import math

    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress))


@exercise(reference_lr)
def check_lr_schedule(fn) -> bool:
    """``fn(step, steps, warmup, final) -> lr factor`` at a range of steps, as ``course.train`` schedules it."""
    cases = [(s, 100, 10, 0.05) for s in (0, 4, 9, 10, 30, 55, 99, 100)] + [(s, 50, 0, 0.01) for s in (0, 25, 50)]

    def as_tensor(fn_):
        return lambda *args: torch.tensor(float(fn_(*args)), dtype=torch.float64)

    return check_function(as_tensor(fn), as_tensor(reference_lr), cases, name="lr factor", atol=1e-9)


def reference_as_norm(scores, a, b, cohort, k):
    return as_norm(scores, a, b, cohort, top_k=k)


@exercise(reference_as_norm)
def check_as_norm(fn) -> bool:
    """``fn(scores (N,), emb_a (N, D), emb_b (N, D), cohort (M, D), top_k) -> AS-Norm scores (N,)``."""
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(5, 6, generator=g, dtype=torch.float64), torch.randn(5, 6, generator=g, dtype=torch.float64)
    cohort = torch.randn(30, 6, generator=g, dtype=torch.float64)
    scores = torch.nn.functional.cosine_similarity(a, b)
    inputs = [(scores, a, b, cohort, k) for k in (5, 30)]
    return check_function(fn, reference_as_norm, inputs, name="as_norm", atol=1e-5)
