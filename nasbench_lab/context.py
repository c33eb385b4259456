"""What an algorithm may know about its run, passed as one typed object."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .settings import Settings


def _discard(seconds: float) -> None:
    """A compute recorder that keeps nothing (for runs outside the runner)."""


@dataclass(frozen=True)
class RunContext:
    """The run an algorithm is part of: benchmark and dataset names, the seed, the settings
    (data, cache and image directories), and ``record_compute(seconds)`` for compute spent
    outside queries (proxy scoring, surrogate fitting, supernet training). It gives no access
    to any metric: that goes through the oracle only."""

    benchmark: str = ""
    dataset: str | None = None
    seed: int | None = None
    settings: Settings = field(default_factory=Settings)
    record_compute: Callable[[float], None] = _discard
