"""Name -> object registries, filled lazily from plugin packages (``algorithms``, ``adapters``).

The core never imports a plugin at import time: a registry knows the dotted path of a mapping
(``"nasbench_lab.algorithms:REGISTRY"``) whose values are ``"module:attribute"`` strings, and imports an
entry only when it is asked for. Adding an algorithm is one file plus one line in that mapping.

Search spaces are read from their entries (``nasbench_lab.core.space_entry.SpaceEntry``): the packages
listed in ``nasbench_lab.adapters:SPACE_PACKAGES`` each define ``ENTRY``, and ``SPACE_ENTRIES``
reads them; the benchmark and cost-function registries are made from the entries' parts (plus the
parameterised benchmarks of ``nasbench_lab.adapters:BENCHMARK_FACTORIES``, e.g. ``table:``).

Third-party packages add entries through the entry-point groups ``nasbench_lab.algorithms``,
``nasbench_lab.benchmarks`` and ``nasbench_lab.cost_functions`` (entry-point name = registry name,
value = ``"module:attribute"``), or a whole search space through ``nasbench_lab.spaces`` (name =
the space's name, value = ``"module:attribute"`` of its ``SpaceEntry``: its benchmarks, cost
functions, network builder and supernet come with it).
They are discovered and imported once, the first time a registry is used; a built-in name wins
over a plug-in of the same name, and a plug-in that fails to import (or is not an algorithm /
a benchmark) is skipped, with a ``PluginWarning`` naming it in both cases.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import warnings
from typing import Any, Callable, Generic, TypeVar

from nasbench_lab.errors import NasLabError, UnknownNameError
from nasbench_lab.core.space_entry import SpaceEntry, resolve

T = TypeVar("T")

#: Entry-point groups read by ``ALGORITHMS``, ``BENCHMARKS``, ``COST_FUNCTIONS`` and ``SPACE_ENTRIES``.
ALGORITHM_GROUP = "nasbench_lab.algorithms"
BENCHMARK_GROUP = "nasbench_lab.benchmarks"
COST_FUNCTION_GROUP = "nasbench_lab.cost_functions"
SPACE_GROUP = "nasbench_lab.spaces"


class PluginWarning(UserWarning):
    """A plug-in entry point that was skipped (broken, wrong kind, or a name already taken)."""


def import_object(path: str) -> Any:
    """Import ``"package.module:attribute"``: only for paths written in this code base (the
    built-in tables); never for a string read from a data file, a declaration or a results folder."""
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """The installed entry points of ``group`` (a function of its own so tests can replace it)."""
    return list(importlib.metadata.entry_points(group=group))


def _plugin_source(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f" from {dist.name} {dist.version}" if dist is not None else ""


class Registry(Generic[T]):
    """A lazily-resolved map from names to objects of one kind.

    ``source``: the ``"module:attribute"`` of a mapping name -> ``"module:attribute"`` (or object),
    or a function returning that mapping; ``group``: the entry-point group whose entries are
    merged into the name table;
    ``check(name, obj)``: returns why a plug-in object is unusable, or ``None`` if it is fine.
    """

    def __init__(
        self,
        kind: str,
        source: str | Callable[[], dict[str, Any]],
        group: str | None = None,
        check: Callable[[str, Any], str | None] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self._source = source
        self._check = check
        self._paths: dict[str, Any] | None = None
        self._plugins: dict[str, T] = {}
        self._extra: dict[str, T] = {}

    def _table(self) -> dict[str, Any]:
        if self._paths is None:
            self._paths = dict(self._source() if callable(self._source) else import_object(self._source))
            if self.group:  # after setting _paths: a plug-in may use the registry while it loads
                self._load_plugins(self._paths)
        return self._paths

    def _load_plugins(self, table: dict[str, str]) -> None:
        try:
            found = entry_points(self.group)  # type: ignore[arg-type]
        except Exception as exc:  # a corrupt distribution's metadata must not break the built-ins
            warnings.warn(f"cannot read the {self.group!r} entry points: {exc}", PluginWarning, stacklevel=4)
            return
        for ep in found:
            where = f"{self.kind} plug-in {ep.name!r} ({ep.value}{_plugin_source(ep)})"
            if not ep.name.strip() or any(c in ep.name for c in ",/ \t"):
                warnings.warn(f"{where} ignored: a name must be non-empty, without commas, slashes or spaces",
                              PluginWarning, stacklevel=4)
                continue
            if ep.name in table:
                builtin = ep.name not in self._plugins
                warnings.warn(
                    f"{where} ignored: the name is taken by "
                    + ("a built-in " + self.kind if builtin else f"another plug-in ({table[ep.name]})"),
                    PluginWarning, stacklevel=4,
                )
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                warnings.warn(f"{where} skipped: it failed to load: {type(exc).__name__}: {exc}",
                              PluginWarning, stacklevel=4)
                continue
            problem = self._check(ep.name, obj) if self._check else None
            if problem:
                warnings.warn(f"{where} skipped: {problem}", PluginWarning, stacklevel=4)
                continue
            table[ep.name] = ep.value
            self._plugins[ep.name] = obj

    def names(self) -> list[str]:
        return list(self._table()) + [n for n in self._extra if n not in self._table()]

    def plugins(self) -> dict[str, str]:
        """Names added by entry points -> their ``"module:attribute"``."""
        table = self._table()
        return {name: table[name] for name in self._plugins}

    def register(self, name: str, obj: T) -> T:
        """Add an entry at run time (for user code and tests)."""
        self._extra[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        self._extra.pop(name, None)

    def name_of(self, obj: Any) -> str | None:
        """The name ``obj`` is registered under, if any (without importing other entries)."""
        for name, value in self._extra.items():
            if value is obj:
                return name
        table = self._table()
        path = f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}"
        for name, value in table.items():
            if (value == path or value is obj) and name not in self._plugins:
                return name
        for name, value in self._plugins.items():
            if value is obj:
                return name
        return None

    def get(self, name: str) -> T:
        if name in self._extra:
            return self._extra[name]
        table = self._table()
        if name in self._plugins:
            return self._plugins[name]
        prefix, sep, arg = name.partition(":")
        if sep and name not in table and f"{prefix}:" in table:
            # A parameterised entry, e.g. "table:<path>": the entry is a factory taking <path>.
            factory = self._plugins.get(f"{prefix}:") or resolve(table[f"{prefix}:"])
            return factory(arg)  # type: ignore[operator]
        if name not in table:
            hint = difflib.get_close_matches(name, self.names(), n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{more}; choose from: "
                + ", ".join(n + "<path>" if n.endswith(":") else n for n in self.names())
            )
        return resolve(table[name])

    def __contains__(self, name: str) -> bool:
        return name in self._extra or name in self._table()


def _check_algorithm(name: str, obj: Any) -> str | None:
    from nasbench_lab.core.algorithm import Algorithm

    if not (isinstance(obj, type) and issubclass(obj, Algorithm)):
        return f"{obj!r} is not a subclass of nasbench_lab.Algorithm"
    return None


def _check_benchmark(name: str, obj: Any) -> str | None:
    from nasbench_lab.core.benchmark import BenchmarkSpec

    if name.endswith(":"):
        return None if callable(obj) else f"{obj!r} is not callable (a {name}<argument> factory)"
    if not isinstance(obj, BenchmarkSpec):
        return f"{obj!r} is not a nasbench_lab.BenchmarkSpec"
    return None


def _check_cost_function(name: str, obj: Any) -> str | None:
    return None if callable(obj) else f"{obj!r} is not callable (dataset -> {{cost: array by architecture index}})"


class SpaceEntries:
    """The search spaces by name: the ``ENTRY`` of each package listed in ``packages`` (a
    ``"module:attribute"`` naming a sequence of package names), then the entries of the
    entry-point group ``group``. Read once, on first use; a plug-in space whose name, benchmarks or
    cost functions are already taken is skipped with a ``PluginWarning``."""

    def __init__(self, packages: str, group: str | None = None) -> None:
        self._packages = packages
        self.group = group
        self._entries: dict[str, SpaceEntry] | None = None
        self._plugins: set[str] = set()
        self._extra: dict[str, SpaceEntry] = {}

    def _table(self) -> dict[str, SpaceEntry]:
        if self._entries is None:
            entries: dict[str, SpaceEntry] = {}
            for package in import_object(self._packages):
                entry = import_object(f"{package}:ENTRY")
                if not isinstance(entry, SpaceEntry) or entry.name in entries:
                    raise TypeError(f"{package}.ENTRY must be a SpaceEntry with a name of its own, got {entry!r}")
                entries[entry.name] = entry
            self._entries = entries
            if self.group:
                self._load_plugins(entries)
        return self._entries

    def _load_plugins(self, table: dict[str, SpaceEntry]) -> None:
        try:
            found = entry_points(self.group)  # type: ignore[arg-type]
        except Exception as exc:
            warnings.warn(f"cannot read the {self.group!r} entry points: {exc}", PluginWarning, stacklevel=4)
            return
        for ep in found:
            where = f"search space plug-in {ep.name!r} ({ep.value}{_plugin_source(ep)})"
            try:
                entry = ep.load()
            except Exception as exc:
                warnings.warn(f"{where} skipped: it failed to load: {type(exc).__name__}: {exc}",
                              PluginWarning, stacklevel=4)
                continue
            problem = self._clash(ep.name, entry, table)
            if problem:
                warnings.warn(f"{where} skipped: {problem}", PluginWarning, stacklevel=4)
                continue
            table[entry.name] = entry
            self._plugins.add(entry.name)

    @staticmethod
    def _clash(name: str, entry: Any, table: dict[str, SpaceEntry]) -> str | None:
        """Why a plug-in entry cannot join ``table`` (``None`` if it can)."""
        if not isinstance(entry, SpaceEntry):
            return f"{entry!r} is not a nasbench_lab.SpaceEntry"
        if entry.name != name:
            return f"the entry point's name differs from the entry's name {entry.name!r}"
        if name in table:
            return "the name is taken by another search space"
        for kind, field in (("benchmark", "benchmarks"), ("cost function", "cost_functions")):
            taken = {n for other in table.values() for n in getattr(other, field)}
            clash = sorted(taken & set(getattr(entry, field)))
            if clash:
                return f"its {kind} name {clash[0]!r} is taken"
        return None

    def names(self) -> list[str]:
        return list(self._table()) + [n for n in self._extra if n not in self._table()]

    def plugins(self) -> list[str]:
        """Names of the spaces added by entry points."""
        self._table()
        return sorted(self._plugins)

    def entries(self) -> list[SpaceEntry]:
        """Every entry, the built-in ones first."""
        return [self.get(name) for name in self.names()]

    def get(self, name: str) -> SpaceEntry:
        if name in self._extra:
            return self._extra[name]
        table = self._table()
        if name not in table:
            hint = difflib.get_close_matches(name, self.names(), n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UnknownNameError(f"unknown search space {name!r}{more}; choose from: {', '.join(self.names())}")
        return table[name]

    def __contains__(self, name: str) -> bool:
        return name in self._extra or name in self._table()

    def register(self, entry: SpaceEntry) -> SpaceEntry:
        """Add a whole space at run time (user code, tests): its benchmarks and cost functions are
        registered (imported now), its network builder and supernet found by its name. A name
        already taken (the space's, a benchmark's, a cost function's) is a ``NasLabError``."""
        if self._extra.get(entry.name) is not entry:
            taken = [f"search space {entry.name!r}"] if entry.name in self else []
            taken += [f"benchmark {n!r}" for n in entry.benchmarks if n in BENCHMARKS]
            taken += [f"cost function {n!r}" for n in entry.cost_functions if n in COST_FUNCTIONS]
            if taken:
                raise NasLabError(f"cannot register search space {entry.name!r}: {', '.join(taken)} already registered")
        self._extra[entry.name] = entry
        for name, part in entry.benchmarks.items():
            BENCHMARKS.register(name, resolve(part))
        for name, part in entry.cost_functions.items():
            COST_FUNCTIONS.register(name, resolve(part))
        _MADE.pop(entry.name, None)
        return entry

    def unregister(self, name: str) -> None:
        entry = self._extra.pop(name, None)
        if entry is not None:
            for part in entry.benchmarks:
                BENCHMARKS.unregister(part)
            for part in entry.cost_functions:
                COST_FUNCTIONS.unregister(part)
        _MADE.pop(name, None)

    def parts(self, field: str) -> dict[str, Any]:
        """Name -> part of one kind (``"benchmarks"``, ``"cost_functions"``) over the read entries."""
        return {name: part for entry in self._table().values() for name, part in getattr(entry, field).items()}


_MADE: dict[str, Any] = {}


def make_space(name: str) -> Any:
    """The search space registered as ``name`` (one instance per name, built on first use);
    ``UnknownNameError`` listing the spaces otherwise."""
    if name not in _MADE:
        entry = SPACE_ENTRIES.get(name)
        space = entry.space_class()()
        if getattr(space, "name", None) != entry.name:
            raise TypeError(f"search space entry {entry.name!r} builds a space named {getattr(space, 'name', None)!r}")
        _MADE[name] = space
    return _MADE[name]


def _benchmark_table() -> dict[str, Any]:
    return {**SPACE_ENTRIES.parts("benchmarks"), **import_object("nasbench_lab.adapters:BENCHMARK_FACTORIES")}


ALGORITHMS: Registry[Any] = Registry("algorithm", "nasbench_lab.algorithms:REGISTRY", ALGORITHM_GROUP, _check_algorithm)
#: Search spaces by name: their ``SpaceEntry`` (space, benchmarks, network builder, supernet, costs).
SPACE_ENTRIES = SpaceEntries("nasbench_lab.adapters:SPACE_PACKAGES", SPACE_GROUP)
BENCHMARKS: Registry[Any] = Registry("benchmark", _benchmark_table, BENCHMARK_GROUP, _check_benchmark)
#: Functions ``dataset -> {cost name: array by architecture index}`` that a table declaration may
#: name in ``"computed_costs"`` (a registered name, never an import path).
COST_FUNCTIONS: Registry[Any] = Registry("cost function", lambda: SPACE_ENTRIES.parts("cost_functions"),
                                         COST_FUNCTION_GROUP, _check_cost_function)
