"""Notebook 11's exercise: a pooling of your own, checked, registered, then sent through the shoot-out.

``check_mean_max(cls)`` checks a mean-and-max pooling class (the exercise) on padded batches;
``register_pooling(name, cls)`` puts a class in the pooling registry under ``name``, replacing
an earlier class of the same name (``register(name, replace=True)``): re-running a notebook cell
defines a new class object, which a plain ``register`` refuses as a second registration.
"""

from __future__ import annotations

import torch

from course.checks import check
from course.pooling import registry


def reference_mean_max(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """[mean; max] over the valid frames of each utterance, one at a time (no mask to get wrong)."""
    rows = [torch.cat([x[b, :, :n].mean(-1), x[b, :, :n].amax(-1)]) for b, n in enumerate(lengths.tolist())]
    return torch.stack(rows)


def mean_max_twin(h: torch.Tensor) -> torch.Tensor:
    """[mean; max] of one utterance ``h`` (C, T): the equation-literal twin the pooling registry asks every
    pooling to declare (``reference = staticmethod(mean_max_twin)``)."""
    return torch.cat([h.mean(-1), h.amax(-1)])


def check_mean_max(cls) -> bool:
    """✓/✗ lines for ``cls(in_dim)``: out_dim = 2·in_dim, the reference values on a padded batch with
    garbage in the padding (large, so a max over the padding shows), no gradient into the padding, and
    the reference values without lengths (``pool`` gets ``mask=None``: every frame counts)."""
    torch.manual_seed(0)
    try:
        pool = cls(6)
    except Exception as error:  # noqa: BLE001 - the learner's code: report, do not stop the notebook
        print(f"✗ {cls.__name__}(6) raised {type(error).__name__}: {error}")
        return False
    ok = check(torch.tensor(getattr(pool, "out_dim", -1)), torch.tensor(12), name="out_dim for in_dim = 6")
    x = torch.randn(3, 6, 9, requires_grad=True)
    lengths = torch.tensor([9, 5, 2])
    padded = x.detach().clone()
    for b, n in enumerate(lengths.tolist()):
        padded[b, :, n:] = 100.0  # garbage a pooling must not see
    padded.requires_grad_(True)
    out = _forward(pool, "forward", padded, lengths)
    if out is None:
        return False
    ok = check(out, reference_mean_max(padded.detach(), lengths), name="[mean; max] over valid frames") and ok
    out.sum().backward()
    ok = check(padded.grad[1, :, 5:].abs().sum(), torch.tensor(0.0), name="no gradient into the padding") and ok
    full = torch.randn(2, 6, 7)  # no lengths: every frame is valid and pool() gets mask=None
    unmasked = _forward(pool, "forward without lengths (mask=None)", full)
    if unmasked is None:
        return False
    ok = check(unmasked, reference_mean_max(full, torch.tensor([7, 7])), name="[mean; max] with mask=None") and ok
    return ok


def _forward(pool, label: str, *args):
    """The learner's pooling on ``args``, or None with a ✗ line saying what went wrong."""
    try:
        out = pool(*args)
    except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
        print(f"✗ {label} raised {type(error).__name__}: {error}")
        return None
    if out is None:
        print(f"✗ {label}: the pooling returned None (write pool())")
    return out


def register_pooling(name: str, cls) -> type:
    """Register ``cls`` as ``name`` (replacing an earlier class of that name) and return it."""
    return registry.register(name, replace=True)(cls)
