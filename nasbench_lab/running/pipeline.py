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

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.benchmark import Benchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.running.devices import check_param_devices, check_request_device, device_options, device_params
from nasbench_lab.running.executors import Executor, LocalExecutor, RayExecutor
from nasbench_lab.core.loading import canonical_benchmark, open_benchmark, resolve_algorithm
from nasbench_lab.core.objectives import Problem
from nasbench_lab.running.request import (
    RequestError, RunRequest, algorithm_class, check_budget, check_budget_unit, check_jobs, check_max_seconds,
    check_seeds, split_benchmark,
)
from nasbench_lab.running.runner import Task, run_columns
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.run_files import run_file_text
from nasbench_lab.running.store import ResultsStore
from nasbench_lab.running.trajectory import frame_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Pipeline", "Plan", "RequestError", "RunConfig", "RunRequest", "check_budget", "check_jobs", "check_seeds",
           "collect", "execute", "split_benchmark"]


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
    budget_unit: str = "queries"
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
        return [Task(b, d, a, tuple(sorted(self.params[a].items())), s, self.budget, self.max_seconds, problem,
                     self.budget_unit)
                for b, d in self.benchmarks for a in self.algorithms for s in self.seeds]

    def notes(self) -> dict[tuple[str, str], str]:
        return {key: bench.note for key, bench in self.loaded.items()}

    def is_live(self) -> bool:
        """Does a benchmark train on every query (a live benchmark)?"""
        from nasbench_lab.live import LiveBenchmark

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
            **({"budget_unit": self.budget_unit} if self.budget_unit != "queries" else {}),
        }


class Pipeline:
    """Validate a ``RunRequest`` once and resolve it once into a ``Plan``."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request

    def resolve(self) -> Plan:
        """Check every value and name, load every benchmark (once, in this process), find every
        algorithm class and fill in default hyper-parameters, before any run starts."""
        req = self.request
        unit = check_budget_unit(req.budget_unit)
        budget, seeds = check_budget(req.budget, unit), check_seeds(req.seeds)
        max_seconds = check_max_seconds(req.max_seconds)
        settings = Settings.from_env() if req.settings is None else req.settings
        if not isinstance(settings, Settings):
            raise RequestError("settings", f"settings must be a nasbench_lab.Settings, got {settings!r}")
        check_request_device(req.device)
        settings = device_options(req.device, req.benchmarks, settings)
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
                    problem=problem, budget_unit=unit, loaded=loaded)
        _check_spaces(plan)
        _check_budget_unit(plan)
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
        given = device_params(req.device, classes, given)
        checked = {}
        for name, cls in classes.items():
            if not all(isinstance(k, str) for k in given[name]):
                raise RequestError("params", f"params must be a mapping of hyper-parameter names to values, got {params!r}")
            checked[name] = resolve_algorithm(name, dict(given[name]), cls)
        check_param_devices(checked)
        return classes, checked

    def _load(self, settings: Settings) -> dict[tuple[str, str], Benchmark]:
        """Every benchmark, loaded once, by canonical name and resolved dataset."""
        loaded: dict[tuple[str, str], Benchmark] = {}
        for given, dataset in self.request.benchmarks:
            bench = open_benchmark(given, dataset, settings)  # options are keyed by the name as given
            key = (canonical_benchmark(given), bench.dataset)
            if key in loaded:
                raise NasLabError("the same benchmark and dataset are listed twice")
            loaded[key] = bench
        return loaded


def _check_spaces(plan: Plan) -> None:
    for a, cls in plan.classes.items():
        for (b, d), bench in plan.loaded.items():
            try:
                cls.check_space(bench.space)
            except NasLabError as exc:
                raise NasLabError(f"algorithm {a!r} cannot run on {b}/{d}: {exc}") from None


def _check_budget_unit(plan: Plan) -> None:
    """Refuse, before any run, a multi-fidelity method under a query budget, and an epoch budget
    on a benchmark without training epochs (a table) or smaller than one full training."""
    if plan.budget_unit != "epochs":
        for a, cls in plan.classes.items():
            if "epochs" in cls.requires:
                raise RequestError("budget_unit", f"budget_unit must be epochs for algorithm {a!r}: it charges training "
                                                  "epochs (on a benchmark that trains, e.g. dynamicnet/mnist1d)", a)
        return
    from nasbench_lab.core.algorithm import OneShotAlgorithm

    for a, cls in plan.classes.items():
        if issubclass(cls, OneShotAlgorithm):
            raise RequestError("budget_unit", f"budget_unit epochs would not count the supernet training of one-shot "
                                              f"algorithm {a!r}: run it under a query budget", "epochs")
    for (b, d), bench in plan.loaded.items():
        if bench.max_epochs is None:
            raise RequestError("budget_unit", f"budget_unit epochs needs a benchmark that trains; {b}/{d} has no "
                                              "training epochs to count (a table of final results)", "epochs")
        if plan.budget < bench.max_epochs:
            raise RequestError("budget", f"budget of {plan.budget} epochs is less than one full training of {b}/{d} "
                                         f"({bench.max_epochs} epochs)", plan.budget)
    if plan.problem.active or plan.max_seconds is not None:
        raise RequestError("budget_unit", "budget_unit epochs does not combine with objectives, constraints or a "
                                          "time budget yet", "epochs")


def check_problem(plan: Plan) -> None:
    """Refuse, before any run, a problem an algorithm cannot search or a benchmark cannot serve
    (a cost it lacks, no cost model, no architecture within the limits)."""
    from nasbench_lab.running.trajectory import feasible_best_report

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


def run_planned(task: Task, plan: Plan | None = None, on_query: Callable[[], None] | None = None,
                artefacts: dict[str, bytes] | None = None) -> pd.DataFrame:
    """One task of ``plan`` (default: the plan this worker was given) as its rows; what the
    algorithm saves through its context goes into ``artefacts``."""
    return frame_of(_planned_columns(task, plan, on_query, artefacts))


def _run_file(task: Task, plan: Plan | None = None,
              on_query: Callable[[], None] | None = None) -> tuple[str, dict[str, bytes]]:
    """One task as its run file's text and its artefacts (formatted where it ran, so the
    driver only writes; no frame is built)."""
    artefacts: dict[str, bytes] = {}
    return run_file_text(_planned_columns(task, plan, on_query, artefacts)), artefacts


def _planned_columns(task: Task, plan: Plan | None, on_query: Callable[[], None] | None,
                     artefacts: dict[str, bytes] | None) -> dict[str, Any]:
    plan = plan if plan is not None else _WORKER_PLAN
    if plan is None:
        raise NasLabError("no plan installed in this worker (start it with install_plan)")
    bench = plan.benchmark(task.benchmark, task.dataset)
    return run_columns(task, bench, plan.classes[task.algorithm], plan.settings, on_query, artefacts)


def _dispatch(executor: Executor, work: Callable, plan: Plan, tasks: list[Task],
              progress: Callable[..., Iterable] | None, on_query: Callable[[], None] | None):
    """``(position, result)`` of ``work(task)`` for each task: in this process with the plan
    given directly; in workers with the plan installed once by the executor's initialiser."""
    if executor.in_process:
        return executor.map(partial(work, plan=plan, on_query=on_query), tasks, progress=progress)
    if isinstance(executor, (LocalExecutor, RayExecutor)):
        return executor.map(work, tasks, progress=progress, initializer=partial(install_plan, plan))
    return executor.map(partial(work, plan=plan), tasks, progress=progress)  # another executor: plan per item


def execute(plan: "Plan | RunConfig", store: ResultsStore, executor: Executor | None = None, *,
            progress: Callable[..., Iterable] | None = None, on_query: Callable[[], None] | None = None,
            on_rows: Callable[[pd.DataFrame], None] | None = None,
            on_text: Callable[[bytes], None] | None = None) -> pd.DataFrame:
    """Run every task the store does not hold yet, committing each finished run here as it
    arrives (workers only compute); return all rows (``runs.csv``). ``store.prepare(plan)``
    first. ``on_query`` (after each new query) is used only when runs are in this process;
    ``on_rows`` and ``on_text`` are handed to ``store.finish``."""
    plan = plan.resolved() if isinstance(plan, RunConfig) else plan
    executor = executor if executor is not None else LocalExecutor(1)
    tasks = store.missing(plan.tasks())
    for k, (text, artefacts) in _dispatch(executor, _run_file, plan, tasks, progress, on_query):
        store.commit_text(tasks[k], text, artefacts)
    return store.finish(on_rows, on_text)


def collect(plan: Plan, executor: Executor | None = None) -> list[pd.DataFrame]:
    """Run every task of ``plan`` without a store; the rows of each, in task order."""
    executor = executor if executor is not None else LocalExecutor(1)
    tasks = plan.tasks()
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    for k, frame in _dispatch(executor, run_planned, plan, tasks, None, None):
        frames[k] = frame
    return frames  # type: ignore[return-value]


@dataclass
class RunConfig:
    """A leaderboard's configuration by names (the older form of ``pipeline.RunRequest``):
    ``resolve()`` turns it into a ``Plan`` and takes the plan's canonical names and values."""

    benchmarks: list[tuple[str, str]]
    algorithms: list[str]
    budget: int
    seeds: list[int]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    max_seconds: float | None = None  # optional wall-clock budget per run (--time-budget)
    problem: Problem | None = None  # --objectives / --constraint (None: the search metric alone)
    budget_unit: str = "queries"  # --budget-unit
    plan: Plan | None = field(default=None, repr=False, compare=False)

    def resolve(self) -> Plan:
        """Check every name and value and load every benchmark (through the pipeline)."""
        self.plan = Pipeline(RunRequest(
            benchmarks=tuple(self.benchmarks), algorithms=tuple(self.algorithms), budget=self.budget,
            seeds=list(self.seeds), params=self.params, settings=self.settings,
            max_seconds=self.max_seconds, problem=self.problem, budget_unit=self.budget_unit,
        )).resolve()
        self.benchmarks = list(self.plan.benchmarks)
        self.params = {a: dict(p) for a, p in self.plan.params.items()}
        return self.plan

    def resolved(self) -> Plan:
        """The plan (resolved now if it is not yet)."""
        return self.plan if self.plan is not None else self.resolve()

    def tasks(self) -> list[Task]:
        return self.resolved().tasks()

    def to_dict(self) -> dict[str, Any]:
        return self.resolved().to_dict()

    @property
    def loaded(self) -> dict[tuple[str, str], Benchmark]:
        return dict(self.resolved().loaded)
