"""The supernet protocol: a network holding every choice of a search space at once.

A supernet has decision *slots* (NB201: the 6 cell edges; DynamicNet: its layer slots); slot
``s`` has ``slots()[s]`` choices. ``forward(x, weights)`` takes one weight vector per slot (a
1-D tensor of that slot's length) and mixes the slot's candidates with it; a one-hot vector
computes only the chosen candidate, so ``forward(x, arch_weights(arch))`` is the discrete network
of ``arch`` (same weights, same output). Methods own the architecture parameters (``alphas``,
one tensor per slot) and decide how weights are made from them (softmax, Gumbel, Dirichlet,
uniform single path); ``derive(alphas)`` turns them into an architecture of the space.

Example (any supernet, here a two-slot toy)::

    net = provider.build_supernet(space, "cifar10", SupernetConfig(width=8, depth=1))
    alphas = [torch.zeros(n, requires_grad=True) for n in net.slots()]
    logits = net(x, [a.softmax(-1) for a in alphas])       # DARTS mixture
    logits = net(x, net.arch_weights(arch))                # one path: the network of ``arch``
    arch = net.derive(alphas)                              # per-slot argmax over derivable choices

A space offers a supernet through the ``supernet`` of its ``SpaceEntry``: a module (or
``"module"`` path) that defines ``build_supernet(space, dataset, config) -> Supernet`` and
``search_data(dataset, settings, *, seed) -> SearchData``; ``supernet_provider(space_name)``
finds it by the space's name.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import ModuleType
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.core.registry import SPACE_ENTRIES
from nasbench_lab.core.space import Arch
from nasbench_lab.core.space_entry import resolve

@dataclass(frozen=True)
class SupernetConfig:
    """How large a supernet to build. ``width``/``depth``: the space's own reading (NB201: C and
    cells per stage N; None = the space's CPU default); ``partial_channels``: K of PC-DARTS (each
    mixed choice sees 1/K of the channels; 1 = all); ``seed``: weight initialisation. A space that
    cannot honour an option raises ``NasLabError`` naming it."""

    width: int | None = None
    depth: int | None = None
    partial_channels: int = 1
    seed: int = 0


@dataclass(frozen=True)
class SearchData:
    """The data a supernet is searched on: ``train`` for weight steps, ``valid`` for
    architecture steps and ranking, each ``(inputs, integer labels)``. ``source`` says where it
    comes from in one line; ``proxy`` is True when it is not the benchmark's own task (every
    output made from it must say so)."""

    train: tuple[torch.Tensor, torch.Tensor]
    valid: tuple[torch.Tensor, torch.Tensor]
    source: str
    proxy: bool


class Supernet(nn.Module, ABC):
    """A weight-sharing network over a search space's decision slots (see the module docstring)."""

    @abstractmethod
    def slots(self) -> list[int]:
        """Number of choices of each decision slot (NB201: ``[5] * 6``)."""

    @abstractmethod
    def choice_names(self, slot: int) -> list[str]:
        """Readable names of the choices of ``slot`` (NB201: the five operation names)."""

    @abstractmethod
    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits of ``x``; ``weights[s]`` mixes slot ``s``'s candidates (zero weights are skipped)."""

    @abstractmethod
    def arch_of(self, choices: Sequence[int]) -> Arch:
        """The architecture of the space with choice ``choices[s]`` in each slot (a space with
        constraints may repair the choices, as its ``sample`` does)."""

    @abstractmethod
    def choices_of(self, arch: Arch) -> tuple[int, ...]:
        """The choice index of each slot for ``arch`` (inverse of ``arch_of``)."""

    def derivable(self, slot: int) -> list[int]:
        """Choices a derivation may pick in ``slot`` (NB201 excludes ``none``); default all."""
        return list(range(self.slots()[slot]))

    def slot_groups(self) -> list[list[int]]:
        """Slots whose outputs are summed into one node (NB201: the edges into each cell node),
        for methods that normalise across them (PC-DARTS edge normalisation); default singletons."""
        return [[s] for s in range(len(self.slots()))]

    def derive(self, alphas: Sequence[torch.Tensor]) -> Arch:
        """Per-slot argmax of ``alphas`` over the derivable choices (ties: the first)."""
        self.check_weights(alphas, "alphas")
        picks = []
        for s, a in enumerate(alphas):
            allowed = self.derivable(s)
            values = a.detach().cpu().double().numpy()[allowed]
            picks.append(allowed[int(np.argmax(values))])
        return self.arch_of(picks)

    def arch_weights(self, arch: Arch) -> list[torch.Tensor]:
        """One-hot weight vectors selecting ``arch`` (on the supernet's device)."""
        device = self.device()
        return [nn.functional.one_hot(torch.tensor(c), n).to(device=device, dtype=torch.float32)
                for c, n in zip(self.choices_of(arch), self.slots())]

    def device(self) -> torch.device:
        first = next(self.parameters(), None)
        return first.device if first is not None else torch.device("cpu")

    def check_weights(self, weights: Sequence[torch.Tensor], what: str = "weights") -> None:
        """Raise ``NasLabError`` unless there is one vector per slot of that slot's length."""
        sizes = self.slots()
        got = [tuple(w.shape) for w in weights]
        if got != [(n,) for n in sizes]:
            raise NasLabError(f"supernet {what}: expected one vector per slot of sizes {sizes}, got shapes {got}")


def supernet_spaces() -> list[str]:
    """Names of the search spaces whose entry offers a supernet."""
    return sorted(entry.name for entry in SPACE_ENTRIES.entries() if entry.supernet is not None)


def supernet_provider(space_name: str) -> ModuleType:
    """The module offering the supernet of a space (``build_supernet`` and ``search_data``)."""
    entry = SPACE_ENTRIES.get(space_name) if space_name in SPACE_ENTRIES else None
    if entry is None or entry.supernet is None:
        raise NasLabError(f"no supernet for search space {space_name!r}; one-shot methods support "
                          f"{', '.join(supernet_spaces())}")
    where = entry.supernet if isinstance(entry.supernet, str) else getattr(entry.supernet, "__name__", repr(entry.supernet))
    try:
        module = resolve(entry.supernet)
    except ModuleNotFoundError as exc:
        if exc.name is None or not where.startswith(exc.name):
            raise
        raise NasLabError(f"no supernet for search space {space_name!r} yet ({exc.name} is missing)") from None
    for name in ("build_supernet", "search_data"):
        if not callable(getattr(module, name, None)):
            raise NasLabError(f"{where} defines no {name}(); a supernet provider needs "
                              "build_supernet and search_data")
    return module
