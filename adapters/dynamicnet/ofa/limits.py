"""Device limits on sub-networks: the costs of a configuration's standalone ``DynamicNet``.

A limit bounds one cost of the configuration's architecture, computed by the functions the
``dynamicnet`` benchmark's costs come from:

=================  ==========  ===========================================================
limit              cost        computed by
=================  ==========  ===========================================================
``max_params``     params      ``DynamicNetSpace.param_count(arch)`` (trainable parameters, as
                               ``DynamicNet.param_count()`` counts them, without building the net)
``max_flops_m``    flops_m     ``DynamicNet.macs()`` / 1e6 (multiply-accumulates, one sample)
``max_latency_ms`` latency_ms  ``nasbench_lab.live.measure_latency`` (median, batch 1, this CPU)
``max_peak_kb``    peak_kb     ``costs.peak_activation_bytes`` / 1024 (activations at ``BITS``)
``max_flash_kb``   flash_kb    ``costs.flash_bytes`` / 1024 (weights at ``BITS``, biases at 32)
=================  ==========  ===========================================================

``BITS`` is 8, the benchmark's default ``flash_bits`` / ``activation_bits``; for other precisions
bound the benchmark's own cost with ``--constraint peak<=...`` and ``--benchmark-option
dynamicnet.activation_bits=16``, which ``ofa`` honours too. A limit of 0 means none. Costs are
computed once per architecture (latency too: the value a decision was made on is the value
reported); params, peak and flash come from the layer shapes, the network is built (untrained)
only for flops and latency.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from nasbench_lab.errors import NasLabError
from nasbench_lab.live import measure_latency

from ..blocks import Net
from ..costs import LayerGraph, flash_bytes, peak_activation_bytes
from ..net import DynamicNet
from ..space import DynamicNetSpace

#: limit (hyper-parameter) name -> cost name
LIMITS: dict[str, str] = {"max_params": "params", "max_flops_m": "flops_m", "max_latency_ms": "latency_ms",
                          "max_peak_kb": "peak_kb", "max_flash_kb": "flash_kb"}
#: Precision of weights and activations in ``flash_kb`` and ``peak_kb``.
BITS = 8
#: Costs read from the layer shapes; the others need the built network.
SHAPE_COSTS = ("params", "peak_kb", "flash_kb")


def _shape_costs(space: DynamicNetSpace, arch: Net, names) -> dict[str, float]:
    if not names:
        return {}
    graph = LayerGraph.of(*space.to_layers(arch))
    every = {"params": lambda: float(space.param_count(arch)),
             "peak_kb": lambda: peak_activation_bytes(graph, BITS) / 1024,
             "flash_kb": lambda: flash_bytes(graph, BITS) / 1024}
    return {c: every[c]() for c in names}


def _net_costs(latency_repeats: int) -> dict[str, Callable[[DynamicNet], float]]:
    def latency(net: DynamicNet) -> float:
        return measure_latency(net, torch.zeros(1, *net.input_shape), latency_repeats)

    return {"flops_m": lambda net: net.macs() / 1e6, "latency_ms": latency}


class Limits:
    """Upper limits on costs (``{limit name: value}``, 0 = none) checked on architectures of
    ``space``; ``costs(arch)`` and ``feasible(arch)`` compute them once per architecture."""

    def __init__(self, space: DynamicNetSpace, values: Mapping[str, float], *, latency_repeats: int = 20) -> None:
        unknown = sorted(set(values) - set(LIMITS))
        if unknown:
            raise NasLabError(f"unknown limit {unknown[0]!r}; limits: {', '.join(LIMITS)}")
        self.space = space
        self.bounds = {LIMITS[k]: float(v) for k, v in values.items() if v}
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
