"""Name → pooling class, so any model takes ``pooling="ASTP"``."""

from __future__ import annotations

from torch import nn

_REGISTRY: dict[str, type[nn.Module]] = {}


def register(name: str):
    """Class decorator: make ``build(name, in_dim, **kw)`` construct this class."""

    def decorate(cls):
        key = name.upper()
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"pooling name {name!r} is registered twice")
        _REGISTRY[key] = cls
        cls.registered_name = name
        return cls

    return decorate


def available() -> list[str]:
    """Every registered pooling name, in registration order."""
    return [cls.registered_name for cls in _REGISTRY.values()]


def build(name: str, in_dim: int, **kwargs) -> nn.Module:
    """Construct the pooling called ``name`` for ``in_dim`` input channels."""
    try:
        cls = _REGISTRY[name.upper()]
    except KeyError:
        raise ValueError(f"pooling: unknown name {name!r}; available: {', '.join(available())}") from None
    return cls(in_dim, **kwargs)
