"""``nasbench_lab.run``: one algorithm on one benchmark, from Python, with the leaderboard's rows.

    import nasbench_lab
    runs = nasbench_lab.run("re", "nb201-analog/cifar10", budget=100, seeds=20)
    runs = nasbench_lab.run(MySearch, "nb201-analog", budget=50, seeds=[0, 1], params={"my_param": 3})

A thin caller of ``nasbench_lab.running.pipeline`` (as ``nasbench-lab leaderboard`` is), so a seed
gives the same rows as the leaderboard with that seed.
"""
from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.errors import NasLabError
from nasbench_lab.running.executors import Executor, LocalExecutor
from nasbench_lab.core.objectives import Problem
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.store import RUN_COLUMNS, SORT_KEYS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["run"]


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
    device: str | None = None,
    budget_unit: str = "queries",
) -> pd.DataFrame:
    """Run ``algorithm`` on ``benchmark`` for every seed and return all queries (``RUN_COLUMNS``,
    sorted by ``SORT_KEYS``): the rows ``nasbench-lab leaderboard`` writes to ``runs.csv``.

    ``algorithm``: a registered name (``nasbench-lab list``) or an ``Algorithm`` subclass; a class
    that is not registered runs under its class name. ``benchmark``: a registered name or
    ``"name/dataset"`` (``dataset=`` also works; default: the benchmark's first dataset).
    ``budget``: queries per run, or training epochs with ``budget_unit="epochs"`` (a benchmark
    that trains; rows are then the full trainings, with the ``epochs`` spent). ``seeds``: a count (``20`` = seeds 0..19) or a list of seeds.
    ``params``: the algorithm's hyper-parameters, e.g. ``{"population_size": 20}``.
    ``settings``: data paths (default: ``Settings.from_env()``). ``jobs``: worker processes
    (the rows do not depend on it). ``executor``: where the runs go instead, e.g.
    ``nasbench_lab.running.executors.RayExecutor("auto")`` (the caller closes it). ``problem``: objectives
    and cost constraints (``nasbench_lab.core.objectives.problem_from_options("search,latency:pixel3",
    ["params<=0.5"], None)``); the rows then also hold the costs and ``violation``. ``device``: the
    torch device (cpu, cuda, auto) of an algorithm or live benchmark that trains, unless ``params``
    or the benchmark options set it (None: their default, cpu). Raises ``NasLabError`` for bad input.
    """
    from nasbench_lab.running.pipeline import Pipeline, collect
    from nasbench_lab.running.request import RequestError, RunRequest, check_jobs, split_benchmark

    jobs = check_jobs(jobs)
    if executor is None:
        executor = LocalExecutor(jobs)
    elif jobs != 1:
        raise RequestError("jobs", "give jobs= or executor=, not both (a LocalExecutor(jobs) is the executor for jobs)")
    elif not callable(getattr(executor, "map", None)):
        raise RequestError("executor", f"executor must be a nasbench_lab.running.executors executor, got {executor!r}")
    if params is not None and not isinstance(params, Mapping):
        raise RequestError("params", f"params must be a mapping of hyper-parameter names to values, got {params!r}")
    plan = Pipeline(RunRequest(
        benchmarks=[split_benchmark(benchmark, dataset)], algorithms=[algorithm], budget=budget, seeds=seeds,
        params={algorithm: params or {}}, settings=settings, problem=problem, device=device,
        budget_unit=budget_unit,
    )).resolve()
    _check_picklable(plan, executor)
    import pandas as pd

    runs = pd.concat(collect(plan, executor), ignore_index=True)
    columns = RUN_COLUMNS + [c for c in runs.columns if c not in RUN_COLUMNS]  # a problem's costs, violation
    return runs.sort_values(SORT_KEYS, kind="stable").reset_index(drop=True)[columns]


def _check_picklable(plan, executor: Executor) -> None:
    """An algorithm class that worker processes cannot receive is refused before any run."""
    if executor.in_process:
        return
    for cls in plan.classes.values():
        try:
            pickle.dumps(cls)
        except Exception:
            raise NasLabError(
                f"{cls.__qualname__} cannot be sent to worker processes (define it at module level, or use jobs=1)"
            ) from None
