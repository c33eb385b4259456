"""Training epochs as a fidelity on a live benchmark: ``search_metric_at(arch, epochs)``.

``ResumableTraining`` trains an architecture under its benchmark's recipe (whose ``epochs`` is
the full training ``R``: the cosine schedule runs over ``R`` epochs) and stops after ``epochs``;
asked again for more, it resumes from the state it kept (weights, optimiser, shuffling and
dropout random states, step), so training ``0 -> 3 -> 9`` gives exactly the network of
training ``0 -> 9`` in one go, which is ``fit_classifier``'s network when ``epochs == R``.
States are kept in memory for the run (one per architecture). It holds training and validation
data only; ``weights(arch)`` gives the trained weights for the report side to score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nasbench_lab.core.space import Arch
from nasbench_lab.errors import NasLabError

from .recipe import Recipe
from .training import FAILED_VALUE, Diverged, accuracy, forked, make_optimizer


@dataclass
class _State:
    net: Any
    opt: Any
    shuffle: Any  # torch.Generator
    dropout: Any  # torch RNG state (a ByteTensor)
    epochs: int = 0
    step: int = 0
    valid: float = FAILED_VALUE
    diverged: bool = False


class ResumableTraining:
    """``(arch, epochs) -> validation accuracy`` after ``epochs`` of the recipe's schedule."""

    def __init__(self, build: Callable[[Arch, int], Any], train_x, train_y, val_x, val_y, recipe: Recipe,
                 device: str = "cpu") -> None:
        self.build, self.recipe, self.device = build, recipe, device
        if recipe.max_train:
            train_x, train_y = train_x[: recipe.max_train], train_y[: recipe.max_train]
        # the data on ``device`` once (a resolved torch device name), not per batch
        train_x, train_y, val_x, val_y = (t.to(device) for t in (train_x, train_y, val_x, val_y))
        self.train_x, self.train_y, self.val_x, self.val_y = train_x, train_y, val_x, val_y
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
        if not 1 <= epochs <= self.recipe.epochs:
            raise NasLabError(f"epochs must be in 1..{self.recipe.epochs} (the recipe's full training), got {epochs}")
        state = self.states.get(arch)
        if state is None:
            state = self.states[arch] = self._start(arch)
        if epochs < state.epochs:
            raise NasLabError(f"already trained for {state.epochs} epochs; cannot go back to {epochs}")
        if epochs > state.epochs and not state.diverged:
            try:
                self._train(state, epochs)
                state.valid = accuracy(state.net, self.val_x, self.val_y)
            except Diverged:
                state.diverged, state.valid = True, FAILED_VALUE
        return state.valid

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
        """The flat weights of ``arch`` as far as it was trained (for the report side)."""
        return self.states[arch].net.get_flat_weights().cpu().numpy()
