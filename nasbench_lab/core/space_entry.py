"""``SpaceEntry``: everything one search space brings, declared once, in the space's own package.

Each ``adapters/<space>/__init__.py`` defines ``ENTRY = SpaceEntry(...)``; ``adapters/__init__.py``
lists those packages (one line each) and the registry (``nasbench_lab.core.registry.SPACE_ENTRIES``)
reads them. Nothing else names a space's parts: the benchmark and cost-function registries, the
proxies' network lookup and ``supernet_provider`` all read the entries.

A part is an object or a ``"module:attribute"`` string (``"module"`` for the supernet provider)
imported only when it is used, so an entry is cheap to read (no torch at import time)::

    ENTRY = SpaceEntry(
        name="my-space",
        space=f"{__name__}.space:MySpace",                    # a SearchSpace class (no arguments)
        benchmarks={"my-bench": f"{__name__}.bench:SPEC"},    # name -> BenchmarkSpec
        network=f"{__name__}.network:make_builder",           # proxies (optional)
        supernet=f"{__name__}.supernet",                      # one-shot methods (optional)
        cost_functions={"my-costs": f"{__name__}.costs:cost_arrays"},  # optional
    )

A third-party package adds a whole space through the entry-point group ``nasbench_lab.spaces``
(``my-space = "my_package:ENTRY"``): its benchmarks and cost functions join the registries and
its network builder and supernet are found by the space's name, as for a built-in space.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


def resolve(part: Any) -> Any:
    """A part itself, or the object a ``"module:attribute"`` (or ``"module"``) string names."""
    if not isinstance(part, str):
        return part
    module, _, attr = part.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


@dataclass(frozen=True, eq=False)
class SpaceEntry:
    """One search space and its parts (see the module docstring).

    ``name``: the space's registered name (its class's ``name`` must equal it);
    ``space``: the ``SearchSpace`` class, built with no arguments;
    ``benchmarks``: benchmark name -> ``BenchmarkSpec``;
    ``network``: ``make_builder(dataset, *, batchnorm, seed, dtype, prune)`` returning an
    ``arch -> nn.Module`` factory, for proxies (``None``: no proxies on this space);
    ``supernet``: a module defining ``build_supernet`` and ``search_data``, for one-shot methods
    (``None``: no supernet);
    ``cost_functions``: name -> ``dataset -> {cost: array by architecture index}``, for a table
    declaration's ``"computed_costs"``.
    """

    name: str
    space: str | type
    benchmarks: Mapping[str, Any] = field(default_factory=dict)
    network: str | Callable[..., Any] | None = None
    supernet: Any = None
    cost_functions: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or any(c in self.name for c in ",/ \t:"):
            raise ValueError(f"a space name must be non-empty, without commas, slashes, colons or spaces: {self.name!r}")
        object.__setattr__(self, "benchmarks", dict(self.benchmarks))
        object.__setattr__(self, "cost_functions", dict(self.cost_functions))

    def space_class(self) -> type:
        """The space's class (imported on first use)."""
        return resolve(self.space)

    def __repr__(self) -> str:
        return f"SpaceEntry({self.name!r}, benchmarks={sorted(self.benchmarks)})"


__all__ = ["SpaceEntry", "resolve"]
