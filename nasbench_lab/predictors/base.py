"""The predictor interface and what the neural predictors share: input checks, target
normalisation, the ranking-aware losses and a seeded training loop."""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

import numpy as np

from nasbench_lab.errors import NasLabError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.infra.introspect import keyword_defaults

LOSSES = ("mse", "pairwise", "listwise", "mse+pairwise")


class PredictorError(NasLabError, ValueError):
    """Bad input to a predictor (no graphs, mismatched lengths, NaN targets, unknown option)."""


def check_graphs(graphs: Sequence[ArchGraph], columns: tuple[str, ...] | None = None) -> list[ArchGraph]:
    """A non-empty list of ArchGraphs sharing one feature layout (``columns`` if given)."""
    if isinstance(graphs, ArchGraph):
        graphs = [graphs]
    graphs = list(graphs)
    if not graphs:
        raise PredictorError("no architectures given")
    for g in graphs:
        if not isinstance(g, ArchGraph):
            raise PredictorError(f"expected ArchGraph objects (space.encode(arch)), got {type(g).__name__}")
    want = columns if columns is not None else graphs[0].columns
    for g in graphs:
        if g.columns != want:
            raise PredictorError(
                f"graphs use different node features: {list(g.columns)} vs {list(want)} (mixing search spaces?)"
            )
    return graphs


def check_targets(y, n: int, minimum: int = 2) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or len(y) != n:
        raise PredictorError(f"need one target per architecture: {n} architectures, targets of shape {y.shape}")
    if n < minimum:
        raise PredictorError(f"need at least {minimum} training architectures, got {n}")
    if not np.isfinite(y).all():
        raise PredictorError("training targets must be finite (no NaN/inf)")
    return y


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise PredictorError(f"unknown {name} {value!r}; choose from: {', '.join(choices)}")
    return value


class Predictor(ABC):
    """Learns a score from architectures (as ArchGraphs). Higher score = better architecture.

    ``fit(graphs, y)`` trains from scratch (same ``seed``, same data -> same model);
    ``predict(graphs)`` returns one score per graph in the units of ``y``.
    """

    name: str = "predictor"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = int(seed)
        self.fit_seconds = 0.0
        self._fitted = False

    def _prepare(self) -> None:
        """Import heavy modules before the training clock starts (override if needed)."""

    @abstractmethod
    def _fit(self, graphs: list[ArchGraph], y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, graphs: list[ArchGraph]) -> np.ndarray: ...

    def fit(self, graphs: Sequence[ArchGraph], y, *, seed: int | None = None) -> "Predictor":
        graphs = check_graphs(graphs)
        y = check_targets(y, len(graphs))
        if seed is not None:
            self.seed = int(seed)
        self._prepare()
        start = time.perf_counter()
        self._columns = graphs[0].columns
        self._fit(graphs, y)
        self.fit_seconds = time.perf_counter() - start
        self._fitted = True
        return self

    def predict(self, graphs: Sequence[ArchGraph]) -> np.ndarray:
        if not self._fitted:
            raise PredictorError(f"{self.name} predictor is not fitted: call fit() first")
        graphs = check_graphs(graphs, columns=self._columns)
        return np.asarray(self._predict(graphs), dtype=np.float64)

    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """Keyword-only constructor arguments and their defaults."""
        return keyword_defaults(cls)


class Standardiser:
    """z-score of the training targets (predictions are mapped back)."""

    def fit(self, y: np.ndarray) -> "Standardiser":
        self.mean = float(np.mean(y))
        std = float(np.std(y))
        self.std = std if std > 1e-12 else 1.0
        return self

    def forward(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64) * self.std + self.mean


def ranking_loss(kind: str, pred, target):
    """Loss between predicted scores and (normalised) targets of one mini-batch.

    ``mse``: mean squared error. ``pairwise``: RankNet logistic loss over every ordered pair
    with different targets, weighted by the target gap (clipped to one standard deviation), so
    that near-ties matter less. ``listwise``: ListNet top-one cross entropy between
    softmax(target) and softmax(prediction). ``mse+pairwise``: their sum.
    """
    import torch
    import torch.nn.functional as F

    if kind == "mse":
        return F.mse_loss(pred, target)
    if kind == "listwise":
        return -(torch.softmax(target * 2.0, 0) * torch.log_softmax(pred, 0)).sum()
    diff_t = target[:, None] - target[None, :]
    diff_p = pred[:, None] - pred[None, :]
    mask = diff_t > 0
    if not bool(mask.any()):
        pair = pred.sum() * 0.0
    else:
        weight = diff_t[mask].clamp(max=1.0)
        pair = (F.softplus(-diff_p[mask]) * weight).sum() / weight.sum()
    if kind == "pairwise":
        return pair
    return F.mse_loss(pred, target) + pair


def train_torch(
    model,
    batch_fn: Callable[[np.ndarray], tuple],
    n: int,
    target: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    loss: str,
    rng: np.random.Generator,
    min_steps: int = 0,
) -> list[float]:
    """Adam with cosine learning-rate decay over ``epochs`` passes of shuffled mini-batches
    (more passes if needed to make at least ``min_steps`` steps, for small training sets).
    ``batch_fn(indices)`` returns the model's positional inputs for those training rows."""
    import torch

    y = torch.as_tensor(target, dtype=torch.float32)
    try:  # the fused CPU kernel is about twice as fast for many small parameter tensors
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    steps_per_epoch = max(1, -(-n // batch_size))
    epochs = max(epochs, -(-min_steps // steps_per_epoch))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * steps_per_epoch))
    history = []
    model.train()
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            if len(idx) < 2 and n >= 2:  # a lone graph gives no pairs and a noisy step
                idx = np.concatenate([idx, order[:1]])
            opt.zero_grad()
            out = model(*batch_fn(idx))
            value = ranking_loss(loss, out, y[torch.as_tensor(idx)])
            value.backward()
            opt.step()
            sched.step()
            total += float(value.detach()) * len(idx)
        history.append(total / n)
    model.eval()
    return history
