"""A plain, seeded classification training loop on tensors, and what a trainer returns.

``fit_classifier`` raises ``Diverged`` on a non-finite loss; a trainer turns that into
``TrainResult.failed`` (status ``diverged``, ``FAILED_VALUE`` for both metrics).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import NasLabError
from ..infra.progress import bar
from .recipe import Recipe

#: Search and report metric of a training that diverged (documented failure value).
FAILED_VALUE = 0.0


class Diverged(Exception):
    """Training produced a non-finite loss."""


def make_optimizer(params, recipe: Recipe):
    import torch

    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    cls = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=recipe.lr, weight_decay=recipe.weight_decay)


@dataclass(frozen=True)
class FitOutcome:
    epochs: int
    steps: int
    final_loss: float
    seconds: float


def fit_classifier(model, x, y, recipe: Recipe, device: str = "cpu") -> FitOutcome:
    """Train ``model`` (a ``torch.nn.Module`` giving logits) on tensors ``x``, ``y`` with
    cross-entropy, on torch ``device`` (a resolved name: the model and the data are moved there
    once). Seeds everything from ``recipe.seed`` inside ``torch.random.fork_rng`` (the caller's
    global torch state is untouched); raises ``Diverged`` on a non-finite loss. The caller
    builds the model (seeding its initialisation) beforehand."""
    import torch
    import torch.nn.functional as F

    start = time.perf_counter()
    if recipe.max_train:
        x, y = x[: recipe.max_train], y[: recipe.max_train]
    model.to(device)
    x, y = x.to(device), y.to(device)
    n = int(x.shape[0])
    if n == 0:
        raise NasLabError("no training samples")
    per_epoch = (n + recipe.batch_size - 1) // recipe.batch_size
    total = per_epoch * recipe.epochs
    loss_value = float("nan")
    step = 0
    with torch.random.fork_rng(devices=forked(x.device)):
        torch.manual_seed(recipe.seed + 1)  # dropout masks
        shuffle = torch.Generator().manual_seed(recipe.seed)
        opt = make_optimizer(model.parameters(), recipe)
        base_lr = recipe.lr
        model.train()
        shown = bar(total, "training", "batch")
        for epoch in range(recipe.epochs):
            shown.set_postfix_str(f"epoch {epoch + 1}/{recipe.epochs}")
            perm = torch.randperm(n, generator=shuffle).to(x.device)  # once per epoch
            for b in range(per_epoch):
                idx = perm[b * recipe.batch_size: (b + 1) * recipe.batch_size]
                if recipe.schedule == "cosine":
                    for group in opt.param_groups:
                        group["lr"] = 0.5 * base_lr * (1 + math.cos(math.pi * step / total))
                loss = F.cross_entropy(model(x[idx]), y[idx])
                if not torch.isfinite(loss):
                    shown.close()
                    raise Diverged(f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                loss_value = float(loss.detach())
                shown.update()
        shown.close()
    model.eval()
    return FitOutcome(recipe.epochs, step, loss_value, time.perf_counter() - start)


def forked(device) -> list:
    """The CUDA devices whose random state ``torch.random.fork_rng`` must keep (none on the CPU)."""
    return [device] if device.type == "cuda" else []


def model_device(model):
    """The device of ``model``'s first parameter (cpu without parameters)."""
    import torch

    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def accuracy(model, x, y, batch: int = 2048) -> float:
    """Top-1 accuracy in percent (eval mode, no gradients), on the model's device (the data
    moved there once)."""
    import torch

    model.eval()
    device = model_device(model)
    x, y = x.to(device), y.to(device)
    correct = 0
    with torch.no_grad():
        for i in range(0, int(x.shape[0]), batch):
            logits = model(x[i: i + batch])
            if not torch.isfinite(logits).all():
                raise Diverged("the network outputs non-finite logits")
            correct += int((logits.argmax(1) == y[i: i + batch]).sum())
    return 100.0 * correct / max(1, int(x.shape[0]))


def measure_latency(model, sample, repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time in milliseconds of one forward pass on ``sample`` (a batch of one),
    eval mode, no gradients, in the current torch thread setting."""
    import torch

    model.eval()
    times = []
    with torch.no_grad():
        for k in range(warmup + repeats):
            t = time.perf_counter()
            model(sample)
            if k >= warmup:
                times.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(times)) if times else float("nan")


@dataclass(frozen=True)
class TrainResult:
    """What a trainer returns: status ``ok`` or ``diverged``, the search metric, costs, the
    trained weights (float32 vector; None for a failure), seconds and a message."""

    status: str
    search: float
    costs: dict[str, float] = field(default_factory=dict)
    weights: np.ndarray | None = None
    seconds: float = 0.0
    message: str = ""

    @classmethod
    def failed(cls, message: str, costs: Mapping[str, float] | None = None, seconds: float = 0.0) -> "TrainResult":
        return cls("diverged", FAILED_VALUE, dict(costs or {}), None, seconds, message)
