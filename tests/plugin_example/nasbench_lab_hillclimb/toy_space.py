"""A whole search space from a plug-in (entry-point group ``nasbench_lab.spaces``): the NB201 cell
under the name ``toy-cell``, with its own benchmark (``toy-cell-table``) and the NB201 networks
for proxies. One entry brings all of it."""
from __future__ import annotations

import numpy as np

from nasbench_lab import BenchmarkSpec, Settings, TabularBenchmark
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.registry import make_space
from nasbench_lab.core.space_entry import SpaceEntry


class ToyCell(NB201Space):
    """The NB201 cell, registered by this plug-in as ``toy-cell``."""

    name = "toy-cell"


def _load(dataset: str, settings: Settings) -> TabularBenchmark:
    space = make_space("toy-cell")
    score = np.array([float(sum(space.arch_at(i))) for i in range(space.size)])
    return TabularBenchmark(name="toy-cell-table", dataset=dataset, space=space,
                            metrics={"valid": score, "test": score + 0.5}, search_metric="valid",
                            report_metric="test", note="synthetic (plug-in example)")


SPEC = BenchmarkSpec(name="toy-cell-table", description="synthetic table on the plug-in's toy-cell space",
                     datasets=("toy",), load=_load, search_metric="valid", report_metric="test",
                     note="synthetic (plug-in example)")

ENTRY = SpaceEntry(
    name="toy-cell",
    space=f"{__name__}:ToyCell",
    benchmarks={"toy-cell-table": f"{__name__}:SPEC"},
    network="nasbench_lab.adapters.nb201.network:make_builder",
)
