"""The one library pipeline: a run request, validated once, resolved once into a plan, executed.

    request = RunRequest(benchmarks=[("nb201", "cifar10")], algorithms=["re"], budget=100, seeds=20)
    plan = Pipeline(request).resolve()        # names checked, benchmarks loaded, classes found
    runs = execute(plan, store, LocalExecutor(2))   # or collect(plan, executor) without a store

``nasbench-lab leaderboard`` and ``nasbench_lab.run`` are two thin callers. The plan carries
the loaded benchmarks and the algorithm classes themselves (no temporary registration); worker
processes receive it once, through the executor's initialiser (a forked worker shares the
driver's loaded benchmarks; a pickled plan reloads them once per worker). Errors are
``RequestError``s naming the parameter (``budget``, ``seeds``...); the CLI maps them to flags.
"""
from __future__ import annotations

import numbers
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import pandas as pd

from .algorithm import Algorithm
from .benchmark import Benchmark, TabularBenchmark
from .errors import NasLabError
from .executors import Executor, LocalExecutor, RayExecutor
from .live import LiveBenchmark
from .loading import canonical_benchmark, open_benchmark, resolve_algorithm
from .objectives import Problem
from .registry import ALGORITHMS, BENCHMARKS
from .runner import Task, run_resolved
from .settings import Settings
from .store import ResultsStore, run_file_text

__all__ = ["Pipeline", "Plan", "RequestError", "RunRequest", "check_budget", "check_jobs", "check_seeds",
           "collect", "execute", "split_benchmark"]


class RequestError(NasLabError):
    """A bad value of one request parameter (``parameter``: its library name; ``value``)."""

    def __init__(self, parameter: str, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.parameter, self.value = parameter, value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_budget(budget: Any) -> int:
    """Queries per run: an integer >= 1."""
    if not _is_int(budget) or budget < 1:
        raise RequestError("budget", f"budget must be an integer number of queries >= 1, got {budget!r}", budget)
    return int(budget)


def check_jobs(jobs: Any) -> int:
    """Worker processes: an integer >= 1."""
    if not _is_int(jobs) or jobs < 1:
        raise RequestError("jobs", f"jobs must be an integer >= 1, got {jobs!r}", jobs)
    return int(jobs)


def check_max_seconds(seconds: Any) -> float | None:
    """The wall-clock budget per run: ``None`` or a number of seconds > 0."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not seconds > 0:
        raise RequestError("max_seconds", f"max_seconds must be a number of seconds > 0, got {seconds!r}", seconds)
    return float(seconds)


def check_seeds(seeds: Any) -> list[int]:
    """``5`` -> seeds 0..4; a list (or range) of non-negative integers, each once -> those seeds."""
    if _is_int(seeds):
        if seeds < 1:
            raise RequestError("seeds", f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}", seeds)
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise RequestError("seeds", f"seeds must be a count >= 1 or a list of non-negative integers, got {seeds!r}", seeds)
    out = list(seeds)
    bad = [s for s in out if not _is_int(s) or s < 0]
    if bad:
        raise RequestError("seeds", f"seeds must be non-negative integers; got {bad[0]!r} in {out!r}", seeds)
    if not out:
        raise RequestError("seeds", "seeds is empty: give a count >= 1 or at least one seed", seeds)
    if len(set(out)) != len(out):
        raise RequestError("seeds", f"seeds are listed twice: {sorted({s for s in out if out.count(s) > 1})}", seeds)
    return [int(s) for s in out]


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
    ``problem``: objectives and cost constraints."""

    benchmarks: Sequence[tuple[str, str | None]]
    algorithms: Sequence[str | type[Algorithm]]
    budget: Any = 100
    seeds: Any = 20
    params: Mapping[Any, Mapping[str, Any]] = field(default_factory=dict)
    settings: Settings | None = None
    max_seconds: float | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class Plan:
    """A resolved request: canonical benchmark names with their loaded benchmarks, algorithm
    names with their classes and full hyper-parameters, checked budget and seeds."""

    benchmarks: tuple[tuple[str, str], ...]
    algorithms: tuple[str, ...]
    classes: Mapping[str, type[Algorithm]]
    params: Mapping[str, Mapping[str, Any]]
    budget: int
    seeds: tuple[int, ...]
    settings: Settings
    max_seconds: float | None = None
    problem: Problem = field(default_factory=Problem)
    loaded: Mapping[tuple[str, str], Benchmark] = field(default_factory=dict, repr=False, compare=False)
    token: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a spawned or remote worker): the benchmarks travel by name, loaded there once."""
        return {**self.__dict__, "loaded": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def benchmark(self, name: str, dataset: str) -> Benchmark:
        """The loaded benchmark (loaded here on first use in a worker that received the plan pickled)."""
        if (name, dataset) not in self.loaded:
            self.loaded[(name, dataset)] = open_benchmark(name, dataset, self.settings)  # type: ignore[index]
        return self.loaded[(name, dataset)]

    def tasks(self) -> list[Task]:
        problem = self.problem if self.problem.active else None
        return [Task(b, d, a, tuple(sorted(self.params[a].items())), s, self.budget, self.max_seconds, problem)
                for b, d in self.benchmarks for a in self.algorithms for s in self.seeds]

    def notes(self) -> dict[tuple[str, str], str]:
        return {key: bench.note for key, bench in self.loaded.items()}

    def is_live(self) -> bool:
        """Does a benchmark train on every query (a live benchmark)?"""
        return any(isinstance(b, LiveBenchmark) for b in self.loaded.values())

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as ``config.json`` records it."""
        return {
            "benchmarks": [{"benchmark": b, "dataset": d} for b, d in self.benchmarks],
            "algorithms": {a: dict(self.params[a]) for a in self.algorithms},
            "budget": self.budget,
            "seeds": list(self.seeds),
            "time_budget_seconds": self.max_seconds,
            "settings": self.settings.as_dict(),
            # recorded only when set, so stores made without them resume unchanged
            **({"problem": self.problem.to_dict()} if self.problem.active else {}),
        }


def is_tabular(bench: Benchmark) -> bool:
    """A benchmark holding its whole table (fronts and cells can be drawn from it)."""
    return isinstance(bench, TabularBenchmark)


class Pipeline:
    """Validate a ``RunRequest`` once and resolve it once into a ``Plan``."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request

    def resolve(self) -> Plan:
        """Check every value and name, load every benchmark (once, in this process), find every
        algorithm class and fill in default hyper-parameters, before any run starts."""
        req = self.request
        budget, seeds = check_budget(req.budget), check_seeds(req.seeds)
        max_seconds = check_max_seconds(req.max_seconds)
        settings = Settings.from_env() if req.settings is None else req.settings
        if not isinstance(settings, Settings):
            raise RequestError("settings", f"settings must be a nasbench_lab.Settings, got {settings!r}")
        names = {canonical_benchmark(b) for b, _ in req.benchmarks}
        unknown = set(settings.options) - names - {b for b, _ in req.benchmarks}
        if unknown:
            raise RequestError("settings.options", "settings.options names benchmarks not being run: "
                                                   + ", ".join(sorted(unknown)))
        classes, params = self._algorithms()
        loaded = self._load(settings)
        problem = req.problem if req.problem is not None else Problem()
        plan = Plan(benchmarks=tuple(loaded), algorithms=tuple(classes), classes=classes, params=params,
                    budget=budget, seeds=tuple(seeds), settings=settings, max_seconds=max_seconds,
                    problem=problem, loaded=loaded)
        _check_spaces(plan)
        if problem.active:
            check_problem(plan)
        return plan

    def _algorithms(self) -> tuple[dict[str, type[Algorithm]], dict[str, dict[str, Any]]]:
        """The classes by run name, and each one's checked hyper-parameters."""
        req = self.request
        params = req.params if req.params is not None else {}
        if not isinstance(params, Mapping) or not all(isinstance(v, Mapping) for v in params.values()):
            raise RequestError("params", f"params must be a mapping of hyper-parameter names to values, got {params!r}")
        classes: dict[str, type[Algorithm]] = {}
        given: dict[str, Mapping[str, Any]] = {}
        for entry in req.algorithms:
            name, cls = algorithm_class(entry)
            if name in classes:
                raise RequestError("algorithms", f"algorithms lists {name} more than once")
            classes[name], given[name] = cls, params.get(entry, params.get(name, {}))
        unknown = [k for k in params if k not in classes and k not in req.algorithms]
        if unknown:
            raise RequestError("params", "params names algorithms not being run: "
                                         + ", ".join(sorted(str(k) for k in unknown)))
        checked = {}
        for name, cls in classes.items():
            if not all(isinstance(k, str) for k in given[name]):
                raise RequestError("params", f"params must be a mapping of hyper-parameter names to values, got {params!r}")
            checked[name] = resolve_algorithm(name, dict(given[name]), cls)
        return classes, checked

    def _load(self, settings: Settings) -> dict[tuple[str, str], Benchmark]:
        """Every benchmark, loaded once, by canonical name and resolved dataset."""
        loaded: dict[tuple[str, str], Benchmark] = {}
        for name, dataset in self.request.benchmarks:
            name = canonical_benchmark(name)
            bench = open_benchmark(name, dataset, settings)
            if (name, bench.dataset) in loaded:
                raise NasLabError("the same benchmark and dataset are listed twice")
            loaded[(name, bench.dataset)] = bench
        return loaded


def _check_spaces(plan: Plan) -> None:
    for a, cls in plan.classes.items():
        for (b, d), bench in plan.loaded.items():
            try:
                cls.check_space(bench.space)
            except NasLabError as exc:
                raise NasLabError(f"algorithm {a!r} cannot run on {b}/{d}: {exc}") from None


def check_problem(plan: Plan) -> None:
    """Refuse, before any run, a problem an algorithm cannot search or a benchmark cannot serve
    (a cost it lacks, no cost model, no architecture within the limits)."""
    from .trajectory import feasible_best_report

    problem = plan.problem
    for a, cls in plan.classes.items():
        try:
            cls.check_problem(problem)
        except NasLabError as exc:
            raise NasLabError(f"algorithm {a!r}: {exc}") from None
    for bench in plan.loaded.values():
        problem.check(bench.cost_names, f"{bench.name}/{bench.dataset}")
        bench.cost_fn(problem.costs)
        feasible_best_report(bench, problem)


# ------------------------------------------------------------------ running a plan

_WORKER_PLAN: Plan | None = None


def install_plan(plan: Plan) -> None:
    """Worker initialiser: keep the plan for this process's tasks (once per plan)."""
    global _WORKER_PLAN
    if _WORKER_PLAN is None or _WORKER_PLAN.token != plan.token:
        _WORKER_PLAN = plan


def run_planned(task: Task, plan: Plan | None = None, on_query: Callable[[], None] | None = None) -> pd.DataFrame:
    """One task of ``plan`` (default: the plan this worker was given) as its rows."""
    plan = plan if plan is not None else _WORKER_PLAN
    if plan is None:
        raise NasLabError("no plan installed in this worker (start it with install_plan)")
    bench = plan.benchmark(task.benchmark, task.dataset)
    return run_resolved(task, bench, plan.classes[task.algorithm], plan.settings, on_query)


def _run_file(task: Task, plan: Plan | None = None, on_query: Callable[[], None] | None = None) -> str:
    """One task as its run file's text (formatted where it ran, so the driver only writes)."""
    return run_file_text(run_planned(task, plan, on_query))


def _dispatch(executor: Executor, work: Callable, plan: Plan, tasks: list[Task],
              progress: Callable[..., Iterable] | None, on_query: Callable[[], None] | None):
    """``(position, result)`` of ``work(task)`` for each task: in this process with the plan
    given directly; in workers with the plan installed once by the executor's initialiser."""
    if executor.in_process:
        return executor.map(partial(work, plan=plan, on_query=on_query), tasks, progress=progress)
    if isinstance(executor, (LocalExecutor, RayExecutor)):
        return executor.map(work, tasks, progress=progress, initializer=partial(install_plan, plan))
    return executor.map(partial(work, plan=plan), tasks, progress=progress)  # another executor: plan per item


def execute(plan: Plan, store: ResultsStore, executor: Executor | None = None, *,
            progress: Callable[..., Iterable] | None = None, on_query: Callable[[], None] | None = None,
            on_rows: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """Run every task the store does not hold yet, committing each finished run here as it
    arrives (workers only compute); return all rows (``runs.csv``). ``store.prepare(plan)``
    first. ``on_query`` (after each new query) is used only when runs are in this process;
    ``on_rows`` is handed to ``store.finish``."""
    executor = executor if executor is not None else LocalExecutor(1)
    tasks = store.missing(plan.tasks())
    for k, text in _dispatch(executor, _run_file, plan, tasks, progress, on_query):
        store.commit_text(tasks[k], text)
    return store.finish(on_rows)


def collect(plan: Plan, executor: Executor | None = None) -> list[pd.DataFrame]:
    """Run every task of ``plan`` without a store; the rows of each, in task order."""
    executor = executor if executor is not None else LocalExecutor(1)
    tasks = plan.tasks()
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    for k, frame in _dispatch(executor, run_planned, plan, tasks, None, None):
        frames[k] = frame
    return frames  # type: ignore[return-value]
