"""Optuna's TPE sampler with its Hyperband pruner, on an oracle charging epochs: the
multi-fidelity baseline users already trust."""
from __future__ import annotations

import warnings

from nasbench_lab.core.fidelity import FidelityOracle
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.errors import ArchError

from .hyperband import MultiFidelityAlgorithm
from .optuna_search import optuna_module


class OptunaHyperband(MultiFidelityAlgorithm):
    """Optuna's TPESampler with HyperbandPruner: each trial trains epoch by epoch, reported to the pruner.

    A trial's architecture comes from the space's categorical choices (on a space without them,
    from ``space.sample``: random search with the Hyperband pruner); it resumes one epoch at
    a time (each epoch charged once), reporting its search metric after every epoch, until the
    pruner stops it or it reaches the full training. An architecture met again costs only the
    epochs it has not trained yet (a partly trained one resumes at its next epoch). The run ends
    when no epoch is left, or after ``max_free_trials`` trials in a row that cost nothing."""

    eta: int = hyperparameter(3, integer(2), "the pruner's reduction factor")
    min_epochs: int = hyperparameter(1, integer(1), "the pruner's minimum resource (epochs)")
    startup_trials: int = hyperparameter(10, integer(1), "random trials before TPE (Optuna's default)")
    max_free_trials: int = hyperparameter(100, integer(1), "trials in a row that train nothing new before the run ends")

    def _arch(self, trial):
        """The trial's architecture: TPE's categorical choices, or a random sample of a space
        without them (then the pruner alone acts: random search with Hyperband pruning)."""
        if not all(callable(getattr(self.space, m, None)) for m in ("categorical", "from_categorical")):
            return self.space.sample(self.rng)
        choices = self.space.categorical()  # type: ignore[attr-defined]
        return self.space.from_categorical([trial.suggest_categorical(n, list(o)) for n, o in choices])  # type: ignore[attr-defined]

    def setup(self) -> None:
        self.pruned = 0
        self.completed = 0

    def search(self, oracle: FidelityOracle) -> None:
        optuna = optuna_module()
        full = oracle.max_epochs
        seed = int(self.rng.integers(2**31 - 1))
        study = optuna.create_study(
            direction="maximize", study_name=f"optuna-hyperband-{seed}",  # the pruner hashes it into brackets
            sampler=optuna.samplers.TPESampler(n_startup_trials=self.startup_trials, seed=seed),
            pruner=optuna.pruners.HyperbandPruner(min_resource=min(self.min_epochs, full), max_resource=full,
                                                  reduction_factor=self.eta))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            free = 0
            while oracle.remaining > 0 and free < self.max_free_trials:
                before = oracle.remaining
                trial = study.ask()
                try:
                    arch = self._arch(trial)
                except ArchError:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                self._trial(optuna, study, trial, oracle, arch)
                free = free + 1 if oracle.remaining == before else 0

    def _trial(self, optuna, study, trial, oracle: FidelityOracle, arch) -> None:
        value = None
        done = oracle.trained(arch)
        for epoch in range(done if done == oracle.max_epochs else done + 1, oracle.max_epochs + 1):
            if oracle.charge(arch, epoch) > oracle.remaining:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                return
            value = oracle.evaluate_at(arch, epoch).search_metric
            trial.report(value, epoch)
            if epoch < oracle.max_epochs and trial.should_prune():
                self.pruned += 1
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                return
        self.completed += 1
        study.tell(trial, value)
