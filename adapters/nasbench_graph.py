"""NAS-Bench-Graph (Qin et al., NeurIPS 2022): GNN macro architectures on nine graph datasets.

Data comes from the PyPI package ``nas-bench-graph`` (module ``nas_bench_graph``): its
``light_read(dataset)`` returns ``{valid_hash: {'valid_perf', 'perf', 'latency', 'para'}}``.
Only ``nas_bench_graph.architecture`` and ``nas_bench_graph.readbench`` are used (never
``runnni``, which needs nni); neither imports torch.

The space
---------
An architecture has four computing layers. ``link[i]`` names the input of layer ``i + 1``
(0 = the graph input, ``k`` = layer ``k``), so the wiring is a tree rooted at the input; every
leaf layer feeds the output. Each layer has one operation from ``GNN_OPS``. Different
(link, ops) pairs can compute the same function; the package canonicalises a pair
(``Arch.valid_hash``: regularise the link to one of the nine ``LINKS`` patterns, move ``skip``
layers out of the way, sort interchangeable sibling layers by op order) and keys its tables by
the hash of the canonical pair: ``link_index * 10**4 + op digits`` in base 10 (digits index
``GNN_OPS``).

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
benchmark therefore uses ``NasBenchGraphSpace(PROTEINS_OPS)``: that restricted space (2,021
architectures, same values, same string form). (The package's ``runnni.py`` lists a different
proteins op set, gcn/arma/cheb/fc/skip; the table has no cheb entries, so it is not used.)

Metrics: ``valid_perf`` (search) and ``perf`` (report) are the package's validation and test
performance x 100 (percent). Costs, stored as is: ``latency_s`` = ``latency``; the package states
no unit, and its values (0.3 ms to 0.6 s per model) read as wall-clock seconds. ``params_m`` =
``para``, the number of parameters in millions: values are parameter counts / 1e6 (six
decimals; on physics some are thirds, i.e. a mean over the three seeds).
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Sequence

import numpy as np

from nasbench_lab.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.config import Settings
from nasbench_lab.errors import ArchError, BenchmarkFileError, UnknownNameError
from nasbench_lab.graph import ArchGraph
from nasbench_lab.space import FiniteSpace

#: The package's ``gnn_list`` (op order defines the hash digits and the sibling sort order).
GNN_OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
#: The package's ``gnn_list_proteins``: the only ops evaluated on proteins.
PROTEINS_OPS = ("gcn", "sage", "arma", "fc", "skip")
#: The package's ``link_list``: the nine canonical link patterns (position = hash link index).
LINKS = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)
LAYERS = 4
VOCAB = ("input", "output") + GNN_OPS
DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
METRICS = {"valid_perf": "valid_perf", "perf": "perf", "latency_s": "latency", "params_m": "para"}
COSTS = ("latency_s", "params_m")
_HASH_BASE = len(GNN_OPS) + 1  # the package hashes with base len(gnn_list) + 1 = 10
_SKIP = GNN_OPS.index("skip")
_OP_DIGIT = {op: d for d, op in enumerate(GNN_OPS)}
_LINK_INDEX = {link: i for i, link in enumerate(LINKS)}
_FIELD = re.compile(r"^\s*([A-Za-z]+)\s*=\s*\[?(.*?)\]?\s*$")
INSTALL_HINT = "pip install nas-bench-graph"

Arch = tuple[tuple[int, int, int, int], tuple[str, str, str, str]]


def _package():
    """``nas_bench_graph.architecture``, or a clear error if the package is missing."""
    try:
        from nas_bench_graph import architecture
    except ImportError as exc:
        raise BenchmarkFileError(
            f"NAS-Bench-Graph needs the nas-bench-graph package ({INSTALL_HINT}): {exc}"
        ) from None
    return architecture


def table_key(link_index: int, digits: Sequence[int]) -> int:
    """The package's hash of a canonical pair (``Arch.hash_arch``): base-10 digits after the link."""
    key = int(link_index)
    for d in digits:
        key = key * _HASH_BASE + int(d)
    return key


def arch_from_key(key: int) -> Arch:
    """Inverse of ``table_key`` (no membership check)."""
    rest = int(key)
    digits = []
    for _ in range(LAYERS):
        rest, d = divmod(rest, _HASH_BASE)
        digits.append(d)
    if not 0 <= rest < len(LINKS) or any(d >= len(GNN_OPS) for d in digits):
        raise ArchError(f"{key} is not a NAS-Bench-Graph table key")
    return LINKS[rest], tuple(GNN_OPS[d] for d in reversed(digits))  # type: ignore[return-value]


def _sibling_blocks(link: tuple[int, ...]) -> list[np.ndarray]:
    """Interchangeable sibling subtrees of a link pattern, as (k, L) arrays of op positions.

    Siblings (same parent) whose subtrees have the same shape can be swapped without changing
    the network; each block lists, for k such siblings, the positions of their subtree's ops in
    pre-order (L ops per subtree). The package's ``equalpart_sort`` orders exactly these
    subtrees by their op sequences (``GNN_OPS`` order, lexicographic).
    """
    children: dict[int, list[int]] = {n: [] for n in range(LAYERS + 1)}
    for pos, parent in enumerate(link):
        children[parent].append(pos + 1)

    def shape(node: int) -> tuple:
        return tuple(sorted(shape(c) for c in children[node]))

    def preorder(node: int) -> list[int]:
        return [node - 1] + [p for c in children[node] for p in preorder(c)]

    blocks = []
    for parent in range(LAYERS + 1):
        by_shape: dict[tuple, list[int]] = {}
        for child in children[parent]:
            by_shape.setdefault(shape(child), []).append(child)
        blocks += [np.array([preorder(c) for c in g]) for g in by_shape.values() if len(g) > 1]
    return blocks


def _sort_siblings(link: tuple[int, ...], digits: np.ndarray) -> np.ndarray:
    """Rows of op digits with interchangeable sibling subtrees sorted (stable), vectorised."""
    out = digits.copy()
    for block in _sibling_blocks(link):
        sub = out[:, block]  # (N, k, L)
        weights = _HASH_BASE ** np.arange(block.shape[1] - 1, -1, -1)
        order = np.argsort(sub @ weights, axis=1, kind="stable")
        out[:, block] = np.take_along_axis(sub, order[:, :, None], axis=1)
    return out


def _skip_move(link: tuple[int, ...], skips: tuple[bool, ...]) -> tuple[tuple[int, ...], list[int]]:
    """What the package's ``move_skip_op`` does to ``link`` with skip layers at ``skips``.

    ``move_skip_op`` only looks at which layers are ``skip``, so one call with placeholder names
    for the other layers gives the new link and the position each op moves from.
    """
    names = ["skip" if s else f"layer{i}" for i, s in enumerate(skips)]
    arch = _package().Arch(list(link), list(names))
    arch.move_skip_op()
    free_skips = iter(i for i, s in enumerate(skips) if s)
    source = [next(free_skips) if n == "skip" else int(n[5:]) for n in arch.ops]
    return tuple(arch.link), source


@lru_cache(maxsize=None)
def _all_canonical() -> tuple[tuple[Arch, ...], np.ndarray, np.ndarray]:
    """All canonical pairs over ``GNN_OPS`` in table-key order (the package's ``all_archs()`` set),
    with their table keys and op digits.

    A pair is canonical iff the package's ``check_isomorph`` leaves it unchanged: moving skip
    layers (``move_skip_op``, resolved once per link and skip pattern) and then sorting
    interchangeable siblings (``equalpart_sort``) gives the pair back. All-skip is excluded.
    The test suite checks the result equals ``all_archs()``.
    """
    digits = np.array(list(itertools.product(range(len(GNN_OPS)), repeat=LAYERS)), dtype=np.int64)
    names = list(itertools.product(GNN_OPS, repeat=LAYERS))  # same lexicographic order
    skip = digits == _SKIP
    pattern = skip @ (1 << np.arange(LAYERS))
    weights = _HASH_BASE ** np.arange(LAYERS - 1, -1, -1)
    archs: list[Arch] = []
    keys, rows_out = [], []
    for link_index, link in enumerate(LINKS):
        moved = digits.copy()
        ok = ~skip.all(axis=1)
        for p in np.unique(pattern):
            rows = pattern == p
            new_link, source = _skip_move(link, tuple(bool(s) for s in skip[rows][0]))
            if new_link != link:
                ok &= ~rows
            else:
                moved[rows] = digits[rows][:, source]
        ok &= (_sort_siblings(link, moved) == digits).all(axis=1)
        chosen = np.flatnonzero(ok)
        archs += [(link, names[i]) for i in chosen]  # type: ignore[misc]
        keys.append(link_index * _HASH_BASE**LAYERS + digits[chosen] @ weights)
        rows_out.append(digits[chosen])
    return tuple(archs), np.concatenate(keys), np.concatenate(rows_out)


@lru_cache(maxsize=None)
def _members(ops: tuple[str, ...]) -> tuple[tuple[Arch, ...], dict[Arch, int], np.ndarray]:
    """Canonical pairs whose ops all lie in ``ops``: (archs, index by arch, table keys)."""
    archs, keys, digits = _all_canonical()
    keep = np.isin(digits, [_OP_DIGIT[o] for o in ops]).all(axis=1)
    if not keep.all():
        archs = tuple(archs[i] for i in np.flatnonzero(keep))
        keys = keys[keep]
    keys = keys.astype(np.int64)
    keys.setflags(write=False)
    return archs, {a: i for i, a in enumerate(archs)}, keys


@lru_cache(maxsize=200_000)
def _valid_hash(link: tuple[int, ...], ops: tuple[str, ...]) -> int:
    """The package's ``valid_hash`` of a topologically numbered pair (``link[i] <= i``)."""
    return int(_package().Arch(list(link), list(ops)).valid_hash())


def _check_link(link: Sequence[int], where: str) -> tuple[int, ...]:
    """Validate a link list: a tree rooted at the input (no self-loops, no cycles)."""
    if len(link) != LAYERS:
        raise ArchError(f"{where}: link needs {LAYERS} entries (the input of each layer), got {len(link)}")
    for i, parent in enumerate(link):
        if not 0 <= parent <= LAYERS:
            raise ArchError(
                f"{where}: link[{i}] = {parent} is out of range; the input of layer {i + 1} must be "
                f"0 (the graph input) or another layer 1..{LAYERS}"
            )
        if parent == i + 1:
            raise ArchError(f"{where}: layer {i + 1} cannot be its own input (link[{i}] = {parent})")
    for i in range(LAYERS):
        node, steps = i + 1, 0
        while node != 0:
            node, steps = link[node - 1], steps + 1
            if steps > LAYERS:
                raise ArchError(f"{where}: link {list(link)} has a cycle (layer {i + 1} never reaches the input)")
    return tuple(link)


def _topological(link: tuple[int, ...], ops: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Renumber layers so every layer's input comes before it (the package expects ``link[i] <= i``)."""
    if all(p <= i for i, p in enumerate(link)):
        return link, ops
    order: list[int] = []  # old layer numbers (1-based) in breadth-first order from the input
    frontier = [0]
    while frontier:
        nxt = [i + 1 for p in frontier for i in range(LAYERS) if link[i] == p]
        order += nxt
        frontier = nxt
    new = {0: 0, **{old: k + 1 for k, old in enumerate(order)}}
    return tuple(new[link[old - 1]] for old in order), tuple(ops[old - 1] for old in order)


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
        self.name = "nasbench-graph" if self.ops == GNN_OPS else "nasbench-graph[" + ",".join(self.ops) + "]"
        self._archs, self._index, self._keys = _members(self.ops)
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
        _check_link(link, where)
        if len(ops) != LAYERS:
            raise ArchError(f"{where}: needs {LAYERS} operations (one per layer), got {len(ops)}")
        for op in ops:
            if op not in self.ops:
                extra = " (it was not evaluated on this dataset)" if op in GNN_OPS else ""
                raise ArchError(f"unknown operation {op!r} for {self.name}{extra}; choose from {', '.join(self.ops)}")
        if all(op == "skip" for op in ops):
            raise ArchError(f"{where}: all four layers are 'skip'; the benchmark has no such architecture")
        return _topological(link, tuple(ops))

    def _canonical_member(self, pair: tuple[tuple[int, ...], tuple[str, ...]]) -> Arch:
        if pair in self._index:  # members are canonical: valid_hash maps them to themselves
            return pair  # type: ignore[return-value]
        member = arch_from_key(_valid_hash(*pair))
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


def _read_table(dataset: str) -> dict:
    _package()
    from nas_bench_graph.readbench import light_read

    try:
        table = light_read(dataset)
    except FileNotFoundError as exc:
        raise BenchmarkFileError(f"nas-bench-graph has no table for dataset {dataset!r}: {exc}") from None
    except Exception as exc:  # truncated or corrupt pickle
        raise BenchmarkFileError(f"cannot read the nas-bench-graph table for {dataset!r}: {exc}") from None
    if not isinstance(table, dict):
        raise BenchmarkFileError(f"nas-bench-graph table for {dataset!r} is a {type(table).__name__}, expected a dict")
    return table


@lru_cache(maxsize=None)
def load_arrays(dataset: str) -> dict[str, np.ndarray]:
    """Metric arrays of one dataset, indexed by ``space_for(dataset)`` index (NaN where missing)."""
    table = _read_table(dataset)
    space = space_for(dataset)
    records = [table.get(k) for k in space.keys.tolist()]
    found = len(records) - records.count(None)
    if found != len(table):
        raise BenchmarkFileError(
            f"nas-bench-graph table for {dataset!r} has {len(table) - found} entries outside the "
            f"{space.name} space ({space.size} architectures)"
        )
    out = {}
    for name, field in METRICS.items():
        try:
            values = np.array([np.nan if r is None else r[field] for r in records], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchmarkFileError(
                f"nas-bench-graph table for {dataset!r}: entries lack a numeric {field!r} ({exc!r})"
            ) from None
        if name in ("valid_perf", "perf"):
            values *= 100.0
        values.setflags(write=False)
        out[name] = values
    return out


NOTE = (
    "valid_perf/perf = the package's validation/test performance in percent; "
    "latency_s in seconds and params_m in millions as stored by the package"
)
PROTEINS_NOTE = "proteins covers only the 2,021 architectures built from gcn, sage, arma, fc, skip"


def load(dataset: str, settings: Settings) -> TabularBenchmark:
    return TabularBenchmark(
        name="nasbench-graph",
        dataset=dataset,
        space=space_for(dataset),
        metrics=load_arrays(dataset),
        search_metric="valid_perf",
        report_metric="perf",
        costs=COSTS,
        note=NOTE + ("; " + PROTEINS_NOTE if dataset == "proteins" else ""),
    )


SPEC = BenchmarkSpec(
    name="nasbench-graph",
    description="NAS-Bench-Graph: 26,206 GNN architectures (4 layers, 9 ops) on 9 graph datasets (no download)",
    datasets=DATASETS,
    load=load,
    search_metric="valid_perf",
    report_metric="perf",
    costs=COSTS,
    note=NOTE + "; " + PROTEINS_NOTE,
    needs=INSTALL_HINT,
)
