"""Microcontroller costs of a DynamicNet (NanoNAS's two limits), computed from the layer graph's
shapes alone: no forward pass, no weights read.

``flash_bytes(net, bits=8)``: parameter storage for deployment.

* conv and linear weights at ``bits`` (8: int8 weights, as on a microcontroller; 16; 32: float32);
* biases at 32 bits whatever ``bits`` is (an int8 deployment keeps int32 biases, TFLite Micro's
  convention; float models keep them as accumulators do);
* a batch-norm directly after a conv or linear layer that feeds nothing else is folded into that
  layer's weights and bias (as deployment converters do) and costs nothing; any other batch-norm
  is stored as a per-channel scale and shift, counted like biases (2 x 32 bits per channel);
* quantisation scales, zero points and the graph description are not counted.

``peak_activation_bytes(net, bits=8)``: the largest total size of the tensors alive at the same
time during one batch-1 forward pass, each element at ``bits``. Layers run in the network's
execution order (``DynamicNet.order``); a tensor (the input included) is alive from the layer
that produces it until its last consumer has run, so a layer's input and output are alive
together and a skip connection keeps its block input alive until the ``add``. Element-wise layers
(activations, dropout and batch-norm at inference, flatten) write into their input's buffer when
they are its last consumer, so they add nothing; conv, linear, pooling, add and concat write a new
buffer. The network's output counts like any other tensor.

Both accept a ``DynamicNet`` or a ``LayerGraph`` (the same analysis without building modules).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

from nasbench_lab.errors import NasLabError

from .layers import Activationcfg, BatchNormcfg, Convcfg, Dropoutcfg, Flattencfg, LayerCfg, Linearcfg, Shape
from .net import analyse

#: Precisions (bits per weight or activation) the counts take.
BITS = (8, 16, 32)
#: Bits per bias (and per unfolded batch-norm scale or shift).
BIAS_BITS = 32
#: Layers that may reuse their input's buffer (element-wise at inference).
IN_PLACE = (Activationcfg, Dropoutcfg, BatchNormcfg, Flattencfg)


class Graph(Protocol):
    """What the counts read: a ``DynamicNet`` or a ``LayerGraph``."""

    nodes: Sequence[LayerCfg]
    order: Sequence[int]
    preds: Sequence[Sequence[int]]
    shapes: Sequence[Shape]


@dataclass(frozen=True)
class LayerGraph:
    """A layer graph's nodes, execution order, predecessors and output shapes (no modules)."""

    nodes: tuple[LayerCfg, ...]
    order: tuple[int, ...]
    preds: tuple[tuple[int, ...], ...]
    shapes: tuple[Shape, ...]

    @classmethod
    def of(cls, nodes: Sequence[LayerCfg], edges: Sequence[tuple[int, int]]) -> "LayerGraph":
        order, preds, shapes, _ = analyse(nodes, edges)
        return cls(tuple(nodes), tuple(order), tuple(map(tuple, preds)), tuple(shapes))


def check_bits(bits: object, what: str = "bits") -> int:
    """``bits`` if it is one of ``BITS``, else a ``NasLabError`` naming ``what``."""
    if isinstance(bits, bool) or bits not in BITS:
        raise NasLabError(f"{what} must be one of {', '.join(map(str, BITS))}, got {bits!r}")
    return int(bits)  # type: ignore[call-overload]


def _consumers(g: Graph) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in g.nodes]
    for i, ps in enumerate(g.preds):
        for p in ps:
            out[p].append(i)
    return out


def folded_norms(g: Graph) -> set[int]:
    """Batch-norm nodes that fold into the conv or linear layer before them (its only consumer)."""
    consumers = _consumers(g)
    return {i for i, cfg in enumerate(g.nodes)
            if isinstance(cfg, BatchNormcfg) and isinstance(g.nodes[g.preds[i][0]], (Convcfg, Linearcfg))
            and consumers[g.preds[i][0]] == [i]}


def flash_bytes(net: Graph, bits: int = 8) -> int:
    """Parameter storage in bytes: weights at ``bits``, biases and unfolded batch-norms at 32 bits."""
    bits = check_bits(bits)
    folded = folded_norms(net)
    total_bits = 0
    for i, cfg in enumerate(net.nodes):
        ins = [net.shapes[p] for p in net.preds[i]]
        if isinstance(cfg, (Convcfg, Linearcfg)):
            channels = net.shapes[i][0]
            total_bits += (cfg.param_count(ins, net.shapes[i]) - channels) * bits + channels * BIAS_BITS
        elif isinstance(cfg, BatchNormcfg) and i not in folded:
            total_bits += cfg.param_count(ins, net.shapes[i]) * BIAS_BITS
    return total_bits // 8


def peak_activation_bytes(net: Graph, bits: int = 8) -> int:
    """The largest total size in bytes of the tensors alive together over a batch-1 forward pass."""
    bits = check_bits(bits)
    last_use = {p: step for step, i in enumerate(net.order) for p in net.preds[i]}
    alive: dict[int, int] = {}  # node -> bytes of its output tensor
    peak = 0
    for step, i in enumerate(net.order):
        preds = net.preds[i]
        size = math.prod(net.shapes[i]) * bits // 8
        reuses = isinstance(net.nodes[i], IN_PLACE) and last_use[preds[0]] == step
        peak = max(peak, sum(alive.values()) + (0 if reuses else size))
        for p in preds:
            if last_use[p] == step:
                del alive[p]
        alive[i] = size
    return peak


def device_costs(net: Graph, flash_bits: int = 8, activation_bits: int = 8) -> dict[str, float]:
    """``flash_kb`` and ``peak_kb`` (KiB) in the cost vocabulary."""
    return {"flash_kb": flash_bytes(net, flash_bits) / 1024, "peak_kb": peak_activation_bytes(net, activation_bits) / 1024}
