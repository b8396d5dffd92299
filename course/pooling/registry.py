"""Name → pooling class, so any model takes ``pooling="ASTP"``."""

from __future__ import annotations

from course.pooling.base import WEIGHTS_OVER, Pooling

_REGISTRY: dict[str, type[Pooling]] = {}


def register(name: str):
    """Class decorator: make ``build(name, in_dim, **kw)`` construct this class.

    The class must subclass ``Pooling`` and declare ``weights_over`` and its
    ``reference`` twin (see ``course.pooling.base``).
    """

    def decorate(cls):
        key = name.upper()
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"pooling name {name!r} is registered twice")
        if not issubclass(cls, Pooling):
            raise TypeError(f"pooling {name!r}: {cls.__name__} must subclass course.pooling.base.Pooling")
        if cls.weights_over not in WEIGHTS_OVER:
            raise TypeError(f"pooling {name!r}: declare weights_over, one of {WEIGHTS_OVER}; "
                            f"got {cls.weights_over!r}")
        if cls.reference is None:
            raise TypeError(f"pooling {name!r}: declare its equation-literal twin, "
                            "reference = staticmethod(course.pooling.reference.<module>.<function>)")
        _REGISTRY[key] = cls
        cls.registered_name = name
        return cls

    return decorate


def available() -> list[str]:
    """Every registered pooling name, in registration order."""
    return [cls.registered_name for cls in _REGISTRY.values()]


def pooling_class(name: str) -> type[Pooling]:
    """The class registered as ``name`` (case-insensitive)."""
    try:
        return _REGISTRY[name.upper()]
    except KeyError:
        raise ValueError(f"pooling: unknown name {name!r}; available: {', '.join(available())}") from None


def build(name: str, in_dim: int, **kwargs) -> Pooling:
    """Construct the pooling called ``name`` for ``in_dim`` input channels."""
    return pooling_class(name)(in_dim, **kwargs)


def weighted(over: str) -> list[str]:
    """The registered names whose weights are over ``over`` ("frames", "clusters", "segments", "none")."""
    if over not in WEIGHTS_OVER:
        raise ValueError(f"over: expected one of {WEIGHTS_OVER}, got {over!r}")
    return [name for name in available() if pooling_class(name).weights_over == over]
