"""Using a trained supernet as a ranker: BN statistics recalibration, inherited-weight accuracy,
and the best architectures by slot probabilities."""
from __future__ import annotations

import heapq
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from nasbench_lab.core.space import Arch

from nasbench_lab.supernet.provider import Supernet


def batch_norms(net: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recalibrate_bn(net: Supernet, weights: Sequence[torch.Tensor], inputs: torch.Tensor,
                   batch_size: int = 128) -> None:
    """Reset every BatchNorm's running statistics and re-estimate them (cumulative average) on
    ``inputs`` with the path ``weights``, so an inherited-weight evaluation uses statistics of
    that architecture, not of the mixture the supernet was trained on."""
    norms = batch_norms(net)
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    for chunk in inputs.split(batch_size):
        net(chunk, weights)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


@torch.no_grad()
def accuracy(net: Supernet, weights: Sequence[torch.Tensor], data: tuple, batch_size: int = 256) -> float:
    """Top-1 accuracy (%) in eval mode on ``data`` = (inputs, labels)."""
    net.eval()
    x, y = data
    correct = sum(int((net(xb, weights).argmax(1) == yb).sum()) for xb, yb in zip(x.split(batch_size),
                                                                               y.split(batch_size)))
    return 100.0 * correct / max(len(y), 1)


def inherited_accuracy(net: Supernet, arch: Arch, valid: tuple, recalibration: torch.Tensor,
                       batch_size: int = 256) -> float:
    """Validation accuracy (%) of ``arch`` with the supernet's weights, BN recalibrated on
    ``recalibration`` inputs first."""
    device = net.device()
    weights = net.arch_weights(arch)
    recalibrate_bn(net, weights, recalibration.to(device), batch_size)
    return accuracy(net, weights, (valid[0].to(device), valid[1].to(device)), batch_size)


def sample_paths(net: Supernet, rng: np.random.Generator, count: int, tries: int = 20) -> list[Arch]:
    """Up to ``count`` distinct architectures, each a path of ``net`` with every slot's choice
    uniform from ``rng`` (at most ``tries * count`` draws, so a small supernet ends early)."""
    pool: list[Arch] = []
    seen: set[Arch] = set()
    for _ in range(tries * count):
        arch = net.arch_of([int(rng.integers(n)) for n in net.slots()])
        if arch not in seen:
            seen.add(arch)
            pool.append(arch)
        if len(pool) == count:
            break
    return pool


def best_choices(scores: Sequence[np.ndarray], allowed: Sequence[Sequence[int]]) -> Iterator[tuple[int, ...]]:
    """Choice tuples in decreasing order of total score (a sum over independent slots, e.g. log
    probabilities), restricted to ``allowed[s]`` in slot ``s``: a lazy best-first enumeration
    (ties broken by choice order, so the order is deterministic)."""
    ranked = [sorted(allowed[s], key=lambda c, s=s: (-scores[s][c], c)) for s in range(len(scores))]
    start = (0,) * len(ranked)

    def total(ranks: tuple[int, ...]) -> float:
        return float(sum(scores[s][ranked[s][r]] for s, r in enumerate(ranks)))

    heap, seen = [(-total(start), start)], {start}
    while heap:
        _, ranks = heapq.heappop(heap)
        yield tuple(ranked[s][r] for s, r in enumerate(ranks))
        for s in range(len(ranks)):
            if ranks[s] + 1 < len(ranked[s]):
                nxt = ranks[:s] + (ranks[s] + 1,) + ranks[s + 1:]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (-total(nxt), nxt))
