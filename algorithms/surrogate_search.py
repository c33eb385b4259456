"""The ask/tell loop shared by the GIN-guided searches (gin-evolution, gin-sa, gin-constrained,
gin-pareto): a GIN surrogate (``nasbench_lab.predictors.surrogate.GINSurrogate``) fitted on the
records told so far ranks unqueried architectures for free."""
from __future__ import annotations

from functools import partial
from typing import Callable

from nasbench_lab.core.algorithm import BatchAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, one_of
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.infra.parallel import torch_threads
from nasbench_lab.predictors import LOSSES
from nasbench_lab.predictors.surrogate import GINSurrogate
from nasbench_lab.core.space import Arch, sample_unseen

from .model_based import ModelBasedSearch

# The hyper-parameters every GIN-guided search has (each class lists them in its own order).
INITIAL_SAMPLES = hyperparameter(10, integer(2), "random architectures queried before the GIN is first fitted")
QUERIES_PER_ROUND = hyperparameter(5, integer(1), "architectures queried per round (best predicted first)")
EPOCHS = hyperparameter(100, integer(1), "GIN training epochs from scratch (the first fit)")
REFIT_EPOCHS = hyperparameter(25, integer(0), "warm-start epochs of later fits (0: always from scratch)")
HIDDEN = hyperparameter(32, integer(1), "width of the GIN layers")
LAYERS = hyperparameter(2, integer(1), "GIN layers")
LOSS = hyperparameter("pairwise", one_of(*LOSSES), "the GIN predictor's training loss")
MEMBERS = hyperparameter(1, integer(1), "GINs in the ensemble (their predictions averaged)")


def top_queried(history: list[Query], k: int) -> list[Arch]:
    """The ``k`` best queried architectures by search metric (earliest first on ties)."""
    order = sorted(range(len(history)), key=lambda i: (-history[i].search_metric, i))
    return [history[i].arch for i in order[:k]]


class GINGuided(BatchAlgorithm):
    """The shared part of the GIN-guided batch searches (``SurrogateSearch``, PNAS): the GIN
    surrogate built from the class's hyper-parameters, and a run with torch single-threaded whose
    surrogate time is recorded as compute outside the budget."""

    epochs: int
    refit_epochs: int
    hidden: int
    layers: int
    loss: str
    members: int = 1
    member_data: str = "all"

    def make_surrogate(self) -> GINSurrogate:
        """A fresh GIN surrogate drawing its seeds from the run's generator."""
        return GINSurrogate(self.space, self.rng, members=self.members, epochs=self.epochs,
                            refit_epochs=self.refit_epochs, data=self.member_data,
                            gin={"hidden": self.hidden, "layers": self.layers, "loss": self.loss})

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        run_on_one_thread(partial(super().run, oracle, context), context, lambda: self.surrogate.seconds)


def run_on_one_thread(run: Callable[[], None], context: RunContext, compute: Callable[[], float]) -> None:
    """``run()`` with torch on one thread (small models: more threads only contend), then the
    ``compute()`` seconds of model fitting recorded as compute outside the queries (also when
    the run fails)."""
    try:
        with torch_threads(1):
            run()
    finally:
        context.record_compute(compute())


class SurrogateSearch(GINGuided, ModelBasedSearch):
    """``ModelBasedSearch``'s loop with the GIN as the model: ``initial_samples`` random
    architectures one by one; then each round fit the surrogate on every record told so far
    (search metric only), ``propose`` unqueried architectures (best first, ranked for free by
    the surrogate) and ask for the first ``queries_per_round``; a round with no proposal asks
    for a random architecture, so the whole budget is spent. The surrogate's time is recorded
    as compute outside the budget."""

    def setup(self) -> None:
        super().setup()
        self.surrogate = self.make_surrogate()
        self.rounds = 0

    def seen(self, arch: Arch) -> bool:
        """Whether ``arch`` has been told (queried)."""
        return arch in self.queried

    def random_unseen(self, exclude=()) -> Arch | None:
        """A uniformly random architecture not yet queried nor in ``exclude`` (None if none is left)."""
        return sample_unseen(self.space, self.rng, lambda a: self.seen(a) or a in exclude)

    def ask_batch(self, n: int) -> list[Arch]:
        if len(self.history) >= self.initial_samples:
            self.surrogate.fit([q.arch for q in self.history], [q.search_metric for q in self.history])
            self.rounds += 1
        return super().ask_batch(n)
