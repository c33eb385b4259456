"""Baselines on the flat encoding (``features.FlatEncoder``): an MLP trained exactly like the
GIN (same normalisation, losses and optimiser), a random forest and gradient-boosted trees."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.infra.parallel import torch_threads

from .base import LOSSES, Predictor, PredictorError, Standardiser, check_choice, train_torch
from .features import FlatEncoder


def build_mlp(in_dim: int, hidden: int, layers: int, dropout: float):
    from torch import nn

    mods: list = []
    d = in_dim
    for _ in range(layers):
        mods += [nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(dropout)]
        d = hidden
    mods.append(nn.Linear(d, 1))

    class FlatMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(*mods)

        def forward(self, x):
            return self.net(x).squeeze(-1)

    return FlatMLP()


class MLPPredictor(Predictor):
    """MLP on the flat one-hot encoding (node features + adjacency, canonical node order)."""

    name = "mlp"

    def __init__(
        self,
        *,
        hidden: int = 128,
        layers: int = 3,
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
        """``layers`` hidden layers of width ``hidden``; training as for the GIN (same
        optimiser, schedule, target normalisation and losses)."""
        super().__init__(seed=seed)
        self.loss = check_choice("loss", loss, LOSSES)
        if hidden < 1 or layers < 1 or epochs < 1 or batch_size < 1 or lr <= 0:
            raise PredictorError("need hidden, layers, epochs, batch_size >= 1 and lr > 0")
        self.hidden, self.layers, self.dropout = int(hidden), int(layers), float(dropout)
        self.epochs, self.batch_size, self.lr, self.weight_decay = int(epochs), int(batch_size), float(lr), float(weight_decay)
        self.min_steps = int(min_steps)
        self.threads = threads

    def _fit(self, graphs: list[ArchGraph], y: np.ndarray) -> None:
        import torch

        self.encoder = FlatEncoder().fit(graphs)
        x = torch.from_numpy(self.encoder.transform(graphs))
        self.scaler = Standardiser().fit(y)
        rng = np.random.default_rng(self.seed)
        with torch_threads(self.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**63 - 1)))
            self.model = build_mlp(x.shape[1], self.hidden, self.layers, self.dropout)
            self.losses = train_torch(
                self.model, lambda idx: (x[torch.as_tensor(idx)],), len(graphs), self.scaler.forward(y),
                epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                weight_decay=self.weight_decay, loss=self.loss, rng=rng, min_steps=self.min_steps,
            )

    def _predict(self, graphs: list[ArchGraph]) -> np.ndarray:
        import torch

        x = torch.from_numpy(self.encoder.transform(graphs))
        with torch_threads(self.threads), torch.no_grad():
            return self.scaler.inverse(self.model(x).numpy())


class TreePredictor(Predictor):
    """Random forest or gradient-boosted trees (scikit-learn) on the flat encoding."""

    name = "tree"
    KINDS = ("gbdt", "rf")

    def __init__(self, *, kind: str = "gbdt", n_estimators: int = 300, max_depth: int | None = None,
                 learning_rate: float = 0.05, seed: int = 0) -> None:
        """``kind``: ``gbdt`` (GradientBoostingRegressor, depth ``max_depth`` or 4, shrinkage
        ``learning_rate``, row subsampling 0.8) or ``rf`` (RandomForestRegressor, unlimited depth
        unless ``max_depth``); ``n_estimators`` trees."""
        super().__init__(seed=seed)
        self.kind = check_choice("tree kind", kind, self.KINDS)
        if n_estimators < 1:
            raise PredictorError(f"n_estimators must be >= 1, got {n_estimators}")
        self.n_estimators, self.max_depth, self.learning_rate = int(n_estimators), max_depth, float(learning_rate)
        self.name = kind

    def _fit(self, graphs: list[ArchGraph], y: np.ndarray) -> None:
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

        self.encoder = FlatEncoder().fit(graphs)
        x = self.encoder.transform(graphs)
        state = int(np.random.default_rng(self.seed).integers(2**31 - 1))
        if self.kind == "gbdt":
            self.model = GradientBoostingRegressor(
                n_estimators=self.n_estimators, max_depth=self.max_depth or 4, learning_rate=self.learning_rate,
                subsample=0.8, random_state=state,
            )
        else:
            self.model = RandomForestRegressor(
                n_estimators=self.n_estimators, max_depth=self.max_depth, random_state=state, n_jobs=1,
            )
        self.model.fit(x, y)

    def _predict(self, graphs: list[ArchGraph]) -> np.ndarray:
        return self.model.predict(self.encoder.transform(graphs))
