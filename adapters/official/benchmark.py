"""The benchmark class of the official files and its spec (see ``official.convert``)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from nasbench_lab.core.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import TableError
from nasbench_lab.core.space import Arch

from .convert import COSTS, DATASETS, PICKLE_EXT, PROTOCOL, SEARCH_METRIC, OfficialSource, cache_path, load_tables


class OfficialBenchmark(TabularBenchmark):
    """A ``TabularBenchmark`` converted from an official file; knows the official indices."""

    def __init__(self, *, official_index: np.ndarray, path: Path, cache: Path | None = None, **kwargs) -> None:
        self.path = Path(path)
        self.cache = Path(cache) if cache is not None else None
        super().__init__(**kwargs)
        self.official_index = np.asarray(official_index, dtype=np.int64)
        self.official_index.setflags(write=False)

    def data_files(self) -> list[Path]:
        """The official file (for a fast-mode directory its ``meta`` file) and the converted
        cache the arrays were read from, where they exist."""
        official = self.path if self.path.is_file() else self.path / f"meta.{PICKLE_EXT}"
        return [f for f in (official, self.cache) if f is not None and f.is_file()]

    def official_index_of(self, arch: Arch) -> int:
        """The index of ``arch`` in the official file (``api.arch(i)``), -1 if it is not listed."""
        return int(self.official_index[self.space.index(arch)])


def _describe(source: OfficialSource, metric: str, dataset: str) -> str:
    search_ds, report_ds = PROTOCOL[dataset]
    if metric == SEARCH_METRIC:
        return f"12-epoch validation accuracy ({search_ds!r}, hp='12')"
    if metric == source.report_metric:
        return f"{int(source.full_hp)}-epoch test accuracy ({report_ds!r}, hp={source.full_hp!r})"
    return metric


def load(source: OfficialSource, dataset: str, settings: Settings) -> OfficialBenchmark:
    table, path = load_tables(source, dataset, settings)
    space = source.space()
    for metric in (SEARCH_METRIC, source.report_metric):
        missing = np.flatnonzero(~np.isfinite(table[metric]))
        if missing.size:
            why = str(table.get(f"reason:{metric}", np.array(""))) or "no value"
            raise TableError(
                f"{source.name}/{dataset}: {missing.size} of {space.size} architectures have no "
                f"{_describe(source, metric, dataset)} in {path} (first: {why})"
            )
    costs = tuple(c for c in COSTS if np.isfinite(table[c]).all())
    dropped = [f"{c} ({table.get(f'reason:{c}', np.array(''))})" for c in COSTS if c not in costs]
    note = _note(source)
    if dropped:
        note += "; costs missing in this file: " + "; ".join(dropped)
    return OfficialBenchmark(
        name=source.name,
        dataset=dataset,
        space=space,
        metrics={m: table[m] for m in (SEARCH_METRIC, source.report_metric, *costs)},
        search_metric=SEARCH_METRIC,
        report_metric=source.report_metric,
        costs=costs,
        note=note,
        official_index=table["official_index"],
        path=path,
        cache=cache_path(source, path, dataset, settings),
    )


def _note(source: OfficialSource) -> str:
    return (
        f"search = 12-epoch validation accuracy (cifar10: 'cifar10-valid' x-valid), report = "
        f"{int(source.full_hp)}-epoch test accuracy (hp={source.full_hp!r}), mean over trials; "
        f"costs from hp={source.full_hp!r}: flops_m (MFLOPs), params_m (M params), latency_ms"
    )


def make_spec(source: OfficialSource, description: str) -> BenchmarkSpec:
    return BenchmarkSpec(
        name=source.name,
        description=description,
        datasets=DATASETS,
        load=partial(load, source),
        search_metric=SEARCH_METRIC,
        report_metric=source.report_metric,
        costs=COSTS,
        note=_note(source),
        needs=f"{source.what}: --benchmark-file {source.name}=PATH or ${source.env}",
    )
