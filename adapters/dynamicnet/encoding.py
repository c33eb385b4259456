"""Layer graphs in the common graph form (``ArchGraph``) and back.

``encode_layers`` stacks the nodes' rows (``LayerCfg.row``: one-hot type over ``VOCAB``, then
the normalised ``PARAMS``); ``decode_layers`` rebuilds the layer configurations from the rows,
matching columns by name.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph

from .layers import (
    ACTIVATIONS,
    MERGES,
    PARAMS,
    SCALES,
    VOCAB,
    Activationcfg,
    BatchNormcfg,
    Convcfg,
    Dropoutcfg,
    Flattencfg,
    Inputcfg,
    LayerCfg,
    Linearcfg,
    Mergecfg,
    Poolcfg,
)


#: Node type -> how to rebuild its configuration from the un-normalised parameter values.
def _from_values(op: str, v: dict[str, float]) -> LayerCfg:
    def whole(name: str) -> int:
        value = v[name]
        rounded = int(round(value))
        if abs(value - rounded) > 1e-3:
            raise ArchError(f"a {op} node has a non-integer {name} ({value:g})")
        return rounded

    if op == "input":
        c, h, w = whole("units"), whole("height"), whole("width")
        return Inputcfg((c,) if h == 0 and w == 0 else (c, w) if h == 0 else (c, h, w))
    if op == "linear":
        return Linearcfg(whole("units"))
    if op == "conv":
        return Convcfg(whole("units"), whole("kernel"), whole("stride"), whole("padding"))
    if op in ("maxpool", "avgpool"):
        return Poolcfg(op[:3], whole("kernel"), whole("stride"))
    if op == "batchnorm":
        return BatchNormcfg()
    if op == "dropout":
        return Dropoutcfg(v["p"])
    if op in ACTIVATIONS:
        return Activationcfg(op)
    if op == "flatten":
        return Flattencfg()
    if op in MERGES:
        return Mergecfg(op)
    raise ArchError(f"unknown layer type {op!r}")


def encode_layers(nodes: Sequence[LayerCfg], edges: Sequence[tuple[int, int]]) -> ArchGraph:
    """The layer graph in the common form: ``x`` has one row per node (``LayerCfg.row``),
    ``edge_index`` the edges in the given order."""
    x = np.stack([cfg.row() for cfg in nodes]) if nodes else np.zeros((0, len(VOCAB) + len(PARAMS)), np.float32)
    edge_index = np.array(list(edges), dtype=np.int64).reshape(-1, 2).T
    return ArchGraph(edge_index, x, VOCAB, PARAMS)


def decode_layers(graph: ArchGraph) -> tuple[list[LayerCfg], list[tuple[int, int]]]:
    """Inverse of ``encode_layers``. Columns are matched by name, so a graph whose vocabulary
    is a reordering or a subset of ``VOCAB`` decodes too."""
    unknown = [c for c in graph.vocab if c not in VOCAB]
    if unknown:
        raise ArchError(f"unknown layer type(s) {', '.join(unknown)} in the graph vocabulary")
    missing = [p for p in PARAMS if p not in graph.params]
    if missing:
        raise ArchError(f"the graph lacks parameter column(s) {', '.join(missing)}")
    ops = graph.ops()
    nodes = []
    for n, op in enumerate(ops):
        v = {p: float(graph.param(p)[n]) * SCALES[p] for p in PARAMS}
        try:
            nodes.append(_from_values(op, v))
        except ArchError as exc:
            raise ArchError(f"node {n}: {exc}") from None
    edges = [(int(s), int(t)) for s, t in graph.edge_index.T]
    return nodes, edges
