"""Adapters: search spaces and benchmarks.

Each search space lives in one package that exports its ``ENTRY``
(``nasbench_lab.core.space_entry.SpaceEntry``: the space, its benchmarks, network builder, supernet
and cost functions); ``SPACE_PACKAGES`` lists those packages, one line each, and the registry
(``nasbench_lab.core.registry.SPACE_ENTRIES``) reads them. Adding a space is one package plus one line.
"""
from __future__ import annotations

from typing import Any

#: The search-space packages, one line each; each defines ``ENTRY``.
SPACE_PACKAGES = (
    "nasbench_lab.adapters.nb201",
    "nasbench_lab.adapters.nats_size",
    "nasbench_lab.adapters.nasbench_graph",
    "nasbench_lab.adapters.dynamicnet",
)

#: Benchmarks of no single space: parameterised factories (``table:<declaration path>``).
BENCHMARK_FACTORIES = {
    "table:": "nasbench_lab.adapters.table:spec_from_declaration",
}


def __getattr__(name: str) -> Any:
    """``SPACES`` (space name -> ``"module:attribute"`` of its class), kept for code written
    before the space entries; it is derived from them (``nasbench_lab.core.registry.SPACE_ENTRIES``)."""
    if name == "SPACES":
        from nasbench_lab.core.registry import SPACE_ENTRIES

        return {entry.name: entry.space for entry in SPACE_ENTRIES.entries()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
