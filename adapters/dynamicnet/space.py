"""The DynamicNet search space: MLPs and small CNNs (1-D on signals, 2-D on images) built
from macro choices.

An architecture is a tuple of frozen ``Block`` values (immutable and hashable): zero to
``max_conv`` conv blocks, then zero to ``max_dense`` dense blocks (at least one block, at most
``max_blocks``), then a fixed linear classifier. A block:

* conv:  Conv(width, kernel, stride 1, same padding) -> [BatchNorm] -> act -> [+ block input]
  -> [max/avg pool of 2, or 2x2 on an image] -> [Dropout]
* dense: Linear(width) -> [BatchNorm] -> act -> [+ block input] -> [Dropout]

A signal ``(C, L)`` or image ``(C, H, W)`` input is flattened after the conv blocks (directly,
for an MLP); a flat input allows dense blocks only. ``skip`` adds the block's input to its
activation output (a residual ``add`` merge node), which needs the block to keep its input's
shape; pooling needs a feature map of at least 2 (2x2).

String form (``blocks.py``): blocks joined by ``|``; a block is ``conv<width>k<kernel>`` or
``dense<width>``, then ``-<activation>``, then the optional tokens ``-bn``,
``-maxpool``/``-avgpool``, ``-drop<p>``, ``-skip`` (in that order when formatted; any order when
parsed), e.g. ``conv16k3-relu-bn-maxpool|conv16k3-relu-skip|dense64-gelu-drop0.25``.

Invalid shapes: ``sample``, ``mutate`` and ``neighbours`` repair them (a skip whose shapes
differ is dropped, a pool on a feature map smaller than 2 or 2x2 is dropped) and never return an
architecture above ``max_params``; ``parse``, ``decode`` and ``check`` reject them with an
``ArchError`` saying which block is wrong.

Neighbours (one change, fixed order, repaired, de-duplicated, the architecture itself
excluded): one field of one block (width, kernel, activation, batch-norm on/off, pooling,
dropout, skip on/off); remove a block; duplicate a block (inserted after it, without skip);
turn the last conv block into a dense block or the first dense block into a conv block.

Graph form: the ``DynamicNet`` layer graph (``nasbench_lab.adapters.dynamicnet``), one node
per layer (input, conv, batchnorm, activation, add, pool, dropout, flatten, linear), edges along
the chain plus the skip edges. ``decode`` reads the blocks back along the (unique) topological
order, so node numbering does not matter.

Canonical hash: ``dn-`` + the first 16 hex digits of sha1 of the string form. Every field of
a block changes training (dropout too), and the string form is already normalised (dense
blocks carry no kernel or pool), so equal hashes mean equal training.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from typing import Sequence

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.space import SearchSpace

from . import ENTRY
from .blocks import KINDS, Block, Net, parse_blocks
from .encoding import decode_layers, encode_layers
from .layers import (
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
from .net import DynamicNet, analyse


class DynamicNetSpace(SearchSpace):
    """MLPs and small CNNs for a given input shape and number of classes (default: the 8x8
    digits images, 10 classes); conv blocks are 1-D for a ``(C, L)`` signal input."""

    name = ENTRY.name

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 8, 8),
        num_classes: int = 10,
        *,
        conv_widths: Sequence[int] = (8, 16, 32, 64),
        dense_widths: Sequence[int] = (16, 32, 64, 128, 256),
        kernels: Sequence[int] = (1, 3, 5),
        activations: Sequence[str] = ("relu", "gelu", "tanh", "elu"),
        dropouts: Sequence[float] = (0.0, 0.1, 0.25, 0.5),
        pools: Sequence[str] = ("none", "max", "avg"),
        max_conv: int = 3,
        max_dense: int = 3,
        max_blocks: int = 5,
        max_params: int = 1_000_000,
    ) -> None:
        self.input_shape = Inputcfg(tuple(input_shape)).shape
        self.spatial = len(self.input_shape) > 1  # a signal or an image: conv blocks allowed
        if num_classes < 2:
            raise ArchError(f"need at least 2 classes, got {num_classes}")
        self.num_classes = int(num_classes)
        self.conv_widths, self.dense_widths = tuple(conv_widths), tuple(dense_widths)
        self.kernels, self.activations = tuple(kernels), tuple(activations)
        self.dropouts, self.pools = tuple(float(d) for d in dropouts), tuple(pools)
        if any(k % 2 == 0 for k in self.kernels):
            raise ArchError("conv kernels must be odd (same padding)")
        if 0.0 not in self.dropouts or "none" not in self.pools:
            raise ArchError("dropout choices must include 0.0 and pool choices 'none'")
        self.max_conv = max_conv if self.spatial else 0
        self.max_dense, self.max_blocks, self.max_params = max_dense, max_blocks, max_params

    def __repr__(self) -> str:
        return f"DynamicNetSpace(input_shape={self.input_shape}, num_classes={self.num_classes})"

    # -- layers --------------------------------------------------------------------------------
    def to_layers(self, arch: Net) -> tuple[list[LayerCfg], list[tuple[int, int]]]:
        """The ``DynamicNet`` nodes and edges of ``arch`` (no checks)."""
        nodes: list[LayerCfg] = [Inputcfg(self.input_shape)]
        edges: list[tuple[int, int]] = []

        def add(cfg: LayerCfg, *preds: int) -> int:
            nodes.append(cfg)
            edges.extend((p, len(nodes) - 1) for p in preds)
            return len(nodes) - 1

        cur = 0
        flattened = not self.spatial
        for b in arch:
            if b.kind == "dense" and not flattened:
                cur, flattened = add(Flattencfg(), cur), True
            start = cur
            cur = add(Convcfg(b.width, b.kernel) if b.kind == "conv" else Linearcfg(b.width), cur)
            if b.norm:
                cur = add(BatchNormcfg(), cur)
            cur = add(Activationcfg(b.act), cur)
            if b.skip:
                cur = add(Mergecfg("add"), start, cur)
            if b.pool != "none":
                cur = add(Poolcfg(b.pool, 2), cur)
            if b.dropout:
                cur = add(Dropoutcfg(b.dropout), cur)
        if not flattened:
            cur = add(Flattencfg(), cur)
        add(Linearcfg(self.num_classes), cur)
        return nodes, edges

    def build(self, arch: Net, seed: int | None = None) -> DynamicNet:
        """The PyTorch network of ``arch`` (weights initialised from ``seed``)."""
        self.check(arch)
        nodes, edges = self.to_layers(arch)
        return DynamicNet(nodes, edges, seed=seed)

    def param_count(self, arch: Net) -> int:
        nodes, edges = self.to_layers(arch)
        _, preds, shapes, _ = analyse(nodes, edges)
        return sum(cfg.param_count([shapes[p] for p in preds[i]], shapes[i]) for i, cfg in enumerate(nodes))

    # -- validity ------------------------------------------------------------------------------
    def repair(self, arch: Sequence[Block]) -> Net:
        """Drop skips whose shapes differ and pools on feature maps below 2 (2x2); normalise dense
        blocks (no kernel, no pool)."""
        out = []
        channels, sizes = (self.input_shape[0], self.input_shape[1:]) if self.spatial else (0, ())
        features = math.prod(self.input_shape)
        flat = not self.spatial
        for b in arch:
            if b.kind == "conv":
                pool = b.pool if sizes and min(sizes) >= 2 else "none"
                b = replace(b, pool=pool, skip=b.skip and channels == b.width)
                channels = b.width
                if pool != "none":
                    sizes = tuple(s // 2 for s in sizes)
                features = channels * math.prod(sizes)
            else:
                if not flat:
                    flat = True
                b = replace(b, kernel=0, pool="none", skip=b.skip and features == b.width)
                features = b.width
            out.append(b)
        return tuple(out)

    def _problem(self, arch) -> str | None:
        """Why ``arch`` is not a member of the space (None if it is)."""
        if not isinstance(arch, tuple) or not arch or not all(isinstance(b, Block) for b in arch):
            return f"a DynamicNet architecture is a non-empty tuple of Block values, got {arch!r}"
        kinds = [b.kind for b in arch]
        if any(k not in KINDS for k in kinds):
            return f"block kinds must be conv or dense, got {kinds}"
        n_conv = kinds.count("conv")
        if kinds != ["conv"] * n_conv + ["dense"] * (len(kinds) - n_conv):
            return "conv blocks must come before dense blocks"
        if n_conv > self.max_conv:
            reason = "the input is flat (not a signal or an image)" if not self.spatial else f"at most {self.max_conv} are allowed"
            return f"{n_conv} conv blocks: {reason}"
        if len(kinds) - n_conv > self.max_dense:
            return f"{len(kinds) - n_conv} dense blocks: at most {self.max_dense} are allowed"
        if len(arch) > self.max_blocks:
            return f"{len(arch)} blocks: at most {self.max_blocks} are allowed"
        for i, b in enumerate(arch, start=1):
            widths = self.conv_widths if b.kind == "conv" else self.dense_widths
            checks = [
                (b.width in widths, f"width {b.width!r} is not one of {widths}"),
                (b.act in self.activations, f"activation {b.act!r} is not one of {self.activations}"),
                (isinstance(b.norm, bool) and isinstance(b.skip, bool), "norm and skip must be True/False"),
                (b.dropout in self.dropouts, f"dropout {b.dropout!r} is not one of {self.dropouts}"),
            ]
            if b.kind == "conv":
                checks += [(b.kernel in self.kernels, f"kernel {b.kernel!r} is not one of {self.kernels}"),
                           (b.pool in self.pools, f"pool {b.pool!r} is not one of {self.pools}")]
            else:
                checks += [(b.kernel == 0 and b.pool == "none", "a dense block has no kernel or pool")]
            for ok, message in checks:
                if not ok:
                    return f"block {i} ({b.token()}): {message}"
        fixed = self.repair(arch)
        for i, (b, r) in enumerate(zip(arch, fixed), start=1):
            if b.skip and not r.skip:
                return f"block {i} ({b.token()}): a skip needs the block to keep its input shape"
            if b.pool != r.pool:
                return f"block {i} ({b.token()}): the feature map is too small (below 2 or 2x2) to pool"
        params = self.param_count(arch)
        if params > self.max_params:
            return f"{params:,} parameters, above the space's limit of {self.max_params:,}"
        return None

    def check(self, arch: Net) -> Net:
        problem = self._problem(arch)
        if problem:
            raise ArchError(f"not a DynamicNet architecture: {problem}")
        return arch

    def contains(self, arch) -> bool:
        return self._problem(arch) is None

    # -- sampling and moves --------------------------------------------------------------------
    def _pick(self, rng: np.random.Generator, options: Sequence):
        return options[int(rng.integers(len(options)))]

    def _random_block(self, kind: str, rng: np.random.Generator) -> Block:
        conv = kind == "conv"
        return Block(
            kind=kind,
            width=int(self._pick(rng, self.conv_widths if conv else self.dense_widths)),
            act=str(self._pick(rng, self.activations)),
            kernel=int(self._pick(rng, self.kernels)) if conv else 0,
            norm=bool(rng.integers(2)),
            pool=str(self._pick(rng, self.pools)) if conv else "none",
            dropout=float(self._pick(rng, self.dropouts)),
            skip=bool(rng.integers(2)),
        )

    def sample(self, rng: np.random.Generator) -> Net:
        """Numbers of conv and dense blocks uniform (rejecting empty and too deep nets), then
        every field uniform; repaired; resampled while above ``max_params``."""
        for _ in range(1000):
            n_conv = int(rng.integers(self.max_conv + 1))
            n_dense = int(rng.integers(self.max_dense + 1))
            if not 1 <= n_conv + n_dense <= self.max_blocks:
                continue
            blocks = [self._random_block("conv", rng) for _ in range(n_conv)]
            blocks += [self._random_block("dense", rng) for _ in range(n_dense)]
            arch = self.repair(blocks)
            if self.param_count(arch) <= self.max_params:
                return arch
        raise ArchError("could not sample an architecture within max_params; raise the limit")

    def neighbours(self, arch: Net) -> list[Net]:
        self.check(arch)
        out: list[Net] = []
        seen = {arch}
        kinds = [b.kind for b in arch]
        n_conv, n_dense = kinds.count("conv"), kinds.count("dense")

        def emit(blocks: Sequence[Block]) -> None:
            cand = self.repair(blocks)
            if cand in seen or not cand:
                return
            seen.add(cand)
            if len(cand) <= self.max_blocks and self.param_count(cand) <= self.max_params:
                out.append(cand)

        def with_block(i: int, b: Block) -> list[Block]:
            return list(arch[:i]) + [b] + list(arch[i + 1:])

        for i, b in enumerate(arch):
            conv = b.kind == "conv"
            for wd in self.conv_widths if conv else self.dense_widths:
                emit(with_block(i, replace(b, width=wd)))
            if conv:
                for k in self.kernels:
                    emit(with_block(i, replace(b, kernel=k)))
            for a in self.activations:
                emit(with_block(i, replace(b, act=a)))
            emit(with_block(i, replace(b, norm=not b.norm)))
            if conv:
                for p in self.pools:
                    emit(with_block(i, replace(b, pool=p)))
            for d in self.dropouts:
                emit(with_block(i, replace(b, dropout=d)))
            emit(with_block(i, replace(b, skip=not b.skip)))
        for i in range(len(arch)):
            if len(arch) > 1:
                emit(list(arch[:i]) + list(arch[i + 1:]))
        for i, b in enumerate(arch):
            if (b.kind == "conv" and n_conv < self.max_conv) or (b.kind == "dense" and n_dense < self.max_dense):
                emit(list(arch[: i + 1]) + [replace(b, skip=False)] + list(arch[i + 1:]))
        if n_conv and n_dense < self.max_dense:
            b = arch[n_conv - 1]
            dense = Block("dense", _nearest(b.width, self.dense_widths), b.act, 0, b.norm, "none", b.dropout, False)
            emit(list(arch[: n_conv - 1]) + [dense] + list(arch[n_conv:]))
        if self.spatial and n_dense and n_conv < self.max_conv:
            b = arch[n_conv]
            kernel = 3 if 3 in self.kernels else self.kernels[len(self.kernels) // 2]
            conv = Block("conv", _nearest(b.width, self.conv_widths), b.act, kernel, b.norm, "none", b.dropout, False)
            emit(list(arch[:n_conv]) + [conv] + list(arch[n_conv + 1:]))
        return out

    # -- strings -------------------------------------------------------------------------------
    def format(self, arch: Net) -> str:
        self.check(arch)
        return "|".join(b.token() for b in arch)

    def parse(self, text: str) -> Net:
        return self.check(parse_blocks(text))

    def canonical(self, arch: Net) -> str:
        return "dn-" + hashlib.sha1(self.format(arch).encode()).hexdigest()[:16]

    # -- graph form ----------------------------------------------------------------------------
    def encode(self, arch: Net) -> ArchGraph:
        self.check(arch)
        return encode_layers(*self.to_layers(arch))

    def decode(self, graph: ArchGraph) -> Net:
        nodes, edges = decode_layers(graph)
        order, preds, _, out = analyse(nodes, edges)
        if any((a, b) not in set(edges) for a, b in zip(order, order[1:])):
            raise ArchError("not a DynamicNet space graph: the layers do not form one chain (with skip edges)")
        seq = [nodes[i] for i in order]
        where = {node: k for k, node in enumerate(order)}
        inputs = [sorted(where[p] for p in preds[i]) for i in order]  # predecessors by chain position
        if seq[0] != Inputcfg(self.input_shape):
            raise ArchError(f"the graph's input {seq[0].describe()} does not match this space's input {self.input_shape}")
        k, blocks = 1, []

        def at(kind) -> bool:
            return k < len(seq) and isinstance(seq[k], kind)

        while k < len(seq) - 1:
            if isinstance(seq[k], Flattencfg):
                k += 1
                continue
            start = k - 1
            head = seq[k]
            if isinstance(head, Convcfg):
                fields = {"kind": "conv", "width": head.filters, "kernel": head.kernel}
            elif isinstance(head, Linearcfg):
                fields = {"kind": "dense", "width": head.units}
            else:
                raise ArchError(f"unexpected {head.op} layer at chain position {k}: a block starts with conv or linear")
            k += 1
            if at(BatchNormcfg):
                fields["norm"], k = True, k + 1
            if not at(Activationcfg):
                raise ArchError(f"block {len(blocks) + 1}: expected an activation at chain position {k}")
            fields["act"], k = seq[k].fn, k + 1  # type: ignore[attr-defined]
            if at(Mergecfg):
                if seq[k].mode != "add" or inputs[k] != [start, k - 1]:  # type: ignore[attr-defined]
                    raise ArchError(f"block {len(blocks) + 1}: the merge node is not a residual add over the block")
                fields["skip"], k = True, k + 1
            if at(Poolcfg):
                fields["pool"], k = seq[k].mode, k + 1  # type: ignore[attr-defined]
            if at(Dropoutcfg):
                fields["dropout"], k = seq[k].p, k + 1  # type: ignore[attr-defined]
            blocks.append(Block(**fields))
        arch = self.check(tuple(blocks))
        ref_nodes, ref_edges = self.to_layers(arch)
        got_edges = sorted((where[s], where[t]) for s, t in edges)
        if ref_nodes != seq or sorted(ref_edges) != got_edges:
            raise ArchError("not a DynamicNet space graph: its layers differ from the blocks they spell")
        return arch


def _nearest(value: int, options: Sequence[int]) -> int:
    return min(options, key=lambda o: (abs(o - value), o))
