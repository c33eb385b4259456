"""Simulated annealing under cost limits: feasibility-first acceptance."""
from __future__ import annotations

import math

from nasbench_lab.core.hyperparams import boolean, hyperparameter
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch

from .constrained_evolution import NeedsConstraint
from .simulated_annealing import SimulatedAnnealing


class ConstrainedAnnealing(NeedsConstraint, SimulatedAnnealing):
    """Simulated annealing, feasibility first: never moves from a feasible state to an infeasible one.

    As ``sa``, with feasibility-first acceptance: a feasible neighbour of an infeasible state is
    always accepted, an infeasible neighbour of a feasible state never; between feasible states
    Metropolis on the search metric, between infeasible ones on the violation (relative excess,
    in units of the temperature)."""

    screen: bool = hyperparameter(True, boolean(), "prefer unvisited neighbours the free cost model says are feasible")

    def setup(self) -> None:
        super().setup()
        self.current_violation = math.inf

    def ask(self) -> Arch:
        if self.current is None or not self.problem.constraints or not self.screen:
            return super().ask()
        unvisited = [a for a in self.space.neighbours(self.current) if a not in self._visited]
        feasible = [a for a in unvisited if self.cost_model.feasible(a)]
        if feasible:
            return feasible[int(self.rng.integers(len(feasible)))]
        return super().ask()

    def accepts(self, value: float, violation: float) -> bool:
        """Feasibility-first Metropolis acceptance of a move to a state (value, violation)."""
        if self.current is None:
            return True
        if violation <= 0 < self.current_violation:
            return True
        if violation > 0 and self.current_violation <= 0:
            return False
        delta = value - self.current_value if violation <= 0 else self.current_violation - violation
        return delta >= 0 or self.rng.random() < math.exp(delta / self.temperature)

    def tell(self, query: Query) -> None:
        arch, value, violation = query.arch, query.search_metric, query.violation
        self._visited.add(arch)
        if arch == self._restart:
            self._restart = None
            self.current, self.current_value, self.current_violation = arch, value, violation
            self.temperature = self.initial_temperature
            return
        if self.accepts(value, violation):
            self.current, self.current_value, self.current_violation = arch, value, violation
        self.temperature = max(self.min_temperature, self.temperature * self.cooling)
