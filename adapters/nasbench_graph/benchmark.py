"""The NAS-Bench-Graph benchmark: the tables of the ``nas-bench-graph`` package (no download).

Data comes from the PyPI package ``nas-bench-graph`` (module ``nas_bench_graph``): its
``light_read(dataset)`` returns ``{valid_hash: {'valid_perf', 'perf', 'latency', 'para'}}``,
keyed by the canonical table key of ``canonical``. Only ``nas_bench_graph.readbench`` is used
here; it does not import torch. Trust: ``light_read`` unpickles (plain ``pickle.load``) the data
files installed with the package (``light/<dataset>.bench``), never a file a user names. Every dataset's table covers ``space.space_for(dataset)``
(proteins: the 2,021 architectures over ``PROTEINS_OPS``).

Metrics: ``valid_perf`` (search) and ``perf`` (report) are the package's validation and test
performance x 100 (percent). Costs (names of ``nasbench_lab.core.costs``): ``latency_ms`` = 1000 x
``latency``; the package states no unit, and its values (0.3 ms to 0.6 s per model) read as
wall-clock seconds. ``params_m`` = ``para``, the number of parameters in millions: values are
parameter counts / 1e6 (six decimals; on physics some are thirds, i.e. a mean over the three
seeds).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from nasbench_lab.core.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError

from .canonical import INSTALL_HINT, package
from .space import space_for

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
#: our name -> (field of the package's records, scale): percent, percent, seconds -> ms, millions
METRICS = {
    "valid_perf": ("valid_perf", 100.0),
    "perf": ("perf", 100.0),
    "latency_ms": ("latency", 1000.0),
    "params_m": ("para", 1.0),
}
COSTS = ("latency_ms", "params_m")


def _read_table(dataset: str) -> dict:
    package()
    from nas_bench_graph.readbench import light_read

    try:
        table = light_read(dataset)
    except FileNotFoundError as exc:
        raise BenchmarkFileError(f"nas-bench-graph has no table for dataset {dataset!r}: {exc}") from None
    except Exception as exc:  # truncated or corrupt pickle
        raise BenchmarkFileError(f"cannot read the nas-bench-graph table for {dataset!r}: {exc}") from None
    if not isinstance(table, dict):
        raise BenchmarkFileError(f"nas-bench-graph table for {dataset!r} is a {type(table).__name__}, expected a dict")
    return table


def table_file(dataset: str) -> Path:
    """The package's data file that ``light_read(dataset)`` unpickles (for the checksums)."""
    package()
    from nas_bench_graph import readbench

    return Path(readbench.__file__).absolute().parent / "light" / f"{dataset}.bench"


@lru_cache(maxsize=None)
def load_arrays(dataset: str) -> dict[str, np.ndarray]:
    """Metric arrays of one dataset, indexed by ``space_for(dataset)`` index (NaN where missing)."""
    table = _read_table(dataset)
    space = space_for(dataset)
    records = [table.get(k) for k in space.keys.tolist()]
    found = len(records) - records.count(None)
    if found != len(table):
        raise BenchmarkFileError(
            f"nas-bench-graph table for {dataset!r} has {len(table) - found} entries outside the "
            f"{space.name} space ({space.size} architectures)"
        )
    out = {}
    for name, (field, scale) in METRICS.items():
        try:
            values = np.array([np.nan if r is None else r[field] for r in records], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchmarkFileError(
                f"nas-bench-graph table for {dataset!r}: entries lack a numeric {field!r} ({exc!r})"
            ) from None
        if scale != 1.0:
            values *= scale
        values.setflags(write=False)
        out[name] = values
    return out


NOTE = (
    "valid_perf/perf = the package's validation/test performance in percent; "
    "latency_ms = 1000 x the package's latency (seconds); params_m = the package's para (millions)"
)
PROTEINS_NOTE = "proteins covers only the 2,021 architectures built from gcn, sage, arma, fc, skip"


def load(dataset: str, settings: Settings) -> TabularBenchmark:
    return TabularBenchmark(
        name="nasbench-graph",
        dataset=dataset,
        space=space_for(dataset),
        metrics=load_arrays(dataset),
        search_metric="valid_perf",
        report_metric="perf",
        costs=COSTS,
        note=NOTE + ("; " + PROTEINS_NOTE if dataset == "proteins" else ""),
        files=[table_file(dataset)],
    )


SPEC = BenchmarkSpec(
    name="nasbench-graph",
    description="NAS-Bench-Graph: 26,206 GNN architectures (4 layers, 9 ops) on 9 graph datasets (no download)",
    datasets=DATASETS,
    load=load,
    search_metric="valid_perf",
    report_metric="perf",
    costs=COSTS,
    note=NOTE + "; " + PROTEINS_NOTE,
    needs=INSTALL_HINT,
)
