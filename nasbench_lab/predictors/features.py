"""Flat (vector) encoding of an ``ArchGraph``, for predictors that do not read graphs.

The vector of a graph with ``N`` nodes and ``F`` node-feature columns is its node-feature
matrix ``x`` flattened row by row (node 0 first: the space's own, canonical, node order),
followed by its ``N x N`` adjacency matrix flattened row by row. For NB201 the node features
are the one-hot operations plus the kernel column, so the vector is the usual one-hot encoding
of the cell (the adjacency part is constant there); for spaces whose wiring varies
(NAS-Bench-Graph) the adjacency part carries the wiring. Graphs with fewer nodes than the
encoder's ``num_nodes`` are zero-padded, so any search space works. Unlike the graph form, this
encoding depends on the node order.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nasbench_lab.core.graph import ArchGraph

from .base import PredictorError, check_graphs


class FlatEncoder:
    """Maps graphs to fixed-length vectors; ``fit`` fixes the length from a set of graphs."""

    def __init__(self, num_nodes: int | None = None) -> None:
        self.num_nodes = num_nodes
        self.columns: tuple[str, ...] | None = None

    def fit(self, graphs: Sequence[ArchGraph]) -> "FlatEncoder":
        graphs = check_graphs(graphs)
        if self.num_nodes is None:
            self.num_nodes = max(g.num_nodes for g in graphs)
        self.columns = graphs[0].columns
        return self

    @property
    def dim(self) -> int:
        if self.num_nodes is None or self.columns is None:
            raise PredictorError("the flat encoder is not fitted yet")
        return self.num_nodes * len(self.columns) + self.num_nodes**2

    def transform(self, graphs: Sequence[ArchGraph]) -> np.ndarray:
        graphs = check_graphs(graphs, columns=self.columns)
        n, f = self.num_nodes, len(self.columns)
        out = np.zeros((len(graphs), self.dim), dtype=np.float32)
        for row, g in enumerate(graphs):
            if g.num_nodes > n:
                raise PredictorError(f"a graph has {g.num_nodes} nodes; the flat encoding was fitted for at most {n}")
            out[row, : g.num_nodes * f] = g.x.reshape(-1)
            adj = np.zeros((n, n), dtype=np.float32)
            adj[g.edge_index[0], g.edge_index[1]] = 1.0
            out[row, n * f :] = adj.reshape(-1)
        return out

    def fit_transform(self, graphs: Sequence[ArchGraph]) -> np.ndarray:
        return self.fit(graphs).transform(graphs)


def flat_features(graphs: Sequence[ArchGraph], num_nodes: int | None = None) -> np.ndarray:
    """Flat vectors of ``graphs`` (padded to ``num_nodes``, default: the largest graph)."""
    return FlatEncoder(num_nodes).fit_transform(graphs)
