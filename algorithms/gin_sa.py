"""Simulated annealing with a GIN as the fitness: chains walk on predicted scores (free), the
best predicted states they visit are queried, the GIN is refitted, and the walk goes on."""
from __future__ import annotations

import math

import numpy as np

from nasbench_lab.hyperparams import integer, number, one_of
from nasbench_lab.oracle import Oracle
from nasbench_lab.predictors import LOSSES
from nasbench_lab.predictors.surrogate import GINSurrogate, SurrogateSearch, top_queried
from nasbench_lab.space import Arch, SearchSpace


class GINSimulatedAnnealing(SurrogateSearch):
    """GIN-guided simulated annealing: anneal on predicted accuracy, query the best states seen."""

    hyperparameter_ranges = {
        "initial_samples": integer(2),
        "queries_per_round": integer(1),
        "chains": integer(1),
        "steps": integer(1),
        "initial_temperature": number(0, open_low=True),
        "final_temperature": number(0, "initial_temperature", open_low=True),
        "members": integer(1),
        "epochs": integer(1),
        "refit_epochs": integer(0),
        "hidden": integer(1),
        "layers": integer(1),
        "loss": one_of(*LOSSES),
    }

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        initial_samples: int = 10,
        queries_per_round: int = 5,
        chains: int = 20,
        steps: int = 20,
        initial_temperature: float = 0.5,
        final_temperature: float = 0.02,
        members: int = 1,
        epochs: int = 100,
        refit_epochs: int = 25,
        hidden: int = 32,
        layers: int = 2,
        loss: str = "pairwise",
    ) -> None:
        """Query ``initial_samples`` random architectures; then, each round: fit the GIN on all
        queries so far (search metric only; ``epochs`` from scratch, then warm starts of
        ``refit_epochs``), run ``chains`` annealing chains of ``steps`` one-change moves on the
        predicted score (in standard deviations of the queried values; Metropolis acceptance,
        temperature cooling geometrically from ``initial_temperature`` to
        ``final_temperature`` within a round), starting from the best queried architectures,
        and query the ``queries_per_round`` unqueried states with the best predicted score.
        ``members`` GINs of ``layers`` layers of width ``hidden`` are averaged."""
        super().__init__(space, rng)
        if initial_samples < 2 or queries_per_round < 1 or chains < 1 or steps < 1:
            raise ValueError("need initial_samples >= 2 and queries_per_round, chains, steps >= 1")
        if not 0 < final_temperature <= initial_temperature:
            raise ValueError("need 0 < final_temperature <= initial_temperature")
        self.initial_samples, self.queries_per_round = initial_samples, queries_per_round
        self.chains, self.steps = chains, steps
        self.t0, self.t1 = initial_temperature, final_temperature
        self.surrogate = GINSurrogate(space, rng, members=members, epochs=epochs, refit_epochs=refit_epochs,
                                      gin={"hidden": hidden, "layers": layers, "loss": loss})

    def anneal(self, oracle: Oracle) -> dict[Arch, float]:
        """Run the chains in lock-step (one batched prediction per step); return every visited
        unqueried state with its predicted score."""
        starts = top_queried(oracle, self.chains)
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
                if not oracle.seen(p):
                    visited[p] = scores[p]
            temperature *= cooling
        return visited

    def propose(self, oracle: Oracle) -> list[Arch]:
        visited = self.anneal(oracle)
        return sorted(visited, key=lambda a: -visited[a])
