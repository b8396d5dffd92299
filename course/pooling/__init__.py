"""Temporal pooling: frames ``(B, C, T)`` → one vector per utterance.

``build(name, in_dim, **kw)`` makes any registered method; ``available()`` lists
them; ``weighted("frames")`` lists those whose weights are attention over time.
Every module of this package registers its classes on import; the contract they
follow is ``course.pooling.base.Pooling``, their numerics and autocast policy
``course.pooling.numerics``, and their equation-literal twins live in
``course.pooling.reference``.
"""

import importlib
import pkgutil

from course.pooling.registry import available, build, pooling_class, register, weighted

_SKIP = {"base", "numerics", "registry"}
for _module in pkgutil.iter_modules(__path__):
    if not _module.ispkg and _module.name not in _SKIP:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["available", "build", "pooling_class", "register", "weighted"]
