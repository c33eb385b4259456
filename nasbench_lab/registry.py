"""Name -> object registries, filled lazily from plugin packages (``algorithms``, ``adapters``).

The core never imports a plugin at import time: a registry knows the dotted path of a mapping
(``"nasbench_lab.algorithms:REGISTRY"``) whose values are ``"module:attribute"`` strings, and imports an
entry only when it is asked for. Adding an algorithm is one file plus one line in that mapping.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


def import_object(path: str) -> Any:
    """Import ``"package.module:attribute"``."""
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


class Registry(Generic[T]):
    """A lazily-resolved map from names to objects of one kind."""

    def __init__(self, kind: str, source: str) -> None:
        self.kind = kind
        self._source = source
        self._paths: dict[str, str] | None = None
        self._extra: dict[str, T] = {}

    def _table(self) -> dict[str, str]:
        if self._paths is None:
            self._paths = dict(import_object(self._source))
        return self._paths

    def names(self) -> list[str]:
        return list(self._table()) + [n for n in self._extra if n not in self._table()]

    def register(self, name: str, obj: T) -> T:
        """Add an entry at run time (for user code and tests)."""
        self._extra[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        self._extra.pop(name, None)

    def get(self, name: str) -> T:
        if name in self._extra:
            return self._extra[name]
        table = self._table()
        prefix, sep, arg = name.partition(":")
        if sep and name not in table and f"{prefix}:" in table:
            # A parameterised entry, e.g. "table:<path>": the entry is a factory taking <path>.
            return import_object(table[f"{prefix}:"])(arg)
        if name not in table:
            hint = difflib.get_close_matches(name, self.names(), n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{more}; choose from: "
                + ", ".join(n + "<path>" if n.endswith(":") else n for n in self.names())
            )
        return import_object(table[name])

    def __contains__(self, name: str) -> bool:
        return name in self._extra or name in self._table()


ALGORITHMS: Registry[Any] = Registry("algorithm", "nasbench_lab.algorithms:REGISTRY")
BENCHMARKS: Registry[Any] = Registry("benchmark", "nasbench_lab.adapters:REGISTRY")
