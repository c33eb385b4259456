"""The NAS-Bench-201 / NATS-Bench topology cell as a search space.

A cell has 4 nodes and 6 edges ``i -> j`` (i < j), each carrying one of 5 operations. The
official string lists the edges grouped by target node:
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` = edges (0,1) | (0,2) (1,2) | (0,3) (1,3) (2,3).
An architecture is the tuple of 6 operation indices (into ``OPS``) in that edge order; its index
is the base-5 number of that tuple (first edge most significant).

Graph form (operations on nodes): node 0 is the cell input, nodes 1..6 are the six edge
operations in string order, node 7 is the cell output. The operation node of edge ``i -> j`` is
fed by the operation nodes of every edge into ``i`` (or by the input node if ``i == 0``); the
output node is fed by the three edges into node 3. ``none`` edges are kept as nodes so the
round trip is exact; decoding reads each node's edge from its position in the DAG, so it does
not depend on node order.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.space import FiniteSpace

from . import ENTRY

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
VOCAB = ("input", "output") + OPS
PARAMS = ("kernel",)
#: kernel size divided by the largest kernel in the space (3); 0 for parameter-free ops.
KERNEL = {"none": 0.0, "skip_connect": 0.0, "nor_conv_1x1": 1 / 3, "nor_conv_3x3": 1.0, "avg_pool_3x3": 1.0}
_TOKEN = re.compile(r"^([A-Za-z0-9_]+)~(\d+)$")

Cell = tuple[int, int, int, int, int, int]


def _graph_edges() -> list[tuple[int, int]]:
    """Edges of the node-operation DAG (fixed for every cell)."""
    edges = []
    for k, (i, j) in enumerate(EDGES):
        node = k + 1
        if i == 0:
            edges.append((0, node))
        else:
            edges += [(m + 1, node) for m, (_, t) in enumerate(EDGES) if t == i]
    edges += [(m + 1, 7) for m, (_, t) in enumerate(EDGES) if t == 3]
    return edges


GRAPH_EDGES = tuple(_graph_edges())


class NB201Space(FiniteSpace):
    """The 15,625 NAS-Bench-201 cells (5 operations on 6 edges)."""

    name = ENTRY.name
    size = len(OPS) ** len(EDGES)
    ops = OPS

    def index(self, arch: Cell) -> int:
        try:
            if len(arch) != 6:
                raise ValueError
            i = 0
            for op in arch:
                if not 0 <= op < 5:
                    raise ValueError
                i = i * 5 + int(op)
            return i
        except (TypeError, ValueError):
            raise ArchError(f"not an NB201 cell (6 operation indices in 0..4): {arch!r}") from None

    def arch_at(self, i: int) -> Cell:
        if not 0 <= int(i) < self.size:
            raise ArchError(f"NB201 index {i} out of range 0..{self.size - 1}")
        digits = []
        i = int(i)
        for _ in range(6):
            i, d = divmod(i, 5)
            digits.append(d)
        return tuple(reversed(digits))  # type: ignore[return-value]

    def categorical(self) -> list[tuple[str, tuple[str, ...]]]:
        """The space as named categorical choices (one per edge: its operation), for samplers
        such as Optuna's; ``from_categorical`` maps chosen values back to a cell."""
        return [(f"edge{k}", tuple(self.ops)) for k in range(len(EDGES))]

    def from_categorical(self, values) -> Cell:
        return tuple(self.ops.index(v) for v in values)  # type: ignore[return-value]

    def to_categorical(self, arch: Cell) -> list[str]:
        return [self.ops[i] for i in arch]

    def neighbours(self, arch: Cell) -> list[Cell]:
        self.index(arch)
        return [arch[:e] + (op,) + arch[e + 1 :] for e in range(6) for op in range(5) if op != arch[e]]  # type: ignore[misc]

    def parse(self, text: str) -> Cell:
        if not isinstance(text, str):
            raise ArchError(f"an NB201 architecture string is expected, got {text!r}")
        s = text.strip()
        groups = s.split("+")
        if len(groups) != 3:
            raise ArchError(f"malformed NB201 string {text!r}: expected 3 node groups joined by '+'")
        ops = []
        for j, group in enumerate(groups, start=1):
            if not (group.startswith("|") and group.endswith("|")):
                raise ArchError(f"malformed NB201 string {text!r}: group {group!r} must be wrapped in '|'")
            tokens = group[1:-1].split("|")
            if len(tokens) != j:
                raise ArchError(f"malformed NB201 string {text!r}: node {j} needs {j} inputs, got {len(tokens)}")
            for i, token in enumerate(tokens):
                m = _TOKEN.match(token)
                if not m:
                    raise ArchError(f"malformed NB201 string {text!r}: bad edge token {token!r} (expected op~input)")
                op, src = m.group(1), int(m.group(2))
                if op not in OPS:
                    raise ArchError(f"unknown NB201 operation {op!r} in {text!r}; choose from {', '.join(OPS)}")
                if src != i:
                    raise ArchError(f"malformed NB201 string {text!r}: token {token!r} should read from node {i}")
                ops.append(OPS.index(op))
        return tuple(ops)  # type: ignore[return-value]

    def format(self, arch: Cell) -> str:
        self.index(arch)
        names = [OPS[o] for o in arch]
        return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*names)

    def encode(self, arch: Cell) -> ArchGraph:
        self.index(arch)
        ops = ["input"] + [OPS[o] for o in arch] + ["output"]
        values = [{"kernel": KERNEL.get(op, 0.0)} for op in ops]
        return ArchGraph.from_nodes(ops, GRAPH_EDGES, VOCAB, PARAMS, values)

    def decode(self, graph: ArchGraph) -> Cell:
        if graph.vocab != VOCAB or graph.params != PARAMS or graph.num_nodes != 8:
            raise ArchError("not an NB201 cell graph (needs 8 nodes and the NB201 vocabulary)")
        ops = graph.ops()
        preds, succs = graph.predecessors(), graph.successors()
        if ops.count("input") != 1 or ops.count("output") != 1:
            raise ArchError("an NB201 cell graph needs exactly one input and one output node")
        inputs, outputs = [ops.index("input")], [ops.index("output")]
        node_of: dict[tuple[int, int], int] = {}
        for n, op in enumerate(ops):
            if op in ("input", "output"):
                continue
            # The source node i is read from the in-degree, the target j from the out-degree.
            i = 0 if preds[n] == inputs else {1: 1, 2: 2}.get(len(preds[n]), -1)
            j = 3 if succs[n] == outputs else {2: 1, 1: 2}.get(len(succs[n]), -1)
            if (i, j) not in EDGES or (i, j) in node_of:
                raise ArchError(f"node {n} does not sit on a distinct NB201 cell edge")
            node_of[(i, j)] = n
        arch = tuple(OPS.index(ops[node_of[e]]) for e in EDGES)
        order = inputs + [node_of[e] for e in EDGES] + outputs
        new = {old: k for k, old in enumerate(order)}
        wiring = {(new[int(s)], new[int(t)]) for s, t in graph.edge_index.T}
        if wiring != set(GRAPH_EDGES) or graph.num_edges != len(GRAPH_EDGES):
            raise ArchError("graph edges do not match the NB201 cell wiring")
        if not np.array_equal(graph.x[order], self.encode(arch).x):
            raise ArchError("node parameters do not match the NB201 operations")
        return arch  # type: ignore[return-value]

    def canonical(self, arch: Cell) -> str:
        """Hash shared by cells computing the same function (NATS-Bench's own ``to_unique_str``)."""
        return canonical_string(self.format(arch))


@lru_cache(maxsize=None)
def canonical_string(arch_str: str) -> str:
    from nats_bench.genotype_utils import topology_str2structure

    return topology_str2structure(arch_str).to_unique_str(consider_zero=True)
