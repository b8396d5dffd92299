"""Name → pooling class, so any model takes ``pooling="ASTP"``."""

from __future__ import annotations

from course.pooling.base import WEIGHTS_OVER, Pooling
from course.registry import Registry


def _check(name: str, cls) -> None:
    """The pooling contract a class must declare (see ``course.pooling.base``)."""
    if not (isinstance(cls, type) and issubclass(cls, Pooling)):
        raise TypeError(f"pooling {name!r}: {getattr(cls, '__name__', cls)} must subclass course.pooling.base.Pooling")
    if cls.weights_over not in WEIGHTS_OVER:
        raise TypeError(f"pooling {name!r}: declare weights_over, one of {WEIGHTS_OVER}; got {cls.weights_over!r}")
    if cls.reference is None:
        raise TypeError(f"pooling {name!r}: declare its equation-literal twin, "
                        "reference = staticmethod(course.pooling.reference.<module>.<function>)")


POOLINGS = Registry("pooling", _check)


def register(name: str, replace: bool = False):
    """Class decorator: make ``build(name, in_dim, **kw)`` construct this class (``replace=True`` lets a
    notebook cell register a class again under a taken name). The class must subclass ``Pooling`` and
    declare ``weights_over`` and its ``reference`` twin (see ``course.pooling.base``)."""
    return POOLINGS.register(name, replace=replace)


def available() -> list[str]:
    """Every registered pooling name, in registration order."""
    return POOLINGS.names()


def pooling_class(name: str) -> type[Pooling]:
    """The class registered as ``name`` (case-insensitive)."""
    return POOLINGS.get(name)


def build(name: str, in_dim: int, **kwargs) -> Pooling:
    """Construct the pooling called ``name`` for ``in_dim`` input channels."""
    return pooling_class(name)(in_dim, **kwargs)


def weighted(over: str) -> list[str]:
    """The registered names whose weights are over ``over`` ("frames", "clusters", "segments", "none")."""
    if over not in WEIGHTS_OVER:
        raise ValueError(f"over: expected one of {WEIGHTS_OVER}, got {over!r}")
    return [name for name in available() if pooling_class(name).weights_over == over]
