"""The shared shape of the weight-sharing methods (darts, gdas, pc-darts, drnas, darts-es, spos).

A run builds the space's supernet and search data (``nasbench_lab.supernet``), trains it with the
method's ``Strategy`` in the shared loop, ranks architectures (``rank``), and then spends the
query budget down that ranking: the derived architecture first. Supernet training and ranking
are compute, recorded through the run context. The run's record (alpha/probability trajectory
and derived architecture per epoch, training curves, data source) is kept as ``self.record``
and saved through the run context as the artefact ``oneshot.json`` (results folder).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import asdict
from typing import Any, Iterable

import numpy as np

from nasbench_lab.algorithm import OneShotAlgorithm
from nasbench_lab.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.hyperparams import integer, number, one_of
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import Arch, SearchSpace, sample_unseen

COMMON_RANGES = {
    "epochs": integer(1),
    "batch_size": integer(2),
    "width": integer(0),
    "depth": integer(0),
    "lr": number(0, open_low=True),
    "arch_lr": number(0),
    "max_train": integer(0),
    "threads": integer(1),
    "device": one_of("cpu", "cuda"),
}


class SupernetSearch(OneShotAlgorithm):
    """Base of the one-shot methods (not registered itself)."""

    #: the registry name, used in records
    method: str = "supernet"

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int, batch_size: int,
                 width: int, depth: int, lr: float, arch_lr: float, max_train: int, threads: int,
                 device: str, partial_channels: int = 1) -> None:
        super().__init__(space, rng)
        self.epochs, self.batch_size, self.width, self.depth = int(epochs), int(batch_size), int(width), int(depth)
        self.lr, self.arch_lr, self.max_train, self.threads = float(lr), float(arch_lr), int(max_train), int(threads)
        self.device, self.partial_channels = device, int(partial_channels)
        self.record: dict[str, Any] = {}
        self.trainer = None

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        from nasbench_lab.supernet import supernet_provider

        super().check_space(space)
        supernet_provider(space.name)

    def strategy(self):
        """The method's ``nasbench_lab.supernet.training.Strategy``."""
        raise NotImplementedError

    def train_config(self, seed: int):
        from nasbench_lab.supernet.training import TrainConfig

        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, arch_lr=self.arch_lr,
                           seed=seed, device=self.device)

    def rank(self, trainer) -> Iterable[Arch]:
        """Architectures best first (default: the derived one, then by slot probabilities over
        the derivable choices)."""
        from nasbench_lab.supernet.evaluation import best_choices
        from nasbench_lab.supernet.training import log_probabilities

        net = trainer.net
        scores = log_probabilities(trainer.strategy.probabilities(trainer))
        allowed = [net.derivable(s) for s in range(len(net.slots()))]
        return (net.arch_of(c) for c in best_choices(scores, allowed))

    def build(self, context: RunContext):
        """The trainer of this run: supernet, data and strategy (the data trimmed to ``max_train``)."""
        import torch

        from nasbench_lab.supernet import SearchData, SupernetConfig, supernet_provider
        from nasbench_lab.supernet.training import Trainer

        if self.device == "cuda" and not torch.cuda.is_available():
            raise NasLabError(f"{self.method}: device 'cuda' asked for, but torch sees no CUDA device")
        provider = supernet_provider(self.space.name)
        seed = int(self.rng.integers(2**31 - 1))
        config = SupernetConfig(width=self.width or None, depth=self.depth or None,
                                partial_channels=self.partial_channels, seed=seed)
        net = provider.build_supernet(self.space, context.dataset, config)
        data = provider.search_data(context.dataset, context.settings, seed=seed)
        if self.max_train:
            data = SearchData(tuple(t[: self.max_train] for t in data.train),
                              tuple(t[: self.max_train] for t in data.valid), data.source, data.proxy)
        return Trainer(net, data, self.strategy(), self.train_config(seed)), config

    def search(self, oracle: Oracle) -> Arch:
        """Train the supernet; return the derived architecture (the ranking is kept)."""
        from nasbench_lab.parallel import torch_threads

        context = self.context_for(oracle, getattr(self, "run_context", None))
        with torch_threads(self.threads):
            trainer, config = self.build(context)
            history = trainer.train()
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
        if getattr(self, "inherited", None) is not None:
            self.record["inherited_accuracy"] = self.inherited
        return first

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        from nasbench_lab.supernet.record import save_record

        self.run_context = context = self.context_for(oracle, context)
        start = time.perf_counter()
        first = self.search(oracle)
        with_first = itertools.chain([first], self.ranking)
        seconds = time.perf_counter() - start
        context.record_compute(seconds)
        self.record["compute_seconds"] = seconds
        queried = []
        for arch in with_first:
            if oracle.exhausted:
                break
            if not oracle.seen(arch):
                oracle.query(arch)
                queried.append(arch)
        while not oracle.exhausted:  # the ranking ran out (tiny spaces)
            arch = sample_unseen(self.space, self.rng, oracle.seen)
            if arch is None:
                break
            oracle.query(arch)
            queried.append(arch)
        self.record["queried"] = [list(trainer_choices) for trainer_choices in
                                  (self.trainer.net.choices_of(a) for a in queried)]
        save_record(context, self.record)  # the artefact oneshot.json, beside the run file

    def hyperparameter_values(self) -> dict[str, Any]:
        return {k: getattr(self, k, None) for k in self.hyperparameters()}
