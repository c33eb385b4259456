"""The one supernet training loop every one-shot method shares.

Each epoch walks the train half and the validation half in step: for each pair of batches, an
**architecture step** on the validation batch (skipped by methods that learn no alphas, e.g.
SPOS), then a **weight step** on the train batch. A ``Strategy`` (one per method) says how the
slot weights are made from the alphas (softmax, Gumbel hard sample, Dirichlet sample, uniform
single path), which extra architecture parameters and loss terms it has, and what happens at
the end of an epoch (temperature annealing, early stopping). Recipe as DARTS/NB201 search:
SGD momentum 0.9, weight decay 3e-4, cosine learning rate 0.025 -> 0.001, gradient clipping 5;
Adam (0.5, 0.999), weight decay 1e-3 for the alphas.

Same seed, same result: every random draw (batch order, Gumbel/Dirichlet/path samples, alpha
initialisation) comes from one ``torch.Generator`` seeded by the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.progress import bar
from nasbench_lab.infra.torch_device import resolve_device

from nasbench_lab.supernet.provider import SearchData, Supernet


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe (see the module docstring)."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4
    arch_weight_decay: float = 1e-3
    seed: int = 0
    device: str = "cpu"


@dataclass
class EpochRecord:
    """What one epoch left: slot probabilities, the derived architecture (as choice indices
    and names), mean loss and accuracy of the weight steps (train half), and method extras."""

    epoch: int
    probabilities: list[list[float]]
    derived: tuple[int, ...]
    derived_names: list[str]
    train_loss: float
    train_acc: float
    extra: dict = field(default_factory=dict)


class Strategy:
    """How a method mixes and learns (the default is first-order DARTS)."""

    #: False for methods that train weights only (SPOS): no architecture step.
    learns_alphas: bool = True

    def setup(self, trainer: "Trainer") -> None:
        """Called once the supernet, alphas and optimisers exist."""

    def extra_parameters(self) -> list[torch.Tensor]:
        """Further architecture parameters trained with the alphas (PC-DARTS edge betas)."""
        return []

    def weights(self, trainer: "Trainer", phase: str) -> list[torch.Tensor]:
        """Slot weights for a ``phase`` ("weights" or "arch") step; default softmax."""
        return [a.softmax(-1) for a in trainer.alphas]

    def penalty(self, trainer: "Trainer") -> torch.Tensor | float:
        """Extra loss term of the architecture step (DrNAS: the KL regulariser)."""
        return 0.0

    def probabilities(self, trainer: "Trainer") -> list[torch.Tensor]:
        """Per-slot probabilities recorded and used to rank architectures; default softmax."""
        return [a.detach().softmax(-1) for a in trainer.alphas]

    def arch_step(self, trainer: "Trainer", train: tuple, valid: tuple) -> None:
        """First-order step: the gradient of the validation loss (plus ``penalty``) w.r.t. alphas."""
        trainer.arch_opt.zero_grad()
        loss = trainer.loss(valid, self.weights(trainer, "arch")) + self.penalty(trainer)
        loss.backward()
        trainer.arch_opt.step()

    def epoch_end(self, trainer: "Trainer", record: EpochRecord) -> bool:
        """Called after each epoch (may add to ``record.extra``); True stops training."""
        return False


class Trainer:
    """The supernet, its alphas and optimisers, the data and the generator of one search."""

    def __init__(self, net: Supernet, data: SearchData, strategy: Strategy, config: TrainConfig) -> None:
        if config.epochs < 1 or config.batch_size < 1:
            raise NasLabError(f"supernet training needs epochs >= 1 and batch_size >= 1, got "
                              f"{config.epochs} and {config.batch_size}")
        self.config, self.strategy = config, strategy
        self.device = resolve_device(config.device)  # e.g. "auto" -> cuda or cpu
        self.net = net.to(self.device)
        self.data = on_device(data, self.device)  # moved once, not per batch
        self.generator = torch.Generator().manual_seed(int(config.seed))
        self.alphas = [(1e-3 * torch.randn(n, generator=self.generator)).to(self.device).requires_grad_()
                       for n in net.slots()]
        self.weight_params = [p for p in net.parameters() if p.requires_grad]
        self.weight_opt = torch.optim.SGD(self.weight_params, config.lr, momentum=config.momentum,
                                          weight_decay=config.weight_decay)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.weight_opt, config.epochs, config.lr_min)
        strategy.setup(self)
        self.arch_params = self.alphas + strategy.extra_parameters()
        self.arch_opt = torch.optim.Adam(self.arch_params, config.arch_lr, betas=(0.5, 0.999),
                                         weight_decay=config.arch_weight_decay)
        self.epoch = 0
        self.history: list[EpochRecord] = []
        self.progress = None  # the bar of ``train`` (one step per weight step)

    def uniform(self, shape: Sequence[int] | int = ()) -> torch.Tensor:
        """Uniform [0, 1) numbers from the run's generator, on the supernet's device."""
        return torch.rand(shape, generator=self.generator).to(self.device)

    def loss(self, batch: tuple, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(self.net(x, weights), y)

    def batches(self, split: tuple) -> list[tuple]:
        x, y = split
        order = torch.randperm(len(y), generator=self.generator)
        size = self.config.batch_size
        if x.device != order.device:
            order = order.to(x.device)  # one copy of the epoch's order, not one per batch
        return [(x[i], y[i]) for i in order.split(size)]

    def weight_step(self, batch: tuple) -> tuple[float, float]:
        self.net.train()
        self.weight_opt.zero_grad()
        x, y = batch
        logits = self.net(x, [w.detach() for w in self.strategy.weights(self, "weights")])
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        nn.utils.clip_grad_norm_(self.weight_params, self.config.grad_clip)
        self.weight_opt.step()
        return loss.item(), (logits.argmax(1) == y).float().mean().item()

    def run_epoch(self) -> EpochRecord:
        train_batches, valid_batches = self.batches(self.data.train), self.batches(self.data.valid)
        losses, accs = [], []
        for i, train in enumerate(train_batches):
            valid = valid_batches[i % len(valid_batches)]
            if self.strategy.learns_alphas:
                self.net.train()
                self.strategy.arch_step(self, train, valid)
            loss, acc = self.weight_step(train)
            losses.append(loss)
            accs.append(acc)
            if self.progress is not None:
                self.progress.update()
        self.schedule.step()
        self.epoch += 1
        probs = self.strategy.probabilities(self)
        derived = self.net.choices_of(self.net.derive(probs))
        names = [self.net.choice_names(s)[c] for s, c in enumerate(derived)]
        return EpochRecord(self.epoch, [[round(float(v), 6) for v in p] for p in probs], derived, names,
                           float(np.mean(losses)), float(np.mean(accs)))

    def train(self) -> list[EpochRecord]:
        """Run up to ``epochs`` epochs (fewer if the strategy stops); the epoch records. Draws
        from torch's global generator (e.g. Dirichlet samples) are seeded too, inside a fork."""
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(int(self.config.seed))
            per_epoch = math.ceil(len(self.data.train[1]) / self.config.batch_size)
            self.progress = bar(per_epoch * (self.config.epochs - self.epoch), "supernet epochs", "batch")
            try:
                while self.epoch < self.config.epochs:
                    record = self.run_epoch()
                    self.history.append(record)
                    self.progress.set_postfix_str(f"epoch {self.epoch}/{self.config.epochs}, loss {record.train_loss:.3f}")
                    if self.strategy.epoch_end(self, record):
                        break
            finally:
                self.progress.close()
                self.progress = None
        return self.history


def on_device(data: SearchData, device: torch.device) -> SearchData:
    """``data`` with both halves' tensors on ``device`` (the same object when they already are)."""
    if all(t.device == device for t in (*data.train, *data.valid)):
        return data
    return SearchData(tuple(t.to(device) for t in data.train), tuple(t.to(device) for t in data.valid),
                      data.source, data.proxy)


def linear_temperature(start: float, end: float, epoch: int, epochs: int) -> float:
    """Linear interpolation from ``start`` (epoch 0) to ``end`` (last epoch), as GDAS anneals tau."""
    if epochs <= 1:
        return end
    return start - (start - end) * epoch / (epochs - 1)


def log_probabilities(probs: Sequence[torch.Tensor]) -> list[np.ndarray]:
    """Per-slot natural logs, floored so that zero probabilities rank last but stay finite."""
    return [np.log(np.maximum(p.detach().cpu().double().numpy(), 1e-300)) for p in probs]


def entropy(probs: Sequence[torch.Tensor]) -> float:
    """Mean per-slot entropy (nats)."""
    return float(np.mean([-(p * p.clamp_min(1e-30).log()).sum().item() for p in probs])) if probs else math.nan
