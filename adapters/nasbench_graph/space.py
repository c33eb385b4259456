"""The NAS-Bench-Graph search space: canonical GNN macro architectures (see ``canonical``).

Architecture values are canonical pairs ``(link, ops)``, e.g.
``((0, 0, 1, 2), ('gat', 'gcn', 'sage', 'fc'))``: ``link`` one of ``LINKS``, ``ops`` four
operation names. The space enumerates exactly the 26,206 canonical pairs (all four-``skip``
architectures excluded, as in the package's ``all_archs()``), ordered by the package's hash,
i.e. by table key. ``parse``/``decode``/``canonicalise`` map any valid (also non-canonical or
non-topologically numbered) architecture to its canonical member, so user-given architectures
hit the table (``link=0,0,1,2;ops=gcn,gat,skip,fc`` parses to the member
``link=0,1,1,2;ops=skip,gat,gcn,fc``). String form: ``link=0,0,1,2;ops=gat,gcn,sage,fc``
(case and spaces are forgiven); ``index()`` accepts members only.

Neighbours (one change): replace one layer's operation, or replace the link pattern with
another of the nine ``LINKS`` keeping the op tuple; each result is canonicalised,
de-duplicated and the architecture itself (and the excluded all-``skip`` one) dropped.

Graph form (operations on nodes): node 0 = input, nodes 1..4 = the four layers in canonical
order, node 5 = output; edges ``link[i] -> i + 1`` and ``leaf -> 5``. The vocabulary is
``input, output`` + all nine ``GNN_OPS`` (the same for the proteins space, so graphs are
comparable across datasets); no numeric parameter columns. ``decode`` reads the tree from the
edges, so node order does not matter; a graph of a valid but non-canonical wiring decodes to
its canonical member, as ``parse`` does.

proteins
--------
The proteins table holds 2,021 entries, evaluated with five operations only
(``PROTEINS_OPS`` = the package's ``gnn_list_proteins``: gcn, sage, arma, fc, skip). Its keys are
the ordinary ``valid_hash`` (base 10, ``GNN_OPS`` digits), and they are exactly the canonical
architectures of the full space whose four ops all lie in ``PROTEINS_OPS``. The proteins
benchmark therefore uses ``NasBenchGraphSpace(PROTEINS_OPS)`` (``space_for("proteins")``): that
restricted space (2,021 architectures, same values, same string form). (The package's
``runnni.py`` lists a different proteins op set, gcn/arma/cheb/fc/skip; the table has no cheb
entries, so it is not used.)
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import numpy as np

from nasbench_lab.errors import ArchError, UnknownNameError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.space import FiniteSpace

from . import ENTRY
from .canonical import (
    GNN_OPS,
    LAYERS,
    LINKS,
    PROTEINS_OPS,
    VOCAB,
    Arch,
    arch_from_key,
    check_link,
    members,
    topological,
    valid_hash,
)

_FIELD = re.compile(r"^\s*([A-Za-z]+)\s*=\s*\[?(.*?)\]?\s*$")


def _edge_index(link: tuple[int, ...]) -> np.ndarray:
    """Graph edges for a link pattern: ``link[i] -> layer i + 1`` and every leaf layer -> output."""
    edges = [(parent, pos + 1) for pos, parent in enumerate(link)]
    edges += [(n, LAYERS + 1) for n in range(1, LAYERS + 1) if n not in link]
    out = np.array(edges, dtype=np.int64).T
    out.setflags(write=False)
    return out


_EDGE_INDEX = {link: _edge_index(link) for link in LINKS}
_VOCAB_COLUMN = {name: j for j, name in enumerate(VOCAB)}


class NasBenchGraphSpace(FiniteSpace):
    """The canonical NAS-Bench-Graph architectures over ``ops`` (default: all nine, 26,206).

    ``NasBenchGraphSpace(PROTEINS_OPS)`` is the 2,021-architecture space of the proteins table.
    Needs the nas-bench-graph package (for its canonicalisation); ``BenchmarkFileError`` if absent.
    """

    def __init__(self, ops: Sequence[str] = GNN_OPS) -> None:
        ops = tuple(ops)
        unknown = [o for o in ops if o not in GNN_OPS]
        if unknown or not ops:
            raise UnknownNameError(f"unknown NAS-Bench-Graph operations {unknown}; choose from {', '.join(GNN_OPS)}")
        self.ops = tuple(o for o in GNN_OPS if o in ops)  # package order
        self.name = ENTRY.name if self.ops == GNN_OPS else f"{ENTRY.name}[{','.join(self.ops)}]"
        self._archs, self._index, self._keys = members(self.ops)
        self.size = len(self._archs)
        self._neighbour_cache: dict[Arch, tuple[Arch, ...]] = {}

    def __repr__(self) -> str:
        return f"NasBenchGraphSpace(ops={self.ops!r}, size={self.size})"

    # -- enumeration ----------------------------------------------------------------------
    @property
    def keys(self) -> np.ndarray:
        """The package's table key (``valid_hash``) of every architecture, by index (read-only)."""
        return self._keys

    def index(self, arch: Arch) -> int:
        try:
            return self._index[arch]
        except (KeyError, TypeError):
            pass
        raise ArchError(self._not_member(arch))

    def _not_member(self, arch: object) -> str:
        try:
            member = self.canonicalise(arch)  # type: ignore[arg-type]
        except ArchError as exc:
            return f"not a {self.name} architecture: {arch!r} ({exc})"
        return (
            f"{arch!r} is not in canonical form; its canonical member is {member!r} "
            f"(use space.canonicalise() or space.parse())"
        )

    def arch_at(self, i: int) -> Arch:
        i = int(i)
        if not 0 <= i < self.size:
            raise ArchError(f"{self.name} index {i} out of range 0..{self.size - 1}")
        return self._archs[i]

    def categorical(self) -> list[tuple[str, tuple[str, ...]]]:
        """The space as named categorical choices (the link pattern, then each layer's
        operation), for samplers such as Optuna's; ``from_categorical`` gives the canonical
        member (``ArchError`` for the excluded all-``skip`` architecture)."""
        return [("link", tuple(",".join(map(str, link)) for link in LINKS))] + \
            [(f"op{k}", self.ops) for k in range(LAYERS)]

    def from_categorical(self, values) -> Arch:
        link, *ops = values
        return self.canonicalise((tuple(int(p) for p in link.split(",")), tuple(ops)))

    def to_categorical(self, arch: Arch) -> list[str]:
        link, ops = arch
        return [",".join(map(str, link)), *ops]

    # -- canonical form ---------------------------------------------------------------------
    def canonicalise(self, arch: Arch) -> Arch:
        """The member equivalent to any valid ``(link, ops)`` pair (layers in any numbering)."""
        where = "NAS-Bench-Graph architecture"
        try:
            link, ops = arch
            link = tuple(int(p) for p in link)
            ops = tuple(ops)
        except (TypeError, ValueError):
            raise ArchError(f"{where}: expected a pair (link, ops) of {LAYERS} ints and {LAYERS} op names, got {arch!r}") from None
        try:
            if (link, ops) in self._index:
                return (link, ops)  # type: ignore[return-value]
        except TypeError:  # unhashable op names
            raise ArchError(f"{where}: operation names must be strings, got {ops!r}") from None
        return self._canonical_member(self._checked(link, ops, where))

    def _checked(self, link: tuple[int, ...], ops: tuple, where: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        check_link(link, where)
        if len(ops) != LAYERS:
            raise ArchError(f"{where}: needs {LAYERS} operations (one per layer), got {len(ops)}")
        for op in ops:
            if op not in self.ops:
                extra = " (it was not evaluated on this dataset)" if op in GNN_OPS else ""
                raise ArchError(f"unknown operation {op!r} for {self.name}{extra}; choose from {', '.join(self.ops)}")
        if all(op == "skip" for op in ops):
            raise ArchError(f"{where}: all four layers are 'skip'; the benchmark has no such architecture")
        return topological(link, tuple(ops))

    def _canonical_member(self, pair: tuple[tuple[int, ...], tuple[str, ...]]) -> Arch:
        if pair in self._index:  # members are canonical: valid_hash maps them to themselves
            return pair  # type: ignore[return-value]
        member = arch_from_key(valid_hash(*pair))
        if member not in self._index:  # cannot happen for a validated pair; guards package changes
            raise ArchError(f"{pair!r} canonicalises to {member!r}, which is not in {self.name}")
        return member

    def canonical(self, arch: Arch) -> str:
        """The package's ``valid_hash`` (the table key) as a string."""
        return str(int(self._keys[self.index(self.canonicalise(arch))]))

    # -- moves ----------------------------------------------------------------------------------
    def neighbours(self, arch: Arch) -> list[Arch]:
        arch = self._archs[self.index(arch)]
        if arch not in self._neighbour_cache:
            self._neighbour_cache[arch] = self._neighbours(arch)
        return list(self._neighbour_cache[arch])

    def _neighbours(self, arch: Arch) -> tuple[Arch, ...]:
        link, ops = arch
        raw = [
            (link, ops[:pos] + (op,) + ops[pos + 1 :])
            for pos in range(LAYERS)
            for op in self.ops
            if op != ops[pos]
        ]
        raw += [(other, ops) for other in LINKS if other != link]
        seen: dict[Arch, None] = {}
        for pair in raw:
            if all(o == "skip" for o in pair[1]):
                continue
            member = self._canonical_member(pair)
            if member != arch:
                seen.setdefault(member, None)
        return tuple(seen)

    # -- strings ----------------------------------------------------------------------------
    def parse(self, text: str) -> Arch:
        if not isinstance(text, str):
            raise ArchError(f"a NAS-Bench-Graph architecture string is expected, got {text!r}")
        example = "link=0,0,1,2;ops=gcn,gat,skip,fc"
        fields: dict[str, str] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            m = _FIELD.match(part)
            if not m or m.group(1).lower() not in ("link", "ops"):
                raise ArchError(f"malformed NAS-Bench-Graph string {text!r}: bad field {part.strip()!r} (expected e.g. {example!r})")
            key = m.group(1).lower()
            if key in fields:
                raise ArchError(f"malformed NAS-Bench-Graph string {text!r}: field {key!r} given twice")
            fields[key] = m.group(2)
        missing = [k for k in ("link", "ops") if k not in fields]
        if missing:
            raise ArchError(f"malformed NAS-Bench-Graph string {text!r}: missing {' and '.join(missing)} (expected e.g. {example!r})")
        try:
            link = tuple(int(t) for t in fields["link"].split(","))
        except ValueError:
            raise ArchError(f"malformed NAS-Bench-Graph string {text!r}: link must be {LAYERS} comma-separated integers") from None
        ops = tuple(t.strip().lower() for t in fields["ops"].split(","))
        if any(not o for o in ops):
            raise ArchError(f"malformed NAS-Bench-Graph string {text!r}: empty operation name in ops")
        return self._canonical_member(self._checked(link, ops, f"NAS-Bench-Graph string {text!r}"))

    def format(self, arch: Arch) -> str:
        link, ops = self._archs[self.index(arch)]
        return "link={};ops={}".format(",".join(map(str, link)), ",".join(ops))

    # -- graphs -------------------------------------------------------------------------------
    def encode(self, arch: Arch) -> ArchGraph:
        link, ops = self._archs[self.index(arch)]
        x = np.zeros((LAYERS + 2, len(VOCAB)), dtype=np.float32)
        x[np.arange(LAYERS + 2), [_VOCAB_COLUMN[o] for o in ("input",) + ops + ("output",)]] = 1.0
        return ArchGraph(_EDGE_INDEX[link], x, VOCAB)

    def decode(self, graph: ArchGraph) -> Arch:
        if not isinstance(graph, ArchGraph):
            raise ArchError(f"an ArchGraph is expected, got {type(graph).__name__}")
        if graph.vocab != VOCAB or graph.params != ():
            raise ArchError("not a NAS-Bench-Graph graph (needs the NAS-Bench-Graph vocabulary and no parameter columns)")
        if graph.num_nodes != LAYERS + 2:
            raise ArchError(f"a NAS-Bench-Graph graph has {LAYERS + 2} nodes (input, {LAYERS} layers, output), got {graph.num_nodes}")
        names = []
        for n, row in enumerate(graph.x.tolist()):
            hot = [j for j, v in enumerate(row) if v != 0.0]
            if len(hot) != 1 or row[hot[0]] != 1.0:
                raise ArchError(f"node {n}: every node needs a one-hot operation type")
            names.append(VOCAB[hot[0]])
        if names.count("input") != 1 or names.count("output") != 1:
            raise ArchError("a NAS-Bench-Graph graph needs exactly one input and one output node")
        inp, out = names.index("input"), names.index("output")
        layers = [n for n in range(graph.num_nodes) if n not in (inp, out)]
        number = {inp: 0, **{n: k + 1 for k, n in enumerate(layers)}}
        edges = graph.edge_index.T.tolist()
        preds: list[list[int]] = [[] for _ in names]
        feeds_layer = [False] * len(names)
        for s, t in edges:
            preds[t].append(s)
            if t != out:
                feeds_layer[s] = True
        if len({(s, t) for s, t in edges}) != len(edges):
            raise ArchError("a NAS-Bench-Graph graph has no repeated edges")
        if preds[inp]:
            raise ArchError("the input node of a NAS-Bench-Graph graph has no incoming edges")
        if any(s == out for s, _ in edges):
            raise ArchError("the output node of a NAS-Bench-Graph graph has no outgoing edges")
        link = []
        for n in layers:
            if len(preds[n]) != 1:
                raise ArchError(f"node {n} ({names[n]}) must have exactly one input: the graph input or another layer")
            link.append(number[preds[n][0]])
        if sorted(preds[out]) != [n for n in layers if not feeds_layer[n]]:
            raise ArchError("the output node must be fed by exactly the layers that feed no other layer")
        ops = tuple(names[n] for n in layers)
        return self._canonical_member(self._checked(tuple(link), ops, "NAS-Bench-Graph graph"))


@lru_cache(maxsize=None)
def space_for(dataset: str) -> NasBenchGraphSpace:
    """The space a dataset's table covers (proteins: only ``PROTEINS_OPS``)."""
    return NasBenchGraphSpace(PROTEINS_OPS if dataset == "proteins" else GNN_OPS)

