"""Training epochs as a fidelity on a live benchmark: ``search_metric_at(arch, epochs)``.

``ResumableTraining`` trains an architecture under its benchmark's recipe (whose ``epochs`` is
the full training ``R``: the cosine schedule runs over ``R`` epochs, so the learning rate after
3 epochs is the same whether the training stops at 3 or goes on to 9) and stops after
``epochs``. Each point reached is kept in the live cache (``SearchLedger`` checkpoints): the
validation accuracy and, below ``R``, the training state (weights, optimiser, shuffling and
dropout random states, step). Asked for more epochs, it resumes from the latest kept state, in
this process or another (the cache file is shared), so ``0 -> 3 -> 9`` trains 9 epochs in all
and gives exactly the network of ``0 -> 9`` in one go, which is ``fit_classifier``'s network
when ``epochs == R``. At ``R`` the saved states of the architecture are dropped and ``finish``
(the benchmark's) records the full training as an ordinary cache row, so the report side scores
it and a query-budget run finds it. It holds training and validation data only.
"""
from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nasbench_lab.core.space import Arch
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.parallel import torch_threads

from .cache import SearchLedger
from .recipe import Recipe
from .training import FAILED_VALUE, Diverged, accuracy, forked, make_optimizer

#: ``finish(arch, net or None (diverged), validation accuracy, seconds)``: record a full training.
Finish = Callable[[Arch, Any, float, float], None]


@dataclass
class _State:
    net: Any
    opt: Any
    shuffle: Any  # torch.Generator
    dropout: Any  # torch RNG state (a ByteTensor)
    epochs: int = 0
    step: int = 0
    diverged: bool = False


class ResumableTraining:
    """``(arch, epochs) -> validation accuracy`` after ``epochs`` of the recipe's schedule.

    ``ledger``: where points are kept (default: an in-memory cache of this object); ``key``:
    the architecture's cache key (default ``repr``); ``finish``: called once an architecture
    reaches the full training in this process; ``threads``: torch threads while training (None:
    torch's setting); ``device``: a resolved torch device name (data moved there once).
    ``epochs_trained`` counts the epochs trained
    here (points found in the cache cost nothing)."""

    def __init__(self, build: Callable[[Arch, int], Any], train_x, train_y, val_x, val_y, recipe: Recipe, *,
                 ledger: SearchLedger | None = None, key: Callable[[Arch], str] = repr,
                 finish: Finish | None = None, threads: int | None = None, device: str = "cpu") -> None:
        self.build, self.recipe, self.device = build, recipe, device
        if recipe.max_train:
            train_x, train_y = train_x[: recipe.max_train], train_y[: recipe.max_train]
        # the data on ``device`` once (a resolved torch device name), not per batch
        train_x, train_y, val_x, val_y = (t.to(device) for t in (train_x, train_y, val_x, val_y))
        self.train_x, self.train_y, self.val_x, self.val_y = train_x, train_y, val_x, val_y
        self.ledger = ledger if ledger is not None else SearchLedger(None)
        self.key, self.finish, self.threads = key, finish, threads
        self.states: dict[Arch, _State] = {}
        self.epochs_trained = 0  # in all, over every architecture

    def _start(self, arch: Arch) -> _State:
        import torch

        net = self.build(arch, self.recipe.seed).to(self.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.recipe.seed + 1)  # dropout masks, as fit_classifier seeds them
            dropout = torch.get_rng_state()
        return _State(net, make_optimizer(net.parameters(), self.recipe),
                      torch.Generator().manual_seed(self.recipe.seed), dropout)

    def __call__(self, arch: Arch, epochs: int) -> float:
        full = self.recipe.epochs
        if not 1 <= epochs <= full:
            raise NasLabError(f"epochs must be in 1..{full} (the recipe's full training), got {epochs}")
        key = self.key(arch)
        if epochs == full and (row := self.ledger.read_search(key)) is not None:
            return row.search  # trained in full before (here, by a query-budget run, or elsewhere)
        kept = self.ledger.checkpoint(key, epochs)
        if kept is not None:
            return kept[0]
        start = time.perf_counter()
        state = self.states[arch] = self._resume(arch, key, epochs)
        valid = FAILED_VALUE
        if not state.diverged:
            try:
                with torch_threads(self.threads):
                    self._train(state, epochs)
                    valid = accuracy(state.net, self.val_x, self.val_y)
            except Diverged:
                state.diverged = True
        state.epochs = epochs
        final = epochs == full
        blob = None if final or state.diverged else self._dump(state)
        self.ledger.write_checkpoint(key, epochs, valid, state.diverged, blob, final=final)
        if final and self.finish is not None:
            self.finish(arch, None if state.diverged else state.net, valid, time.perf_counter() - start)
        return valid

    def _resume(self, arch: Arch, key: str, epochs: int) -> _State:
        """The most advanced state below ``epochs``: in memory, else kept in the cache, else new."""
        mine = self.states.get(arch)
        mine = mine if mine is not None and mine.epochs < epochs else None
        point = self.ledger.resume_point(key, epochs)
        if point is None or (mine is not None and mine.epochs >= point[0]):
            return mine if mine is not None else self._start(arch)
        state = self._start(arch)
        state.epochs, state.diverged = point[0], point[1]
        if point[2] is not None:
            self._load(state, point[2])
        return state

    @staticmethod
    def _dump(state: _State) -> bytes:
        import torch

        buf = io.BytesIO()
        torch.save({"net": state.net.state_dict(), "opt": state.opt.state_dict(), "shuffle": state.shuffle.get_state(),
                    "dropout": state.dropout, "step": state.step}, buf)
        return buf.getvalue()

    @staticmethod
    def _load(state: _State, blob: bytes) -> None:
        import torch

        saved = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")  # copied onto the device below
        state.net.load_state_dict(saved["net"])
        state.opt.load_state_dict(saved["opt"])
        state.shuffle.set_state(saved["shuffle"])
        state.dropout, state.step = saved["dropout"], int(saved["step"])

    def _train(self, state: _State, until: int) -> None:
        import torch
        import torch.nn.functional as F

        recipe, n = self.recipe, int(self.train_x.shape[0])
        per_epoch = (n + recipe.batch_size - 1) // recipe.batch_size
        total = per_epoch * recipe.epochs
        with torch.random.fork_rng(devices=forked(self.train_x.device)):
            torch.set_rng_state(state.dropout)
            state.net.train()
            for epoch in range(state.epochs, until):
                perm = torch.randperm(n, generator=state.shuffle).to(self.train_x.device)
                for b in range(per_epoch):
                    idx = perm[b * recipe.batch_size: (b + 1) * recipe.batch_size]
                    if recipe.schedule == "cosine":
                        for group in state.opt.param_groups:
                            group["lr"] = 0.5 * recipe.lr * (1 + math.cos(math.pi * state.step / total))
                    loss = F.cross_entropy(state.net(self.train_x[idx]), self.train_y[idx])
                    if not torch.isfinite(loss):
                        raise Diverged(f"loss became {loss.item()} at epoch {epoch + 1}")
                    state.opt.zero_grad(set_to_none=True)
                    loss.backward()
                    state.opt.step()
                    state.step += 1
                state.epochs = epoch + 1
                self.epochs_trained += 1
            state.dropout = torch.get_rng_state()
        state.net.eval()

    def weights(self, arch: Arch) -> np.ndarray:
        """The flat weights of ``arch`` as far as this process trained it (for the report side)."""
        state = self.states.get(arch)
        if state is None or state.diverged:
            raise NasLabError("no trained weights of this architecture in this process")
        return state.net.get_flat_weights().cpu().numpy()
