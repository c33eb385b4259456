"""Predictor-guided Pareto search: a GIN predicts accuracy, the cost model gives costs exactly, and
each round queries the candidates that most improve the predicted front."""
from __future__ import annotations

import numpy as np

from nasbench_lab.fronts import constrained_fronts, hypervolume, pareto_mask
from nasbench_lab.hyperparams import integer, number, one_of
from nasbench_lab.objectives import Problem
from nasbench_lab.oracle import Oracle
from nasbench_lab.predictors import LOSSES
from nasbench_lab.predictors.surrogate import GINSurrogate, SurrogateSearch
from nasbench_lab.space import Arch, SearchSpace, crossover

from .gin_evolution import breed_distinct
from .nsga2 import needs_cost_objective


class GINPareto(SurrogateSearch):
    """GIN-guided Pareto search: predicted accuracy, exact costs, greedy hypervolume gain."""

    hyperparameter_ranges = {
        "initial_samples": integer(2),
        "queries_per_round": integer(1),
        "parents": integer(1),
        "candidates": integer(1),
        "random_candidates": number(0, 1),
        "crossover_rate": number(0, 1),
        "epochs": integer(1),
        "refit_epochs": integer(0),
        "hidden": integer(1),
        "layers": integer(1),
        "loss": one_of(*LOSSES),
    }

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, initial_samples: int = 10,
                 queries_per_round: int = 5, parents: int = 20, candidates: int = 300, random_candidates: float = 0.2,
                 crossover_rate: float = 0.3, epochs: int = 100, refit_epochs: int = 25, hidden: int = 32,
                 layers: int = 2, loss: str = "pairwise") -> None:
        """Query ``initial_samples`` random architectures; then each round fit the GIN on every
        query (search metric only, as ``gin-evolution``), breed ``candidates`` unqueried
        feasible candidates (a fraction ``random_candidates`` uniformly random, the rest
        mutations, or with probability ``crossover_rate`` crossovers, of the ``parents`` best
        queried architectures by constrained non-dominated rank), and query
        ``queries_per_round`` of them chosen greedily: each the one that adds most hypervolume
        to the front of queried plus already chosen architectures, in the space of (GIN score,
        log cost) normalised over queried and candidates; ties (no gain) by predicted score."""
        super().__init__(space, rng)
        self.initial_samples, self.queries_per_round = initial_samples, queries_per_round
        self.parents, self.candidates = parents, candidates
        self.random_candidates, self.crossover_rate = random_candidates, crossover_rate
        self.surrogate = GINSurrogate(space, rng, members=1, epochs=epochs, refit_epochs=refit_epochs,
                                      gin={"hidden": hidden, "layers": layers, "loss": loss})

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def _log_costs(self, oracle: Oracle, archs: list[Arch]) -> np.ndarray:
        names = oracle.problem.objective_costs
        return np.log(np.maximum(np.array([[oracle.costs(a)[c] for c in names] for a in archs]), 1e-12))

    def _pool(self, oracle: Oracle) -> list[Arch]:
        history = oracle.history
        points = np.array([oracle.problem.vector(q.search_metric, q.costs) for q in history])
        fronts = constrained_fronts(points, [oracle.problem.violation(q.costs) for q in history])
        order = [int(i) for front in fronts for i in front]
        return [history[i].arch for i in order[: self.parents]]

    def breed(self, oracle: Oracle) -> list[Arch]:
        """Distinct unqueried candidates that the cost model says are feasible."""
        pool = self._pool(oracle)

        def child() -> Arch:
            parent = pool[int(self.rng.integers(len(pool)))]
            if len(pool) > 1 and self.rng.random() < self.crossover_rate:
                parent = crossover(self.space, parent, pool[int(self.rng.integers(len(pool)))], self.rng) or parent
            return self.space.mutate(parent, self.rng)

        return breed_distinct(oracle, self.space, self.rng, self.candidates, self.random_candidates, child,
                              oracle.feasible)

    def propose(self, oracle: Oracle) -> list[Arch]:
        children = self.breed(oracle)
        if not children:
            return []
        queried = [q for q in oracle.history if oracle.problem.violation(q.costs) <= 0]
        predicted, _ = self.surrogate.score(children + [q.arch for q in queried])
        cand_acc, known_acc = predicted[: len(children)], predicted[len(children):]
        points = np.column_stack([-np.concatenate([cand_acc, known_acc]),
                                  self._log_costs(oracle, children + [q.arch for q in queried])])
        low, high = points.min(0), points.max(0)
        points = (points - low) / np.where(high > low, high - low, 1.0)
        reference = points.max(0) + 0.1
        cands, front = points[: len(children)], points[len(children):]
        chosen: list[int] = []
        for _ in range(min(self.queries_per_round, len(children))):
            front = front[pareto_mask(front)]
            base = hypervolume(front, reference)
            gains = np.array([-np.inf if i in chosen else hypervolume(np.vstack([front, c]), reference) - base
                              for i, c in enumerate(cands)])
            best = max((i for i in range(len(children)) if i not in chosen), key=lambda i: (gains[i], cand_acc[i]))
            chosen.append(best)
            front = np.vstack([front, cands[best]])
        return [children[i] for i in chosen]
