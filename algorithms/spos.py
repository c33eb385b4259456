"""SPOS (Guo et al. 2020): single-path supernet trained with uniformly sampled paths, then
candidate architectures ranked by their inherited-weight validation accuracy (BN recalibrated):
``candidates`` uniform paths, or (``evolution`` > 0) the paper's evolutionary search over the
supernet, every candidate screened by the run's cost limits with the free cost model."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number

Choices = tuple[int, ...]

from .supernet_search import SupernetSearch


def spos_strategy():
    """One-hot weights, each slot's choice uniform from the run's generator; no alphas learned."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class SPOSStrategy(Strategy):
        learns_alphas = False

        def weights(self, trainer, phase):
            return [torch.nn.functional.one_hot(torch.randint(a.numel(), (), generator=trainer.generator),
                                                a.numel()).float().to(trainer.device) for a in trainer.alphas]

        def probabilities(self, trainer):
            return [torch.full((a.numel(),), 1.0 / a.numel()) for a in trainer.alphas]

    return SPOSStrategy()


def evolve(slots: Sequence[int], score: Callable[[Choices], float], feasible: Callable[[Choices], bool],
           rng: np.random.Generator, *, population: int = 50, generations: int = 20, parents: int = 10,
           mutation: float = 0.1, tries: int = 50,
           canon: Callable[[Choices], Choices] = tuple) -> list[tuple[Choices, float]]:
    """SPOS's evolutionary search: a population of ``population`` feasible paths, then each
    generation half crossovers and half mutations (each slot redrawn with probability
    ``mutation``) of the ``parents`` best so far. A candidate is kept only if new and
    ``feasible`` (at most ``tries`` draws per slot of the population); ``canon`` maps choices to
    their canonical form (a supernet's repair, so one architecture is scored once). Returns every scored
    candidate ``(choices, score)``, best first; all of them feasible."""
    scored: dict[Choices, float] = {}

    def add(make: Callable[[], Choices]) -> None:
        for _ in range(tries):
            c = tuple(int(v) for v in canon(tuple(make())))
            if c not in scored and feasible(c):
                scored[c] = float(score(c))
                return

    def uniform() -> Choices:
        return tuple(int(rng.integers(n)) for n in slots)

    for _ in range(population):
        add(uniform)
    for _ in range(generations):
        top = sorted(scored, key=lambda c: -scored[c])[:parents]
        if not top:
            break
        for k in range(population):
            if k < population // 2 and len(top) > 1:
                a, b = (top[i] for i in rng.choice(len(top), 2, replace=False))
                add(lambda a=a, b=b: [x if rng.random() < 0.5 else y for x, y in zip(a, b)])
            else:
                p = top[int(rng.integers(len(top)))]
                add(lambda p=p: [int(rng.integers(n)) if rng.random() < mutation else v for v, n in zip(p, slots)])
    return sorted(scored.items(), key=lambda item: -item[1])


class SPOS(SupernetSearch):
    """SPOS: uniform single-path supernet training, then sampled candidates ranked by inherited-weight accuracy (BN recalibrated)."""

    method = "spos"
    arch_lr: float = hyperparameter(0.0, number(0), "unused (SPOS learns no alphas)")
    candidates: int = hyperparameter(50, integer(1), "paths drawn uniformly and ranked by inherited-weight accuracy")
    recalibration: int = hyperparameter(256, integer(2), "training images BatchNorm statistics are re-estimated on")
    eval_samples: int = hyperparameter(500, integer(1), "validation images each candidate is scored on")
    evolution: int = hyperparameter(0, integer(0), "generations of the paper's evolutionary search (0: rank "
                                                   "`candidates` uniform paths instead)")
    population: int = hyperparameter(50, integer(2), "evolution: population size (50 as SPOS)")
    parents: int = hyperparameter(10, integer(1), "evolution: best candidates bred from (top-k, 10 as SPOS)")
    mutation: float = hyperparameter(0.1, number(0, 1), "evolution: probability a slot is redrawn (0.1 as SPOS)")

    def strategy(self):
        return spos_strategy()

    def rank(self, trainer):
        """Distinct candidates drawn uniformly (or evolved), best inherited accuracy first; kept in the record."""
        from nasbench_lab.supernet.evaluation import inherited_accuracy, sample_paths

        if self.evolution:
            return self.evolved(trainer)
        pool = sample_paths(trainer.net, self.rng, self.candidates)
        valid = tuple(t[: self.eval_samples] for t in trainer.data.valid)
        recal = trainer.data.train[0][: self.recalibration]
        scores = [inherited_accuracy(trainer.net, arch, valid, recal) for arch in pool]
        order = np.argsort(-np.asarray(scores), kind="stable")
        self.inherited = [(list(trainer.net.choices_of(pool[i])), scores[i]) for i in order]
        return [pool[i] for i in order]

    def evolved(self, trainer):
        """The evolution's candidates (all within the run's cost limits), best first."""
        from nasbench_lab.supernet.evaluation import inherited_accuracy

        net = trainer.net
        valid = tuple(t[: self.eval_samples] for t in trainer.data.valid)
        recal = trainer.data.train[0][: self.recalibration]
        model = self.cost_model
        limited = bool(model.problem.constraints)

        def feasible(c: Choices) -> bool:
            return not limited or model.feasible(net.arch_of(c))

        found = evolve(net.slots(), lambda c: inherited_accuracy(net, net.arch_of(c), valid, recal), feasible,
                       self.rng, population=self.population, generations=self.evolution, parents=self.parents,
                       mutation=self.mutation, canon=lambda c: net.choices_of(net.arch_of(c)))
        self.inherited = [(list(c), s) for c, s in found]
        return [net.arch_of(c) for c, _ in found]
