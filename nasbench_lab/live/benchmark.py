"""``LiveBenchmark``: the ``Benchmark`` base whose queries train (see ``nasbench_lab.live``)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from nasbench_lab.core.benchmark import Benchmark
from nasbench_lab.core.space import Arch, SearchSpace
from .cache import LiveCache, SearchLedger, SearchRecord
from .recipe import Recipe
from .training import FAILED_VALUE, Diverged, TrainResult

#: Bumped when the meaning of cached rows changes (invalidates old rows).
CACHE_VERSION = 2  # 2: DynamicNet costs renamed params_m / flops_m


class _Keys:
    """Cache keys and row metadata (shared by both sides; holds no data, no benchmark)."""

    def __init__(self, name: str, data_id: str, space: SearchSpace, recipe: Recipe, device: str = "cpu") -> None:
        self.name, self.data_id, self.space, self.device = name, data_id, space, device
        self.recipe = recipe.as_dict()
        self.recipe_json = json.dumps(self.recipe, sort_keys=True)

    def key(self, arch: Arch) -> str:
        blob = json.dumps(
            {"v": CACHE_VERSION, "benchmark": self.name, "data": self.data_id,
             "arch": self.space.canonical(arch), "recipe": self.recipe,
             # a GPU's results differ from the CPU's in the last bits: rows kept apart (CPU keys unchanged)
             **({"device": self.device} if self.device != "cpu" else {})},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def meta(self, arch: Arch) -> dict[str, str]:
        return {"benchmark": self.name, "dataset": self.data_id, "arch": self.space.format(arch),
                "canonical": self.space.canonical(arch), "recipe": self.recipe_json}


class _SearchMetricFn:
    """The function an oracle receives: trains (or finds in the cache) and returns the
    validation accuracy only. Holds the trainer (training and validation data) and the
    search-side ledger; no test data, no test accuracy."""

    def __init__(self, trainer: Callable[[Arch], TrainResult], ledger: SearchLedger,
                 key: Callable[[Arch], str], meta: Callable[[Arch], dict[str, str]]) -> None:
        self._trainer, self._ledger, self._key, self._meta = trainer, ledger, key, meta
        self.trained = 0

    def record(self, arch: Arch) -> SearchRecord:
        key = self._key(arch)
        rec = self._ledger.claim(key)  # cached, or trained meanwhile by another process
        if rec is None:  # this process holds the claim: train
            try:
                result = self._trainer(arch)
            except Diverged as exc:
                result = TrainResult.failed(str(exc))
            except BaseException:
                self._ledger.release(key)
                raise
            self.trained += 1
            rec = self._ledger.write_search(key, self._meta(arch), result)
        return rec

    def __call__(self, arch: Arch) -> float:
        return self.record(arch).search


class LiveBenchmark(Benchmark):
    """A benchmark whose queries train (see the ``nasbench_lab.live`` docstring).

    ``trainer(arch) -> TrainResult`` sees training and validation data only; it may raise
    ``Diverged``. ``scorer(arch, weights) -> float`` gives the test accuracy of trained weights.
    ``data_id`` identifies the data (name and fingerprint) in the cache key; ``cache_path`` is
    the SQLite file (None: in memory, this process only); ``device`` the resolved torch device
    the trainer runs on (rows trained elsewhere than the CPU are cached apart).
    """

    failure_value = FAILED_VALUE

    def __init__(
        self,
        *,
        name: str,
        dataset: str,
        space: SearchSpace,
        recipe: Recipe,
        data_id: str,
        trainer: Callable[[Arch], TrainResult],
        scorer: Callable[[Arch, np.ndarray], float],
        cache_path: Path | None,
        search_metric: str = "valid_acc",
        report_metric: str = "test_acc",
        costs: tuple[str, ...] = (),
        note: str = "",
        device: str = "cpu",
    ) -> None:
        self.name, self.dataset, self.space, self.recipe, self.data_id = name, dataset, space, recipe, data_id
        self.search_metric_name, self.report_metric_name = search_metric, report_metric
        self.cost_names, self.note = tuple(costs), note
        self.cache = LiveCache(cache_path)
        self.cache.count()  # open the cache now: a file that is not a usable cache fails before any run
        self._trainer, self._scorer = trainer, scorer
        self._keys = _Keys(name, data_id, space, recipe, device)
        ledger = SearchLedger(cache_path, self.cache.memory_name)
        self._search_fn = _SearchMetricFn(trainer, ledger, self._keys.key, self._keys.meta)
        self._reports: dict[str, float] = {}

    def full_training_recorder(self) -> tuple[SearchLedger, Callable[[Arch], str], Callable[[Arch, TrainResult], None]]:
        """For a trainer outside the cache's claims (``nasbench_lab.live.fidelity``): a search-side
        ledger, the cache key, and ``record(arch, result)`` writing a full training as a cache row
        (first writer wins). None of them holds the benchmark (nor its test data)."""
        ledger, keys = SearchLedger(self.cache.path, self.cache.memory_name), self._keys

        def record(arch: Arch, result: TrainResult) -> None:
            ledger.write_search(keys.key(arch), keys.meta(arch), result)

        return ledger, keys.key, record

    def key(self, arch: Arch) -> str:
        """Cache key: sha256 of benchmark, data fingerprint, canonical hash, recipe, version."""
        return self._keys.key(arch)

    # -- metrics -------------------------------------------------------------------------------
    def search_metric_fn(self) -> Callable[[Arch], float]:
        return self._search_fn

    def evaluate(self, arch: Arch) -> SearchRecord:
        """The search-side record of ``arch`` (training it if it is not cached)."""
        return self._search_fn.record(arch)

    def search_metric(self, arch: Arch) -> float:
        return self.evaluate(arch).search

    def status(self, arch: Arch) -> str:
        return self.evaluate(arch).status

    def report_metric(self, arch: Arch) -> float:
        key = self.key(arch)
        if key in self._reports:
            return self._reports[key]
        rec = self.evaluate(arch)
        if rec.status != "ok":
            value = self.failure_value
        else:
            value, weights = self.cache.read_report(key)
            if value is None:
                if weights is None:  # weights gone (e.g. the row was written elsewhere): retrain
                    try:
                        weights = self._trainer(arch).weights
                    except Diverged:
                        weights = None
                value = self.failure_value if weights is None else float(self._scorer(arch, weights))
                self.cache.write_report(key, value)
                value, _ = self.cache.read_report(key)  # the first writer's value
        self._reports[key] = float(value)  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]

    def costs(self, arch: Arch) -> dict[str, float]:
        rec = self.evaluate(arch)
        return {c: float(rec.costs.get(c, float("nan"))) for c in self.cost_names}

    @property
    def best_report(self) -> float:
        """Unknown for a live benchmark: NaN (regret shows as n/a)."""
        return float("nan")

    @property
    def trainings(self) -> int:
        """Trainings run by this process (cache misses)."""
        return self._search_fn.trained


def data_fingerprint(*arrays: np.ndarray) -> str:
    """A short sha1 of the arrays' shapes, dtypes and bytes."""
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:12]
