"""Simulated annealing over one-change neighbours."""
from __future__ import annotations

import math

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.hyperparams import hyperparameter, number
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, draw_unseen


class SimulatedAnnealing(AskTellAlgorithm):
    """Simulated annealing: random neighbour moves, Metropolis acceptance, geometric cooling.

    The temperature (in units of the search metric, e.g. accuracy points) starts at
    ``initial_temperature`` and is multiplied by ``cooling`` after every move, down to
    ``min_temperature``. A worse neighbour is accepted with probability exp(delta / T).
    Unvisited neighbours are preferred, since a revisit teaches nothing; when every neighbour
    has been visited, the walk restarts from a random unvisited architecture at
    ``initial_temperature`` (so the whole budget is spent)."""

    initial_temperature: float = hyperparameter(1.0, number(0, open_low=True), "starting temperature (search-metric units)")
    cooling: float = hyperparameter(0.95, number(0, 1, open_low=True), "temperature factor after every move")
    min_temperature: float = hyperparameter(1e-3, number(0, open_low=True), "the temperature never falls below this")

    def setup(self) -> None:
        self.temperature = self.initial_temperature
        self.current: Arch | None = None
        self.current_value = -math.inf
        self._visited: set[Arch] = set()
        self._restart: Arch | None = None

    def ask(self) -> Arch:
        if self.current is None:
            return self.space.sample(self.rng)
        unvisited = [a for a in self.space.neighbours(self.current) if a not in self._visited]
        if unvisited:
            return unvisited[int(self.rng.integers(len(unvisited)))]
        arch, _ = draw_unseen(lambda: self.space.sample(self.rng), self._visited.__contains__)
        self._restart = arch
        return arch

    def tell(self, query: Query) -> None:
        arch, value = query.arch, query.search_metric
        self._visited.add(arch)
        if arch == self._restart:
            self._restart = None
            self.current, self.current_value = arch, value
            self.temperature = self.initial_temperature
            return
        delta = value - self.current_value
        if self.current is None or delta >= 0 or self.rng.random() < math.exp(delta / self.temperature):
            self.current, self.current_value = arch, value
        self.temperature = max(self.min_temperature, self.temperature * self.cooling)
