"""``DynamicNet``: a PyTorch network built from a sequence or a DAG of layer configurations.

Weights as one vector: ``get_flat_weights()`` concatenates, in ``state_dict`` order, every
parameter and floating-point buffer (batch-norm running means and variances, so a loaded
network computes exactly what the saved one did in eval mode); integer buffers
(``num_batches_tracked``) are left out. ``set_flat_weights(v)`` is the inverse.

``save(path)`` writes an ``.npz`` with ``A`` (edge_index, int64 (2, E)), ``X`` (node rows,
float32 (N, F)), ``W`` (the flat weights), ``format_version``, and the column names of ``X``
(``vocab``, ``params``). ``load(path)`` rebuilds the network from ``A`` and ``X`` alone and loads
``W`` bit for bit.
"""
from __future__ import annotations

import heapq
import os
import zipfile
import zlib
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nasbench_lab.errors import ArchError, NasLabError
from nasbench_lab.core.graph import ArchGraph

from .encoding import decode_layers, encode_layers
from .layers import Inputcfg, LayerCfg, Shape, ShapeError

FORMAT_VERSION = 1


class WeightsError(NasLabError, ValueError):
    """A weight vector that does not fit the network (wrong length or shape)."""


class NetFileError(NasLabError):
    """A DynamicNet ``.npz`` file that is missing, unreadable, or inconsistent."""


def _adjacency(n: int, edges: Sequence[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Each node's predecessors (ascending) and successors; ``ArchError`` for a bad edge."""
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    seen = set()
    for s, t in edges:
        s, t = int(s), int(t)
        if not (0 <= s < n and 0 <= t < n):
            raise ArchError(f"edge {s}->{t} refers to a node outside 0..{n - 1}")
        if s == t or (s, t) in seen:
            raise ArchError(f"edge {s}->{t} is a self-loop or repeated")
        seen.add((s, t))
        preds[t].append(s)
        succs[s].append(t)
    for p in preds:
        p.sort()
    return preds, succs


def _check_inputs(nodes: Sequence[LayerCfg], preds: list[list[int]]) -> None:
    """One input node without inputs; every other node fed, by several only if it merges."""
    inputs = [i for i, cfg in enumerate(nodes) if isinstance(cfg, Inputcfg)]
    if len(inputs) != 1:
        raise ArchError(f"a network needs exactly one Inputcfg node, got {len(inputs)}")
    for i, cfg in enumerate(nodes):
        if not isinstance(cfg, LayerCfg):
            raise ArchError(f"node {i} is not a layer configuration: {cfg!r}")
        k = len(preds[i])
        if isinstance(cfg, Inputcfg):
            if k:
                raise ArchError(f"the input node {i} cannot have incoming edges")
        elif k == 0:
            raise ArchError(f"node {i} ({cfg.op}) has no input")
        elif k > 1 and not cfg.merges:
            raise ArchError(f"node {i} ({cfg.op}) has {k} inputs: only merge nodes (add, concat) take several")


def _topological_order(preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    """Kahn's algorithm, smallest ready index first: a deterministic order; ``ArchError`` on a cycle."""
    n = len(preds)
    indegree = [len(p) for p in preds]
    ready = [i for i in range(n) if indegree[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in succs[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != n:
        stuck = sorted(set(range(n)) - set(order))
        raise ArchError(f"the layer graph has a cycle through nodes {', '.join(map(str, stuck))}")
    return order


def analyse(
    nodes: Sequence[LayerCfg], edges: Sequence[tuple[int, int]]
) -> tuple[list[int], list[list[int]], list[Shape], int]:
    """Check a layer DAG and infer its shapes.

    Returns the topological order (smallest index first among ready nodes), each node's
    predecessors (ascending), each node's output shape and the output node. Raises
    ``ArchError`` for a malformed graph and ``ShapeError`` for shapes that cannot work.
    """
    n = len(nodes)
    if n == 0:
        raise ArchError("a network needs at least an input node")
    preds, succs = _adjacency(n, edges)
    _check_inputs(nodes, preds)
    order = _topological_order(preds, succs)
    sinks = [i for i in range(n) if not succs[i]]
    if len(sinks) != 1:
        raise ArchError(f"a network must end in one output node; nodes {', '.join(map(str, sinks))} have no successor")
    shapes: list[Shape] = [()] * n
    for i in order:
        try:
            shapes[i] = tuple(nodes[i].out_shape([shapes[p] for p in preds[i]]))
        except ShapeError as exc:
            raise ShapeError(f"node {i} ({nodes[i].op}): {exc}") from None
    return order, preds, shapes, sinks[0]


def _chain(layers: Sequence[LayerCfg], input_shape) -> tuple[list[LayerCfg], list[tuple[int, int]]]:
    nodes = list(layers)
    if input_shape is not None:
        if nodes and isinstance(nodes[0], Inputcfg):
            raise ArchError("give either input_shape or a leading Inputcfg, not both")
        nodes = [Inputcfg(tuple(input_shape))] + nodes
    elif not nodes or not isinstance(nodes[0], Inputcfg):
        raise ArchError("a layer sequence needs input_shape=... or an Inputcfg first")
    return nodes, [(i, i + 1) for i in range(len(nodes) - 1)]


class DynamicNet(nn.Module):
    """A network from layer configurations.

    ``DynamicNet(layers, input_shape=(64,))``: a sequence (an ``Inputcfg`` is put first);
    ``DynamicNet(layers)`` with ``layers[0]`` an ``Inputcfg``: a sequence too;
    ``DynamicNet(nodes, edges)``: a DAG; ``edges`` are ``(source, target)`` node indices, merge
    nodes (``Mergecfg``) take several inputs, one node must be an ``Inputcfg`` and exactly one
    node (the output) has no successor. ``seed`` initialises the weights from that seed without
    touching torch's global random state.
    """

    def __init__(
        self,
        layers: Sequence[LayerCfg],
        edges: Sequence[tuple[int, int]] | None = None,
        *,
        input_shape: Sequence[int] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if edges is None:
            nodes, edges = _chain(layers, input_shape)
        else:
            nodes, edges = list(layers), [(int(s), int(t)) for s, t in edges]
            if input_shape is not None:
                raise ArchError("with explicit edges, put the Inputcfg among the nodes instead of input_shape")
        self.nodes: tuple[LayerCfg, ...] = tuple(nodes)
        self.edges: tuple[tuple[int, int], ...] = tuple(edges)
        self.order, self.preds, self.shapes, self.output = analyse(self.nodes, self.edges)
        self.input_node = next(i for i, c in enumerate(self.nodes) if isinstance(c, Inputcfg))
        last_use: dict[int, int] = {}
        for step, i in enumerate(self.order):
            for p in self.preds[i]:
                last_use[p] = step
        self._free_after = [[p for p in self.preds[i] if last_use[p] == step] for step, i in enumerate(self.order)]
        if seed is None:
            self._build()
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                self._build()

    def _build(self) -> None:
        self.layers = nn.ModuleList(
            [cfg.module([self.shapes[p] for p in self.preds[i]]) or nn.Identity() for i, cfg in enumerate(self.nodes)]
        )

    # -- shapes and costs --------------------------------------------------------------------
    @property
    def input_shape(self) -> Shape:
        return self.shapes[self.input_node]

    @property
    def output_shape(self) -> Shape:
        return self.shapes[self.output]

    def param_count(self) -> int:
        """Trainable parameters."""
        return sum(cfg.param_count([self.shapes[p] for p in self.preds[i]], self.shapes[i]) for i, cfg in enumerate(self.nodes))

    def macs(self) -> int:
        """Multiply-accumulate operations of linear and conv layers for one sample."""
        return sum(cfg.macs([self.shapes[p] for p in self.preds[i]], self.shapes[i]) for i, cfg in enumerate(self.nodes))

    # -- forward -----------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(f"input of shape {tuple(x.shape)} does not match (batch, {', '.join(map(str, self.input_shape))})")
        values: dict[int, torch.Tensor] = {}
        for step, i in enumerate(self.order):
            cfg = self.nodes[i]
            if i == self.input_node:
                out = x
            else:
                ins = [values[p] for p in self.preds[i]]
                op = cfg.op
                if op == "add":
                    out = ins[0]
                    for t in ins[1:]:
                        out = out + t
                elif op == "concat":
                    out = torch.cat(ins, dim=1)
                elif op == "flatten":
                    out = ins[0].flatten(1)
                else:
                    out = self.layers[i](ins[0])
            values[i] = out
            for p in self._free_after[step]:
                del values[p]
        return values[self.output]

    # -- graph form --------------------------------------------------------------------------
    def to_graph(self) -> ArchGraph:
        return encode_layers(self.nodes, self.edges)

    @classmethod
    def from_graph(cls, graph: ArchGraph, *, seed: int | None = None) -> "DynamicNet":
        nodes, edges = decode_layers(graph)
        return cls(nodes, edges, seed=seed)

    # -- flat weights ------------------------------------------------------------------------
    def weight_tensors(self, include_buffers: bool = True) -> list[tuple[str, torch.Tensor]]:
        """The tensors in the flat vector, in order: parameters and floating buffers."""
        if not include_buffers:
            return [(k, p) for k, p in self.named_parameters()]
        return [(k, t) for k, t in self.state_dict(keep_vars=True).items() if t.is_floating_point()]

    def num_weights(self, include_buffers: bool = True) -> int:
        return sum(t.numel() for _, t in self.weight_tensors(include_buffers))

    def get_flat_weights(self, include_buffers: bool = True) -> torch.Tensor:
        """All weights as one detached 1-D tensor (a copy)."""
        tensors = [t.detach().reshape(-1) for _, t in self.weight_tensors(include_buffers)]
        if not tensors:
            return torch.zeros(0)
        return torch.cat(tensors).clone()

    def set_flat_weights(self, vector, include_buffers: bool = True) -> None:
        """Load a vector from ``get_flat_weights`` (a tensor or numpy array)."""
        v = torch.as_tensor(np.asarray(vector) if not isinstance(vector, torch.Tensor) else vector)
        if v.ndim != 1:
            raise WeightsError(f"the weight vector must be 1-D, got shape {tuple(v.shape)}")
        if not (v.is_floating_point()):
            raise WeightsError(f"the weight vector must hold floats, got {v.dtype}")
        need = self.num_weights(include_buffers)
        if v.numel() != need:
            raise WeightsError(f"the weight vector has {v.numel()} entries, this network needs {need}")
        offset = 0
        with torch.no_grad():
            for _, t in self.weight_tensors(include_buffers):
                k = t.numel()
                t.copy_(v[offset: offset + k].view_as(t).to(t.dtype))
                offset += k

    # -- files -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write ``A``, ``X``, ``W``, ``format_version``, ``vocab``, ``params`` to ``path``
        (exactly that name; ``.npz`` is the usual suffix)."""
        g = self.to_graph()
        with open(path, "wb") as fh:
            np.savez(
                fh,
                A=g.edge_index,
                X=g.x,
                W=self.get_flat_weights().numpy(),
                format_version=np.array(FORMAT_VERSION, dtype=np.int64),
                vocab=np.array(g.vocab),
                params=np.array(g.params),
            )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "DynamicNet":
        """Rebuild a saved network (in eval mode)."""
        path = os.fspath(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in ("A", "X", "W", "format_version", "vocab", "params") if k not in data.files]
                if missing:
                    raise NetFileError(f"{path} is not a DynamicNet file: it lacks {', '.join(missing)}")
                arrays = {k: data[k] for k in ("A", "X", "W", "format_version", "vocab", "params")}
        except FileNotFoundError:
            raise NetFileError(f"DynamicNet file not found: {path}") from None
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
            raise NetFileError(f"cannot read DynamicNet file {path}: {exc}") from None
        version = int(arrays["format_version"])
        if version != FORMAT_VERSION:
            raise NetFileError(f"{path} has format version {version}; this nasbench-lab reads version {FORMAT_VERSION}")
        a, x, w = arrays["A"], arrays["X"], arrays["W"]
        if a.ndim != 2 or a.shape[0] != 2 or not np.issubdtype(a.dtype, np.integer):
            raise NetFileError(f"{path}: A must be an integer array of shape (2, E), got {a.dtype} {a.shape}")
        if w.ndim != 1 or not np.issubdtype(w.dtype, np.floating):
            raise NetFileError(f"{path}: W must be a 1-D float array, got {w.dtype} {w.shape}")
        try:
            graph = ArchGraph(a, x, tuple(str(v) for v in arrays["vocab"]), tuple(str(p) for p in arrays["params"]))
            net = cls.from_graph(graph)
        except ArchError as exc:
            raise NetFileError(f"{path}: the stored graph is not a valid network: {exc}") from None
        try:
            net.set_flat_weights(torch.from_numpy(w.copy()))
        except WeightsError as exc:
            raise NetFileError(f"{path}: {exc} (the weights do not match the stored graph)") from None
        return net.eval()

    def extra_repr(self) -> str:
        return f"input={self.input_shape}, output={self.output_shape}, nodes={len(self.nodes)}, edges={len(self.edges)}"
