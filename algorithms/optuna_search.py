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

from nasbench_lab.core.algorithm import BatchAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import ArchError, NasLabError
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.space import Arch, SearchSpace, sample_unseen


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise NasLabError("the optuna-* baselines need Optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


MAX_REPEATS = hyperparameter(50, integer(1), "free trials (already queried) in a row before a random unqueried "
                                            "architecture is enqueued")


def constraint_values(trial) -> list[float]:
    """Optuna's ``constraints_func``: the ``cost - limit`` values stored on the trial."""
    return list(trial.user_attrs["constraints"])


class OptunaSearch(BatchAlgorithm):
    """An Optuna sampler as a search algorithm (subclasses choose the sampler and objectives).

    A batch of one: each ``ask_batch`` asks the study for a trial; an empty batch (no unqueried
    architecture left to enqueue) ends the run."""

    multi_objective = True  # False: the search metric alone (constraints still apply)
    max_repeats: int  # each subclass lists MAX_REPEATS among its hyper-parameters

    def setup(self) -> None:
        self.study: Any = None
        self._trial: Any = None
        self._queried: set[Arch] = set()
        self._repeats = 0
        self._stop = False

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        if not all(callable(getattr(space, m, None)) for m in ("categorical", "from_categorical", "to_categorical")):
            raise NasLabError(f"{cls.__name__} needs a space given as categorical choices (nb201, nasbench-graph); "
                              f"{space.name!r} is not")
        optuna_module()

    def sampler(self, optuna, seed: int, constrained: bool) -> Any:
        raise NotImplementedError

    def _create_study(self, optuna) -> Any:
        directions = ["maximize"] + (["minimize"] * len(self.problem.objective_costs) if self.multi_objective else [])
        seed = int(self.rng.integers(2**31 - 1))
        return optuna.create_study(directions=directions,
                                   sampler=self.sampler(optuna, seed, bool(self.problem.constraints)))

    def ask_batch(self, n: int) -> list[Arch]:
        optuna = optuna_module()
        if self.study is None:
            self.study = self._create_study(optuna)
        if self._stop:
            return []
        choices = self.space.categorical()  # type: ignore[attr-defined]
        while True:
            trial = self.study.ask()
            try:
                arch = self.space.from_categorical([trial.suggest_categorical(n, list(o)) for n, o in choices])  # type: ignore[attr-defined]
            except ArchError:
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            self._trial = trial
            return [arch]

    def tell(self, query: Query) -> None:
        arch, trial = query.arch, self._trial
        self._repeats = self._repeats + 1 if arch in self._queried else 0
        self._queried.add(arch)
        if self.problem.constraints:
            trial.set_user_attr("constraints", [query.costs[c.cost] - c.limit for c in self.problem.constraints])
        values = [query.search_metric]
        if self.multi_objective:
            values += [query.costs[c] for c in self.problem.objective_costs]
        self.study.tell(trial, values)
        if self._repeats >= self.max_repeats:
            self._repeats = 0
            unseen = sample_unseen(self.space, self.rng, self._queried.__contains__)
            if unseen is None:
                self._stop = True
            else:
                names = [n for n, _ in self.space.categorical()]  # type: ignore[attr-defined]
                self.study.enqueue_trial(dict(zip(names, self.space.to_categorical(unseen))))  # type: ignore[attr-defined]

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature warnings (constraints_func)
            super().run(oracle, context)
