"""Proxy tables: a proxy computed once for the architectures of a search space, cached as CSV.

Files live in ``<cache_dir>/proxies/`` (``Settings.cache_dir``, ``$NASBENCH_LAB_CACHE``)::

    <proxy>-<space>-<dataset>-seed<S>[-<data>].partial.csv   rows appended as chunks finish
    <proxy>-<space>-<dataset>-seed<S>[-<data>].csv           the complete table (every arch once)
    <proxy>-<space>-<dataset>-seed<S>[-<data>].json          what was computed, how, how long

Columns: ``arch_str`` (the space's string form), ``<proxy>`` (the reported value: log10 for
SynFlow, floors for zero/undefined scores, see ``Proxy.report``), ``raw`` (the raw score),
``seconds`` (time to build the network and score it, in its worker process). The complete CSV
can be served as a metric by a ``table`` declaration (``"metrics": {"synflow":
"p:synflow"}`` with ``"p": {"path": "<file>", "arch_column": "arch_str"}``).

Computation is spread over processes (one PyTorch thread each, so results do not depend on the
number of processes), shown with a progress bar, and resumable: rows already in the partial
file are not computed again. A network factory per space builds the networks (``NETWORKS``).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
import functools
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import NasLabError, TableError, UnknownNameError
from ..parallel import parallel_map, torch_threads
from ..registry import import_object
from . import Proxy, get_proxy, proxy_batch

#: search space name -> ``make_builder(dataset, *, batchnorm, seed, dtype, prune)`` returning
#: an ``arch -> nn.Module`` factory. One line per space.
NETWORKS = {
    "nb201": "nasbench_lab.adapters.nb201.network:make_builder",
    "nats-size": "nasbench_lab.adapters.nats_size.network:make_builder",
}
CHUNK = 48
COLUMNS = ["arch_str", "raw", "seconds"]


@dataclass(frozen=True)
class TableConfig:
    """Everything a proxy score depends on."""

    proxy: str
    space: str
    dataset: str
    seed: int = 0
    image_dir: str | None = None
    batch_size: int = 64

    @property
    def spec(self) -> Proxy:
        return get_proxy(self.proxy)

    def data_tag(self) -> str:
        if not self.spec.needs_data:
            return ""
        if self.image_dir is None:
            return f"-synthetic{self.batch_size}"
        digest = hashlib.sha1(str(Path(self.image_dir).expanduser().resolve()).encode()).hexdigest()[:8]
        return f"-data{digest}b{self.batch_size}"

    def stem(self) -> str:
        return f"{self.proxy}-{self.space}-{self.dataset}-seed{self.seed}{self.data_tag()}"


@dataclass
class ProxyScores:
    """Scores of some architectures (space indices), in the order asked."""

    config: TableConfig
    indices: np.ndarray
    raw: np.ndarray
    seconds: np.ndarray
    source: str
    computed: int = 0
    reused: int = 0
    wall_seconds: float = 0.0
    path: Path | None = None
    complete: bool = False

    @property
    def values(self) -> np.ndarray:
        """Reported values (log10 for log-scale proxies, floors for zero/undefined)."""
        report = self.config.spec.report
        return np.array([report(float(r)) for r in self.raw], dtype=float)


def _space(name: str):
    from nasbench_lab.adapters.table import make_space

    return make_space(name)


def check_supported(space_name: str) -> None:
    if space_name not in NETWORKS:
        raise UnknownNameError(
            f"no network builder for search space {space_name!r}: proxies run on {', '.join(NETWORKS)}"
        )


# --------------------------------------------------------------------- worker side


_WORKER: dict[TableConfig, tuple[Callable, Any]] = {}


def _scorer(config: TableConfig):
    """(build, batch) for a configuration, cached per process."""
    if config not in _WORKER:
        spec = config.spec
        make = import_object(NETWORKS[config.space])
        build = make(config.dataset, batchnorm=spec.batchnorm, seed=config.seed,
                     dtype=spec.torch_dtype if spec.dtype != "float32" else None, prune=spec.prunable)
        batch = proxy_batch(spec, config.dataset, config.image_dir, config.batch_size, config.seed)
        _WORKER.clear()
        _WORKER[config] = (build, batch)
    return _WORKER[config]


def score_indices(config: TableConfig, indices: Sequence[int]) -> list[tuple[int, float, float]]:
    """``(index, raw score, seconds)`` for each index, in this process (one thread)."""
    with torch_threads(1):
        build, batch = _scorer(config)
        space = _space(config.space)
        spec = config.spec
        out = []
        for i in indices:
            start = time.perf_counter()
            net = build(space.arch_at(int(i)))
            raw = spec(net, batch)
            out.append((int(i), float(raw), time.perf_counter() - start))
        return out


def data_source(config: TableConfig) -> str:
    spec = config.spec
    return proxy_batch(spec, config.dataset, config.image_dir, config.batch_size, config.seed).source


# --------------------------------------------------------------------- files


def table_paths(config: TableConfig, cache_dir: Path) -> tuple[Path, Path, Path]:
    root = Path(cache_dir) / "proxies"
    stem = config.stem()
    return root / f"{stem}.csv", root / f"{stem}.partial.csv", root / f"{stem}.json"


def _read_rows(path: Path, space) -> dict[int, tuple[float, float]]:
    """index -> (raw, seconds) from a table or partial file (a torn last line is ignored)."""
    if not path.is_file():
        return {}
    try:
        frame = pd.read_csv(path, on_bad_lines="skip")
    except pd.errors.EmptyDataError:
        return {}
    except Exception as exc:
        raise TableError(f"cannot read proxy table {path}: {exc}") from None
    if not set(COLUMNS) <= set(frame.columns):
        raise TableError(f"{path} is not a proxy table (needs columns {', '.join(COLUMNS)}); delete it to recompute")
    rows: dict[int, tuple[float, float]] = {}
    for text, raw, sec in zip(frame["arch_str"], frame["raw"], frame["seconds"]):
        try:
            raw, sec = float(raw), float(sec)
            rows[space.index(space.parse(str(text)))] = (raw, sec)
        except (NasLabError, ValueError, TypeError):
            continue  # a torn or foreign line: recomputed
    return rows


def load_scores(config: TableConfig, cache_dir: Path) -> dict[int, tuple[float, float]]:
    """Everything already computed for ``config`` (complete table and partial rows)."""
    check_supported(config.space)
    space = _space(config.space)
    full, partial, _ = table_paths(config, cache_dir)
    rows = _read_rows(full, space)
    if len(rows) < space.size:
        rows.update(_read_rows(partial, space))
    return rows


def _append(path: Path, space, results: Iterable[tuple[int, float, float]]) -> None:
    new = not path.exists()
    with open(path, "a") as fh:
        if new:
            fh.write(",".join(COLUMNS) + "\n")
        for i, raw, sec in results:
            fh.write(f"{space.format(space.arch_at(i))},{raw!r},{sec:.6f}\n")
        fh.flush()
        os.fsync(fh.fileno())


def _finalise(config: TableConfig, cache_dir: Path, rows: dict[int, tuple[float, float]], meta: dict) -> Path:
    space = _space(config.space)
    full, partial, meta_path = table_paths(config, cache_dir)
    report = config.spec.report
    order = sorted(rows)
    frame = pd.DataFrame({
        "arch_str": [space.format(space.arch_at(i)) for i in order],
        config.proxy: [report(rows[i][0]) for i in order],
        "raw": [rows[i][0] for i in order],
        "seconds": [rows[i][1] for i in order],
    })
    full.parent.mkdir(parents=True, exist_ok=True)
    tmp = full.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False, float_format=None)
    tmp.replace(full)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    if partial.exists():
        partial.unlink()
    return full


# --------------------------------------------------------------------- main entry


def compute_scores(
    config: TableConfig,
    cache_dir: Path,
    indices: Sequence[int] | None = None,
    *,
    jobs: int = 1,
    progress: bool = False,
    write: bool = True,
) -> ProxyScores:
    """Scores of ``indices`` (default: the whole space), reusing cached rows and computing the
    rest over ``jobs`` processes. With ``write`` new rows are appended to the partial file and
    a complete space is written as the final table."""
    check_supported(config.space)
    spec = config.spec
    space = _space(config.space)
    wanted = np.arange(space.size) if indices is None else np.asarray(indices, dtype=np.int64)
    if wanted.size and (wanted.min() < 0 or wanted.max() >= space.size):
        raise NasLabError(f"architecture index out of range 0..{space.size - 1}")
    source = data_source(config)  # validates the data directory before any work
    full, partial, meta_path = table_paths(config, cache_dir)
    rows = load_scores(config, cache_dir)
    todo = [int(i) for i in dict.fromkeys(wanted.tolist()) if int(i) not in rows]
    reused = len(set(wanted.tolist())) - len(todo)
    start = time.perf_counter()
    if todo:
        if write:
            full.parent.mkdir(parents=True, exist_ok=True)
        chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc=f"{spec.name} {config.space}/{config.dataset}", unit="arch",
                       file=sys.stderr, disable=None, smoothing=0.05)

        def done(results):
            for i, raw, sec in results:
                rows[i] = (raw, sec)
            if write:
                _append(partial, space, results)
            if bar is not None:
                bar.update(len(results))

        try:
            for _, results in parallel_map(functools.partial(score_indices, config), chunks, jobs):
                done(results)
        finally:
            if bar is not None:
                bar.close()
    wall = time.perf_counter() - start
    complete = len(rows) == space.size
    path = partial if partial.exists() else None
    if write and complete and (todo or not full.exists()):
        import torch

        meta = {
            "proxy": spec.name, "description": spec.description, "reported_as": spec.unit,
            "floor": spec.floor, "space": config.space, "dataset": config.dataset, "seed": config.seed,
            "data": source, "batchnorm": spec.batchnorm, "dtype": spec.dtype,
            "pruned_networks": spec.prunable, "architectures": space.size,
            "compute_seconds": float(sum(sec for _, sec in rows.values())),
            "wall_seconds_of_completing_run": round(wall, 3), "jobs_of_completing_run": jobs,
            "torch": torch.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        path = _finalise(config, cache_dir, rows, meta)
    elif complete:
        path = full
    raw = np.array([rows[int(i)][0] for i in wanted], dtype=float)
    sec = np.array([rows[int(i)][1] for i in wanted], dtype=float)
    return ProxyScores(config, wanted, raw, sec, source, computed=len(todo), reused=reused,
                       wall_seconds=wall, path=path, complete=complete)


def cached_complete_table(config: TableConfig, cache_dir: Path) -> dict[int, tuple[float, float]] | None:
    """The complete table of ``config`` if it has been computed, else None."""
    full, _, _ = table_paths(config, cache_dir)
    if not full.is_file():
        return None
    rows = _read_rows(full, _space(config.space))
    return rows if len(rows) == _space(config.space).size else None


__all__ = ["NETWORKS", "ProxyScores", "TableConfig", "cached_complete_table", "compute_scores", "load_scores",
           "score_indices", "table_paths"]
