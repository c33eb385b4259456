"""The budgeted oracle: the only door an algorithm has to a benchmark."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from nasbench_lab.errors import BudgetError, BudgetExhausted, NasLabError
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.space import Arch, SearchSpace


@dataclass(frozen=True)
class Query:
    """One charged query, the record an algorithm is told: its number (1-based), the
    architecture, its search metric, the wall time in seconds since the oracle was created, the
    problem's costs (empty without cost objectives or constraints) and the total relative excess
    over the cost limits (``violation``: 0.0 when feasible or without constraints)."""

    number: int
    arch: Arch
    search_metric: float
    seconds: float
    costs: Mapping[str, float] = field(default_factory=dict)  # the problem's costs, if any
    violation: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.violation <= 0


class CostModel:
    """The free cost model of a run: ``model(arch) -> {cost: value}`` for the problem's costs,
    cached, with ``violation`` and ``feasible`` against the problem's limits. It holds the cost
    function and the ``problem`` only (no metric, no budget), so the framework hands it to
    algorithms that screen candidates before querying them."""

    def __init__(self, problem: Problem, costs: Callable[[Arch], Mapping[str, float]] | None = None) -> None:
        if problem.costs and costs is None:
            raise NasLabError(f"the problem names costs ({', '.join(problem.costs)}) but the oracle has no cost model")
        self.problem = problem
        self._model = costs
        self._cache: dict[Arch, dict[str, float]] = {}
        self.lookups = 0

    def __call__(self, arch: Arch) -> dict[str, float]:
        """The problem's costs of ``arch`` (free: no query is charged)."""
        found = self._cache.get(arch)
        if found is None:
            if self._model is None:
                raise NasLabError("this run has no objectives or constraints on costs: there are no costs to serve")
            model = self._model(arch)
            found = self._cache[arch] = {c: float(model[c]) for c in self.problem.costs}
            self.lookups += 1
        return dict(found)

    def violation(self, arch: Arch) -> float:
        """Total relative excess of ``arch`` over the problem's cost limits (0: feasible; free)."""
        return self.problem.violation(self(arch)) if self.problem.constraints else 0.0

    def feasible(self, arch: Arch) -> bool:
        return self.violation(arch) <= 0


class Oracle:
    """Counts unique queries against a budget, caches answers and records the trajectory.

    It is built from a search space and a function returning the search metric only: it holds
    no reference to the benchmark, so an algorithm cannot read report (test) metrics through it.
    Re-querying an architecture already queried costs nothing and returns the same value; a new
    query past the budget raises ``BudgetExhausted``. With ``max_seconds`` (a wall-clock budget,
    e.g. for live benchmarks) a new query is also refused once that many seconds have passed
    since the oracle was created; a query started in time runs to its end.

    Hardware-aware runs give a ``problem`` (objectives and constraints) and ``costs``, a cost
    model returning the problem's costs of an architecture (a table lookup, or a measurement
    that needs no training). Costs are not secret: ``costs(arch)`` is free (counted in
    ``cost_lookups``), and each query records them beside the search metric.
    """

    def __init__(
        self,
        space: SearchSpace,
        search_metric: Callable[[Arch], float],
        budget: int,
        clock: Callable[[], float] = time.perf_counter,
        max_seconds: float | None = None,
        *,
        problem: Problem | None = None,
        costs: Callable[[Arch], Mapping[str, float]] | None = None,
    ) -> None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise BudgetError(f"budget must be a whole number of queries >= 1, got {budget!r}")
        if max_seconds is not None and (isinstance(max_seconds, bool) or not max_seconds > 0):
            raise BudgetError(f"the wall-clock budget must be a number of seconds > 0, got {max_seconds!r}")
        self.space = space
        self.budget = budget
        self.max_seconds = None if max_seconds is None else float(max_seconds)
        self._lookup = search_metric
        self._clock = clock
        self._start = clock()
        self._history: list[Query] = []
        self.compute_seconds = 0.0
        self.problem = problem or Problem()
        self.cost_model = CostModel(self.problem, costs)
        self._records: dict[Arch, Query] = {}
        # read once: the problem's cost names are recomputed on every access (the query loop is hot)
        self._with_costs, self._with_constraints = bool(self.problem.costs), bool(self.problem.constraints)

    @classmethod
    def for_benchmark(cls, benchmark, budget: int, max_seconds: float | None = None,
                      problem: Problem | None = None) -> "Oracle":
        problem = problem or Problem()
        model = benchmark.cost_fn(problem.costs) if problem.costs else None
        return cls(benchmark.space, benchmark.search_metric_fn(), budget, max_seconds=max_seconds,
                   problem=problem, costs=model)

    @property
    def used(self) -> int:
        return len(self._history)

    @property
    def remaining(self) -> int:
        return self.budget - len(self._history)

    @property
    def elapsed(self) -> float:
        """Seconds since the oracle was created."""
        return self._clock() - self._start

    @property
    def out_of_time(self) -> bool:
        return self.max_seconds is not None and self.elapsed >= self.max_seconds

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0 or self.out_of_time

    def seen(self, arch: Arch) -> bool:
        return arch in self._records

    def query(self, arch: Arch) -> float:
        """The search metric of ``arch``; charged once per distinct architecture."""
        return self.evaluate(arch).search_metric

    def evaluate(self, arch: Arch) -> Query:
        """The full record of ``arch`` (search metric, costs, violation); charged once per
        distinct architecture (a repeat returns the first record, free)."""
        found = self._records.get(arch)
        if found is not None:
            return found
        if self.remaining <= 0:
            raise BudgetExhausted(f"query budget of {self.budget} is spent")
        if self.out_of_time:
            raise BudgetExhausted(f"wall-clock budget of {self.max_seconds:g} s is spent")
        value = float(self._lookup(arch))
        costs = self.costs(arch) if self._with_costs else {}
        violation = self.problem.violation(costs) if self._with_constraints else 0.0
        record = Query(len(self._history) + 1, arch, value, self._clock() - self._start, costs, violation)
        self._records[arch] = record
        self._history.append(record)
        return record

    @property
    def cost_lookups(self) -> int:
        """Distinct architectures whose costs the cost model was asked for."""
        return self.cost_model.lookups

    def costs(self, arch: Arch) -> dict[str, float]:
        """The problem's costs of ``arch`` from the cost model (free: no query is charged)."""
        return self.cost_model(arch)

    def violation(self, arch: Arch) -> float:
        """Total relative excess of ``arch`` over the problem's cost limits (0: feasible; free)."""
        return self.cost_model.violation(arch)

    def feasible(self, arch: Arch) -> bool:
        return self.cost_model.feasible(arch)

    def add_compute(self, seconds: float) -> None:
        """Record compute spent outside queries (e.g. supernet training), reported beside them."""
        self.compute_seconds += float(seconds)

    @property
    def history(self) -> tuple[Query, ...]:
        return tuple(self._history)

    def best(self) -> Query | None:
        """The best query so far by search metric (earliest wins ties)."""
        best: Query | None = None
        for q in self._history:
            if best is None or q.search_metric > best.search_metric:
                best = q
        return best
