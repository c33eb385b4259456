"""Device limits on sub-networks: the costs of a configuration's standalone ``DynamicNet``.

A limit bounds one cost of the network built (untrained) from the configuration's architecture:

=================  ==========  ===========================================================
limit              cost        computed by
=================  ==========  ===========================================================
``max_params``     params      ``DynamicNetSpace.param_count(arch)`` (trainable parameters, as
                               ``DynamicNet.param_count()`` counts them, without building the net)
``max_flops_m``    flops_m     ``DynamicNet.macs()`` / 1e6 (multiply-accumulates, one sample)
``max_latency_ms`` latency_ms  ``nasbench_lab.live.measure_latency`` (median, batch 1, this CPU)
``max_peak_kb``    peak_kb     ``costs.peak_activation_bytes(net)`` / 1024 (the ``dynamicnet`` cost)
``max_flash_kb``   flash_kb    ``costs.flash_bytes(net)`` / 1024 (parameters at 8 bits)
=================  ==========  ===========================================================

A limit of 0 means none. Costs are computed once per architecture (latency too: the value a
decision was made on is the value reported); the network is built (untrained) only for the costs
that need it.
"""
from __future__ import annotations

import importlib
from typing import Callable, Mapping

import torch

from nasbench_lab.errors import NasLabError
from nasbench_lab.live import measure_latency

from ..blocks import Net
from ..net import DynamicNet
from ..space import DynamicNetSpace

#: limit (hyper-parameter) name -> cost name
LIMITS: dict[str, str] = {"max_params": "params", "max_flops_m": "flops_m", "max_latency_ms": "latency_ms",
                          "max_peak_kb": "peak_kb", "max_flash_kb": "flash_kb"}


def _device_costs():
    """``adapters/dynamicnet/costs.py`` (flash and peak-activation counts), or a one-line error."""
    try:
        return importlib.import_module("nasbench_lab.adapters.dynamicnet.costs")
    except ModuleNotFoundError:
        raise NasLabError("the peak_kb and flash_kb limits need nasbench_lab.adapters.dynamicnet.costs "
                          "(flash_bytes, peak_activation_bytes), which this installation lacks") from None


def _cost_functions(latency_repeats: int) -> dict[str, Callable[[DynamicNet], float]]:
    def latency(net: DynamicNet) -> float:
        return measure_latency(net, torch.zeros(1, *net.input_shape), latency_repeats)

    return {
        "flops_m": lambda net: net.macs() / 1e6,
        "latency_ms": latency,
        "peak_kb": lambda net: _device_costs().peak_activation_bytes(net) / 1024,
        "flash_kb": lambda net: _device_costs().flash_bytes(net) / 1024,
    }


class Limits:
    """Upper limits on costs (``{limit name: value}``, 0 = none) checked on architectures of
    ``space``; ``costs(arch)`` and ``feasible(arch)`` build the network once per architecture."""

    def __init__(self, space: DynamicNetSpace, values: Mapping[str, float], *, latency_repeats: int = 20) -> None:
        unknown = sorted(set(values) - set(LIMITS))
        if unknown:
            raise NasLabError(f"unknown limit {unknown[0]!r}; limits: {', '.join(LIMITS)}")
        self.space = space
        self.bounds = {LIMITS[k]: float(v) for k, v in values.items() if v}
        self._functions = {c: f for c, f in _cost_functions(latency_repeats).items() if c in self.bounds}
        if {"peak_kb", "flash_kb"} & set(self.bounds):
            _device_costs()
        self._cache: dict[Net, dict[str, float]] = {}

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def costs(self, arch: Net) -> dict[str, float]:
        """The bounded costs of ``arch``."""
        found = self._cache.get(arch)
        if found is None:
            found = {"params": float(self.space.param_count(arch))} if "params" in self.bounds else {}
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
