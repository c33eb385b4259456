"""BANANAS' path encoding and its ensemble of small MLPs (White et al., AAAI 2021).

The path encoding of an ``ArchGraph`` counts its input-to-output paths by their sequence of
operation labels (a node's label: its operation, plus its numeric parameters rounded to two
decimals when the space has any). Paths through a ``none`` node carry nothing and are dropped.
The vocabulary is the set of label paths met in the training graphs (BANANAS' truncation:
paths never trained on get no weight), so the vector length follows the data.

``MLPEnsemble`` trains ``members`` MLPs at once (one batched tensor per layer), full batch with
Adam on the mean absolute error of z-scored targets, each member from its own initialisation;
``predict`` gives every member's predictions in the targets' units.
"""
from __future__ import annotations

import time
from functools import lru_cache
from typing import Sequence

import numpy as np

from nasbench_lab.core.graph import ArchGraph

Path = tuple[str, ...]
DEAD = "none"


def node_labels(graph: ArchGraph) -> list[str]:
    """One label per node: its operation, and its numeric parameters when the space has any."""
    ops = graph.ops()
    if not graph.params:
        return ops
    values = np.round(graph.x[:, len(graph.vocab):], 2)
    return [f"{op}({','.join(f'{v:g}' for v in row)})" for op, row in zip(ops, values)]


def graph_paths(graph: ArchGraph) -> list[Path]:
    """Every path from a source node (no input) to a sink node (no output), as labels; a path
    through a ``none`` node is dropped."""
    labels, succs, preds = node_labels(graph), graph.successors(), graph.predecessors()
    ops = graph.ops()
    paths: list[Path] = []

    def walk(node: int, prefix: Path) -> None:
        if ops[node] == DEAD:
            return
        prefix = prefix + (labels[node],)
        if not succs[node]:
            paths.append(prefix)
        for nxt in succs[node]:
            walk(nxt, prefix)

    for node in range(graph.num_nodes):
        if not preds[node]:
            walk(node, ())
    return paths


class PathEncoder:
    """Counts of label paths over a vocabulary fixed by ``fit``."""

    def __init__(self) -> None:
        self.vocab: dict[Path, int] = {}

    def fit(self, paths: Sequence[Sequence[Path]]) -> "PathEncoder":
        self.vocab = {}
        for arch_paths in paths:
            for p in arch_paths:
                self.vocab.setdefault(p, len(self.vocab))
        return self

    def transform(self, paths: Sequence[Sequence[Path]]) -> np.ndarray:
        out = np.zeros((len(paths), max(len(self.vocab), 1)), dtype=np.float32)
        for row, arch_paths in enumerate(paths):
            for p in arch_paths:
                col = self.vocab.get(p)
                if col is not None:
                    out[row, col] += 1.0
        return out


@lru_cache(maxsize=1)
def _torch():
    import torch

    return torch


class MLPEnsemble:
    """``members`` MLPs (``layers`` hidden layers of ``hidden`` ReLU units) trained side by side."""

    def __init__(self, members: int = 5, hidden: int = 32, layers: int = 2, epochs: int = 200,
                 lr: float = 0.01) -> None:
        self.members, self.hidden, self.layers, self.epochs, self.lr = members, hidden, layers, epochs, lr
        self.weights: list = []
        self.mean, self.scale = 0.0, 1.0
        self.seconds = 0.0

    def _forward(self, x):
        torch = _torch()
        h = x.unsqueeze(0).expand(self.members, -1, -1)
        for k, (w, b) in enumerate(self.weights):
            h = torch.baddbmm(b, h, w)
            if k < len(self.weights) - 1:
                h = torch.relu(h)
        return h.squeeze(-1)  # (members, n)

    def fit(self, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        torch = _torch()
        start = time.perf_counter()
        gen = torch.Generator().manual_seed(seed)
        y = np.asarray(y, dtype=np.float64)
        self.mean, self.scale = float(y.mean()), float(y.std()) or 1.0
        sizes = [x.shape[1]] + [self.hidden] * self.layers + [1]
        self.weights = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / np.sqrt(a)
            w = (torch.rand(self.members, a, b, generator=gen) * 2 - 1) * bound
            bias = (torch.rand(self.members, 1, b, generator=gen) * 2 - 1) * bound
            self.weights.append((w.requires_grad_(), bias.requires_grad_()))
        params = [t for pair in self.weights for t in pair]
        opt = torch.optim.Adam(params, lr=self.lr)
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        yt = torch.from_numpy(((y - self.mean) / self.scale).astype(np.float32))
        for _ in range(self.epochs):
            opt.zero_grad()
            loss = (self._forward(xt) - yt).abs().mean()
            loss.backward()
            opt.step()
        self.seconds += time.perf_counter() - start

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Every member's predictions, shape (members, n), in the units of the targets."""
        torch = _torch()
        start = time.perf_counter()
        with torch.no_grad():
            z = self._forward(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy()
        self.seconds += time.perf_counter() - start
        return z.astype(np.float64) * self.scale + self.mean
