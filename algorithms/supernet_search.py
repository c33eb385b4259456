"""The shared shape of the weight-sharing methods (DARTS, GDAS, PCDARTS, DrNAS, DARTSES, SPOS).

A run builds the space's supernet and search data (``nasbench_lab.supernet.build.build_trainer``,
from the method's ``SupernetSettings``), trains it with the method's ``Strategy`` in the shared
loop, ranks architectures (``rank``), and then spends the query budget down that ranking
(``nasbench_lab.core.spend.spend_down``): the derived architecture first. Supernet training and ranking
are compute, recorded through the run context. The run's record (alpha/probability trajectory
and derived architecture per epoch, training curves, data source) is kept as ``self.record``
and saved through the run context as the artefact ``oneshot.json`` (results folder).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import asdict, fields
from typing import Any, Iterable

from nasbench_lab.core.algorithm import OneShotAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number, one_of
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import CostModel, Oracle
from nasbench_lab.core.space import Arch, SearchSpace
from nasbench_lab.core.spend import spend_down
from nasbench_lab.infra.torch_device import DEVICES
from nasbench_lab.supernet.build import SupernetSettings


class SupernetSearch(OneShotAlgorithm):
    """Base of the one-shot methods (not registered itself)."""

    #: the registry name, used in records
    method: str = "supernet"
    #: PC-DARTS's K (1/K of the channels per operation); a hyper-parameter of PCDARTS only
    partial_channels: int = 1

    epochs: int = hyperparameter(10, integer(1), "supernet training epochs")
    batch_size: int = hyperparameter(64, integer(2), "mini-batch size of both search halves")
    width: int = hyperparameter(0, integer(0), "supernet channels C (0 = the space's CPU default, 8 on nb201)")
    depth: int = hyperparameter(0, integer(0), "cells per stage N (0 = the space's CPU default, 1 on nb201)")
    lr: float = hyperparameter(0.025, number(0, open_low=True), "weight learning rate (SGD, cosine to 0.001)")
    arch_lr: float = hyperparameter(3e-4, number(0), "architecture learning rate (Adam, on the validation half)")
    max_train: int = hyperparameter(0, integer(0), "images kept per search half (0 = all)")
    threads: int = hyperparameter(1, integer(1), "torch threads")
    device: str = hyperparameter("cpu", one_of(*DEVICES), "torch device: cpu, cuda or auto (cuda if torch sees one)")

    def setup(self) -> None:
        self.supernet_settings = SupernetSettings(**{f.name: getattr(self, f.name)
                                                     for f in fields(SupernetSettings)})
        self.record: dict[str, Any] = {}
        self.ranking: Iterable[Arch] = ()
        #: ``(choices, inherited accuracy)`` of the ranked candidates, for methods that measure them
        self.inherited: list[tuple[list[int], float]] | None = None
        self.trainer = None
        #: the run's free cost model (problem, costs, limits; no metric), handed over by ``search``
        self.cost_model = CostModel(Problem())
        #: further record entries of a method (saved in oneshot.json)
        self.record_extra: dict[str, Any] = {}

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        from nasbench_lab.supernet import supernet_provider

        super().check_space(space)
        supernet_provider(space.name)

    def strategy(self):
        """The method's ``nasbench_lab.supernet.training.Strategy``."""
        raise NotImplementedError

    def rank(self, trainer) -> Iterable[Arch]:
        """Architectures best first (default: the derived one, then by slot probabilities over
        the derivable choices)."""
        from nasbench_lab.supernet.evaluation import best_choices
        from nasbench_lab.supernet.training import log_probabilities

        net = trainer.net
        scores = log_probabilities(trainer.strategy.probabilities(trainer))
        allowed = [net.derivable(s) for s in range(len(net.slots()))]
        return (net.arch_of(c) for c in best_choices(scores, allowed))

    def search(self, oracle: Oracle, context: RunContext) -> Arch:
        """Train the supernet; return the derived architecture (the ranking is kept). The run's
        free cost model is kept as ``self.cost_model`` (for methods that screen or weigh costs)."""
        from nasbench_lab.infra.parallel import torch_threads

        self.cost_model = oracle.cost_model
        seed = int(self.rng.integers(2**31 - 1))
        with torch_threads(self.supernet_settings.threads):
            trainer, config, history = self.train_supernet(context, seed)
            self.ranking = self.rank(trainer)
            first = next(iter(self.ranking))
        self.trainer = trainer
        self.record = {
            "method": self.method, "benchmark": context.benchmark, "dataset": context.dataset,
            "seed": context.seed, "data": trainer.data.source, "proxy_task": trainer.data.proxy,
            "supernet": asdict(config), "training": asdict(trainer.config),
            "slots": [trainer.net.choice_names(s) for s in range(len(trainer.net.slots()))],
            "epochs": [asdict(r) for r in history], "derived": list(trainer.net.choices_of(first)),
        }
        if self.inherited is not None:
            self.record["inherited_accuracy"] = self.inherited
        self.record.update(self.record_extra)
        return first

    def train_supernet(self, context: RunContext, seed: int) -> tuple[Any, Any, list]:
        """Build the supernet and its trainer from ``supernet_settings`` and train it with the
        method's strategy: ``(trainer, supernet config, epoch records)`` (a method with stages,
        e.g. DrNAS progressive, overrides it and may add to ``record_extra``)."""
        from nasbench_lab.supernet.build import build_trainer

        trainer, config = build_trainer(self.space, context.dataset, context.settings, self.supernet_settings,
                                        seed, self.strategy())
        return trainer, config, trainer.train()

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        from nasbench_lab.supernet.record import save_record

        context = self.context_for(oracle, context)
        start = time.perf_counter()
        first = self.search(oracle, context)
        seconds = time.perf_counter() - start
        context.record_compute(seconds)
        self.record["compute_seconds"] = seconds
        queried = spend_down(itertools.chain([first], self.ranking), oracle, self.space, self.rng)
        self.record["queried"] = [list(self.trainer.net.choices_of(a)) for a in queried]
        save_record(context, self.record)  # the artefact oneshot.json, beside the run file
