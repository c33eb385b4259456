"""The base of the Optuna baselines: an Optuna study driven through ask/tell, every trial a query
of the same oracle (same budget, same costs, no report metric).

The space is given to Optuna as categorical choices (``space.categorical()``,
``from_categorical``, ``to_categorical``: NB201 edges, NAS-Bench-Graph link and layers). A trial the space
rejects is told FAIL and costs nothing; a trial proposing an architecture already queried is told
its stored values (free). After ``max_repeats`` such free trials in a row, a random unqueried
architecture is enqueued as the next trial, so the whole budget is spent. Objectives: the search
metric (maximised) and each cost objective (minimised); constraints go to the sampler's
``constraints_func`` as ``cost - limit`` (feasible when <= 0). Optuna is imported when a run starts.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from nasbench_lab.algorithm import Algorithm
from nasbench_lab.context import RunContext
from nasbench_lab.errors import ArchError, NasLabError
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import Arch, SearchSpace, sample_unseen


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise NasLabError("the optuna-* baselines need Optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def constraint_values(trial) -> list[float]:
    """Optuna's ``constraints_func``: the ``cost - limit`` values stored on the trial."""
    return list(trial.user_attrs["constraints"])


class OptunaSearch(Algorithm):
    """An Optuna sampler as a search algorithm (subclasses choose the sampler and objectives)."""

    hyperparameter_ranges: dict = {}
    multi_objective = True  # False: the search metric alone (constraints still apply)

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, max_repeats: int = 50) -> None:
        super().__init__(space, rng)
        self.max_repeats = max_repeats

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        if not all(callable(getattr(space, m, None)) for m in ("categorical", "from_categorical", "to_categorical")):
            raise NasLabError(f"{cls.__name__} needs a space given as categorical choices (nb201, nasbench-graph); "
                              f"{space.name!r} is not")
        optuna_module()

    def sampler(self, optuna, seed: int, constrained: bool) -> Any:
        raise NotImplementedError

    def _values(self, oracle: Oracle, arch: Arch, value: float) -> list[float]:
        costs = oracle.costs(arch) if oracle.problem.costs else {}
        if not self.multi_objective:
            return [value]
        return [value, *(costs[c] for c in oracle.problem.objective_costs)]

    def _enqueue_unseen(self, study, oracle: Oracle, names: list[str]) -> bool:
        arch = sample_unseen(self.space, self.rng, oracle.seen)
        if arch is None:
            return False
        study.enqueue_trial(dict(zip(names, self.space.to_categorical(arch))))
        return True

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        optuna = optuna_module()
        problem = oracle.problem
        directions = ["maximize"] + (["minimize"] * len(problem.objective_costs) if self.multi_objective else [])
        seed = int(self.rng.integers(2**31 - 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature warnings (constraints_func)
            study = optuna.create_study(directions=directions, sampler=self.sampler(optuna, seed, bool(problem.constraints)))
            choices = self.space.categorical()
            names = [n for n, _ in choices]
            repeats = 0
            while not oracle.exhausted:
                trial = study.ask()
                try:
                    arch = self.space.from_categorical([trial.suggest_categorical(n, list(o)) for n, o in choices])
                except ArchError:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                repeats = repeats + 1 if oracle.seen(arch) else 0
                value = oracle.query(arch)
                if problem.constraints:
                    costs = oracle.costs(arch)
                    trial.set_user_attr("constraints", [costs[c.cost] - c.limit for c in problem.constraints])
                study.tell(trial, self._values(oracle, arch, value))
                if repeats >= self.max_repeats:
                    if not self._enqueue_unseen(study, oracle, names):
                        return
                    repeats = 0
