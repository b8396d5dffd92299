"""Classification heads that turn speaker embeddings into training logits.

``build(name, embed_dim, num_classes, **kw)`` with names ``available()``:
"softmax" (plain Linear, or ``style="wespeaker"``: BN → ReLU → Linear),
"add_margin" (AM-softmax), "arc_margin" (AAM-softmax), "sphere" (A-softmax).
Every head has ``forward(embeddings, labels=None) -> logits`` (no margin
without labels), ``update(margin)`` for a ``MarginScheduler`` and ``step()``,
called once per training step before its forward pass (the sphere head's λ
schedule counts the steps; the forward pass never changes a head's state).
"""

from __future__ import annotations

from torch import nn

from course.heads.add_margin import AddMarginHead
from course.heads.arc_margin import ArcMarginHead
from course.heads.scheduler import MarginScheduler
from course.heads.softmax import SoftmaxHead
from course.heads.sphere import SphereHead
from course.registry import Registry

HEADS = Registry("head")
for _name, _cls in (("softmax", SoftmaxHead), ("add_margin", AddMarginHead), ("arc_margin", ArcMarginHead),
                    ("sphere", SphereHead)):
    HEADS.add(_name, _cls)

__all__ = ["AddMarginHead", "ArcMarginHead", "HEADS", "MarginScheduler", "SoftmaxHead", "SphereHead",
           "available", "build"]


def available() -> list[str]:
    """Names accepted by ``build``."""
    return HEADS.names()


def build(name: str, embed_dim: int, num_classes: int, **kwargs) -> nn.Module:
    """The head called ``name`` for ``embed_dim``-dimensional embeddings and ``num_classes`` classes."""
    cls = HEADS.get(name)
    if embed_dim < 1 or num_classes < 1:
        raise ValueError(f"embed_dim and num_classes must be ≥ 1, got {embed_dim} and {num_classes}")
    try:
        return cls(embed_dim, num_classes, **kwargs)
    except TypeError as error:
        raise ValueError(f"head {name!r}: bad keyword arguments {sorted(kwargs)}: {error}") from None
