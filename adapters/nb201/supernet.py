"""The NAS-Bench-201 cell supernet: every edge of every cell a ``MixedChoice`` over the five
operations, built from the same pieces as the NAS-Bench-201 network (``network.py``: stem,
residual reductions, head, ``make_op``), with affine-free BatchNorm in the candidate operations
as in the papers' search phase. The 6 edges are the slots; all cells share them (one alpha per
edge and operation, as DARTS/GDAS on NAS-Bench-201).

``NB201Supernet(dataset, C=8, N=1)`` is the CPU default; the paper size is C=16, N=5.
``discrete_network(arch)`` is the NAS-Bench-201 ``TinyNetwork`` of ``arch`` assembled from the
supernet's own modules (same weights), which a one-hot forward reproduces exactly.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.supernet import Supernet, SupernetConfig
from nasbench_lab.supernet.mixed import MixedChoice

from .network import (Cell, ResidualReduction, TinyNetwork, cell_ops, dataset_shape, make_head, make_op,
                      make_stem, nb201_layers)
from .space import EDGES, OPS
from .supernet_data import search_data  # noqa: F401  (the provider's second function)

C_CPU, N_CPU = 8, 1


class MixedCell(nn.Module):
    """A NAS-Bench-201 cell whose edge ``k`` mixes the five operations with ``weights[k]``;
    node ``j`` is the sum of its incoming edges, node 3 the output (the wiring of ``Cell``)."""

    def __init__(self, channels: int, partial_channels: int = 1) -> None:
        super().__init__()
        if channels % partial_channels:
            raise NasLabError(f"partial_channels={partial_channels} must divide the cell width {channels}")
        c = channels // partial_channels
        self.channels = channels
        self.edges = nn.ModuleList(
            MixedChoice([make_op(op, c, c, affine=False) for op in OPS], partial_channels=partial_channels)
            for _ in EDGES)

    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            incoming = [self.edges[k](nodes[i], weights[k]) for k, (i, t) in enumerate(EDGES) if t == j]
            total = incoming[0]
            for out in incoming[1:]:
                total = total + out
            nodes.append(total)
        return nodes[3]


class NB201Supernet(Supernet):
    """Stem, N mixed cells at C, reduction, N at 2C, reduction, N at 4C, head (see the module)."""

    def __init__(self, dataset: str = "cifar10", *, C: int = C_CPU, N: int = N_CPU, partial_channels: int = 1,
                 seed: int = 0) -> None:
        super().__init__()
        if C < 1 or N < 1:
            raise NasLabError(f"the NB201 supernet needs C >= 1 and N >= 1, got C={C}, N={N}")
        self.num_classes, self.input_size = dataset_shape(dataset)
        self.C, self.N, self.partial_channels = int(C), int(N), int(partial_channels)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            self.stem = make_stem(C, True)
            blocks, c_prev = [], C
            for kind, c in nb201_layers(C, N):
                blocks.append(ResidualReduction(c_prev, c) if kind == "reduce" else MixedCell(c, partial_channels))
                c_prev = c
            self.cells = nn.ModuleList(blocks)
            self.lastact, self.classifier = make_head(c_prev, self.num_classes, True)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)

    def slots(self) -> list[int]:
        return [len(OPS)] * len(EDGES)

    def choice_names(self, slot: int) -> list[str]:
        return list(OPS)

    def derivable(self, slot: int) -> list[int]:
        """Every operation but ``none`` (as DARTS derives cells)."""
        return [i for i, op in enumerate(OPS) if op != "none"]

    def slot_groups(self) -> list[list[int]]:
        """The edges into nodes 1, 2 and 3."""
        return [[k for k, (_, t) in enumerate(EDGES) if t == j] for j in (1, 2, 3)]

    def arch_of(self, choices: Sequence[int]) -> tuple[int, ...]:
        return tuple(OPS.index(op) for op in cell_ops(tuple(int(c) for c in choices)))

    def choices_of(self, arch) -> tuple[int, ...]:
        return tuple(OPS.index(op) for op in cell_ops(arch))

    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        self.check_weights(weights)
        x = self.stem(x)
        for block in self.cells:
            x = block(x, weights) if isinstance(block, MixedCell) else block(x)
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))

    def discrete_network(self, arch) -> TinyNetwork:
        """The NAS-Bench-201 network of ``arch`` sharing this supernet's modules (full channels only)."""
        if self.partial_channels != 1:
            raise NasLabError("a partial-channel supernet has no discrete network of full width")
        ops = cell_ops(arch)
        blocks = [block if isinstance(block, ResidualReduction) else
                  Cell(ops, [block.edges[k].candidates[OPS.index(op)] for k, op in enumerate(ops)],
                       block.channels, block.channels)
                  for block in self.cells]
        return TinyNetwork(self.stem, blocks, self.lastact, self.classifier, input_size=self.input_size,
                           batchnorm=True)


def build_supernet(space, dataset: str | None, config: SupernetConfig) -> NB201Supernet:
    """The provider's builder: width = C (default 8), depth = N cells per stage (default 1)."""
    return NB201Supernet(dataset or "cifar10", C=config.width or C_CPU, N=config.depth or N_CPU,
                         partial_channels=config.partial_channels, seed=config.seed)
