"""``nb201-analog``: the NAS-Bench-201 CIFAR-10 table embedded in the ``analog-nasbench`` wheel.

The wheel's ``data.anb`` is a pickle of ``{6-tuple: Architecture}``. Its ``__init__`` imports
``pkg_resources`` (gone from current setuptools), so the pickle is read here with an unpickler
that maps the wheel's two classes to plain stand-ins and refuses every other global (the file
may also be given with ``--benchmark-file nb201-analog=PATH``). Its tuples use the operation
order (skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3) and the edge order
(0->1, 0->2, 0->3, 1->2, 1->3, 2->3).

The table has one accuracy per cell (``baseline_accuracy`` tracks NB201's 200-epoch CIFAR-10
test accuracy), so the search metric and the report metric coincide on this benchmark.
"""
from __future__ import annotations

import importlib.util
import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from nasbench_lab.core.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.core.table_cache import cached_tabular

from .space import EDGES, OPS, NB201Space

ANALOG_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
ANALOG_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
SCALARS = ("baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy")
DRIFTS = tuple(
    f"{kind}_drift_{t}" for kind in ("baseline", "analog") for t in (60, 3600, 86400, 2592000)
)
NOTE = "one accuracy per cell: search metric = report metric (CIFAR-10 test, analog-nasbench)"


class _Record:
    """Stand-in for ``analognasbench.data.Architecture`` / ``DriftMeasurement``."""


class _Unpickler(pickle.Unpickler):
    """Builds dicts, tuples, numbers, strings and ``_Record``s: the wheel's two classes are its
    only globals. Any other global (a function such as ``os.system`` or ``builtins.eval``, any
    other class) is refused, so a data file given with ``--benchmark-file`` runs no code."""

    CLASSES = {("analognasbench.data", "Architecture"), ("analognasbench.data", "DriftMeasurement")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.CLASSES:
            return _Record
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in analog-nasbench data")


def default_path() -> Path:
    spec = importlib.util.find_spec("analognasbench")
    if spec is None or not spec.submodule_search_locations:
        raise BenchmarkFileError("the analog-nasbench package is not installed (pip install analog-nasbench)")
    return Path(list(spec.submodule_search_locations)[0]) / "data.anb"


def to_analog_key(cell: tuple[int, ...]) -> tuple[int, ...]:
    """Our cell (OPS indices, string edge order) -> the wheel's tuple key."""
    by_edge = {e: OPS[o] for e, o in zip(EDGES, cell)}
    return tuple(ANALOG_OPS.index(by_edge[e]) for e in ANALOG_EDGES)


@lru_cache(maxsize=4)
def load_arrays(path: str) -> dict[str, np.ndarray]:
    """All metrics of the table as arrays indexed by ``NB201Space`` index."""
    try:
        with open(path, "rb") as fh:
            table = _Unpickler(fh).load()
    except FileNotFoundError:
        raise BenchmarkFileError(f"analog-nasbench data file not found: {path}") from None
    except Exception as exc:  # corrupt or truncated pickle
        raise BenchmarkFileError(f"cannot read analog-nasbench data file {path}: {exc}") from None
    space = NB201Space()
    if not isinstance(table, dict) or len(table) != space.size:
        raise BenchmarkFileError(f"{path}: expected {space.size} NB201 cells, found {len(table) if isinstance(table, dict) else type(table).__name__}")
    out = {m: np.full(space.size, np.nan) for m in SCALARS + DRIFTS}
    for i in range(space.size):
        rec = table.get(to_analog_key(space.arch_at(i)))
        if rec is None:
            raise BenchmarkFileError(f"{path}: no entry for cell {space.format(space.arch_at(i))}")
        for m in SCALARS:
            out[m][i] = getattr(rec, m, np.nan)
        for m in DRIFTS:
            out[m][i] = getattr(getattr(rec, m, None), "value", np.nan)
    return out


def load(dataset: str, settings: Settings) -> TabularBenchmark:
    """The benchmark from its converted cache (``nasbench_lab.core.table_cache``), else built."""
    path = Path(settings.files.get("nb201-analog", default_path()))
    return cached_tabular(lambda: build(dataset, path), name="nb201-analog", dataset=dataset,
                          space=NB201Space(), sources=[path], recipe="analog-nasbench data.anb + NB201 costs",
                          cache_dir=settings.cache_dir)


def build(dataset: str, path: Path) -> TabularBenchmark:
    """Read the wheel's pickle and compute the costs (imports torch for the cost network)."""
    from .costs import cost_arrays  # params_m, flops_m computed from the NB201 network

    costs = cost_arrays(dataset)
    arrays = {**load_arrays(str(path)), **costs}
    return TabularBenchmark(
        name="nb201-analog",
        dataset=dataset,
        space=NB201Space(),
        metrics=arrays,
        search_metric="baseline_accuracy",
        report_metric="baseline_accuracy",
        costs=tuple(costs),
        note=NOTE,
        files=[path],
    )


SPEC = BenchmarkSpec(
    name="nb201-analog",
    description="NAS-Bench-201 CIFAR-10 table embedded in the analog-nasbench wheel (no download)",
    datasets=("cifar10",),
    load=load,
    search_metric="baseline_accuracy",
    report_metric="baseline_accuracy",
    costs=("params_m", "flops_m"),  # costs.COSTS (not imported here: it imports torch)
    note=NOTE + "; also " + ", ".join(SCALARS[1:] + DRIFTS),
)
