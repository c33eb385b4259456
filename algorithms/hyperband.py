"""Successive halving (Jamieson & Talwalkar 2016) and Hyperband (Li et al., JMLR 2018) with
training epochs as the fidelity, on an oracle that charges epochs (``nasbench_lab.core.fidelity``)."""
from __future__ import annotations

import math

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.fidelity import FidelityOracle
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import Arch, sample_unseen
from nasbench_lab.errors import NasLabError

Rung = tuple[int, int]  # (architectures, epochs each)


def brackets(max_epochs: int, eta: int, min_epochs: int = 1) -> list[list[Rung]]:
    """Hyperband's brackets, most exploratory first (Li et al. 2018, Algorithm 1): for
    ``s = s_max .. 0``, ``n = ceil((s_max + 1) eta^s / (s + 1))`` architectures at
    ``r = R eta^-s`` epochs, then rung ``i`` keeps ``floor(n eta^-i)`` at ``r eta^i`` epochs
    (rounded to whole epochs). ``s_max = floor(log_eta(R / min_epochs))``."""
    if eta < 2 or not 1 <= min_epochs <= max_epochs:
        raise NasLabError(f"need eta >= 2 and 1 <= min_epochs <= max_epochs, got {eta}, {min_epochs}, {max_epochs}")
    s_max = 0
    while min_epochs * eta ** (s_max + 1) <= max_epochs:
        s_max += 1
    out = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1))
        out.append([(n // eta**i, max(1, round(max_epochs * eta ** (i - s)))) for i in range(s + 1)])
    return out


class MultiFidelityAlgorithm(Algorithm):
    """A method that chooses how many epochs each evaluation trains: it needs a
    ``FidelityOracle`` (budget in epochs) and calls ``evaluate_at(arch, epochs)``. The pipeline
    runs it only under a budget of epochs (``budget_unit="epochs"``, ``--budget-unit epochs``)."""

    requires = ("epochs",)

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        if not isinstance(oracle, FidelityOracle):
            raise NasLabError(f"{type(self).__name__} needs a benchmark with training epochs as a fidelity "
                              "(an oracle charging epochs)")
        self.search(oracle)

    def search(self, oracle: FidelityOracle) -> None:
        raise NotImplementedError


class Hyperband(MultiFidelityAlgorithm):
    """Hyperband: successive halving over brackets from many short trainings to few full ones.

    The brackets of ``brackets(R, eta, min_epochs)`` (``R``: the benchmark's full training) run
    in turn, again from the first, while the budget lasts. In a bracket, ``n`` new random
    architectures train ``r`` epochs; the best ``1/eta`` resume to ``eta`` times as many, and so
    on to ``R``. The run ends when the next evaluation no longer fits in the epoch budget."""

    eta: int = hyperparameter(3, integer(2), "halving rate: a rung keeps the best 1/eta and trains eta times longer")
    min_epochs: int = hyperparameter(1, integer(1), "epochs of the shortest training")

    def setup(self) -> None:
        self._sampled: set[Arch] = set()
        self.rungs_run: list[Rung] = []

    def plan(self, oracle: FidelityOracle) -> list[list[Rung]]:
        """The brackets run in turn."""
        return brackets(oracle.max_epochs, self.eta, min(self.min_epochs, oracle.max_epochs))

    def search(self, oracle: FidelityOracle) -> None:
        plan = self.plan(oracle)
        k = 0
        while self._bracket(oracle, plan[k % len(plan)]):
            k += 1

    def _bracket(self, oracle: FidelityOracle, rungs: list[Rung]) -> bool:
        """Run one bracket; False when the budget (or the space) ran out."""
        survivors: list[Arch] = []
        for _ in range(rungs[0][0]):
            arch = sample_unseen(self.space, self.rng, self._sampled.__contains__)
            if arch is None:
                break
            self._sampled.add(arch)
            survivors.append(arch)
        if not survivors:
            return False
        for i, (_, epochs) in enumerate(rungs):
            values = []
            for arch in survivors:
                if oracle.charge(arch, epochs) > oracle.remaining:
                    return False
                values.append(oracle.evaluate_at(arch, epochs).search_metric)
            self.rungs_run.append((len(survivors), epochs))
            if i + 1 < len(rungs):
                keep = max(1, rungs[i + 1][0])
                order = sorted(range(len(survivors)), key=lambda j: -values[j])  # stable: earlier wins ties
                survivors = [survivors[j] for j in order[:keep]]
        return True


class SuccessiveHalving(Hyperband):
    """Successive halving: Hyperband's most aggressive bracket only, repeated while the budget lasts."""

    eta: int = hyperparameter(3, integer(2), "halving rate: a rung keeps the best 1/eta and trains eta times longer")
    min_epochs: int = hyperparameter(1, integer(1), "epochs of the shortest training")

    def plan(self, oracle: FidelityOracle) -> list[list[Rung]]:
        return super().plan(oracle)[:1]
