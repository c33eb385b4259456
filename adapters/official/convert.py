"""Official NAS-Bench-201 / NATS-Bench files converted through their official APIs: the shared
converter and cache of the ``nb201-official``, ``nats-tss`` and ``nats-sss`` benchmarks
(``official.nb201``, ``official.nats``; the benchmark class in ``official.benchmark``).

Protocol of the papers (NAS-Bench-201 / NATS-Bench), per dataset; every value is the mean over
the file's trials (``is_random=False``):

==============  ===============================================  ==========================================
dataset         search metric ``valid_acc_12ep``                 report metric ``test_acc_<full>ep``
==============  ===============================================  ==========================================
cifar10         ``get_more_info(i, 'cifar10-valid', hp='12')``   ``get_more_info(i, 'cifar10', hp=full)``
                ``['valid-accuracy']`` (set ``x-valid``)          ``['test-accuracy']`` (set ``ori-test``)
cifar100        ``get_more_info(i, 'cifar100', hp='12')``        ``get_more_info(i, 'cifar100', hp=full)``
                ``['valid-accuracy']`` (set ``x-valid``)          ``['test-accuracy']`` (set ``x-test``)
ImageNet16-120  as cifar100 with ``'ImageNet16-120'``            as cifar100 with ``'ImageNet16-120'``
==============  ===============================================  ==========================================

``full`` is the full training schedule: ``'200'`` for the topology files (NAS-Bench-201 and
NATS tss, ``full_epochs_in_paper == 200``) and ``'90'`` for the size file (NATS sss,
``full_epochs_in_paper == 90``; its hps are ``'01'``, ``'12'``, ``'90'``).

Costs come from the full-schedule record of ``dataset`` itself (what
``api.get_cost_info(i, dataset, hp=full)`` returns; read from ``arch2infos_dict`` directly to skip
the API's deep copy), named as in ``nasbench_lab.core.costs``: ``flops`` is in MFLOPs -> ``flops_m``;
``params`` in millions of parameters (the API prints "MB") -> ``params_m``; ``latency`` in
seconds (``ResultsCount.get_latency`` "Return the latency value in seconds") -> ``latency_ms`` =
1000 x latency. A cost column that the file lacks for some architecture is left out of the
benchmark (named in its ``note``); a missing search or report value is a ``TableError``.

Index mapping: every official index ``k`` is mapped to our index by parsing ``meta_archs[k]``
with the space's ``parse``; ``OfficialBenchmark.official_index`` holds our index -> official index
(-1 when the file does not list the architecture). For the topology files the official order is
NB201Space's order shuffled once by ``random.seed(88)`` (``nb201.topology_official_order``); for
the size file it equals ``NATSSizeSpace``'s base-8 order. Neither is relied upon.

Caching: the whole table is converted ONCE through the API into numpy arrays, written as
``<cache_dir>/official/<name>-<dataset>-<digest>.npz`` for all three datasets, where the digest
covers the resolved path, its size and mtime (for a fast-mode directory also its
``meta.pickle.pbz2`` and number of entries) and the dataset. Later loads read the ``.npz`` and
never touch the API.
"""
from __future__ import annotations

import hashlib
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nasbench_lab.infra.settings import FILE_ENVS, Settings
from nasbench_lab.infra import cache_layout
from nasbench_lab.errors import ArchError, BenchmarkFileError, NasLabError
from nasbench_lab.infra.files import write_npz
from nasbench_lab.core.space import FiniteSpace

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
#: dataset -> (API dataset of the search metric, API dataset of the report metric)
PROTOCOL = {
    "cifar10": ("cifar10-valid", "cifar10"),
    "cifar100": ("cifar100", "cifar100"),
    "ImageNet16-120": ("ImageNet16-120", "ImageNet16-120"),
}
SEARCH_HP = "12"
SEARCH_KEY = "valid-accuracy"
REPORT_KEY = "test-accuracy"
SEARCH_METRIC = "valid_acc_12ep"
COSTS = ("flops_m", "params_m", "latency_ms")
#: cost name -> (key of ``get_cost_info``, scale): MFLOPs, M parameters, seconds -> ms
_COST_KEYS = (("flops_m", "flops", 1.0), ("params_m", "params", 1.0), ("latency_ms", "latency", 1000.0))
CACHE_VERSION = 2  # 2: cost params_mb renamed params_m
PICKLE_EXT = "pickle.pbz2"  # nats_bench.api_utils.PICKLE_EXT


@dataclass(frozen=True)
class OfficialSource:
    """One kind of official file: how to open it and what its protocol is."""

    name: str
    title: str
    what: str
    space: Callable[[], FiniteSpace]
    full_hp: str
    opener: Callable[[Path], Any]

    @property
    def report_metric(self) -> str:
        return f"test_acc_{int(self.full_hp)}ep"

    @property
    def env(self) -> str:
        return FILE_ENVS[self.name]

    @property
    def metrics(self) -> tuple[str, ...]:
        return (SEARCH_METRIC, self.report_metric, *COSTS)


def _reason(exc: BaseException) -> str:
    """A one-line description of an exception raised by an official API."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def resolve_path(source: OfficialSource, settings: Settings) -> Path:
    """The user's path for ``source``, or a ``BenchmarkFileError`` saying how to give one."""
    how = f"pass --benchmark-file {source.name}=PATH or set {source.env}"
    raw = settings.files.get(source.name)
    if raw is None or str(raw) == "":
        raise BenchmarkFileError(f"benchmark {source.name!r} needs {source.what}: {how}")
    path = Path(raw).expanduser()
    if not path.exists():
        raise BenchmarkFileError(f"{source.title} for benchmark {source.name!r} not found: {path} ({how})")
    return path


def open_api(source: OfficialSource, path: Path):
    """The official API object for ``path``; any failure becomes a one-line ``BenchmarkFileError``."""
    try:
        api = source.opener(path)
    except BenchmarkFileError:
        raise
    except Exception as exc:  # the APIs raise ValueError, AssertionError, OSError, pickle errors, ...
        raise BenchmarkFileError(f"cannot read {source.title} {path}: {_reason(exc)}") from None
    metas = getattr(api, "meta_archs", None)
    if not isinstance(metas, (list, tuple)) or not metas:
        raise BenchmarkFileError(f"cannot read {source.title} {path}: it lists no architectures (meta_archs)")
    return api


# --------------------------------------------------------------------------- conversion


def _cost_info(api, k: int, dataset: str, hp: str) -> dict:
    """``api.get_cost_info(k, dataset, hp)`` without its deep copy of the architecture record."""
    infos = getattr(api, "arch2infos_dict", None)
    if isinstance(infos, dict) and k in infos and hp in infos[k]:
        return infos[k][hp].get_compute_costs(dataset)
    return api.get_cost_info(k, dataset, hp=hp)


def _finite(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


class _NoRecord(Exception):
    """The API has no record at all for an architecture (a file that lacks it)."""


def _convert_one(api, k: int, j: int, report: str, hp_full: str, values, fail) -> None:
    """Fill our index ``j`` of every column from the API's official index ``k``."""
    records = getattr(api, "arch2infos_dict", None)
    for ds in DATASETS:
        search_ds, report_ds = PROTOCOL[ds]
        cols = values[ds]
        for metric, api_ds, hp, key in (
            (SEARCH_METRIC, search_ds, SEARCH_HP, SEARCH_KEY),
            (report, report_ds, hp_full, REPORT_KEY),
        ):
            try:
                x = _finite(api.get_more_info(k, api_ds, hp=hp, is_random=False)[key])
            except Exception as exc:  # the file lacks this architecture, dataset or hp
                if isinstance(records, dict) and k not in records:
                    raise _NoRecord() from exc
                fail(ds, metric, j, lambda exc=exc: f"get_more_info({k}, {api_ds!r}, hp={hp!r}) failed: {_reason(exc)}")
                continue
            if x is None:
                fail(ds, metric, j, lambda: f"{key} of {api_ds!r} (hp={hp!r}) is not a number")
            else:
                cols[metric][j] = x
        try:
            cost = _cost_info(api, k, ds, hp_full)
        except Exception as exc:
            for c in COSTS:
                fail(ds, c, j, lambda exc=exc: f"get_cost_info({k}, {ds!r}, hp={hp_full!r}) failed: {_reason(exc)}")
            continue
        for c, key, scale in _COST_KEYS:
            x = _finite(cost.get(key))
            if x is None or (c == "latency_ms" and x <= 0):
                fail(ds, c, j, lambda: f"no {key} recorded for {ds!r} (hp={hp_full!r})")
            else:
                cols[c][j] = x * scale


def convert(api, source: OfficialSource, where: str = "") -> dict[str, dict[str, np.ndarray]]:
    """All datasets of an opened official API as arrays indexed by our space index.

    Returns ``{dataset: {metric: float array, "official_index": int array, "reason:<metric>":
    0-d str array}}``. A value the file does not have is NaN and its column's first failure is
    kept in ``reason:<metric>``. Raises ``BenchmarkFileError`` if the file lists an architecture
    outside the space (e.g. a size file given as a topology file) or lists one twice.
    """
    where = where or source.title
    space = source.space()
    metas = list(api.meta_archs)
    official = np.full(space.size, -1, dtype=np.int64)
    ours = np.empty(len(metas), dtype=np.int64)
    for k, text in enumerate(metas):
        try:
            j = space.index(space.parse(text))
        except ArchError as exc:
            raise BenchmarkFileError(
                f"{where}: architecture {k} ({text!r}) is not in the {space.name} space; is this a {source.title}? ({exc})"
            ) from None
        if official[j] >= 0:
            raise BenchmarkFileError(f"{where} lists {text!r} twice (official indices {official[j]} and {k})")
        official[j], ours[k] = k, j

    report = source.report_metric
    values = {ds: {m: np.full(space.size, np.nan) for m in source.metrics} for ds in DATASETS}
    reasons: dict[str, dict[str, str]] = {ds: {} for ds in DATASETS}

    def fail(ds: str, metric: str, j: int, why: Callable[[], str]) -> None:
        """Keep the first failure of a column (``why`` is only formatted for that one)."""
        if metric not in reasons[ds]:
            reasons[ds][metric] = f"{space.format(space.arch_at(int(j)))}: {why()}"

    hp_full = source.full_hp
    fast = bool(getattr(api, "fast_mode", False))
    records = getattr(api, "arch2infos_dict", None)
    for k in range(len(metas)):
        j = int(ours[k])
        try:
            _convert_one(api, k, j, report, hp_full, values, fail)
        except _NoRecord as missing:
            why = f"the file has no record for official index {k}: {_reason(missing.__cause__ or missing)}"
            for ds in DATASETS:
                for metric in source.metrics:
                    fail(ds, metric, j, lambda: why)
        if fast and isinstance(records, dict):  # fast mode keeps every record it loads: drop it
            records.pop(k, None)
            api.evaluated_indexes.discard(k)

    out: dict[str, dict[str, np.ndarray]] = {}
    unlisted = np.flatnonzero(official < 0)
    for ds in DATASETS:
        table = dict(values[ds])
        table["official_index"] = official.copy()
        for metric in source.metrics:
            if unlisted.size:
                fail(ds, metric, int(unlisted[0]), lambda: "not listed in the file's meta_archs")
            table[f"reason:{metric}"] = np.array(reasons[ds].get(metric, ""))
        out[ds] = table
    return out


# --------------------------------------------------------------------------- cache


def _fingerprint(path: Path) -> str:
    p = path.resolve()
    st = p.stat()
    parts = [str(p), "dir" if p.is_dir() else "file", str(st.st_size), str(st.st_mtime_ns)]
    if p.is_dir():
        meta = p / f"meta.{PICKLE_EXT}"
        if meta.is_file():
            ms = meta.stat()
            parts += [str(ms.st_size), str(ms.st_mtime_ns)]
        with os.scandir(p) as entries:
            parts.append(str(sum(1 for _ in entries)))
    return "|".join(parts)


def cache_path(source: OfficialSource, path: Path, dataset: str, settings: Settings) -> Path:
    """Where the converted arrays of ``path`` for ``dataset`` are cached."""
    key = f"v{CACHE_VERSION}|{source.name}|{dataset}|{_fingerprint(path)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return cache_layout.official(settings.cache_dir) / f"{source.name}-{dataset}-{digest}.npz"


def _read_cache(file: Path, source: OfficialSource) -> dict[str, np.ndarray] | None:
    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as npz:
            table = {k: npz[k] for k in npz.files}
    except Exception:  # unreadable cache: convert again
        return None
    size = source.space().size
    needed = (*source.metrics, "official_index")
    if any(k not in table or table[k].shape != (size,) for k in needed):
        return None
    return table


def _write_cache(file: Path, table: dict[str, np.ndarray]) -> None:
    """Write ``file`` atomically; a cache that cannot be written only costs a warning."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_npz(file, table, durable=False)
    except (OSError, NasLabError) as exc:
        warnings.warn(f"could not write the benchmark cache {file}: {exc}", stacklevel=3)


def load_tables(source: OfficialSource, dataset: str, settings: Settings) -> tuple[dict[str, np.ndarray], Path]:
    """The converted arrays of ``dataset`` (from the cache, else through the API) and the path."""
    path = resolve_path(source, settings)
    file = cache_path(source, path, dataset, settings)
    table = _read_cache(file, source)
    if table is None:
        api = open_api(source, path)
        tables = convert(api, source, str(path))
        for ds, t in tables.items():
            _write_cache(cache_path(source, path, ds, settings), t)
        table = tables[dataset]
    return table, path
