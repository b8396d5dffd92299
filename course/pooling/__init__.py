"""Temporal pooling: frames ``(B, C, T)`` → one vector per utterance.

``build(name, in_dim, **kw)`` makes any registered method; ``available()`` lists
them. Every module of this package registers its classes on import; the
equation-literal versions live in ``course.pooling.reference``.
"""

import importlib
import pkgutil

from course.pooling.registry import available, build, register

_SKIP = {"base", "registry"}
for _module in pkgutil.iter_modules(__path__):
    if not _module.ispkg and _module.name not in _SKIP:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["available", "build", "register"]
