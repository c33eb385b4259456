"""Predictor-guided Pareto search: a GIN predicts accuracy, the cost model gives costs exactly, and
each round queries the candidates that most improve the predicted front."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.fronts import constrained_fronts, hypervolume, pareto_mask
from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.space import Arch, crossover

from .gin_evolution import breed_distinct
from .nsga2 import needs_cost_objective
from .surrogate_search import (EPOCHS, HIDDEN, INITIAL_SAMPLES, LAYERS, LOSS, QUERIES_PER_ROUND, REFIT_EPOCHS,
                               SurrogateSearch)


class GINPareto(SurrogateSearch):
    """GIN-guided Pareto search: predicted accuracy, exact costs, greedy hypervolume gain.

    After ``initial_samples`` random queries, each round fits the GIN on every query (search
    metric only, as ``gin-evolution``), breeds ``candidates`` unqueried feasible candidates (a
    fraction ``random_candidates`` uniformly random, the rest mutations, or with probability
    ``crossover_rate`` crossovers, of the ``parents`` best queried architectures by constrained
    non-dominated rank), and queries ``queries_per_round`` of them chosen greedily: each the one
    that adds most hypervolume to the front of queried plus already chosen architectures, in the
    space of (GIN score, log cost) normalised over queried and candidates; ties (no gain) by
    predicted score."""

    initial_samples: int = INITIAL_SAMPLES
    queries_per_round: int = QUERIES_PER_ROUND
    parents: int = hyperparameter(20, integer(1), "best queried architectures (by constrained non-dominated rank) bred from")
    candidates: int = hyperparameter(300, integer(1), "unqueried feasible candidates ranked each round")
    random_candidates: float = hyperparameter(0.2, number(0, 1), "share of the candidates drawn uniformly at random")
    crossover_rate: float = hyperparameter(0.3, number(0, 1), "probability a child is a crossover of two parents")
    epochs: int = EPOCHS
    refit_epochs: int = REFIT_EPOCHS
    hidden: int = HIDDEN
    layers: int = LAYERS
    loss: str = LOSS

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def _log_costs(self, archs: list[Arch]) -> np.ndarray:
        names = self.problem.objective_costs
        return np.log(np.maximum(np.array([[self.cost_model(a)[c] for c in names] for a in archs]), 1e-12))

    def _pool(self) -> list[Arch]:
        history = self.history
        points = np.array([self.problem.vector(q.search_metric, q.costs) for q in history])
        fronts = constrained_fronts(points, [q.violation for q in history])
        order = [int(i) for front in fronts for i in front]
        return [history[i].arch for i in order[: self.parents]]

    def breed(self) -> list[Arch]:
        """Distinct unqueried candidates that the cost model says are feasible."""
        pool = self._pool()

        def child() -> Arch:
            parent = pool[int(self.rng.integers(len(pool)))]
            if len(pool) > 1 and self.rng.random() < self.crossover_rate:
                parent = crossover(self.space, parent, pool[int(self.rng.integers(len(pool)))], self.rng) or parent
            return self.space.mutate(parent, self.rng)

        return breed_distinct(self.seen, self.space, self.rng, self.candidates, self.random_candidates, child,
                              self.cost_model.feasible)

    def propose(self) -> list[Arch]:
        children = self.breed()
        if not children:
            return []
        queried = [q for q in self.history if q.violation <= 0]
        predicted, _ = self.surrogate.score(children + [q.arch for q in queried])
        cand_acc, known_acc = predicted[: len(children)], predicted[len(children):]
        points = np.column_stack([-np.concatenate([cand_acc, known_acc]),
                                  self._log_costs(children + [q.arch for q in queried])])
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
