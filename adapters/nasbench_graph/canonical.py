"""NAS-Bench-Graph's canonical form, reproduced from the ``nas-bench-graph`` package.

An architecture has four computing layers. ``link[i]`` names the input of layer ``i + 1``
(0 = the graph input, ``k`` = layer ``k``), so the wiring is a tree rooted at the input; every
leaf layer feeds the output. Each layer has one operation from ``GNN_OPS``. Different
(link, ops) pairs can compute the same function; the package canonicalises a pair
(``Arch.valid_hash``: regularise the link to one of the nine ``LINKS`` patterns, move ``skip``
layers out of the way, sort interchangeable sibling layers by op order) and keys its tables by
the hash of the canonical pair: ``link_index * 10**4 + op digits`` in base 10 (digits index
``GNN_OPS``).

Only ``nas_bench_graph.architecture`` is used here (never ``runnni``, which needs nni); it does
not import torch. ``members(ops)`` enumerates the canonical pairs over ``ops`` in table-key
order; ``valid_hash``, ``check_link`` and ``topological`` serve ``space.NasBenchGraphSpace``.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Sequence

import numpy as np

from nasbench_lab.errors import ArchError, BenchmarkFileError

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
_HASH_BASE = len(GNN_OPS) + 1  # the package hashes with base len(gnn_list) + 1 = 10
_SKIP = GNN_OPS.index("skip")
_OP_DIGIT = {op: d for d, op in enumerate(GNN_OPS)}
_LINK_INDEX = {link: i for i, link in enumerate(LINKS)}
INSTALL_HINT = "pip install nas-bench-graph"

Arch = tuple[tuple[int, int, int, int], tuple[str, str, str, str]]


def package():
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
    arch = package().Arch(list(link), list(names))
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
def members(ops: tuple[str, ...]) -> tuple[tuple[Arch, ...], dict[Arch, int], np.ndarray]:
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
def valid_hash(link: tuple[int, ...], ops: tuple[str, ...]) -> int:
    """The package's ``valid_hash`` of a topologically numbered pair (``link[i] <= i``)."""
    return int(package().Arch(list(link), list(ops)).valid_hash())


def check_link(link: Sequence[int], where: str) -> tuple[int, ...]:
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


def topological(link: tuple[int, ...], ops: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
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

