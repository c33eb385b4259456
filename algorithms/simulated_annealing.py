"""Simulated annealing over one-change neighbours."""
from __future__ import annotations

import math

import numpy as np

from nasbench_lab.algorithm import AskTellAlgorithm
from nasbench_lab.hyperparams import number
from nasbench_lab.space import Arch, SearchSpace, draw_unseen


class SimulatedAnnealing(AskTellAlgorithm):
    """Simulated annealing: random neighbour moves, Metropolis acceptance, geometric cooling."""

    hyperparameter_ranges = {
        "initial_temperature": number(0, open_low=True),
        "cooling": number(0, 1, open_low=True),
        "min_temperature": number(0, open_low=True),
    }

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        initial_temperature: float = 1.0,
        cooling: float = 0.95,
        min_temperature: float = 1e-3,
    ) -> None:
        """Temperature (in units of the search metric, e.g. accuracy points) starts at
        ``initial_temperature`` and is multiplied by ``cooling`` after every move, down to
        ``min_temperature``. A worse neighbour is accepted with probability exp(delta / T).
        Unvisited neighbours are preferred, since a revisit teaches nothing; when every
        neighbour has been visited, the walk restarts from a random unvisited architecture at
        ``initial_temperature`` (so the whole budget is spent)."""
        super().__init__(space, rng)
        if not 0 < cooling <= 1 or initial_temperature <= 0 or min_temperature <= 0:
            raise ValueError("need initial_temperature > 0, min_temperature > 0, 0 < cooling <= 1")
        self.temperature = self.initial_temperature = initial_temperature
        self.cooling, self.min_temperature = cooling, min_temperature
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

    def tell(self, arch: Arch, value: float) -> None:
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
