"""Once-for-All as library functions: the trained (cached) elastic supernet of a dataset
(``ofa_supernet``) and the search under limits that ranks its configurations (``plan``).

Both the ``ofa`` algorithm and ``nasbench-lab ofa`` call these; the elastic supernet itself lives
with its space (``nasbench_lab.adapters.dynamicnet.ofa``), the evolution in ``ofa_evolution``
and the limits (in the cost vocabulary) in ``ofa_limits``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.space import Arch, SearchSpace

Log = Callable[[str], None]


@dataclass(frozen=True)
class OFASupernetSettings:
    """The supernet's training: macro ``structure`` (``cnn`` or ``mlp``), progressive-shrinking
    ``schedule`` file ("" = the built-in one), ``seed``, ``batch_size``, ``kd_ratio`` and the
    torch ``device`` of training (cpu, cuda or auto; the trained supernet comes back on the CPU)."""

    structure: str = "cnn"
    schedule: str = ""
    seed: int = 0
    batch_size: int = 64
    kd_ratio: float = 1.0
    device: str = "cpu"


@dataclass(frozen=True)
class OFASearchSettings:
    """The search on a trained supernet: ``samples`` random configurations scored by inherited
    accuracy (BN recalibrated on ``recalibration`` inputs, ``eval_samples`` validation inputs,
    0 = all) fit the ``predictor``; evolution (``population``, ``generations``, ``parent_ratio``,
    ``mutation``) under ``bounds`` (``{cost: upper bound}``, cost vocabulary); the ``rerank`` best
    re-scored by inherited accuracy; ``threads`` torch threads."""

    predictor: str = "gin"
    samples: int = 150
    recalibration: int = 512
    eval_samples: int = 0
    population: int = 100
    generations: int = 20
    parent_ratio: float = 0.25
    mutation: float = 0.1
    rerank: int = 40
    bounds: Mapping[str, float] = field(default_factory=dict)
    threads: int = 1


@dataclass
class Candidate:
    """A configuration's architecture, its predicted score (the predictor's output, trained with a
    ranking loss: orders candidates, not calibrated in %), inherited-weight validation accuracy (%)
    (NaN when not measured) and its bounded costs."""

    arch: Arch
    predicted: float
    inherited: float = math.nan
    costs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """Feasible candidates best first and what the search did (supernet, limits, predictor)."""

    ranked: list[Candidate]
    record: dict[str, Any]


def ofa_supernet(space: SearchSpace, supernet: OFASupernetSettings, dataset: str, settings: Settings,
                 log: Log | None = None, *, fresh: bool = False):
    """The trained (or cached; ``fresh``: retrained) supernet of ``dataset``, its structure,
    search data and meta (path, seconds, loaded, history)."""
    from nasbench_lab.adapters.dynamicnet.ofa import preset
    from nasbench_lab.adapters.dynamicnet.ofa.shrinking import TrainOptions, read_schedule
    from nasbench_lab.adapters.dynamicnet.ofa.cache import trained_supernet
    from nasbench_lab.adapters.dynamicnet.supernet import search_data
    from nasbench_lab.infra.torch_device import device_type
    from nasbench_lab.live import data_fingerprint

    device = device_type(supernet.device)  # CUDA missing: one line before any data is read
    structure = preset(space, supernet.structure)
    phases = read_schedule(supernet.schedule)
    data = search_data(dataset, settings, seed=supernet.seed)
    data_id = f"{dataset}:{data_fingerprint(*(t.numpy() for t in (*data.train, *data.valid)))}"
    options = TrainOptions(batch_size=supernet.batch_size, kd_ratio=supernet.kd_ratio, seed=supernet.seed)
    net, meta = trained_supernet(structure, dataset, data_id, data.train, phases, options, settings.cache_dir, log,
                                 fresh=fresh, device=device)
    return net, structure, data, meta


def _check_smallest(space: SearchSpace, structure, limits, ok: Callable, constrained: bool) -> None:
    """Raise ``NasLabError`` if even the smallest configuration breaks the limits."""
    if ok(structure.smallest()):
        return
    smallest = structure.arch(structure.smallest())
    costs = ", ".join(f"{k} {v:g}" for k, v in limits.costs(smallest).items()) or "costs over the run's limits"
    run = " and the run's constraints" if constrained else ""
    raise NasLabError(f"no OFA configuration meets the limits ({limits.describe()}{run}): the smallest, "
                      f"{space.format(smallest)}, has {costs}")


def _ranked(space: SearchSpace, structure, measure: Callable[[Arch], float], ok: Callable,
            search: OFASearchSettings, rng: np.random.Generator) -> tuple[list[Candidate], int]:
    """Fit the predictor on ``search.samples`` random configurations, evolve under ``ok``, re-score
    the ``rerank`` best; the candidates best first and the number of predictor samples."""
    from nasbench_lab.predictors import make_predictor

    from .ofa_evolution import EvolutionOptions, evolve

    archs = list(dict.fromkeys(structure.arch(structure.sample(rng)) for _ in range(4 * search.samples)))
    archs = archs[: search.samples]
    values = [measure(a) for a in archs]
    model = make_predictor(search.predictor, seed=int(rng.integers(2**31 - 1)))
    model.fit([space.encode(a) for a in archs], values)

    def score(configs) -> np.ndarray:
        return model.predict([space.encode(structure.arch(c)) for c in configs])

    options = EvolutionOptions(search.population, search.generations, search.parent_ratio, search.mutation)
    ranked = [Candidate(structure.arch(c), p) for c, p in evolve(structure, score, ok, rng, options)]
    for c in ranked[: search.rerank]:
        c.inherited = measure(c.arch)
    ranked[: search.rerank] = sorted(ranked[: search.rerank], key=lambda c: -c.inherited)
    return ranked, len(archs)


def plan(space: SearchSpace, supernet: OFASupernetSettings, search: OFASearchSettings, dataset: str,
         settings: Settings, rng: np.random.Generator, feasible: Callable[[Arch], bool] | None = None,
         log: Log | None = None) -> Plan:
    """Feasible configurations of the trained supernet, best first (see ``OFASearchSettings``);
    ``feasible`` adds a check (the run's constraints); random draws from ``rng``."""
    from nasbench_lab.adapters.dynamicnet.ofa import preset
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.supernet.evaluation import inherited_accuracy

    from .ofa_limits import Limits

    limits = Limits(space, search.bounds)
    structure = preset(space, supernet.structure)

    def ok(config) -> bool:
        arch = structure.arch(config)
        return limits.feasible(arch) and (feasible is None or feasible(arch))

    _check_smallest(space, structure, limits, ok, feasible is not None)
    with torch_threads(search.threads):
        net, structure, data, meta = ofa_supernet(space, supernet, dataset, settings, log)
        valid = tuple(t[: search.eval_samples or None] for t in data.valid)
        recal = data.train[0][: search.recalibration]
        inherited: dict[Arch, float] = {}

        def measure(arch: Arch) -> float:
            if arch not in inherited:
                inherited[arch] = inherited_accuracy(net, arch, valid, recal)
            return inherited[arch]

        ranked, samples = _ranked(space, structure, measure, ok, search, rng)
        for c in ranked:
            c.costs = limits.costs(c.arch)
    record = {"supernet": {k: meta.get(k) for k in ("path", "seconds", "cpu_seconds", "loaded", "history")},
              "limits": limits.describe(), "predictor": search.predictor, "predictor_samples": samples,
              "candidates": len(ranked)}
    return Plan(ranked, record)
