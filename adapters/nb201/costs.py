"""Parameters and FLOPs of every NAS-Bench-201 cell, from the network skeleton of
``adapters/nb201/network.py`` (with BatchNorm, as trained).

Every cell edge runs at the stage's channel count and stride 1, so an operation costs the same
on every edge and the cost of a network is additive: ``cost(cell) = cost(all-none network) +
sum over the 6 edges of inc(op)``, where ``inc(op) = (cost(network with op on every edge) -
cost(all-none network)) / 6``. The five reference networks are built and counted (parameters:
every parameter, BatchNorm affine included; FLOPs: multiply-accumulates of Conv2d and Linear
for one image, bias additions included); the tests check the sum against counting the real
network of sampled cells. This reproduces NAS-Bench-201's ranges exactly, e.g. CIFAR-10
params 0.073306 to 1.531546 M (NAS-Bench-201 prints "MB"; they are millions of parameters) and
FLOPs 7.78305 to 220.11969 M. Cost names: ``params_m``, ``flops_m`` (``nasbench_lab.core.costs``).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from nasbench_lab.core.benchmark import resolve_dataset
from nasbench_lab.core.costs import count_flops, count_params

from .network import DATASETS, nb201_network
from .space import EDGES, OPS, NB201Space

COSTS = ("params_m", "flops_m")


def count(net, input_size: int) -> tuple[int, int]:
    """(parameters, FLOPs) of a network, counted on the module."""
    return count_params(net), count_flops(net, (1, 3, input_size, input_size))


@lru_cache(maxsize=None)
def op_costs(dataset: str) -> tuple[tuple[int, int], dict[str, tuple[int, int]]]:
    """``(base, inc)``: (params, FLOPs) of the all-``none`` network, and per operation the
    (params, FLOPs) it adds on one edge of every cell."""
    size = DATASETS[dataset][1]
    base = count(nb201_network(("none",) * len(EDGES), dataset), size)
    inc = {}
    for op in OPS:
        total = count(nb201_network((op,) * len(EDGES), dataset), size)
        diff = (total[0] - base[0], total[1] - base[1])
        if diff[0] % len(EDGES) or diff[1] % len(EDGES):
            raise AssertionError(f"costs of {op} are not additive over edges: {diff}")
        inc[op] = (diff[0] // len(EDGES), diff[1] // len(EDGES))
    return base, inc


@lru_cache(maxsize=None)
def _arrays(dataset: str) -> dict[str, np.ndarray]:
    base, inc = op_costs(dataset)
    space = NB201Space()
    digits = np.array([space.arch_at(i) for i in range(space.size)], dtype=np.int64)  # (15625, 6)
    p_inc = np.array([inc[op][0] for op in OPS], dtype=np.int64)
    f_inc = np.array([inc[op][1] for op in OPS], dtype=np.int64)
    params = base[0] + p_inc[digits].sum(axis=1)
    flops = base[1] + f_inc[digits].sum(axis=1)
    out = {"params_m": params / 1e6, "flops_m": flops / 1e6}
    for arr in out.values():
        arr.setflags(write=False)
    return out


def cost_arrays(dataset: str) -> dict[str, np.ndarray]:
    """``{"params_m", "flops_m"}``: arrays indexed by ``NB201Space`` index (parameters in
    millions, FLOPs in millions) for cifar10, cifar100 or ImageNet16-120 (aliases accepted)."""
    return dict(_arrays(resolve_dataset(dataset, tuple(DATASETS), "nb201 costs")))


def cell_costs(cell, dataset: str = "cifar10") -> dict[str, float]:
    """Costs of one cell (op-index tuple or official string)."""
    space = NB201Space()
    arch = space.parse(cell) if isinstance(cell, str) else cell
    i = space.index(arch)
    return {k: float(v[i]) for k, v in cost_arrays(dataset).items()}
