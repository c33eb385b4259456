"""Simulated annealing with a GIN as the fitness: chains walk on predicted scores (free), the
best predicted states they visit are queried, the GIN is refitted, and the walk goes on."""
from __future__ import annotations

import math

from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.space import Arch

from .surrogate_search import (EPOCHS, HIDDEN, INITIAL_SAMPLES, LAYERS, LOSS, MEMBERS, QUERIES_PER_ROUND,
                               REFIT_EPOCHS, SurrogateSearch, top_queried)


class GINSimulatedAnnealing(SurrogateSearch):
    """GIN-guided simulated annealing: anneal on predicted accuracy, query the best states seen.

    Each round (after ``initial_samples`` random queries): fit the GIN on all queries so far,
    run ``chains`` annealing chains of ``steps`` one-change moves on the predicted score (in
    standard deviations of the queried values; Metropolis acceptance, the temperature cooling
    geometrically from ``initial_temperature`` to ``final_temperature`` within a round),
    starting from the best queried architectures, and query the ``queries_per_round``
    unqueried states with the best predicted score."""

    initial_samples: int = INITIAL_SAMPLES
    queries_per_round: int = QUERIES_PER_ROUND
    chains: int = hyperparameter(20, integer(1), "annealing chains run in lock-step each round")
    steps: int = hyperparameter(20, integer(1), "one-change moves per chain and round")
    initial_temperature: float = hyperparameter(0.5, number(0, open_low=True),
                                                "temperature at a round's first step (predicted z-score units)")
    final_temperature: float = hyperparameter(0.02, number(0, "initial_temperature", open_low=True),
                                              "temperature at a round's last step")
    members: int = MEMBERS
    epochs: int = EPOCHS
    refit_epochs: int = REFIT_EPOCHS
    hidden: int = HIDDEN
    layers: int = LAYERS
    loss: str = LOSS

    def setup(self) -> None:
        super().setup()
        self.t0, self.t1 = self.initial_temperature, self.final_temperature

    def anneal(self) -> dict[Arch, float]:
        """Run the chains in lock-step (one batched prediction per step); return every visited
        unqueried state with its predicted score."""
        starts = top_queried(self.history, self.chains)
        states = [starts[k % len(starts)] for k in range(self.chains)]
        scores = dict(zip(states, self.surrogate.score(states)[0].tolist()))
        current = [scores[s] for s in states]
        visited: dict[Arch, float] = {}
        cooling = (self.t1 / self.t0) ** (1.0 / max(1, self.steps - 1))
        temperature = self.t0
        for _ in range(self.steps):
            proposals = [self.space.mutate(s, self.rng) for s in states]
            new = [p for p in dict.fromkeys(proposals) if p not in scores]
            if new:
                scores.update(zip(new, self.surrogate.score(new)[0].tolist()))
            for k, p in enumerate(proposals):
                delta = scores[p] - current[k]
                if delta >= 0 or self.rng.random() < math.exp(delta / temperature):
                    states[k], current[k] = p, scores[p]
                if not self.seen(p):
                    visited[p] = scores[p]
            temperature *= cooling
        return visited

    def propose(self) -> list[Arch]:
        visited = self.anneal()
        return sorted(visited, key=lambda a: -visited[a])
