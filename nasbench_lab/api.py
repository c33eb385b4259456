"""``nasbench_lab.run``: one algorithm on one benchmark, from Python, with the leaderboard's rows.

    import nasbench_lab
    runs = nasbench_lab.run("re", "nb201-analog/cifar10", budget=100, seeds=20)
    runs = nasbench_lab.run(MySearch, "nb201-analog", budget=50, seeds=[0, 1], params={"my_param": 3})

The runs are the runner's tasks (``RunConfig`` / ``run_task``), so a seed gives the same rows as
``nasbench-lab leaderboard`` with that seed.
"""
from __future__ import annotations

import numbers
import pickle
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .algorithm import Algorithm
from .settings import Settings
from .errors import NasLabError
from .executors import Executor, LocalExecutor
from .objectives import Problem
from .registry import ALGORITHMS, BENCHMARKS
from .runner import RunConfig, Task, run_task
from .store import RUN_COLUMNS, SORT_KEYS

__all__ = ["run"]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _budget(budget: Any) -> int:
    if not _is_int(budget) or budget < 1:
        raise NasLabError(f"budget must be an integer number of queries >= 1, got {budget!r}")
    return int(budget)


def _seeds(seeds: Any) -> list[int]:
    """``5`` -> seeds 0..4; a list (or range) of non-negative integers -> those seeds."""
    if _is_int(seeds):
        if seeds < 1:
            raise NasLabError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise NasLabError(f"seeds must be a count >= 1 or a list of non-negative integers, got {seeds!r}")
    out = list(seeds)
    bad = [s for s in out if not _is_int(s) or s < 0]
    if bad:
        raise NasLabError(f"seeds must be non-negative integers; got {bad[0]!r} in {out!r}")
    if not out:
        raise NasLabError("seeds is empty: give a count >= 1 or at least one seed")
    if len(set(out)) != len(out):
        raise NasLabError(f"seeds are listed twice: {sorted({s for s in out if out.count(s) > 1})}")
    return [int(s) for s in out]


def _jobs(jobs: Any) -> int:
    if not _is_int(jobs) or jobs < 1:
        raise NasLabError(f"jobs must be an integer >= 1, got {jobs!r}")
    return int(jobs)


def _benchmark(benchmark: Any, dataset: str | None) -> tuple[str, str | None]:
    """``"name"`` or ``"name/dataset"`` (a ``table:`` path may contain slashes)."""
    if not isinstance(benchmark, str) or not benchmark:
        raise NasLabError(f"benchmark must be a registered name or 'name/dataset', got {benchmark!r}")
    if dataset is not None and not isinstance(dataset, str):
        raise NasLabError(f"dataset must be a string, got {dataset!r}")
    head, sep, tail = benchmark.rpartition("/")
    if sep and head in BENCHMARKS:
        if dataset is not None and dataset != tail:
            raise NasLabError(f"benchmark {benchmark!r} names dataset {tail!r} but dataset={dataset!r} was given")
        return head, tail
    return benchmark, dataset


def _algorithm(algorithm: Any) -> tuple[str, type[Algorithm] | None]:
    """The registry name to run, and the class to register for the call (``None``: already there)."""
    if isinstance(algorithm, str):
        ALGORITHMS.get(algorithm)  # unknown name -> UnknownNameError listing the choices
        return algorithm, None
    if not (isinstance(algorithm, type) and issubclass(algorithm, Algorithm)):
        raise NasLabError(
            f"algorithm must be a registered name or a subclass of nasbench_lab.Algorithm, got {algorithm!r}"
        )
    if getattr(algorithm, "__abstractmethods__", None):
        raise NasLabError(
            f"algorithm class {algorithm.__qualname__} is abstract: it does not implement "
            + ", ".join(sorted(algorithm.__abstractmethods__))
        )
    name = ALGORITHMS.name_of(algorithm)
    if name is not None:
        return name, None
    for candidate in (algorithm.__name__, f"{algorithm.__module__}.{algorithm.__qualname__}"):
        if candidate not in ALGORITHMS:
            return candidate, algorithm
    raise NasLabError(
        f"cannot register {algorithm.__qualname__}: the names {algorithm.__name__!r} and "
        f"{algorithm.__module__}.{algorithm.__qualname__!r} are taken; register it yourself with "
        "nasbench_lab.registry.ALGORITHMS.register(name, cls) and pass the name"
    )


def _run_one(item: tuple[Task, Settings, type[Algorithm] | None]) -> pd.DataFrame:
    """Worker: one task (a temporary algorithm class travels with it to worker processes)."""
    task, settings, cls = item
    if cls is None or task.algorithm in ALGORITHMS:
        return run_task(task, settings)
    ALGORITHMS.register(task.algorithm, cls)
    try:
        return run_task(task, settings)
    finally:
        ALGORITHMS.unregister(task.algorithm)


def run(
    algorithm: str | type[Algorithm],
    benchmark: str,
    *,
    dataset: str | None = None,
    budget: int = 100,
    seeds: int | Iterable[int] = 20,
    params: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    problem: Problem | None = None,
) -> pd.DataFrame:
    """Run ``algorithm`` on ``benchmark`` for every seed and return all queries (``RUN_COLUMNS``,
    sorted by ``SORT_KEYS``): the rows ``nasbench-lab leaderboard`` writes to ``runs.csv``.

    ``algorithm``: a registered name (``nasbench-lab list``) or an ``Algorithm`` subclass; a class
    that is not registered runs under its class name. ``benchmark``: a registered name or
    ``"name/dataset"`` (``dataset=`` also works; default: the benchmark's first dataset).
    ``budget``: queries per run. ``seeds``: a count (``20`` = seeds 0..19) or a list of seeds.
    ``params``: the algorithm's hyper-parameters, e.g. ``{"population_size": 20}``.
    ``settings``: data paths (default: ``Settings.from_env()``). ``jobs``: worker processes
    (the rows do not depend on it). ``executor``: where the runs go instead, e.g.
    ``nasbench_lab.executors.RayExecutor("auto")`` (the caller closes it). ``problem``: objectives
    and cost constraints (``nasbench_lab.objectives.problem_from_options("search,latency:pixel3",
    ["params<=0.5"], None)``); the rows then also hold the costs and ``violation``. Raises
    ``NasLabError`` for bad input.
    """
    budget = _budget(budget)
    seed_list = _seeds(seeds)
    jobs = _jobs(jobs)
    if executor is None:
        executor = LocalExecutor(jobs)
    elif jobs != 1:
        raise NasLabError("give jobs= or executor=, not both (a LocalExecutor(jobs) is the executor for jobs)")
    elif not callable(getattr(executor, "map", None)):
        raise NasLabError(f"executor must be a nasbench_lab.executors executor, got {executor!r}")
    if params is None:
        params = {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise NasLabError(f"params must be a mapping of hyper-parameter names to values, got {params!r}")
    if settings is None:
        settings = Settings.from_env()
    elif not isinstance(settings, Settings):
        raise NasLabError(f"settings must be a nasbench_lab.Settings, got {settings!r}")
    bench = _benchmark(benchmark, dataset)
    name, temporary = _algorithm(algorithm)
    if temporary is not None and not executor.in_process:
        try:
            pickle.dumps(temporary)
        except Exception:
            raise NasLabError(
                f"{temporary.__qualname__} cannot be sent to worker processes (define it at module level, "
                "or use jobs=1)"
            ) from None

    if temporary is not None:
        ALGORITHMS.register(name, temporary)
    try:
        config = RunConfig(
            benchmarks=[bench], algorithms=[name], budget=budget, seeds=seed_list,
            params={name: dict(params)}, settings=settings, problem=problem,
        )
        config.resolve()
        tasks = config.tasks()
        frames: list[pd.DataFrame | None] = [None] * len(tasks)
        items = [(t, settings, temporary) for t in tasks]
        for k, frame in executor.map(_run_one, items):
            frames[k] = frame
    finally:
        if temporary is not None:
            ALGORITHMS.unregister(name)
    runs = pd.concat(frames, ignore_index=True)
    columns = RUN_COLUMNS + [c for c in runs.columns if c not in RUN_COLUMNS]  # a problem's costs, violation
    return runs.sort_values(SORT_KEYS, kind="stable").reset_index(drop=True)[columns]
