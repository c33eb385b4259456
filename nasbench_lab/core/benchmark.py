"""Benchmarks: the search metric (validation), the report metric (test) and costs of an arch."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import NasLabError, TableError, UnknownNameError
from nasbench_lab.core.space import Arch, FiniteSpace, SearchSpace

#: Common spellings of dataset names, mapped to the official spelling.
DATASET_ALIASES = {
    "cifar-10": "cifar10",
    "c10": "cifar10",
    "cifar10-valid": "cifar10",
    "cifar-100": "cifar100",
    "c100": "cifar100",
    "imagenet16-120": "ImageNet16-120",
    "imagenet16": "ImageNet16-120",
    "imagenet": "ImageNet16-120",
    "in16": "ImageNet16-120",
    "in16-120": "ImageNet16-120",
}


def resolve_dataset(name: str, available: Sequence[str], benchmark: str) -> str:
    """Map a user's dataset spelling to the official one, or raise a clear error."""
    lowered = {d.lower(): d for d in available}
    key = name.strip().lower()
    key = DATASET_ALIASES.get(key, key).lower()
    if key in lowered:
        return lowered[key]
    raise UnknownNameError(
        f"unknown dataset {name!r} for benchmark {benchmark!r}; choose from: {', '.join(available)}"
    )


class Benchmark(ABC):
    """Answers the metrics of architectures of one search space on one dataset.

    Metrics are maximised (accuracies). ``search_metric_fn()`` is the only thing an oracle receives: a
    function that returns the search metric and nothing else.
    """

    name: str
    dataset: str
    space: SearchSpace
    search_metric_name: str
    report_metric_name: str
    cost_names: tuple[str, ...] = ()
    note: str = ""

    @abstractmethod
    def search_metric(self, arch: Arch) -> float:
        """Validation-type metric the algorithms optimise."""

    @abstractmethod
    def report_metric(self, arch: Arch) -> float:
        """Test-type metric used only for reporting."""

    def costs(self, arch: Arch) -> dict[str, float]:
        return {}

    def cost_fn(self, names: Sequence[str]) -> Callable[[Arch], dict[str, float]]:
        """A cost model for the oracle: ``arch -> {name: cost}`` for ``names``, free of the query
        budget (a table lookup, or a measurement without training). It must reach no report
        metric. Tables and live benchmarks with costs override it."""
        raise TableError(f"{self.name}/{self.dataset} has no cost model: it cannot serve costs to a search")

    def data_files(self) -> list[Path]:
        """The files this benchmark's numbers were read from (checksummed into a results
        directory's ``config.json``); none by default."""
        return []

    def report_metrics(self, archs: Sequence[Arch]) -> np.ndarray:
        """The report metric of each of ``archs`` (one float array)."""
        return np.array([self.report_metric(a) for a in archs], dtype=float)

    @property
    def best_report(self) -> float:
        """The best report metric in the benchmark: the reference for regret."""
        raise NotImplementedError

    def search_metric_fn(self) -> Callable[[Arch], float]:
        """A function giving the search metric only (handed to the oracle)."""
        return self.search_metric

    @property
    def max_epochs(self) -> int | None:
        """The full training in epochs of a benchmark with training epochs as a fidelity
        (``fidelity_fn``); None for one without (a table of final results)."""
        return None

    def fidelity_fn(self) -> Callable[[Arch, int], float]:
        """``(arch, epochs) -> search metric`` after ``epochs`` of the full training's schedule
        (handed to ``nasbench_lab.core.fidelity.FidelityOracle``); only where ``max_epochs`` is set."""
        raise NasLabError(f"benchmark {self.name}/{self.dataset} has no training epochs as a fidelity")


class TabularBenchmark(Benchmark):
    """A dense table: one array per metric, indexed by the finite space's architecture index;
    ``files``: the data files the arrays were read from (``data_files()``)."""

    def __init__(
        self,
        *,
        name: str,
        dataset: str,
        space: FiniteSpace,
        metrics: Mapping[str, np.ndarray],
        search_metric: str,
        report_metric: str,
        costs: Sequence[str] = (),
        note: str = "",
        files: Sequence[Path | str] = (),
    ) -> None:
        self.name, self.dataset, self.space, self.note = name, dataset, space, note
        self._files = [Path(f) for f in files]
        self._metrics: dict[str, np.ndarray] = {}
        for metric, values in metrics.items():
            self._metrics[metric] = self._checked(metric, values)
        for metric in (search_metric, report_metric, *costs):
            if metric not in self._metrics:
                raise UnknownNameError(
                    f"{name}/{dataset}: no metric {metric!r}; the table has {', '.join(self._metrics)}"
                )
        self.search_metric_name = search_metric
        self.report_metric_name = report_metric
        self.cost_names = tuple(costs)

    def _checked(self, metric: str, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        where = f"{self.name}/{self.dataset} metric {metric!r}"
        if arr.shape != (self.space.size,):
            raise TableError(f"{where} has shape {arr.shape}, expected ({self.space.size},)")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TableError(f"{where} is not numeric: {exc}") from None
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            first = self.space.format(self.space.arch_at(int(bad[0])))
            raise TableError(f"{where} has {bad.size} NaN/inf entries (first at architecture {first})")
        arr.setflags(write=False)
        return arr

    def data_files(self) -> list[Path]:
        return list(self._files)

    def name_data_files(self, files: Sequence[Path | str]) -> None:
        """Set the files the arrays come from (a cache loader names the sources as given now)."""
        self._files = [Path(f) for f in files]

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self._metrics)

    def values(self, metric: str) -> np.ndarray:
        """The whole (read-only) column of ``metric``, by architecture index."""
        if metric not in self._metrics:
            raise UnknownNameError(f"{self.name}: no metric {metric!r}; choose from {', '.join(self._metrics)}")
        return self._metrics[metric]

    def metric(self, arch: Arch, metric: str) -> float:
        return float(self.values(metric)[self.space.index(arch)])

    def search_metric(self, arch: Arch) -> float:
        return float(self._metrics[self.search_metric_name][self.space.index(arch)])

    def report_metric(self, arch: Arch) -> float:
        return float(self._metrics[self.report_metric_name][self.space.index(arch)])

    def report_metrics(self, archs: Sequence[Arch]) -> np.ndarray:
        index = self.space.index
        rows = np.fromiter((index(a) for a in archs), dtype=np.int64, count=len(archs))
        return self._metrics[self.report_metric_name][rows]

    def costs(self, arch: Arch) -> dict[str, float]:
        i = self.space.index(arch)
        return {c: float(self._metrics[c][i]) for c in self.cost_names}

    @property
    def best_report(self) -> float:
        return float(self._metrics[self.report_metric_name].max())

    def cost_fn(self, names: Sequence[str]) -> Callable[[Arch], dict[str, float]]:
        """Table lookups of the costs ``names`` (holds those columns and the index, nothing else)."""
        columns = {n: self.values(n) for n in names}
        index = self.space.index

        def costs(arch: Arch) -> dict[str, float]:
            i = index(arch)
            return {n: float(col[i]) for n, col in columns.items()}

        return costs

    def search_metric_fn(self) -> Callable[[Arch], float]:
        values = self._metrics[self.search_metric_name]
        index = self.space.index

        def search_metric(arch: Arch) -> float:
            return float(values[index(arch)])

        return search_metric


@dataclass(frozen=True)
class BenchmarkSpec:
    """What ``nasbench-lab list`` shows about a benchmark, and how to load it. ``options``: the
    names it reads from ``Settings.options`` (``--benchmark-option NAME.OPTION=VALUE``); any
    other option given for it is refused before it is loaded."""

    name: str
    description: str
    datasets: tuple[str, ...]
    load: Callable[[str, Settings], Benchmark]
    search_metric: str
    report_metric: str
    costs: tuple[str, ...] = ()
    note: str = ""
    needs: str = ""
    options: tuple[str, ...] = ()

    def check_options(self, given: Mapping[str, object], name: str | None = None) -> None:
        """Refuse (``UnknownNameError``) options this benchmark does not take, listing those it does."""
        unknown = sorted(set(given) - set(self.options))
        if not unknown:
            return
        label = name or self.name
        takes = f"it takes: {', '.join(sorted(self.options))}" if self.options else "it takes none"
        raise UnknownNameError(f"benchmark {label!r} has no option {', '.join(unknown)} (--benchmark-option); {takes}")

    def resolve(self, dataset: str | None) -> str:
        return self.datasets[0] if dataset is None else resolve_dataset(dataset, self.datasets, self.name)

    def build(self, dataset: str | None, settings: Settings) -> Benchmark:
        return self.load(self.resolve(dataset), settings)
