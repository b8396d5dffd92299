"""Name → class, one rule for every registry of the course (poolings, models, heads).

Names are looked up without regard to case ("astp", "ASTP" and "Astp" are one name) and listed as
they were registered. Registering a second class under a taken name is an error, unless
``replace=True`` says it is meant (a notebook cell run twice, a learner's own pooling).
"""

from __future__ import annotations

from collections.abc import Callable


class Registry:
    """``kind`` names what is registered in error messages ("pooling", "model", "head"); ``check(name, cls)``
    (optional) raises when a class does not keep the kind's contract."""

    def __init__(self, kind: str, check: Callable[[str, type], None] | None = None):
        self.kind, self.check = kind, check
        self._classes: dict[str, type] = {}
        self._names: dict[str, str] = {}  # key → the name as registered
        self._aliases: dict[str, str] = {}

    @staticmethod
    def key(name: str) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a registered name must be a non-empty string, got {name!r}")
        return name.strip().casefold()

    def add(self, name: str, cls: type, *aliases: str, replace: bool = False) -> type:
        """Register ``cls`` as ``name`` (and ``aliases``); ``replace=True`` allows taking a used name."""
        key = self.key(name)
        taken = self._classes.get(key) or self._classes.get(self._aliases.get(key, ""))
        if taken is not None and taken is not cls and not replace:
            raise ValueError(f"{self.kind} name {name!r} is registered twice (pass replace=True to replace "
                             f"{taken.__name__})")
        if self.check is not None:
            self.check(name, cls)
        self._aliases.pop(key, None)
        self._classes[key], self._names[key] = cls, name
        for alias in aliases:
            self._aliases[self.key(alias)] = key
        cls.registered_name = name
        return cls

    def register(self, name: str, *aliases: str, replace: bool = False):
        """Class decorator: ``@registry.register("ASTP")``."""
        return lambda cls: self.add(name, cls, *aliases, replace=replace)

    def get(self, name: str) -> type:
        """The class registered as ``name`` or one of its aliases; a clear error listing the names otherwise."""
        key = self.key(name) if isinstance(name, str) and name.strip() else ""
        key = self._aliases.get(key, key)
        if key not in self._classes:
            raise ValueError(f"{self.kind}: unknown name {name!r}; available: {', '.join(self.names())}")
        return self._classes[key]

    def names(self) -> list[str]:
        """Every registered name (aliases left out), in registration order, spelled as registered."""
        return list(self._names.values())

    def remove(self, name: str) -> None:
        """Forget ``name`` and its aliases (a test's or a notebook's temporary class)."""
        key = self._aliases.get(self.key(name), self.key(name))
        self._classes.pop(key, None)
        self._names.pop(key, None)
        self._aliases = {alias: target for alias, target in self._aliases.items() if target != key}

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except ValueError:
            return False
        return True
