"""Once-for-All (Cai et al. 2020) on the DynamicNet space: one elastic supernet trained by
progressive shrinking, an accuracy predictor fitted on inherited-weight accuracies, evolution
under device limits, then the query budget spent on the best candidates (standalone training)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nasbench_lab.algorithm import Algorithm
from nasbench_lab.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.hyperparams import integer, number, one_of, text
from nasbench_lab.oracle import Oracle
from nasbench_lab.settings import Settings
from nasbench_lab.space import Arch, SearchSpace


@dataclass
class Candidate:
    """A configuration's architecture, its predicted score (the predictor's output, trained with a
    ranking loss: orders candidates, not calibrated in %), inherited-weight validation accuracy (%)
    (NaN when not measured) and its bounded costs."""

    arch: Arch
    predicted: float
    inherited: float = math.nan
    costs: dict[str, float] = field(default_factory=dict)


class OnceForAll(Algorithm):
    """Once-for-All: progressive-shrinking supernet (cached), predictor on inherited accuracies, evolution under limits, best candidates trained standalone."""

    hyperparameter_ranges = {
        "structure": one_of("cnn", "mlp"), "schedule": text(), "supernet_seed": integer(0),
        "batch_size": integer(2), "kd_ratio": number(0), "predictor": one_of("gin", "mlp"),
        "samples": integer(3), "recalibration": integer(2), "eval_samples": integer(0),
        "population": integer(2), "generations": integer(0), "parent_ratio": number(0, 1, open_low=True),
        "mutation": number(0, 1), "rerank": integer(0), "max_params": integer(0), "max_flops_m": number(0),
        "max_latency_ms": number(0), "max_peak_kb": number(0), "max_flash_kb": number(0), "threads": integer(1),
    }

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, structure: str = "cnn", schedule: str = "",
                 supernet_seed: int = 0, batch_size: int = 64, kd_ratio: float = 1.0, predictor: str = "gin",
                 samples: int = 150, recalibration: int = 512, eval_samples: int = 0, population: int = 100,
                 generations: int = 20, parent_ratio: float = 0.25, mutation: float = 0.1, rerank: int = 40,
                 max_params: int = 0, max_flops_m: float = 0.0, max_latency_ms: float = 0.0,
                 max_peak_kb: float = 0.0, max_flash_kb: float = 0.0, threads: int = 1) -> None:
        """``structure``: the OFA macro structure (``cnn``: conv stage of up to 3 blocks + dense
        stage of up to 2; ``mlp``: one dense stage); ``schedule``: a JSON progressive-shrinking
        schedule file ("" = the default); ``supernet_seed``, ``batch_size``, ``kd_ratio``: supernet
        training (the same for every run, so runs share one cached supernet). Then ``samples``
        random configurations are scored by inherited-weight validation accuracy (BN recalibrated
        on ``recalibration`` training inputs; ``eval_samples`` validation inputs, 0 = all) and a
        ``predictor`` (``gin``: GIN on the graph form, the default; ``mlp``: flat MLP) is fitted
        to them; evolution (``population``, ``generations``, ``parent_ratio``, ``mutation``) under
        the limits (``max_params`` parameters, ``max_flops_m`` MMACs, ``max_latency_ms``,
        ``max_peak_kb`` peak activation KiB, ``max_flash_kb`` KiB at 8 bits; 0 = none, plus any
        ``--constraint`` of the run) ranks feasible configurations by predicted accuracy; the
        ``rerank`` best are re-scored by inherited accuracy, and queries go down that order."""
        super().__init__(space, rng)
        self.structure, self.schedule, self.supernet_seed = structure, schedule, int(supernet_seed)
        self.batch_size, self.kd_ratio, self.predictor = int(batch_size), float(kd_ratio), predictor
        self.samples, self.recalibration, self.eval_samples = int(samples), int(recalibration), int(eval_samples)
        self.population, self.generations = int(population), int(generations)
        self.parent_ratio, self.mutation, self.rerank = float(parent_ratio), float(mutation), int(rerank)
        self.limit_values = {"max_params": max_params, "max_flops_m": max_flops_m, "max_latency_ms": max_latency_ms,
                             "max_peak_kb": max_peak_kb, "max_flash_kb": max_flash_kb}
        self.threads = int(threads)
        self.record: dict[str, Any] = {}

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        super().check_space(space)
        if space.name != "dynamicnet":
            raise NasLabError(f"ofa searches the dynamicnet space only, not {space.name!r}")

    # -- the pipeline ------------------------------------------------------------------------------
    def supernet(self, dataset: str, settings: Settings, log: Callable[[str], None] | None = None, *,
                 fresh: bool = False):
        """The trained (or cached; ``fresh``: retrained) supernet, its structure, search data and meta."""
        from nasbench_lab.adapters.dynamicnet.ofa import preset
        from nasbench_lab.adapters.dynamicnet.ofa.shrinking import TrainOptions, read_schedule
        from nasbench_lab.adapters.dynamicnet.ofa.store import trained_supernet
        from nasbench_lab.adapters.dynamicnet.supernet import search_data
        from nasbench_lab.live import data_fingerprint

        structure = preset(self.space, self.structure)
        phases = read_schedule(self.schedule)
        data = search_data(dataset, settings, seed=self.supernet_seed)
        data_id = f"{dataset}:{data_fingerprint(*(t.numpy() for t in (*data.train, *data.valid)))}"
        options = TrainOptions(batch_size=self.batch_size, kd_ratio=self.kd_ratio, seed=self.supernet_seed)
        net, meta = trained_supernet(structure, dataset, data_id, data.train, phases, options, settings.cache_dir, log,
                                     fresh=fresh)
        return net, structure, data, meta

    def plan(self, dataset: str, settings: Settings, feasible: Callable[[Arch], bool] | None = None,
             log: Callable[[str], None] | None = None) -> list[Candidate]:
        """Feasible candidates best first (see ``__init__``); ``feasible`` adds a check (the run's constraints)."""
        from nasbench_lab.adapters.dynamicnet.ofa import preset
        from nasbench_lab.adapters.dynamicnet.ofa.evolution import EvolutionOptions, evolve
        from nasbench_lab.adapters.dynamicnet.ofa.limits import Limits
        from nasbench_lab.parallel import torch_threads
        from nasbench_lab.predictors import make_predictor
        from nasbench_lab.supernet.evaluation import inherited_accuracy

        limits = Limits(self.space, self.limit_values)
        structure = preset(self.space, self.structure)

        def ok(config) -> bool:
            arch = structure.arch(config)
            return limits.feasible(arch) and (feasible is None or feasible(arch))

        smallest = structure.arch(structure.smallest())
        if not ok(structure.smallest()):
            costs = ", ".join(f"{k} {v:g}" for k, v in limits.costs(smallest).items()) or "costs over the run's limits"
            run = " and the run's --constraint" if feasible else ""
            raise NasLabError(f"no OFA configuration meets the limits ({limits.describe()}{run}): the smallest, "
                              f"{self.space.format(smallest)}, has {costs}")
        with torch_threads(self.threads):
            net, structure, data, meta = self.supernet(dataset, settings, log)
            valid = tuple(t[: self.eval_samples or None] for t in data.valid)
            recal = data.train[0][: self.recalibration]
            inherited: dict[Arch, float] = {}

            def measure(arch: Arch) -> float:
                if arch not in inherited:
                    inherited[arch] = inherited_accuracy(net, arch, valid, recal)
                return inherited[arch]

            archs = list(dict.fromkeys(structure.arch(structure.sample(self.rng)) for _ in range(4 * self.samples)))
            archs = archs[: self.samples]
            values = [measure(a) for a in archs]
            model = make_predictor(self.predictor, seed=int(self.rng.integers(2**31 - 1)))
            model.fit([self.space.encode(a) for a in archs], values)

            def score(configs) -> np.ndarray:
                return model.predict([self.space.encode(structure.arch(c)) for c in configs])

            options = EvolutionOptions(self.population, self.generations, self.parent_ratio, self.mutation)
            ranked = [Candidate(structure.arch(c), p) for c, p in evolve(structure, score, ok, self.rng, options)]
            for c in ranked[: self.rerank]:
                c.inherited = measure(c.arch)
            ranked[: self.rerank] = sorted(ranked[: self.rerank], key=lambda c: -c.inherited)
            for c in ranked:
                c.costs = limits.costs(c.arch)
        self.record = {"supernet": {k: meta.get(k) for k in ("path", "seconds", "cpu_seconds", "loaded", "history")},
                       "limits": limits.describe(), "predictor": self.predictor, "predictor_samples": len(archs),
                       "candidates": len(ranked)}
        return ranked

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        start = time.perf_counter()
        feasible = oracle.feasible if oracle.problem.constraints else None
        if not context.dataset:
            raise NasLabError("ofa needs the run's dataset: run it through the runner or pass a RunContext")
        ranked = self.plan(context.dataset, context.settings, feasible)
        context.record_compute(time.perf_counter() - start)
        queried = []
        for candidate in ranked:
            if oracle.exhausted:
                break
            if not oracle.seen(candidate.arch):
                oracle.query(candidate.arch)
                queried.append(candidate.arch)
        self.record["queried"] = [self.space.format(a) for a in queried]
        if not oracle.exhausted and len(ranked) < oracle.budget:
            self.record["note"] = f"only {len(ranked)} feasible configurations were found; budget left unspent"

