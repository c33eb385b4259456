"""The common graph form every architecture is encoded into: ``(edge_index, x)``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from nasbench_lab.errors import ArchError


@dataclass(frozen=True, eq=False)
class ArchGraph:
    """A DAG with operations on nodes.

    ``edge_index`` is an int64 array of shape (2, E) (row 0 sources, row 1 targets, as in PyG);
    ``x`` is a float32 array of shape (N, F) whose first ``len(vocab)`` columns are a one-hot
    operation type and whose remaining columns are the normalised numeric parameters named by
    ``params``.
    """

    edge_index: np.ndarray
    x: np.ndarray
    vocab: tuple[str, ...]
    params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ei = np.asarray(self.edge_index, dtype=np.int64).reshape(2, -1)
        x = np.asarray(self.x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.vocab) + len(self.params):
            raise ArchError(
                f"node features have shape {x.shape}, expected (N, {len(self.vocab) + len(self.params)})"
            )
        if ei.size and (ei.min() < 0 or ei.max() >= x.shape[0]):
            raise ArchError(f"edge_index refers to nodes outside 0..{x.shape[0] - 1}")
        object.__setattr__(self, "edge_index", ei)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "vocab", tuple(self.vocab))
        object.__setattr__(self, "params", tuple(self.params))

    @classmethod
    def from_nodes(
        cls,
        ops: Sequence[str],
        edges: Sequence[tuple[int, int]],
        vocab: Sequence[str],
        params: Sequence[str] = (),
        values: Sequence[Mapping[str, float]] | None = None,
    ) -> "ArchGraph":
        """Build a graph from one operation name per node, an edge list and per-node parameters."""
        col = {op: i for i, op in enumerate(vocab)}
        x = np.zeros((len(ops), len(vocab) + len(params)), dtype=np.float32)
        for node, op in enumerate(ops):
            if op not in col:
                raise ArchError(f"operation {op!r} is not in the vocabulary {list(vocab)}")
            x[node, col[op]] = 1.0
            if values is not None:
                for k, name in enumerate(params):
                    x[node, len(vocab) + k] = float(values[node].get(name, 0.0))
        edge_index = np.array(list(edges), dtype=np.int64).reshape(-1, 2).T
        return cls(edge_index, x, tuple(vocab), tuple(params))

    @property
    def num_nodes(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the columns of ``x``: the vocabulary, then the parameters."""
        return self.vocab + self.params

    def ops(self) -> list[str]:
        """The operation name of every node (the arg-max of its one-hot part)."""
        onehot = self.x[:, : len(self.vocab)]
        if not np.all(onehot.sum(axis=1) == 1.0):
            raise ArchError("every node must have exactly one operation type")
        return [self.vocab[i] for i in onehot.argmax(axis=1)]

    def param(self, name: str) -> np.ndarray:
        """The column of numeric parameter ``name`` for all nodes."""
        return self.x[:, len(self.vocab) + self.params.index(name)]

    def predecessors(self) -> list[list[int]]:
        preds: list[list[int]] = [[] for _ in range(self.num_nodes)]
        for s, t in self.edge_index.T:
            preds[int(t)].append(int(s))
        return preds

    def successors(self) -> list[list[int]]:
        succs: list[list[int]] = [[] for _ in range(self.num_nodes)]
        for s, t in self.edge_index.T:
            succs[int(s)].append(int(t))
        return succs

    def to_pyg(self):
        """Return a ``torch_geometric.data.Data`` with the same ``x`` and ``edge_index``."""
        import torch
        from torch_geometric.data import Data

        return Data(x=torch.from_numpy(self.x.copy()), edge_index=torch.from_numpy(self.edge_index.copy()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArchGraph):
            return NotImplemented
        return (
            self.vocab == other.vocab
            and self.params == other.params
            and np.array_equal(self.edge_index, other.edge_index)
            and np.array_equal(self.x, other.x)
        )

    __hash__ = None  # type: ignore[assignment]
