"""The NAS-Bench-201 network skeleton, as trained by the benchmark (xautodl ``TinyNetwork``).

One implementation serves the zero-cost proxies (``nasbench_lab.proxies``) and the cost table
(``adapters.nb201.costs``)::

    stem:    Conv2d(3, C, 3x3, no bias) + BatchNorm
    stage 1: N cells at C channels                  (32x32 on CIFAR, 16x16 on ImageNet16-120)
    reduce:  residual block C -> 2C, stride 2        (ReLU-conv3x3/2-BN, ReLU-conv3x3-BN,
                                                       shortcut AvgPool2d(2) + conv1x1)
    stage 2: N cells at 2C
    reduce:  residual block 2C -> 4C, stride 2
    stage 3: N cells at 4C
    head:    BatchNorm + ReLU, global average pooling, Linear(4C, classes)

with C = 16 and N = 5 in NAS-Bench-201. A cell has 4 nodes; edge ``i -> j`` applies one of
``none`` (zeros), ``skip_connect`` (identity), ``nor_conv_1x1`` / ``nor_conv_3x3``
(ReLU-conv-BN, no conv bias), ``avg_pool_3x3`` (stride 1, padding 1, padding not counted), and
node ``j`` is the sum of its incoming edges; node 3 is the cell output.

``batchnorm=False`` builds the same network without any BatchNorm layer (stem, cells, residual
blocks, head), as the SynFlow reference implementation scores cells.

**Seeded weights.** ``nb201_network(cell, seed=s)`` takes its weights from an ``NB201Bank``: all
candidate operations at every position (cell, edge), initialised with PyTorch's default
initialisation in a fixed order from ``torch.manual_seed(s)``. The same operation at the same
position therefore has the same weights in every cell, whatever the order, process or pool in
which cells are built (the global random state is left untouched). CIFAR-10, CIFAR-100 and
ImageNet16-120 banks of one seed share every weight but the classifier.

**Pruning.** ``prune=True`` skips the edges that cannot change the output (edges into a node
that does not reach the cell output, edges out of a node that is always zero). The output is
unchanged; use it only for measures that ignore such edges (e.g. SynFlow, whose terms for them
are exactly zero), not for FLOP counts or activation statistics.

Cells whose first node receives ``C_in != C_out`` channels (the NATS size space) follow xautodl:
a 1x1 conv (+BN) for ``skip_connect``, a 1x1 ReLU-conv-BN before ``avg_pool_3x3``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import torch
from torch import nn

from nasbench_lab.core.benchmark import resolve_dataset
from nasbench_lab.errors import ArchError

from .space import EDGES, OPS, NB201Space

#: dataset -> (classes, input height/width), as NAS-Bench-201 trains them.
DATASETS: dict[str, tuple[int, int]] = {
    "cifar10": (10, 32),
    "cifar100": (100, 32),
    "ImageNet16-120": (120, 16),
}
C_DEFAULT = 16
N_DEFAULT = 5


def dataset_shape(dataset: str) -> tuple[int, int]:
    """``(classes, input size)`` of a dataset (aliases such as ``c100`` accepted)."""
    return DATASETS[resolve_dataset(dataset, tuple(DATASETS), "nb201 network")]


def _bn(channels: int, batchnorm: bool, affine: bool = True) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels, affine=affine)] if batchnorm else []


class ReLUConvBN(nn.Sequential):
    """ReLU, Conv2d without bias, BatchNorm (omitted when ``batchnorm=False``; without scale
    and shift when ``affine=False``, as in the supernet search phase)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, batchnorm: bool = True,
                 affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            *_bn(c_out, batchnorm, affine),
        )


class Zero(nn.Module):
    """The ``none`` operation: zeros of the output shape (cells and mixed choices skip it)."""

    outputs_zero = True

    def __init__(self, c_out: int) -> None:
        super().__init__()
        self.c_out = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        return x.new_zeros(n, self.c_out, h, w)


class ChannelSkip(nn.Module):
    """``skip_connect`` between different channel counts at stride 1: conv1x1 (+BN), no ReLU."""

    def __init__(self, c_in: int, c_out: int, batchnorm: bool = True) -> None:
        super().__init__()
        self.op = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), *_bn(c_out, batchnorm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


@lru_cache(maxsize=64)
def _inverse_counts(h: int, w: int, dtype: torch.dtype) -> torch.Tensor:
    """1 / (number of in-bounds pixels of each 3x3 window), shape (h, w)."""
    rows = torch.full((h,), 3.0, dtype=torch.float64)
    cols = torch.full((w,), 3.0, dtype=torch.float64)
    rows[0] -= 1
    rows[-1] -= 1
    cols[0] -= 1
    cols[-1] -= 1
    return (1.0 / torch.outer(rows.clamp(min=1), cols.clamp(min=1))).to(dtype)


def avg_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    """``AvgPool2d(3, stride=1, padding=1, count_include_pad=False)`` as separable box sums
    (the same values up to rounding; a few times faster in float64)."""
    h, w = x.shape[-2:]
    if h < 2 or w < 2:
        return nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    p = nn.functional.pad(x, (1, 1, 1, 1))
    rows = p[..., :-2, :] + p[..., 1:-1, :] + p[..., 2:, :]
    return (rows[..., :-2] + rows[..., 1:-1] + rows[..., 2:]) * _inverse_counts(h, w, x.dtype)


class AvgPool(nn.Module):
    """``avg_pool_3x3``: 3x3 average pooling, stride 1, padding 1, padding not counted
    (``avg_pool_3x3``), after a 1x1 ReLU-conv-BN when the channel count changes."""

    def __init__(self, c_in: int, c_out: int, batchnorm: bool = True) -> None:
        super().__init__()
        self.preprocess = ReLUConvBN(c_in, c_out, 1, 1, batchnorm) if c_in != c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return avg_pool_3x3(self.preprocess(x) if self.preprocess is not None else x)


def make_op(name: str, c_in: int, c_out: int, batchnorm: bool = True, affine: bool = True) -> nn.Module:
    """One cell operation (stride 1, as in every NAS-Bench-201 cell); ``affine=False``: the
    convolutions' BatchNorm without scale and shift (the supernet's search phase)."""
    if name == "none":
        return Zero(c_out)
    if name == "skip_connect":
        return nn.Identity() if c_in == c_out else ChannelSkip(c_in, c_out, batchnorm)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1, 1, batchnorm, affine)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, 1, batchnorm, affine)
    if name == "avg_pool_3x3":
        return AvgPool(c_in, c_out, batchnorm)
    raise ArchError(f"unknown NB201 operation {name!r}; choose from {', '.join(OPS)}")


def live_edges(op_names: Sequence[str]) -> tuple[bool, ...]:
    """Per edge: can it change the cell output? (not ``none``, its source node is not always
    zero, and its target node reaches the output through non-``none`` edges)."""
    real = [op != "none" for op in op_names]
    nonzero = [True, False, False, False]
    for j in (1, 2, 3):
        nonzero[j] = any(real[k] and nonzero[i] for k, (i, t) in enumerate(EDGES) if t == j)
    reaches = [False, False, False, True]
    for i in (2, 1, 0):
        reaches[i] = any(real[k] and reaches[t] for k, (s, t) in enumerate(EDGES) if s == i)
    return tuple(real[k] and nonzero[i] and reaches[t] for k, (i, t) in enumerate(EDGES))


class Cell(nn.Module):
    """A NAS-Bench-201 cell: operation modules on the 6 edges ``i -> j`` (order of
    ``adapters.nb201.space.EDGES``). ``none`` edges add exact zeros and are skipped; with ``prune``
    edges that cannot change the output are skipped too (see the module docstring)."""

    def __init__(self, op_names: Sequence[str], ops: Sequence[nn.Module], c_in: int, c_out: int,
                 prune: bool = False) -> None:
        super().__init__()
        if len(op_names) != len(EDGES) or len(ops) != len(EDGES):
            raise ArchError(f"a cell has {len(EDGES)} edges, got {len(op_names)} operations")
        self.op_names = tuple(op_names)
        self.c_in, self.c_out, self.prune = c_in, c_out, prune
        self.edges = nn.ModuleList(ops)
        self._run = live_edges(op_names) if prune else tuple(op != "none" for op in op_names)

    @classmethod
    def build(cls, op_names: Sequence[str], c_in: int, c_out: int, batchnorm: bool = True,
              prune: bool = False) -> "Cell":
        ops = [make_op(op, c_in if i == 0 else c_out, c_out, batchnorm) for op, (i, _) in zip(op_names, EDGES)]
        return cls(op_names, ops, c_in, c_out, prune)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            total = None
            for k, (i, t) in enumerate(EDGES):
                if t == j and self._run[k]:
                    out = self.edges[k](nodes[i])
                    total = out if total is None else total + out
            if total is None:
                n, _, h, w = x.shape
                total = x.new_zeros(n, self.c_out, h, w)
            nodes.append(total)
        return nodes[3]

    def extra_repr(self) -> str:
        return f"c_in={self.c_in}, c_out={self.c_out}, ops={'|'.join(self.op_names)}"


class ResidualReduction(nn.Module):
    """The residual block between stages: ReLU-conv3x3(stride 2)-BN, ReLU-conv3x3-BN, plus a
    shortcut AvgPool2d(2) + conv1x1 (no bias, no BN)."""

    def __init__(self, c_in: int, c_out: int, batchnorm: bool = True) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, batchnorm)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, batchnorm)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.downsample(x)


class TinyNetwork(nn.Module):
    """Stem, a stack of cells and residual reductions, BN + ReLU head, global average pooling,
    linear classifier. ``forward`` returns the logits.

    ``linear_when_positive`` is True when the network has no BatchNorm: with non-negative
    weights and inputs every layer is then linear and batch elements are independent, which
    lets SynFlow run forward-only (``nasbench_lab.proxies.synflow``)."""

    def __init__(self, stem: nn.Module, cells: Sequence[nn.Module], lastact: nn.Module, classifier: nn.Linear,
                 *, input_size: int, batchnorm: bool) -> None:
        super().__init__()
        self.stem = stem
        self.cells = nn.ModuleList(cells)
        self.lastact = lastact
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = classifier
        self.num_classes = classifier.out_features
        self.input_size, self.batchnorm = input_size, batchnorm
        self.linear_when_positive = not batchnorm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.cells:
            x = block(x)
        x = self.global_pooling(self.lastact(x)).flatten(1)
        return self.classifier(x)

    def input_shape(self, batch: int = 1) -> tuple[int, int, int, int]:
        return (batch, 3, self.input_size, self.input_size)


def make_stem(c: int, batchnorm: bool) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), *_bn(c, batchnorm))


def make_head(c: int, num_classes: int, batchnorm: bool) -> tuple[nn.Module, nn.Linear]:
    return nn.Sequential(*_bn(c, batchnorm), nn.ReLU(inplace=False)), nn.Linear(c, num_classes)


def tiny_network(cell_ops: Sequence[str], layers: Sequence[tuple[str, int]], stem_channels: int,
                 num_classes: int, *, batchnorm: bool = True, input_size: int = 32,
                 prune: bool = False) -> TinyNetwork:
    """Build a network: ``layers`` lists ``("cell", channels)`` / ``("reduce", channels)``."""
    stem = make_stem(stem_channels, batchnorm)
    c_prev, blocks = stem_channels, []
    for kind, c in layers:
        if kind == "reduce":
            blocks.append(ResidualReduction(c_prev, c, batchnorm))
        elif kind == "cell":
            blocks.append(Cell.build(cell_ops, c_prev, c, batchnorm, prune))
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
        c_prev = c
    lastact, classifier = make_head(c_prev, num_classes, batchnorm)
    return TinyNetwork(stem, blocks, lastact, classifier, input_size=input_size, batchnorm=batchnorm)


def nb201_layers(C: int = C_DEFAULT, N: int = N_DEFAULT) -> list[tuple[str, int]]:
    """``N`` cells at C, reduction to 2C, ``N`` cells at 2C, reduction to 4C, ``N`` cells at 4C."""
    return [("cell", C)] * N + [("reduce", 2 * C)] + [("cell", 2 * C)] * N + [("reduce", 4 * C)] + [("cell", 4 * C)] * N


def cell_ops(cell) -> tuple[str, ...]:
    """Operation names of a cell given as a tuple of op indices, of op names, or the string."""
    if isinstance(cell, str):
        cell = NB201Space().parse(cell)
    try:
        cell = tuple(cell)
    except TypeError:
        raise ArchError(f"not an NB201 cell: {cell!r}") from None
    if len(cell) == len(EDGES) and all(isinstance(o, str) for o in cell):
        for o in cell:
            if o not in OPS:
                raise ArchError(f"unknown NB201 operation {o!r}; choose from {', '.join(OPS)}")
        return cell  # type: ignore[return-value]
    NB201Space().index(cell)  # raises ArchError for anything else
    return tuple(OPS[int(o)] for o in cell)


class NB201Bank:
    """Every candidate operation at every cell position, plus the fixed parts (stem, residual
    reductions, head), initialised from one seed. ``network(cell)`` assembles the network of a
    cell from these modules without allocating or initialising anything, so networks of many
    cells share weights position by position (modifying one network's weights modifies the
    bank)."""

    def __init__(self, dataset: str = "cifar10", *, batchnorm: bool = True, seed: int = 0,
                 C: int = C_DEFAULT, N: int = N_DEFAULT, dtype: torch.dtype | None = None) -> None:
        self.num_classes, self.input_size = dataset_shape(dataset)
        self.batchnorm, self.seed, self.layers = batchnorm, int(seed), nb201_layers(C, N)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.stem = make_stem(C, batchnorm)
            c_prev = C
            #: per layer: a ResidualReduction, or per edge a dict op name -> module
            self.blocks: list = []
            self.cell_inputs: list[int] = []
            for kind, c in self.layers:
                self.cell_inputs.append(c_prev)
                if kind == "reduce":
                    self.blocks.append(ResidualReduction(c_prev, c, batchnorm))
                else:
                    self.blocks.append([{op: make_op(op, c_prev if i == 0 else c, c, batchnorm) for op in OPS}
                                        for (i, _) in EDGES])
                c_prev = c
            self.lastact, self.classifier = make_head(c_prev, self.num_classes, batchnorm)
        if dtype is not None:
            for module in self.modules():
                module.to(dtype)

    def modules(self) -> list[nn.Module]:
        out: list[nn.Module] = [self.stem, self.lastact, self.classifier]
        for block in self.blocks:
            out += [m for edge in block for m in edge.values()] if isinstance(block, list) else [block]
        return out

    def network(self, cell, *, prune: bool = False) -> TinyNetwork:
        ops = cell_ops(cell)
        blocks = []
        for (kind, c), c_in, block in zip(self.layers, self.cell_inputs, self.blocks):
            if kind == "reduce":
                blocks.append(block)
            else:
                blocks.append(Cell(ops, [block[k][op] for k, op in enumerate(ops)], c_in, c, prune))
        return TinyNetwork(self.stem, blocks, self.lastact, self.classifier,
                           input_size=self.input_size, batchnorm=self.batchnorm)


@lru_cache(maxsize=8)
def _bank(dataset: str, batchnorm: bool, seed: int, C: int, N: int) -> NB201Bank:
    return NB201Bank(dataset, batchnorm=batchnorm, seed=seed, C=C, N=N)


def nb201_network(cell, dataset: str = "cifar10", *, batchnorm: bool = True, C: int = C_DEFAULT,
                  N: int = N_DEFAULT, seed: int | None = None, prune: bool = False) -> TinyNetwork:
    """The NAS-Bench-201 network of ``cell`` (op-index tuple, op names or the official string)
    for ``dataset`` (cifar10: 10 classes, cifar100: 100, ImageNet16-120: 120 classes at 16x16).

    With ``seed`` the weights are those of ``NB201Bank(seed)`` (copied, so the network owns
    them); without, a fresh network with PyTorch's default initialisation from the global
    random stream."""
    ops = cell_ops(cell)
    classes, size = dataset_shape(dataset)
    if seed is None:
        return tiny_network(ops, nb201_layers(C, N), C, classes, batchnorm=batchnorm, input_size=size, prune=prune)
    import copy

    bank = _bank(resolve_dataset(dataset, tuple(DATASETS), "nb201 network"), batchnorm, int(seed), C, N)
    return copy.deepcopy(bank.network(ops, prune=prune))


def make_builder(dataset: str, *, batchnorm: bool = True, seed: int = 0, dtype: torch.dtype | None = None,
                 prune: bool = False):
    """``arch -> network`` for proxy tables: networks assembled from one ``NB201Bank`` (same
    weights as ``nb201_network(arch, dataset, seed=seed)``; they share the bank's modules)."""
    bank = NB201Bank(dataset, batchnorm=batchnorm, seed=seed, dtype=dtype)

    def build(arch) -> TinyNetwork:
        return bank.network(arch, prune=prune)

    return build
