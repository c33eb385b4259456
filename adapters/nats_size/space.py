"""The NATS-Bench size search space (``sss``): five channel counts.

A network of the size space is a fixed stack (the NAS-Bench-201 best cell) whose 5 layers each
take a channel count from ``CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)``: 8**5 = 32,768
architectures. NATS-Bench writes them as ``"8:16:32:64:64"`` (layer 1 first).

An architecture is the tuple of the 5 channel counts, e.g. ``(8, 16, 32, 64, 64)``. Its index is
the base-8 number of the candidates' positions in ``CHANNELS``, layer 1 most significant:
``(8, 8, 8, 8, 8)`` is 0, ``(8, 8, 8, 8, 16)`` is 1, ``(64, 64, 64, 64, 64)`` is 32,767.

Official index: ``nats_bench/api_size.py`` only reads the order from the file (``meta_archs``);
the order itself comes from the script that wrote the benchmark (``traverse_net`` in
AutoDL-Projects ``exps/NATS-Bench/sss-collect.py``), which extends every string by one more layer
in ascending candidate order, i.e. exactly this base-8 order. So ``official_index(arch) ==
index(arch)``; the ``nats-sss`` adapter still maps indices by parsing ``meta_archs`` and does not
rely on it.

Graph form: a chain ``input -> conv x 5 -> output`` (7 nodes, 6 edges), vocabulary
``("input", "output", "conv")`` and one parameter column ``"channels"`` = channel count / 64
(0 on the input and output nodes). ``decode`` follows the chain from the input node, so it does
not depend on node order, and rejects anything that is not such a chain with valid channels.
"""
from __future__ import annotations

import re

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.space import FiniteSpace

from . import ENTRY

CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)
NUM_LAYERS = 5
MAX_CHANNELS = CHANNELS[-1]
VOCAB = ("input", "output", "conv")
PARAMS = ("channels",)
#: Edges of the chain graph: node 0 input, nodes 1..5 the layers, node 6 output.
CHAIN_EDGES = tuple((k, k + 1) for k in range(NUM_LAYERS + 1))
_POSITION = {c: k for k, c in enumerate(CHANNELS)}
_DIGITS = re.compile(r"[0-9]+")

Sizes = tuple[int, int, int, int, int]


class NATSSizeSpace(FiniteSpace):
    """The 32,768 NATS-Bench size-space networks (5 layers x 8 channel counts)."""

    name = ENTRY.name
    size = len(CHANNELS) ** NUM_LAYERS
    channels = CHANNELS
    num_layers = NUM_LAYERS

    def _positions(self, arch) -> list[int]:
        """Candidate positions of ``arch``'s channels; ``ArchError`` if it is not a member."""
        try:
            values = tuple(arch)
        except TypeError:
            values = None
        if values is None or len(values) != NUM_LAYERS:
            raise ArchError(f"not a NATS size architecture (a tuple of {NUM_LAYERS} channel counts): {arch!r}")
        positions = []
        for c in values:
            k = _POSITION.get(c) if isinstance(c, (int, np.integer)) and not isinstance(c, bool) else None
            if k is None:
                raise ArchError(
                    f"not a NATS size architecture: channel count {c!r} in {arch!r} is not one of "
                    f"{', '.join(map(str, CHANNELS))}"
                )
            positions.append(k)
        return positions

    def index(self, arch: Sizes) -> int:
        i = 0
        for k in self._positions(arch):
            i = i * len(CHANNELS) + k
        return i

    def arch_at(self, i: int) -> Sizes:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < self.size:
            raise ArchError(f"NATS size index {i!r} out of range 0..{self.size - 1}")
        i = int(i)
        out = [0] * NUM_LAYERS
        for layer in range(NUM_LAYERS - 1, -1, -1):
            i, k = divmod(i, len(CHANNELS))
            out[layer] = CHANNELS[k]
        return tuple(out)  # type: ignore[return-value]

    def official_index(self, arch: Sizes) -> int:
        """Index of ``arch`` in NATS-Bench's own ``meta_archs`` order (equal to ``index``)."""
        return self.index(arch)

    def from_official_index(self, i: int) -> Sizes:
        """The architecture at NATS-Bench's index ``i`` (equal to ``arch_at``)."""
        return self.arch_at(i)

    def neighbours(self, arch: Sizes) -> list[Sizes]:
        """Every architecture with one layer's channel count changed (35 of them)."""
        self._positions(arch)
        arch = tuple(int(c) for c in arch)  # type: ignore[assignment]
        return [
            arch[:layer] + (c,) + arch[layer + 1 :]  # type: ignore[misc]
            for layer in range(NUM_LAYERS)
            for c in CHANNELS
            if c != arch[layer]
        ]

    def parse(self, text: str) -> Sizes:
        if not isinstance(text, str):
            raise ArchError(f"a NATS size string such as '8:16:32:64:64' is expected, got {text!r}")
        parts = text.strip().split(":")
        if len(parts) != NUM_LAYERS:
            raise ArchError(
                f"malformed NATS size string {text!r}: expected {NUM_LAYERS} channel counts joined by ':', "
                f"got {len(parts)}"
            )
        values = []
        for part in parts:
            token = part.strip()
            if not _DIGITS.fullmatch(token):
                raise ArchError(f"malformed NATS size string {text!r}: {part!r} is not a whole number")
            c = int(token)
            if c not in _POSITION:
                raise ArchError(
                    f"invalid NATS size string {text!r}: channel count {c} is not one of "
                    f"{', '.join(map(str, CHANNELS))}"
                )
            values.append(c)
        return tuple(values)  # type: ignore[return-value]

    def format(self, arch: Sizes) -> str:
        self._positions(arch)
        return ":".join(str(int(c)) for c in arch)

    def encode(self, arch: Sizes) -> ArchGraph:
        self._positions(arch)
        ops = ["input"] + ["conv"] * NUM_LAYERS + ["output"]
        values = [{"channels": 0.0}] + [{"channels": int(c) / MAX_CHANNELS} for c in arch] + [{"channels": 0.0}]
        return ArchGraph.from_nodes(ops, CHAIN_EDGES, VOCAB, PARAMS, values)

    def decode(self, graph: ArchGraph) -> Sizes:
        if graph.vocab != VOCAB or graph.params != PARAMS:
            raise ArchError(
                f"not a NATS size graph: vocabulary {graph.vocab}/{graph.params}, expected {VOCAB}/{PARAMS}"
            )
        if graph.num_nodes != NUM_LAYERS + 2 or graph.num_edges != NUM_LAYERS + 1:
            raise ArchError(
                f"not a NATS size graph: {graph.num_nodes} nodes and {graph.num_edges} edges, "
                f"expected a chain of {NUM_LAYERS + 2} nodes"
            )
        ops = graph.ops()
        if ops.count("input") != 1 or ops.count("output") != 1:
            raise ArchError("a NATS size graph needs exactly one input and one output node")
        succs = graph.successors()
        node, order = ops.index("input"), []
        for _ in range(NUM_LAYERS + 1):
            if len(succs[node]) != 1:
                raise ArchError(f"not a NATS size graph: node {node} does not feed exactly one node")
            node = succs[node][0]
            order.append(node)
        if ops[order[-1]] != "output" or any(ops[n] != "conv" for n in order[:-1]):
            raise ArchError("not a NATS size graph: the chain must be input, 5 conv layers, output")
        if len(set(order)) != len(order):
            raise ArchError("not a NATS size graph: the chain revisits a node")
        column = graph.param("channels")
        if column[ops.index("input")] != 0.0 or column[order[-1]] != 0.0:
            raise ArchError("not a NATS size graph: input and output nodes must have channels 0")
        arch = []
        for n in order[:-1]:
            c = float(column[n]) * MAX_CHANNELS
            if not float(c).is_integer() or int(c) not in _POSITION:
                raise ArchError(
                    f"not a NATS size graph: layer channel value {float(column[n])!r} is not a "
                    f"candidate / {MAX_CHANNELS} (candidates {', '.join(map(str, CHANNELS))})"
                )
            arch.append(int(c))
        return tuple(arch)  # type: ignore[return-value]
