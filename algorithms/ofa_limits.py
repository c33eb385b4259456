"""Device limits on OFA sub-networks, in the cost vocabulary (``nasbench_lab.core.costs``): upper
bounds on the costs of a configuration's standalone ``DynamicNet``.

A limit bounds one cost of the configuration's architecture, computed by the functions the
``dynamicnet`` benchmark's costs come from; the ``ofa`` hyper-parameter that sets it is
``LIMITS[name]`` (its value divided by the scale: ``max_params`` counts parameters, ``params_m``
is in millions):

==============  ==================  ==========================================================
cost            hyper-parameter     computed by
==============  ==================  ==========================================================
``params_m``    ``max_params``      ``DynamicNetSpace.param_count(arch)`` / 1e6 (trainable
                                    parameters, as ``DynamicNet.param_count()``, without
                                    building the net)
``flops_m``     ``max_flops_m``     ``DynamicNet.macs()`` / 1e6 (multiply-accumulates, one sample)
``latency_ms``  ``max_latency_ms``  ``nasbench_lab.live.measure_latency`` (median, batch 1, this CPU)
``peak_kb``     ``max_peak_kb``     ``costs.peak_activation_bytes`` / 1024 (activations at ``BITS``)
``flash_kb``    ``max_flash_kb``    ``costs.flash_bytes`` / 1024 (weights at ``BITS``, biases at 32)
==============  ==================  ==========================================================

``BITS`` is 8, the benchmark's default ``flash_bits`` / ``activation_bits``; for other precisions
bound the benchmark's own cost with a constraint of the run (``peak<=...``) and the benchmark
option ``dynamicnet.activation_bits=16``, which ``ofa`` honours too. A limit of 0 means none.
Costs are computed once per architecture (latency too: the value a decision was made on is the
value reported); params, peak and flash come from the layer shapes, the network is built
(untrained) only for flops and latency.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from nasbench_lab.adapters.dynamicnet.blocks import Net
from nasbench_lab.adapters.dynamicnet.costs import LayerGraph, flash_bytes, peak_activation_bytes
from nasbench_lab.adapters.dynamicnet.net import DynamicNet
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.errors import NasLabError
from nasbench_lab.live import measure_latency

#: limit hyper-parameter of ``ofa`` -> (cost it bounds, scale: bound = value / scale)
LIMITS: dict[str, tuple[str, float]] = {"max_params": ("params_m", 1e6), "max_flops_m": ("flops_m", 1.0),
                                        "max_latency_ms": ("latency_ms", 1.0), "max_peak_kb": ("peak_kb", 1.0),
                                        "max_flash_kb": ("flash_kb", 1.0)}
#: the costs a limit can bound
COSTS = tuple(cost for cost, _ in LIMITS.values())
#: Precision of weights and activations in ``flash_kb`` and ``peak_kb``.
BITS = 8
#: Costs read from the layer shapes; the others need the built network.
SHAPE_COSTS = ("params_m", "peak_kb", "flash_kb")


def _shape_costs(space: DynamicNetSpace, arch: Net, names) -> dict[str, float]:
    if not names:
        return {}
    graph = LayerGraph.of(*space.to_layers(arch))
    every = {"params_m": lambda: space.param_count(arch) / 1e6,
             "peak_kb": lambda: peak_activation_bytes(graph, BITS) / 1024,
             "flash_kb": lambda: flash_bytes(graph, BITS) / 1024}
    return {c: every[c]() for c in names}


def _net_costs(latency_repeats: int) -> dict[str, Callable[[DynamicNet], float]]:
    def latency(net: DynamicNet) -> float:
        return measure_latency(net, torch.zeros(1, *net.input_shape), latency_repeats)

    return {"flops_m": lambda net: net.macs() / 1e6, "latency_ms": latency}


def limit_bounds(values: Mapping[str, float]) -> dict[str, float]:
    """``{cost: bound}`` of the limit hyper-parameters ``values`` (``{"max_params": 15000}`` ->
    ``{"params_m": 0.015}``; 0 = none, left out)."""
    unknown = sorted(set(values) - set(LIMITS))
    if unknown:
        raise NasLabError(f"unknown limit {unknown[0]!r}; limits: {', '.join(LIMITS)}")
    return {LIMITS[k][0]: v / LIMITS[k][1] for k, v in values.items() if v}


class Limits:
    """Upper bounds on costs (``{cost: bound}`` in the cost vocabulary, 0 = none) checked on
    architectures of ``space``; ``costs(arch)`` and ``feasible(arch)`` compute them once per
    architecture."""

    def __init__(self, space: DynamicNetSpace, bounds: Mapping[str, float], *, latency_repeats: int = 20) -> None:
        unknown = sorted(set(bounds) - set(COSTS))
        if unknown:
            raise NasLabError(f"no limit on cost {unknown[0]!r}; limits bound: {', '.join(COSTS)}")
        self.space = space
        self.bounds = {c: float(v) for c, v in bounds.items() if v}
        self._functions = {c: f for c, f in _net_costs(latency_repeats).items() if c in self.bounds}
        self._cache: dict[Net, dict[str, float]] = {}

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def costs(self, arch: Net) -> dict[str, float]:
        """The bounded costs of ``arch``."""
        found = self._cache.get(arch)
        if found is None:
            found = _shape_costs(self.space, arch, [c for c in SHAPE_COSTS if c in self.bounds])
            if self._functions:
                with torch.no_grad():
                    net = self.space.build(arch, seed=0)
                    found.update({c: float(f(net)) for c, f in self._functions.items()})
            self._cache[arch] = found
        return dict(found)

    def feasible(self, arch: Net) -> bool:
        return all(v <= self.bounds[c] for c, v in self.costs(arch).items())

    def describe(self) -> str:
        return ", ".join(f"{c}<={v:g}" for c, v in self.bounds.items()) or "none"
