"""What an algorithm may know about its run, passed as one typed object."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from nasbench_lab.infra.settings import Settings


def _discard(seconds: float) -> None:
    """A compute recorder that keeps nothing (for runs outside the runner)."""


@dataclass(frozen=True)
class RunContext:
    """The run an algorithm is part of: benchmark and dataset names, the seed, the settings
    (data, cache and image directories), and ``record_compute(seconds)`` for compute spent
    outside queries (proxy scoring, surrogate fitting, supernet training), and
    ``save_artefact(name, data)`` for what the algorithm produces (epoch records, a derived cell):
    the runner stores ``artefacts`` beside the run file in the results folder. It gives no access
    to any metric: that goes through the oracle only."""

    benchmark: str = ""
    dataset: str | None = None
    seed: int | None = None
    settings: Settings = field(default_factory=Settings)
    record_compute: Callable[[float], None] = _discard
    artefacts: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def save_artefact(self, name: str, data: dict | bytes) -> None:
        """Keep ``data`` (a dict, written as JSON, or bytes) as the run's artefact ``name`` (a plain
        file name such as ``oneshot.json``; saved again, the last data wins)."""
        from nasbench_lab.infra.artefacts import check_name, encode

        self.artefacts[check_name(name)] = encode(name, data)
