"""Proxy tables: a proxy computed once for the architectures of a search space.

Scores live in the shared score cache (``nasbench_lab.proxies.cache``,
``<cache_dir>/proxies/scores.sqlite``; ``Settings.cache_dir``, ``$NASBENCH_LAB_CACHE``), which
every process (the ``proxy`` command, ``synflow-rank`` runs under ``--jobs N``) reads and
writes at once without computing a cell twice. Once a space is fully scored it is also
exported, written then renamed, beside it::

    <proxy>-<space>-<dataset>-seed<S>[-<data>].csv           the complete table (every arch once)
    <proxy>-<space>-<dataset>-seed<S>[-<data>].json          what was computed, how, how long

Columns: ``arch_str`` (the space's string form), ``<proxy>`` (the reported value: log10 for
SynFlow, floors for zero/undefined scores, see ``Proxy.report``), ``raw`` (the raw score),
``seconds`` (time to build the network and score it, in its worker process). The complete CSV
can be served as a metric by a ``table`` declaration (``"metrics": {"synflow":
"p:synflow"}`` with ``"p": {"path": "<file>", "arch_column": "arch_str"}``); when present it
is read instead of the cache.

Computation is spread over processes (one PyTorch thread each, so results do not depend on the
number of processes), shown with a progress bar, and resumable: every chunk of scores is
committed as it finishes. The space's network builder builds the networks (the ``network`` of
its ``SpaceEntry``, ``network_builder``).
Rows of a ``.partial.csv`` left by earlier versions are moved into the cache.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from nasbench_lab.infra import cache_layout
from ..errors import NasLabError, TableError, UnknownNameError
from nasbench_lab.infra.files import write_text
from nasbench_lab.infra.parallel import parallel_map, torch_threads
from nasbench_lab.core.registry import SPACE_ENTRIES, make_space
from nasbench_lab.core.space_entry import resolve
from . import Proxy, get_proxy, proxy_batch
from . import cache as score_cache
from .cache import FillStats, ScoreCache

COLUMNS = ["arch_str", "raw", "seconds"]


@dataclass(frozen=True)
class TableConfig:
    """Everything a proxy score depends on (``device``: the resolved torch device it is computed
    on; scores computed elsewhere than the CPU are kept apart)."""

    proxy: str
    space: str
    dataset: str
    seed: int = 0
    image_dir: str | None = None
    batch_size: int = 64
    device: str = "cpu"

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
        where = "" if self.device == "cpu" else "-" + self.device.replace(":", "")
        return f"{self.proxy}-{self.space}-{self.dataset}-seed{self.seed}{self.data_tag()}{where}"


@dataclass
class ProxyScores:
    """Scores of some architectures (space indices), in the order asked. ``seconds``: the
    recorded compute time of each score (in whichever process computed it). ``computed``: cells
    this call computed; ``reused``: cells found scored (before or while it ran);
    ``waited_seconds``: time spent waiting for cells other processes were computing."""

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
    waited_seconds: float = 0.0

    @property
    def values(self) -> np.ndarray:
        """Reported values (log10 for log-scale proxies, floors for zero/undefined)."""
        report = self.config.spec.report
        return np.array([report(float(r)) for r in self.raw], dtype=float)


def _space(name: str):
    return make_space(name)


def _with_networks() -> list[str]:
    return [entry.name for entry in SPACE_ENTRIES.entries() if entry.network is not None]


def check_supported(space_name: str) -> None:
    """``UnknownNameError`` unless the space's entry gives a network builder."""
    if space_name not in SPACE_ENTRIES or SPACE_ENTRIES.get(space_name).network is None:
        raise UnknownNameError(
            f"no network builder for search space {space_name!r}: proxies run on {', '.join(_with_networks())}"
        )


def network_builder(space_name: str) -> Callable[..., Callable[[Any], Any]]:
    """The space's ``make_builder(dataset, *, batchnorm, seed, dtype, prune)``, which returns an
    ``arch -> nn.Module`` factory (from its ``SpaceEntry``)."""
    check_supported(space_name)
    return resolve(SPACE_ENTRIES.get(space_name).network)


# --------------------------------------------------------------------- worker side


_WORKER: dict[TableConfig, tuple[Callable, Any]] = {}


def _scorer(config: TableConfig):
    """(build, batch) for a configuration, cached per process."""
    if config not in _WORKER:
        spec = config.spec
        make = network_builder(config.space)
        build = make(config.dataset, batchnorm=spec.batchnorm, seed=config.seed,
                     dtype=spec.torch_dtype if spec.dtype != "float32" else None, prune=spec.prunable)
        batch = proxy_batch(spec, config.dataset, config.image_dir, config.batch_size, config.seed)
        if config.device != "cpu":  # the batch moved once per process, not per network
            batch = replace(batch, inputs=batch.inputs.to(config.device), targets=batch.targets.to(config.device))
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
            raw = spec(net if config.device == "cpu" else net.to(config.device), batch)
            out.append((int(i), float(raw), time.perf_counter() - start))
        return out


def data_source(config: TableConfig) -> str:
    spec = config.spec
    return proxy_batch(spec, config.dataset, config.image_dir, config.batch_size, config.seed).source


# --------------------------------------------------------------------- files


def table_paths(config: TableConfig, cache_dir: Path) -> tuple[Path, Path, Path]:
    """The complete table, the partial file of earlier versions, the description."""
    root = cache_layout.proxies(cache_dir)
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


@functools.lru_cache(maxsize=4)
def _complete_rows(path: str, space_name: str, mtime_ns: int, size: int) -> dict[int, tuple[float, float]] | None:
    space = _space(space_name)
    rows = _read_rows(Path(path), space)
    return rows if len(rows) == space.size else None


def cached_complete_table(config: TableConfig, cache_dir: Path) -> dict[int, tuple[float, float]] | None:
    """The complete table of ``config`` if it has been computed, else None (read once per
    version of the file in a process)."""
    full, _, _ = table_paths(config, cache_dir)
    try:
        stat = full.stat()
    except OSError:
        return None
    return _complete_rows(str(full), config.space, stat.st_mtime_ns, stat.st_size)


def _import_partial(config: TableConfig, cache: ScoreCache, space) -> None:
    """Moves the rows of an earlier version's ``.partial.csv`` into the score cache."""
    partial = table_paths(config, cache.path.parent.parent)[1]
    if partial.is_file():
        rows = _read_rows(partial, space)
        cache.put(config.stem(), [(i, raw, sec) for i, (raw, sec) in rows.items()], count_work=False)
        partial.unlink(missing_ok=True)


def load_scores(config: TableConfig, cache_dir: Path) -> dict[int, tuple[float, float]]:
    """Everything already computed for ``config`` (the complete table, else the cache)."""
    check_supported(config.space)
    table = cached_complete_table(config, cache_dir)
    if table is not None:
        return dict(table)
    cache = ScoreCache.at(cache_dir)
    _import_partial(config, cache, _space(config.space))
    return cache.read(config.stem())


def _finalise(config: TableConfig, cache_dir: Path, rows: dict[int, tuple[float, float]], meta: dict) -> Path:
    """Writes the complete table and its description (each written then renamed)."""
    space = _space(config.space)
    full, _, meta_path = table_paths(config, cache_dir)
    report = config.spec.report
    order = sorted(rows)
    frame = pd.DataFrame({
        "arch_str": [space.format(space.arch_at(i)) for i in order],
        config.proxy: [report(rows[i][0]) for i in order],
        "raw": [rows[i][0] for i in order],
        "seconds": [rows[i][1] for i in order],
    })
    full.parent.mkdir(parents=True, exist_ok=True)
    write_text(full, frame.to_csv(index=False, float_format=None), durable=False)
    write_text(meta_path, json.dumps(meta, indent=2) + "\n", durable=False)
    return full


# --------------------------------------------------------------------- computing


def _fill_chunk(config: TableConfig, path: Path, cells: list[int]) -> FillStats:
    """Scores one chunk into the cache in a worker process; cells another process is computing
    are left to it (not waited for)."""
    return ScoreCache(path).fill(config.stem(), cells, functools.partial(score_indices, config), wait=False)[1]


def _fill(config: TableConfig, cache: ScoreCache, todo: list[int], jobs: int, bar) -> FillStats:
    """Scores ``todo`` into the cache, in this process or over ``jobs`` processes (a chunk per
    task), then waits for the cells other processes were computing."""
    start = time.perf_counter()
    compute = functools.partial(score_indices, config)
    update = bar.update if bar is not None else None
    stats = FillStats()
    if jobs > 1 and len(todo) > score_cache.CHUNK:
        chunks = [todo[k:k + score_cache.CHUNK] for k in range(0, len(todo), score_cache.CHUNK)]
        for k, done in parallel_map(functools.partial(_fill_chunk, config, cache.path), chunks, jobs):
            stats = stats.add(done)
            if update is not None:
                update(done.computed)
    rest = cache.fill(config.stem(), todo, compute, on_stored=update)[1]
    stats = stats.add(rest)
    if bar is not None:  # cells other processes scored meanwhile
        bar.update(bar.total - bar.n)
    stats.wall_seconds = time.perf_counter() - start
    return stats


def _fill_with_progress(config: TableConfig, cache: ScoreCache, todo: list[int], jobs: int, progress: bool) -> FillStats:
    """``_fill`` under a progress bar on stderr (with ``progress``)."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"{config.spec.name} {config.space}/{config.dataset}", unit="arch",
                   file=sys.stderr, disable=None, smoothing=0.05)
    try:
        return _fill(config, cache, todo, jobs, bar)
    finally:
        if bar is not None:
            bar.close()


def _table_meta(config: TableConfig, size: int, source: str, everything: dict[int, tuple[float, float]],
                stats: FillStats, jobs: int) -> dict[str, Any]:
    """What the complete table's JSON says about how it was computed."""
    import torch

    spec = config.spec
    return {
        "proxy": spec.name, "description": spec.description, "reported_as": spec.unit,
        "floor": spec.floor, "space": config.space, "dataset": config.dataset, "seed": config.seed,
        "data": source, "batchnorm": spec.batchnorm, "dtype": spec.dtype,
        "pruned_networks": spec.prunable, "architectures": size,
        "compute_seconds": float(sum(sec for _, sec in everything.values())),
        "wall_seconds_of_completing_run": round(stats.wall_seconds, 3), "jobs_of_completing_run": jobs,
        "torch": torch.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def compute_scores(
    config: TableConfig,
    cache_dir: Path,
    indices: Sequence[int] | None = None,
    *,
    jobs: int = 1,
    progress: bool = False,
    export: bool = True,
) -> ProxyScores:
    """Scores of ``indices`` (default: the whole space): read from the complete table or the
    shared cache, the rest computed over ``jobs`` processes and stored in the cache (cells
    other processes are computing are waited for, not computed again). With ``export`` a space
    fully scored is also written as the complete table."""
    check_supported(config.space)
    space = _space(config.space)
    wanted = np.arange(space.size) if indices is None else np.asarray(indices, dtype=np.int64)
    if wanted.size and (wanted.min() < 0 or wanted.max() >= space.size):
        raise NasLabError(f"architecture index out of range 0..{space.size - 1}")
    source = data_source(config)  # validates the data directory before any work
    unique = list(dict.fromkeys(int(i) for i in wanted.tolist()))
    full = table_paths(config, cache_dir)[0]
    rows = cached_complete_table(config, cache_dir)
    stats = FillStats(reused=len(unique))
    path, complete = full, True
    if rows is None:
        cache = ScoreCache.at(cache_dir)
        _import_partial(config, cache, space)
        key = config.stem()
        rows = cache.read(key, unique)
        todo = [i for i in unique if i not in rows]
        if todo:
            stats = _fill_with_progress(config, cache, todo, jobs, progress)
            rows.update(cache.read(key, todo))
            stats.reused = len(unique) - stats.computed
        path, complete = cache.path, cache.count(key) == space.size
        if complete and export:
            everything = cache.read(key)
            meta = _table_meta(config, space.size, source, everything, stats, jobs)
            path = _finalise(config, cache_dir, everything, meta)
    raw = np.array([rows[int(i)][0] for i in wanted], dtype=float)
    sec = np.array([rows[int(i)][1] for i in wanted], dtype=float)
    return ProxyScores(config, wanted, raw, sec, source, computed=stats.computed, reused=stats.reused,
                       wall_seconds=stats.wall_seconds, path=path, complete=complete,
                       waited_seconds=stats.waited_seconds)


__all__ = ["ProxyScores", "TableConfig", "cached_complete_table", "compute_scores", "load_scores",
           "network_builder", "score_indices", "table_paths"]
