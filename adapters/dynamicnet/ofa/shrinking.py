"""Progressive shrinking: train the largest network, then open kernel, depth and width.

The schedule is one declarative list of ``Phase`` values, run in order; each phase says how
many epochs, its learning rate (Adam, cosine-annealed to 0 within the phase) and how many
choices of each elastic dimension are open (the ``kernel``/``depth``/``width`` largest values of
each stage; ``ALL`` or ``"all"`` in JSON: every value). Each step trains the largest network
on the labels and ``subnets`` configurations drawn uniformly from the open choices on the labels
plus ``kd_ratio`` x the soft cross-entropy against the largest network's outputs of the same
step (in-place distillation); the gradients of all of them make one step. Channels are sorted by
importance (``OFASupernet.sort_channels``) before the first phase that opens width.

JSON form (``schedule_from_json``): a list of objects with the ``Phase`` fields, e.g.
``[{"stage": "largest", "epochs": 10, "lr": 0.003}, {"stage": "kernel", "epochs": 5, "lr": 0.001,
"kernel": "all", "subnets": 2}, ...]`` (missing counts: 1, missing ``subnets``: 0).

Same seed, same supernet: batch order, sampled configurations and weight initialisation come
from ``TrainOptions.seed`` (with one torch thread).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import read_small_text
from nasbench_lab.infra.progress import bar

from .structure import DIMENSIONS
from .supernet import OFASupernet

#: Every value of a dimension open.
ALL = 1_000
#: Bounds of a schedule: a typo must not ask for years of training or exhaust memory.
MAX_EPOCHS = 10_000
MAX_SUBNETS = 64
MAX_PHASES = 100
MAX_SCHEDULE_BYTES = 1 << 20


@dataclass(frozen=True)
class Phase:
    """One phase of progressive shrinking (see the module docstring)."""

    stage: str
    epochs: int
    lr: float
    kernel: int = 1
    depth: int = 1
    width: int = 1
    subnets: int = 0

    def __post_init__(self) -> None:
        where = f"schedule phase {self.stage!r}"
        if not isinstance(self.stage, str) or not self.stage:
            raise NasLabError(f"a schedule phase needs a stage name (a string), got {self.stage!r}")
        if len(self.stage) > 100:
            raise NasLabError(f"a schedule phase's stage name must be at most 100 characters, got {len(self.stage)}")
        for name in ("epochs", "subnets", *DIMENSIONS):
            value = getattr(self, name)
            if name in DIMENSIONS and value == "all":
                value = ALL
                object.__setattr__(self, name, value)
            low = 1 if name in DIMENSIONS else 0
            high = {"epochs": MAX_EPOCHS, "subnets": MAX_SUBNETS}.get(name, ALL)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise NasLabError(f"{where}: {name} must be a whole number in [{low}, {high}]"
                                  f"{' or all' if name in DIMENSIONS else ''}, got {_shown(value)}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not (math.isfinite(self.lr) and self.lr > 0):
            raise NasLabError(f"{where}: lr must be a number > 0, got {_shown(self.lr)}")
        object.__setattr__(self, "lr", float(self.lr))

    def opened(self) -> dict[str, int]:
        return {d: getattr(self, d) for d in DIMENSIONS}

    def as_dict(self) -> dict[str, Any]:
        return {k: ("all" if k in DIMENSIONS and v >= ALL else v) for k, v in asdict(self).items()}


#: The default schedule, OFA's order with depth and width opened in two steps each (about 70 s
#: of one CPU thread on mnist1d, 30 s on digits; see the README).
DEFAULT_SCHEDULE: tuple[Phase, ...] = (
    Phase("largest", epochs=15, lr=3e-3),
    Phase("kernel", epochs=10, lr=1e-3, kernel=ALL, subnets=2),
    Phase("depth-1", epochs=5, lr=1e-3, kernel=ALL, depth=2, subnets=2),
    Phase("depth-2", epochs=10, lr=1e-3, kernel=ALL, depth=ALL, subnets=3),
    Phase("width-1", epochs=5, lr=1e-3, kernel=ALL, depth=ALL, width=2, subnets=3),
    Phase("width-2", epochs=30, lr=1e-3, kernel=ALL, depth=ALL, width=ALL, subnets=4),
)


@dataclass(frozen=True)
class TrainOptions:
    """What the phases share: mini-batch size, distillation weight, weight decay, gradient
    clipping and the seed."""

    batch_size: int = 64
    kd_ratio: float = 1.0
    weight_decay: float = 0.0
    grad_clip: float = 5.0
    seed: int = 0


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def schedule_from_json(text: str, where: str = "schedule") -> tuple[Phase, ...]:
    """The phases of a JSON schedule (a list of objects, at most ``MAX_PHASES``); one-line errors
    name the phase and field."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NasLabError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise NasLabError(f"{where} is nested too deeply to be a list of phase objects") from None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise NasLabError(f"{where} must be a non-empty JSON list of phase objects")
    if len(items) > MAX_PHASES:
        raise NasLabError(f"{where} has {len(items)} phases; at most {MAX_PHASES}")
    known = [f.name for f in fields(Phase)]
    phases = []
    for n, item in enumerate(items, start=1):
        unknown = sorted(set(item) - set(known))
        missing = [k for k in ("stage", "epochs", "lr") if k not in item]
        if unknown or missing:
            problem = f"unknown field {unknown[0]!r}" if unknown else f"missing field {missing[0]!r}"
            raise NasLabError(f"{where}: phase {n}: {problem} (fields: {', '.join(known)})")
        try:
            phases.append(Phase(**item))
        except NasLabError as exc:
            raise NasLabError(f"{where}: phase {n}: {exc}") from None
    return tuple(phases)


def read_schedule(path: str | Path | None) -> tuple[Phase, ...]:
    """The schedule in the JSON file ``path`` (None or empty: ``DEFAULT_SCHEDULE``)."""
    if not path:
        return DEFAULT_SCHEDULE
    try:
        text = read_small_text(Path(path), MAX_SCHEDULE_BYTES, "the schedule file")
    except OSError as exc:
        raise NasLabError(f"cannot read the schedule file {path}: {exc.strerror or exc}") from None
    return schedule_from_json(text, f"schedule {path}")


def schedule_json(phases: Sequence[Phase]) -> str:
    return json.dumps([p.as_dict() for p in phases])


def kd_loss(logits: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Soft cross-entropy of ``logits`` against the teacher's probabilities (no gradient to it)."""
    return -(F.softmax(teacher.detach(), 1) * F.log_softmax(logits, 1)).sum(1).mean()


def phase_line(phase: Phase, record: dict[str, Any]) -> str:
    """What a finished phase reports (the sampled sub-networks' loss only when it sampled some)."""
    line = (f"phase {phase.stage}: {phase.epochs} epochs in {record['seconds']:.1f} s, "
            f"loss of the largest {record['largest_loss']:.3f}")
    if math.isfinite(record["subnet_loss"]):
        line += f", of {phase.subnets} sampled sub-networks per batch {record['subnet_loss']:.3f}"
    return line


def train_progressive(net: OFASupernet, train: tuple[torch.Tensor, torch.Tensor], phases: Sequence[Phase],
                      options: TrainOptions = TrainOptions(),
                      log: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Run ``phases`` on ``net`` with the training split ``train`` = (inputs, labels); one
    record per phase (seconds, mean loss of the largest network and of the sampled ones). Runs
    on the device of ``x`` (``net`` there too)."""
    x, y = train
    n, structure, largest = len(y), net.structure, net.structure.largest()
    generator = torch.Generator().manual_seed(int(options.seed))
    rng = np.random.default_rng(options.seed)
    history = []
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        torch.manual_seed(int(options.seed))
        for phase in phases:
            start = time.perf_counter()
            if phase.width > 1:
                net.sort_channels()
            opt = torch.optim.Adam(net.parameters(), lr=phase.lr, weight_decay=options.weight_decay)
            steps = phase.epochs * math.ceil(n / options.batch_size)
            schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 * (1 + math.cos(math.pi * k / max(1, steps))))
            big_losses, sub_losses = [], []
            net.train()
            shown = bar(steps, f"OFA phase {phase.stage}", "batch")
            for _ in range(phase.epochs):
                for idx in torch.randperm(n, generator=generator).to(x.device).split(options.batch_size):
                    xb, yb = x[idx], y[idx]
                    opt.zero_grad(set_to_none=True)
                    logits = net.run(xb, largest)
                    loss = F.cross_entropy(logits, yb)
                    loss.backward()
                    big_losses.append(float(loss.detach()))
                    for _ in range(phase.subnets):
                        out = net.run(xb, structure.sample(rng, phase.opened()))
                        sub = F.cross_entropy(out, yb) + options.kd_ratio * kd_loss(out, logits)
                        sub.backward()
                        sub_losses.append(float(sub.detach()))
                    if not math.isfinite(big_losses[-1]):
                        raise NasLabError(f"supernet training diverged in phase {phase.stage!r} (loss {big_losses[-1]})")
                    torch.nn.utils.clip_grad_norm_(net.parameters(), options.grad_clip)
                    opt.step()
                    schedule.step()
                    shown.update()
            shown.close()
            record = {"stage": phase.stage, "seconds": round(time.perf_counter() - start, 3),
                      "largest_loss": float(np.mean(big_losses)) if big_losses else math.nan,
                      "subnet_loss": float(np.mean(sub_losses)) if sub_losses else math.nan}
            history.append(record)
            if log is not None:
                log(phase_line(phase, record))
    net.eval()
    return history
