"""Graph Isomorphism Network (Xu et al. 2019) predictor over ``ArchGraph.to_pyg()`` graphs.

Each layer is a ``torch_geometric.nn.GINConv`` (sum of the neighbours' features, learnable
``eps``, two-layer MLP); messages follow the DAG's edges (input -> output) and, with
``direction="both"``, also run backwards through a second GINConv per layer. The graph
embedding concatenates the sum-pooled node embeddings of every layer (as in the GIN paper),
and an MLP head maps it to the score. Sum aggregation and sum pooling make the prediction
invariant to the order of the nodes. Targets are z-scored for training; ``loss`` chooses the
objective (mean squared error, a pairwise or listwise ranking loss, or MSE + pairwise).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.infra.parallel import torch_threads

from .base import (
    LOSSES, Predictor, PredictorError, Standardiser, check_choice, check_graphs, check_targets,
    train_torch,
)

DIRECTIONS = ("forward", "both")


class GraphSet:
    """Graphs stored as one big disjoint union, with fast gathering of any subset as a batch
    (``x``, ``edge_index``, ``batch`` as ``torch_geometric`` expects)."""

    def __init__(self, graphs: Sequence[ArchGraph]) -> None:
        import torch

        datas = [g.to_pyg() for g in graphs]
        self.n = len(datas)
        self.num_nodes = torch.tensor([d.num_nodes for d in datas], dtype=torch.long)
        self.num_edges = torch.tensor([d.edge_index.shape[1] for d in datas], dtype=torch.long)
        self.node_ptr = torch.cumsum(self.num_nodes, 0) - self.num_nodes
        self.edge_ptr = torch.cumsum(self.num_edges, 0) - self.num_edges
        self.x = torch.cat([d.x for d in datas], 0)
        self.local_edges = torch.cat([d.edge_index for d in datas], 1)  # node ids within each graph
        self._all = None

    @staticmethod
    def _ranges(starts, counts):
        import torch

        owner = torch.repeat_interleave(torch.arange(len(counts)), counts)
        offsets = torch.cumsum(counts, 0) - counts
        return owner, starts[owner] + torch.arange(int(counts.sum())) - offsets[owner]

    def batch(self, idx=None):
        """``(x, edge_index, batch, num_graphs)`` of the graphs ``idx`` (all when None)."""
        import torch

        if idx is None:
            if self._all is None:
                self._all = self.batch(np.arange(self.n))
            return self._all
        idx = torch.as_tensor(np.asarray(idx), dtype=torch.long)
        counts = self.num_nodes[idx]
        node_owner, node_ids = self._ranges(self.node_ptr[idx], counts)
        edge_owner, edge_ids = self._ranges(self.edge_ptr[idx], self.num_edges[idx])
        new_ptr = torch.cumsum(counts, 0) - counts
        edge_index = self.local_edges[:, edge_ids] + new_ptr[edge_owner]
        return self.x[node_ids], edge_index, node_owner, len(idx)


def _mlp(d_in: int, hidden: int):
    from torch import nn

    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


def build_gin(in_dim: int, hidden: int, layers: int, dropout: float, direction: str):
    import torch
    from torch import nn
    from torch_geometric.nn import GINConv, global_add_pool

    class GINNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims = [in_dim] + [hidden] * layers
            self.forward_convs = nn.ModuleList(
                GINConv(_mlp(dims[k], hidden), train_eps=True) for k in range(layers)
            )
            self.backward_convs = nn.ModuleList(
                GINConv(_mlp(dims[k], hidden), train_eps=True) for k in range(layers)
            ) if direction == "both" else None
            self.head = nn.Sequential(
                nn.Linear(hidden * layers, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
            )

        def embed(self, x, edge_index, batch, num_graphs):
            pooled = []
            reverse = edge_index.flip(0)
            h = x
            for k, conv in enumerate(self.forward_convs):
                out = conv(h, edge_index)
                if self.backward_convs is not None:
                    out = out + self.backward_convs[k](h, reverse)
                h = out
                pooled.append(global_add_pool(h, batch, size=num_graphs))
            return torch.cat(pooled, 1)

        def forward(self, x, edge_index, batch, num_graphs):
            return self.head(self.embed(x, edge_index, batch, num_graphs)).squeeze(-1)

    return GINNet()


class GINPredictor(Predictor):
    """GIN over the architecture graph: GINConv layers, sum pooling, MLP head."""

    name = "gin"

    def __init__(
        self,
        *,
        hidden: int = 32,
        layers: int = 3,
        direction: str = "both",
        dropout: float = 0.0,
        epochs: int = 100,
        min_steps: int = 300,
        batch_size: int = 128,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        loss: str = "pairwise",
        threads: int | None = 1,
        seed: int = 0,
    ) -> None:
        """``layers`` GINConv layers of width ``hidden``; messages along the edges
        (``direction="forward"``) or along and against them (``"both"``). Adam, ``lr`` with
        cosine decay, ``epochs`` passes of mini-batches of ``batch_size`` graphs, more passes
        for small training sets so that at least ``min_steps`` steps are made (a fresh fit
        only). ``loss``: one of ``mse``, ``pairwise``, ``listwise``, ``mse+pairwise`` (on
        z-scored targets).
        ``threads``: torch threads while fitting/predicting (None = torch's setting)."""
        super().__init__(seed=seed)
        self.loss = check_choice("loss", loss, LOSSES)
        self.direction = check_choice("direction", direction, DIRECTIONS)
        if hidden < 1 or layers < 1 or epochs < 1 or batch_size < 1 or lr <= 0:
            raise PredictorError("need hidden, layers, epochs, batch_size >= 1 and lr > 0")
        self.hidden, self.layers, self.dropout = int(hidden), int(layers), float(dropout)
        self.epochs, self.batch_size, self.lr, self.weight_decay = int(epochs), int(batch_size), float(lr), float(weight_decay)
        self.min_steps = int(min_steps)
        self.threads = threads
        self.model = None
        self.losses: list[float] = []

    def _prepare(self) -> None:
        import torch_geometric.nn  # noqa: F401  (a few seconds on first import)

    def _fit(self, graphs: list[ArchGraph], y: np.ndarray, *, warm_start: bool = False, epochs: int | None = None) -> None:
        import torch

        data = GraphSet(graphs)
        self.scaler = Standardiser().fit(y)
        rng = np.random.default_rng(self.seed)
        with torch_threads(self.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**63 - 1)))
            if self.model is None or not warm_start:
                self.model = build_gin(data.x.shape[1], self.hidden, self.layers, self.dropout, self.direction)
            self.losses = train_torch(
                self.model, data.batch, data.n, self.scaler.forward(y),
                epochs=epochs or self.epochs, batch_size=self.batch_size, lr=self.lr,
                weight_decay=self.weight_decay, loss=self.loss, rng=rng,
                min_steps=0 if warm_start else self.min_steps,
            )

    def refit(self, graphs: Sequence[ArchGraph], y, *, epochs: int, seed: int | None = None) -> "GINPredictor":
        """Continue training the current weights on ``graphs`` for ``epochs`` (a warm start;
        falls back to a full fit when not fitted yet)."""
        if not self._fitted:
            return self.fit(graphs, y, seed=seed)
        graphs = check_graphs(graphs, columns=self._columns)
        y = check_targets(y, len(graphs))
        if seed is not None:
            self.seed = int(seed)
        start = time.perf_counter()
        self._fit(graphs, y, warm_start=True, epochs=epochs)
        self.fit_seconds = time.perf_counter() - start
        return self

    def _predict(self, graphs: list[ArchGraph]) -> np.ndarray:
        return self.scaler.inverse(self.predict_scores(graphs))

    def predict_scores(self, graphs: Sequence[ArchGraph], chunk: int = 4096) -> np.ndarray:
        """Predictions in z-score units (no inverse transform)."""
        import torch

        data = GraphSet(graphs)
        out = []
        with torch_threads(self.threads), torch.no_grad():
            for start in range(0, data.n, chunk):
                out.append(self.model(*data.batch(np.arange(start, min(data.n, start + chunk)))).numpy())
        return np.concatenate(out).astype(np.float64)


class GINEnsemble(Predictor):
    """An ensemble of GINs trained from different seeds: mean prediction and its spread."""

    name = "gin-ensemble"

    def __init__(self, *, members: int = 5, seed: int = 0, **gin_params) -> None:
        """``members`` GINPredictors (each with ``gin_params``) on seeds spawned from ``seed``."""
        super().__init__(seed=seed)
        if members < 1:
            raise PredictorError(f"an ensemble needs at least one member, got {members}")
        self.members = int(members)
        self.gin_params = dict(gin_params)
        GINPredictor(**self.gin_params)  # validate the options now
        self.models: list[GINPredictor] = []

    def _prepare(self) -> None:
        import torch_geometric.nn  # noqa: F401

    def _member_seeds(self) -> list[int]:
        children = np.random.SeedSequence(self.seed).spawn(self.members)
        return [int(c.generate_state(1)[0]) for c in children]

    def _fit(self, graphs: list[ArchGraph], y: np.ndarray) -> None:
        self.models = [GINPredictor(**self.gin_params, seed=s).fit(graphs, y) for s in self._member_seeds()]

    def refit(self, graphs, y, *, epochs: int, seed: int | None = None) -> "GINEnsemble":
        if not self._fitted:
            return self.fit(graphs, y, seed=seed)
        if seed is not None:
            self.seed = int(seed)
        for m, s in zip(self.models, self._member_seeds()):
            m.refit(graphs, y, epochs=epochs, seed=s)
        return self

    def _predict(self, graphs: list[ArchGraph]) -> np.ndarray:
        return self.predict_dist(graphs)[0]

    def predict_dist(self, graphs: Sequence[ArchGraph]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over the members, in the units of the targets."""
        if not self._fitted:
            raise PredictorError("gin-ensemble predictor is not fitted: call fit() first")
        preds = np.stack([m.predict(graphs) for m in self.models])
        return preds.mean(0), preds.std(0)
