"""The NATS-Bench size-space network (xautodl ``DynamicShapeTinyNet``), built from the NB201
skeleton of ``adapters.nb201.network``.

An architecture of ``adapters.nats_size.space.NATSSizeSpace`` is a tuple of 5 channel counts
``(c1, ..., c5)``. The network is the NB201 skeleton with one cell per stage and the fixed cell
``GENOTYPE`` (the NB201 cell NATS-Bench chose)::

    stem conv 3 -> c1 (+BN); cell c1 -> c1; residual reduction c1 -> c2; cell c2 -> c3;
    residual reduction c3 -> c4; cell c4 -> c5; BN + ReLU, global pooling, Linear(c5, classes)

A cell whose input and output channel counts differ applies its edges out of the cell input
with that change (1x1 conv + BN for ``skip_connect``), as xautodl's ``InferCell`` does.
"""
from __future__ import annotations

from typing import Sequence

import torch

from nasbench_lab.errors import ArchError

from ..nb201.network import TinyNetwork, cell_ops, dataset_shape, tiny_network

#: The cell of every size-space network (NATS-Bench ``sss``).
GENOTYPE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
KINDS = ("cell", "reduce", "cell", "reduce", "cell")


def size_layers(channels: Sequence[int]) -> list[tuple[str, int]]:
    channels = _channels(channels)
    return list(zip(KINDS, channels))


def _channels(channels) -> tuple[int, ...]:
    if isinstance(channels, str):
        from .space import NATSSizeSpace

        channels = NATSSizeSpace().parse(channels)
    try:
        out = tuple(int(c) for c in channels)
    except (TypeError, ValueError):
        raise ArchError(f"not a NATS size architecture (5 channel counts): {channels!r}") from None
    if len(out) != len(KINDS) or min(out) < 1:
        raise ArchError(f"not a NATS size architecture (5 positive channel counts): {channels!r}")
    return out


def nats_size_network(channels, dataset: str = "cifar10", *, batchnorm: bool = True, seed: int | None = None,
                      prune: bool = False) -> TinyNetwork:
    """The size-space network of ``channels`` (tuple or ``"8:16:32:64:64"``) for ``dataset``.
    With ``seed`` the weights come from ``torch.manual_seed(seed)`` (global state untouched)."""
    layers = size_layers(channels)
    classes, size = dataset_shape(dataset)
    ops = cell_ops(GENOTYPE)

    def build() -> TinyNetwork:
        return tiny_network(ops, layers, layers[0][1], classes, batchnorm=batchnorm, input_size=size, prune=prune)

    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return build()


def make_builder(dataset: str, *, batchnorm: bool = True, seed: int = 0, dtype: torch.dtype | None = None,
                 prune: bool = False):
    """``arch -> network`` for proxy tables (each network built fresh from ``seed``)."""

    def build(arch) -> TinyNetwork:
        net = nats_size_network(arch, dataset, batchnorm=batchnorm, seed=seed, prune=prune)
        return net.to(dtype) if dtype is not None else net

    return build
