"""Convert a tabular benchmark once: a dense on-disk cache of its arrays, so that later loads
neither parse CSV files nor import torch (NB201's costs come from its cost network).

``<cache_dir>/tables/<name>-<dataset>-<key>.npz`` (``np.savez``, read back with
``allow_pickle=False``: no code runs from it) holds every metric array by architecture index,
and as JSON text the benchmark's names (search and report metric, costs, note). ``key`` is a
SHA-256 over the cache format, the benchmark name and dataset, the space (name and size), the
caller's recipe (e.g. a table declaration) and each source file's resolved path, size and
modification time: a changed source or recipe gives another key, so a stale cache is never
read. A change to how a benchmark is converted (e.g. its computed costs) must raise
``FORMAT_VERSION``. A cache file that cannot be read, or does not hold what it should,
is built again and replaced; one that cannot be written costs a warning, never the load.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from nasbench_lab.infra import cache_layout
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import write_npz
from nasbench_lab.core.space import FiniteSpace

FORMAT_VERSION = 2
_META = "meta"


def source_stamp(path: Path) -> list[Any]:
    """What identifies a source file's content cheaply: resolved path, size, modification time."""
    p = Path(path).resolve()
    st = p.stat()
    return [str(p), st.st_size, st.st_mtime_ns]


def cache_file(cache_dir: Path, name: str, dataset: str, space: FiniteSpace,
               sources: Sequence[Path], recipe: Any) -> Path:
    """Where the converted arrays of benchmark ``name``/``dataset`` are cached (``OSError`` if
    a source file cannot be read)."""
    key = json.dumps({
        "format": FORMAT_VERSION, "name": name, "dataset": dataset,
        "space": [space.name, space.size], "recipe": recipe,
        "sources": [source_stamp(p) for p in sources],
    }, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{name}-{dataset}")
    return cache_layout.tables(cache_dir) / f"{safe}-{digest}.npz"


def to_arrays(bench: TabularBenchmark) -> dict[str, np.ndarray]:
    """The cache file's content: one array per metric (``m0``, ``m1``, ...) and the names."""
    names = list(bench.metric_names)
    meta = {"format": FORMAT_VERSION, "name": bench.name, "dataset": bench.dataset,
            "space": bench.space.name, "metrics": names, "search_metric": bench.search_metric_name,
            "report_metric": bench.report_metric_name, "costs": list(bench.cost_names), "note": bench.note}
    arrays = {f"m{k}": np.asarray(bench.values(m), dtype=np.float64) for k, m in enumerate(names)}
    return {_META: np.array(json.dumps(meta)), **arrays}


def from_arrays(data: dict[str, np.ndarray], space: FiniteSpace) -> TabularBenchmark:
    """The benchmark held by a cache file's content (``KeyError``/``ValueError``/``TableError``
    if it is not a complete cache of this format)."""
    meta = json.loads(str(data[_META]))
    if meta["format"] != FORMAT_VERSION or meta["space"] != space.name:
        raise ValueError("another cache format or space")
    return TabularBenchmark(
        name=meta["name"], dataset=meta["dataset"], space=space,
        metrics={m: data[f"m{k}"] for k, m in enumerate(meta["metrics"])},
        search_metric=meta["search_metric"], report_metric=meta["report_metric"],
        costs=tuple(meta["costs"]), note=meta["note"],
    )


def read_cache(file: Path, space: FiniteSpace) -> TabularBenchmark | None:
    """The cached benchmark, or None when the file is absent, unreadable or incomplete."""
    try:
        with np.load(file, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        return from_arrays(data, space)
    except FileNotFoundError:
        return None
    except Exception:  # truncated zip, wrong content, NaN, another format: build it again
        return None


def write_cache(file: Path, bench: TabularBenchmark) -> None:
    """Write ``file`` through a temporary file and a rename; a failure is only a warning."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_npz(file, to_arrays(bench), durable=False)
    except (OSError, NasLabError) as exc:
        warnings.warn(f"could not write the benchmark cache {file}: {exc}", stacklevel=3)


def cached_tabular(build: Callable[[], TabularBenchmark], *, name: str, dataset: str,
                   space: FiniteSpace, sources: Sequence[Path], recipe: Any,
                   cache_dir: Path) -> TabularBenchmark:
    """The benchmark from its converted cache, or ``build()`` once and cached. When a source
    file is missing, ``build()`` runs uncached (and reports the missing file its own way)."""
    try:
        file = cache_file(cache_dir, name, dataset, space, sources, recipe)
    except OSError:
        return build()
    bench = read_cache(file, space)
    if bench is None:
        bench = build()
        write_cache(file, bench)
    bench.name_data_files(sources)  # as this call names them, whoever built the cache
    return bench
