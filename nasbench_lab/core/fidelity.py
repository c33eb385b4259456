"""Multi-fidelity queries: an oracle whose budget is training epochs.

``FidelityOracle(space, search_metric_at, budget, max_epochs)`` answers ``evaluate_at(arch,
epochs)`` with the search metric after ``epochs`` epochs of training (of a schedule that runs
to ``max_epochs``) and charges the epochs trained: a partly trained architecture resumes, so
taking it from 3 to 9 epochs costs 6. ``search_metric_at(arch, epochs)`` is the benchmark's
function (it must resume, or the charge understates the work). ``evaluate(arch)`` is a full
evaluation (``max_epochs``), so every ask/tell method runs under an epoch budget unchanged.
The incumbent (``best``, ``history``) is taken over full evaluations only; ``trajectory()``
gives the regret curve's x axis (epochs spent) beside the incumbent. The plain ``Oracle`` is
untouched: every query-budget result stays as it was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from nasbench_lab.errors import BudgetExhausted, NasLabError

from .oracle import Oracle, Query
from .space import Arch, SearchSpace

BUDGET_UNIT = "epochs"


@dataclass(frozen=True)
class Evaluation:
    """One charged evaluation: its record, the epochs it reached, and the epochs spent so far."""

    query: Query
    epochs: int
    spent: int


class FidelityOracle(Oracle):
    """An oracle charging training epochs (``budget`` epochs in all; see the module doc)."""

    budget_unit = BUDGET_UNIT

    def __init__(self, space: SearchSpace, search_metric_at: Callable[[Arch, int], float], budget: int,
                 max_epochs: int, clock: Callable[[], float] = time.perf_counter) -> None:
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise NasLabError(f"max_epochs must be a whole number >= 1, got {max_epochs!r}")
        super().__init__(space, lambda arch: search_metric_at(arch, max_epochs), budget, clock)
        self.max_epochs = max_epochs
        self._at = search_metric_at
        self._trained: dict[Arch, int] = {}
        self._values: dict[tuple[Arch, int], Query] = {}
        self.evaluations: list[Evaluation] = []
        self.epochs_spent = 0

    @property
    def used(self) -> int:
        return self.epochs_spent

    @property
    def remaining(self) -> int:
        return self.budget - self.epochs_spent

    @property
    def exhausted(self) -> bool:
        """Whether a full evaluation of a new architecture no longer fits in the budget."""
        return self.remaining < self.max_epochs

    def seen(self, arch: Arch) -> bool:
        return (arch, self.max_epochs) in self._values

    def trained(self, arch: Arch) -> int:
        """Epochs ``arch`` has been trained for so far (0: never)."""
        return self._trained.get(arch, 0)

    def charge(self, arch: Arch, epochs: int) -> int:
        """Epochs ``evaluate_at(arch, epochs)`` would cost (0 if already evaluated there)."""
        if (arch, epochs) in self._values:
            return 0
        return epochs - self.trained(arch)

    def evaluate(self, arch: Arch) -> Query:
        return self.evaluate_at(arch, self.max_epochs)

    def evaluate_at(self, arch: Arch, epochs: int) -> Query:
        """The search metric of ``arch`` after ``epochs`` epochs; charged the epochs trained
        beyond what ``arch`` had (a repeat is free; fewer epochs than trained is refused)."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= self.max_epochs:
            raise NasLabError(f"epochs must be a whole number in 1..{self.max_epochs}, got {epochs!r}")
        found = self._values.get((arch, epochs))
        if found is not None:
            return found
        cost = epochs - self.trained(arch)
        if cost < 0:
            raise NasLabError(f"{self.space.format(arch)} was trained for {self.trained(arch)} epochs; "
                              f"its value after {epochs} is no longer available")
        if cost > self.remaining:
            raise BudgetExhausted(f"epoch budget of {self.budget}: {self.remaining} left, {cost} asked")
        value = float(self._at(arch, epochs))
        self.epochs_spent += cost
        self._trained[arch] = epochs
        record = Query(len(self.evaluations) + 1, arch, value, self._clock() - self._start)
        self._values[(arch, epochs)] = record
        self.evaluations.append(Evaluation(record, epochs, self.epochs_spent))
        if epochs == self.max_epochs:
            self._history.append(record)
        return record

    def trajectory(self) -> list[tuple[int, Query | None]]:
        """After each evaluation: the epochs spent so far and the incumbent (the best full
        evaluation so far; None before the first)."""
        out: list[tuple[int, Query | None]] = []
        best: Query | None = None
        for ev in self.evaluations:
            if ev.epochs == self.max_epochs and (best is None or ev.query.search_metric > best.search_metric):
                best = ev.query
            out.append((ev.spent, best))
        return out
