"""A run request and its checks: plain values in, one ``RequestError`` naming the parameter out.

Light on imports (no pandas), so a command can check its values before anything heavy loads;
``nasbench_lab.running.pipeline`` resolves a checked request into a plan.
"""
from __future__ import annotations

import itertools
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.hyperparams import MAX_SEED
from nasbench_lab.errors import ParameterError
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.registry import ALGORITHMS, BENCHMARKS
from nasbench_lab.infra.settings import Settings

__all__ = ["BUDGET_UNITS", "MAX_JOBS", "MAX_SEED", "MAX_SEEDS", "RequestError", "RunRequest", "algorithm_class", "check_budget",
           "check_budget_unit", "check_jobs", "check_max_seconds",
           "check_seeds", "repeated", "split_benchmark"]


#: A bad value of one request parameter (``parameter``: its library name; ``value``).
RequestError = ParameterError


#: The most seeds of one request and the most worker processes: bounds that keep a typo from
#: exhausting memory (the largest seed: ``nasbench_lab.core.hyperparams.MAX_SEED``).
MAX_SEEDS = 100_000
MAX_JOBS = 1024


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: What a run's budget counts: ``queries`` (distinct architectures evaluated, each a full
#: training or table lookup) or ``epochs`` (training epochs, on a benchmark that trains: the
#: multi-fidelity unit, ``nasbench_lab.core.fidelity``).
BUDGET_UNITS = ("queries", "epochs")


def check_budget(budget: Any, unit: str = "queries") -> int:
    """Queries (or epochs) per run: an integer >= 1."""
    if not _is_int(budget) or budget < 1:
        raise RequestError("budget", f"budget must be an integer number of {unit} >= 1, got {budget!r}", budget)
    return int(budget)


def check_budget_unit(unit: Any) -> str:
    """One of ``BUDGET_UNITS``."""
    if unit not in BUDGET_UNITS:
        raise RequestError("budget_unit", f"budget_unit must be one of {', '.join(BUDGET_UNITS)}, got {unit!r}", unit)
    return str(unit)


def check_jobs(jobs: Any) -> int:
    """Worker processes: an integer in [1, ``MAX_JOBS``]."""
    if not _is_int(jobs) or jobs < 1:
        raise RequestError("jobs", f"jobs must be an integer >= 1, got {jobs!r}", jobs)
    if jobs > MAX_JOBS:
        raise RequestError("jobs", f"jobs must be at most {MAX_JOBS}, got {jobs!r}", jobs)
    return int(jobs)


def check_max_seconds(seconds: Any) -> float | None:
    """The wall-clock budget per run: ``None`` or a number of seconds > 0."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not seconds > 0:
        raise RequestError("max_seconds", f"max_seconds must be a number of seconds > 0, got {seconds!r}", seconds)
    return float(seconds)


def check_seeds(seeds: Any) -> list[int]:
    """``5`` -> seeds 0..4; a list (or range) of integers in [0, ``MAX_SEED``], each once, at most
    ``MAX_SEEDS`` of them -> those seeds (checked in linear time)."""
    if _is_int(seeds):
        if seeds < 1:
            raise RequestError("seeds", f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}", seeds)
        if seeds > MAX_SEEDS:
            raise RequestError("seeds", f"seeds must be a count of at most {MAX_SEEDS}, got {seeds!r}", seeds)
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise RequestError("seeds", f"seeds must be a count >= 1 or a list of non-negative integers, got {seeds!r}", seeds)
    if isinstance(seeds, Sized) and len(seeds) > MAX_SEEDS:
        raise RequestError("seeds", f"seeds lists {len(seeds)} seeds; at most {MAX_SEEDS}", len(seeds))
    out = list(itertools.islice(seeds, MAX_SEEDS + 1))
    if len(out) > MAX_SEEDS:
        raise RequestError("seeds", f"seeds lists more than {MAX_SEEDS} seeds", MAX_SEEDS + 1)
    bad = [s for s in out if not _is_int(s) or not 0 <= s <= MAX_SEED]
    if bad:
        raise RequestError("seeds", f"seeds must be non-negative integers <= {MAX_SEED}; got {_short(bad[0])}", bad[0])
    if not out:
        raise RequestError("seeds", "seeds is empty: give a count >= 1 or at least one seed", seeds)
    twice = repeated(out)
    if twice:
        raise RequestError("seeds", f"seeds are listed twice: {twice[:10]}", seeds)
    return [int(s) for s in out]


def repeated(values: Iterable[Any]) -> list[Any]:
    """The values listed more than once, sorted (linear time and memory)."""
    return sorted(value for value, n in Counter(values).items() if n > 1)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def split_benchmark(benchmark: Any, dataset: Any = None) -> tuple[str, str | None]:
    """``"name"`` or ``"name/dataset"`` (a ``table:`` path may contain slashes), with ``dataset``
    for a name given without one."""
    if not isinstance(benchmark, str) or not benchmark:
        raise RequestError("benchmark", f"benchmark must be a registered name or 'name/dataset', got {benchmark!r}")
    if dataset is not None and not isinstance(dataset, str):
        raise RequestError("dataset", f"dataset must be a string, got {dataset!r}")
    head, sep, tail = benchmark.rpartition("/")
    if sep and head in BENCHMARKS:
        if dataset is not None and dataset != tail:
            raise RequestError("dataset", f"benchmark {benchmark!r} names dataset {tail!r} but dataset={dataset!r} was given")
        return head, tail
    return benchmark, dataset


def algorithm_class(algorithm: Any) -> tuple[str, type[Algorithm]]:
    """The name a run records and the class it runs: a registered name, a registered class (its
    name), or an unregistered ``Algorithm`` subclass (its class name, else its qualified name)."""
    if isinstance(algorithm, str):
        return algorithm, ALGORITHMS.get(algorithm)  # unknown name -> UnknownNameError listing the choices
    if not (isinstance(algorithm, type) and issubclass(algorithm, Algorithm)):
        raise RequestError("algorithm", "algorithm must be a registered name or a subclass of "
                                        f"nasbench_lab.Algorithm, got {algorithm!r}")
    if getattr(algorithm, "__abstractmethods__", None):
        raise RequestError("algorithm", f"algorithm class {algorithm.__qualname__} is abstract: it does not "
                                        "implement " + ", ".join(sorted(algorithm.__abstractmethods__)))
    name = ALGORITHMS.name_of(algorithm)
    if name is not None:
        return name, algorithm
    for candidate in (algorithm.__name__, f"{algorithm.__module__}.{algorithm.__qualname__}"):
        if candidate not in ALGORITHMS:
            return candidate, algorithm
    raise RequestError("algorithm", f"cannot name {algorithm.__qualname__}: the names {algorithm.__name__!r} and "
                                    f"{algorithm.__module__}.{algorithm.__qualname__!r} are taken by other algorithms")


@dataclass(frozen=True)
class RunRequest:
    """What to run, as plain values. ``benchmarks``: ``(name, dataset or None)`` pairs;
    ``algorithms``: registered names or ``Algorithm`` subclasses; ``params``: hyper-parameters
    by algorithm (its name, or the class given); ``seeds``: a count or a list; ``settings``:
    data paths (default ``Settings.from_env()``); ``max_seconds``: wall-clock budget per run;
    ``problem``: objectives and cost constraints; ``device``: the torch device (cpu, cuda, auto)
    of every algorithm and benchmark that trains, unless it sets its own (None: their defaults);
    ``budget_unit``: what ``budget`` counts (``queries``, or ``epochs`` of training on a
    benchmark with training epochs as a fidelity)."""

    benchmarks: Sequence[tuple[str, str | None]]
    algorithms: Sequence[str | type[Algorithm]]
    budget: Any = 100
    seeds: Any = 20
    params: Mapping[Any, Mapping[str, Any]] = field(default_factory=dict)
    settings: Settings | None = None
    max_seconds: float | None = None
    problem: Problem | None = None
    device: str | None = None
    budget_unit: str = "queries"
