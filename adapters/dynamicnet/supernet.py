"""The DynamicNet supernet: every layer slot a mixed choice over the space's block options.

Slots: ``max_conv`` conv slots (none on a flat input), then ``min(max_dense, max_blocks -
conv slots)`` dense slots, so every path fits ``max_blocks``. A conv slot chooses ``none`` (no
block) or one ``conv<width>k<kernel>-<act>`` block per (width, kernel, activation) of the space;
a dense slot ``none`` or one ``dense<width>-<act>``; the first dense slot has no ``none``, so
every path has a dense block (dense widths that could lift a path above ``max_params`` are left
out of it). Batch-norm is fixed (on by default, ``norm=True``: every block is
``conv-bn-act`` or ``linear-bn-act``, as supernets train poorly without it); pooling, dropout
and skips are not searched (no path has them). So the supernet covers the part of the space
spelled by type, width, kernel and activation; ``choices_of`` refuses any other architecture,
and ``sample`` draws from that part.

Weight sharing: one widest layer per kernel size in a conv slot (one per dense slot) is shared
by its widths (a block of width ``w`` uses its first ``w`` outputs, as once-for-all's elastic
width; its batch-norm likewise, running statistics included) and by the activations, so a mixture costs one layer per kernel plus channel masks
(FBNetV2's masking: the mixture over widths of one (kernel, activation) is the widest output
times the mask ``m[c] = sum of the weights of the widths > c``), not one layer per choice.
Widths differ between choices, so every slot output is zero-padded to the slot's widest choice,
and every layer is built for the widest input and uses the first ``c`` input channels
(features) of its weights when it gets ``c``. When a slot's weights are one-hot the supernet
keeps track of the real width and runs the one path with sliced weights: ``net(x,
net.arch_weights(arch))`` computes exactly ``net.subnet(arch)(x)``, the discrete ``DynamicNet``
of ``arch`` holding the same weights. Flattening is channel-major, so the first ``c * L``
features of a padded map are those of its first ``c`` channels.

Search data: the benchmark's own train / validation split (weights on train, alphas on
validation); nothing is a proxy task here.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.settings import Settings
from nasbench_lab.supernet import SearchData, Supernet, SupernetConfig

from .blocks import Block, Net
from .layers import Activationcfg, BatchNormcfg, Convcfg, Linearcfg
from .net import DynamicNet
from .space import DynamicNetSpace

NONE = "none"


def _pad_channels(y: torch.Tensor, width: int) -> torch.Tensor:
    """``y`` with zero channels (features) appended up to ``width``."""
    missing = width - y.shape[1]
    if missing <= 0:
        return y
    return torch.cat([y, y.new_zeros(y.shape[0], missing, *y.shape[2:])], dim=1)


class _LayerSlot(nn.Module):
    """One layer slot: ``none`` and blocks of one kind. One widest layer per kernel size (one
    for dense slots), built for the widest input, is shared by that kernel's widths (its first
    ``w`` outputs) and activations. Outputs are zero-padded to ``pad`` channels (features)."""

    def __init__(self, options: Sequence[Block | None], in_shape: tuple[int, ...], pad: int) -> None:
        super().__init__()
        blocks = [b for b in options if b is not None]
        self.options, self.pad = list(options), pad
        self.kernels = sorted({b.kernel for b in blocks})
        self.acts = sorted({b.act for b in blocks})
        width = max(b.width for b in blocks)
        conv = blocks[0].kind == "conv"
        self.cfgs = [Convcfg(width, k) if conv else Linearcfg(width) for k in self.kernels]
        self.layers = nn.ModuleList([cfg.module([in_shape]) for cfg in self.cfgs])
        self.norm = blocks[0].norm
        if self.norm:
            out_shape = (width, *in_shape[1:])
            self.norms = nn.ModuleList([BatchNormcfg().module([out_shape]) for _ in self.kernels])
        self.act_modules = nn.ModuleDict({a: Activationcfg(a).module([in_shape]) for a in self.acts})
        self.conv = {2: F.conv1d, 3: F.conv2d}.get(len(in_shape)) if conv else None
        # Mixtures: option i adds weights[i] to the first ``width`` channels of its (kernel, act) group.
        masks = torch.zeros(len(options), width)
        for i, b in enumerate(options):
            if b is not None:
                masks[i, : b.width] = 1.0
        self.register_buffer("masks", masks, persistent=False)
        self.groups = {(k, a): [i for i, b in enumerate(options) if b is not None and (b.kernel, b.act) == (k, a)]
                       for k in self.kernels for a in self.acts}

    def params_for(self, block: Block, inputs: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The weight and bias of ``block`` given ``inputs`` input channels (features): the first
        ``width`` x ``inputs`` of the shared layer, times sqrt(built inputs / inputs) so that a
        narrow input starts at the scale torch gives a layer built for it."""
        layer = self.layers[self.kernels.index(block.kernel)]
        scale = math.sqrt(layer.weight.shape[1] / inputs)
        return layer.weight[: block.width, :inputs] * scale, layer.bias[: block.width]

    def _layer(self, kernel: int, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """The layer of ``kernel`` with these (sliced) parameters, then its batch-norm's first channels."""
        j = self.kernels.index(kernel)
        if self.conv is None:
            y = F.linear(x, weight, bias)
        else:
            y = self.conv(x, weight, bias, self.cfgs[j].stride, self.cfgs[j].padding)
        return sliced_batch_norm(self.norms[j], y) if self.norm else y

    def forward(self, x: torch.Tensor, weights: torch.Tensor, chosen: int | None) -> torch.Tensor:
        """One path (``chosen``: one-hot weights) or the mixture; zero-weight groups are not run."""
        if chosen is not None:
            b = self.options[chosen]
            y = x if b is None else self.act_modules[b.act](self._layer(b.kernel, x, *self.params_for(b, x.shape[1])))
            return weights[chosen] * _pad_channels(y, self.pad)
        values = weights.detach()
        total = sum(weights[i] * _pad_channels(x, self.pad) for i, b in enumerate(self.options)
                    if b is None and values[i] != 0)
        for k in self.kernels:
            if all(values[i] == 0 for a in self.acts for i in self.groups[(k, a)]):
                continue
            b = next(b for b in self.options if b is not None and b.kernel == k)
            y = self._layer(k, x, *self.params_for(replace(b, width=self.masks.shape[1]), x.shape[1]))
            for a in self.acts:
                group = self.groups[(k, a)]
                if not group or all(values[i] == 0 for i in group):
                    continue
                mask = weights[group] @ self.masks[group]
                z = self.act_modules[a](y) * mask.view(1, -1, *([1] * (y.dim() - 2)))
                total = total + _pad_channels(z, self.pad)
        if isinstance(total, int):  # every weight zero
            return x.new_zeros(x.shape[0], self.pad, *x.shape[2:])
        return total


class DynamicNetSupernet(Supernet):
    """The supernet of a ``DynamicNetSpace`` (see the module docstring)."""

    def __init__(self, space: DynamicNetSpace, *, seed: int = 0, norm: bool = True) -> None:
        super().__init__()
        self.space = space
        shape = space.input_shape
        n_conv = min(space.max_conv, space.max_blocks - 1) if space.spatial else 0
        n_dense = max(1, min(space.max_dense, space.max_blocks - n_conv))
        conv_blocks = [Block("conv", w, a, k, norm) for w in space.conv_widths for k in space.kernels
                       for a in space.activations]
        dense_blocks = [Block("dense", w, a, 0, norm) for w in space.dense_widths for a in space.activations]
        first_dense = [b for b in dense_blocks if self._fits_as_first_dense(b, n_conv, n_dense)]
        if not first_dense:
            raise NasLabError(f"no DynamicNet supernet fits max_params={space.max_params:,}")
        self.options: list[list[Block | None]] = (
            [[None, *conv_blocks]] * n_conv + [list(first_dense)] + [[None, *dense_blocks]] * (n_dense - 1))
        self.n_conv = n_conv
        conv_pad = max(shape[0], max(space.conv_widths)) if n_conv else shape[0]
        self.flat_max = conv_pad * math.prod(shape[1:]) if space.spatial else shape[0]
        dense_pad = max(space.dense_widths)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            slots = []
            for s, options in enumerate(self.options):
                conv = s < n_conv
                in_shape = ((shape[0] if s == 0 else conv_pad, *shape[1:]) if conv
                            else (self.flat_max if s == n_conv else dense_pad,))
                slots.append(_LayerSlot(options, in_shape, conv_pad if conv else dense_pad))
            self.layer_slots = nn.ModuleList(slots)
            self.classifier = Linearcfg(space.num_classes).module([(dense_pad,)])

    def _fits_as_first_dense(self, block: Block, n_conv: int, n_dense: int) -> bool:
        """Whether the widest path through ``block`` in the first dense slot stays within max_params."""
        s = self.space
        conv = [Block("conv", max(s.conv_widths), s.activations[0], max(s.kernels), block.norm)] * n_conv
        rest = [Block("dense", max(s.dense_widths), s.activations[0], 0, block.norm)] * (n_dense - 1)
        return s.param_count(tuple(conv + [block] + rest)) <= s.max_params

    # -- the protocol ----------------------------------------------------------------------------
    def slots(self) -> list[int]:
        return [len(options) for options in self.options]

    def choice_names(self, slot: int) -> list[str]:
        return [NONE if b is None else b.token() for b in self.options[slot]]

    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        self.check_weights(weights)
        width = x.shape[1]  # the meaningful channels (features) of x; the rest are zero padding
        for s, (slot, w) in enumerate(zip(self.layer_slots, weights)):
            if s == self.n_conv:  # flatten between the conv and the dense slots (channel-major)
                x, width = x[:, :width].flatten(1), width * math.prod(x.shape[2:])
            chosen = _single(w)
            x = slot(x[:, :width], w, chosen)
            if chosen is None:
                width = x.shape[1]
            elif self.options[s][chosen] is not None:
                width = self.options[s][chosen].width
        return F.linear(x[:, :width], *self._classifier_params(width))

    def _classifier_params(self, inputs: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The classifier's first ``inputs`` columns, scaled as ``_LayerSlot.params_for`` does."""
        weight = self.classifier.weight
        return weight[:, :inputs] * math.sqrt(weight.shape[1] / inputs), self.classifier.bias

    def arch_of(self, choices: Sequence[int]) -> Net:
        blocks = [self.options[s][int(c)] for s, c in enumerate(choices)]
        return self.space.check(tuple(b for b in blocks if b is not None))

    def choices_of(self, arch: Net) -> tuple[int, ...]:
        self.space.check(arch)
        convs = [b for b in arch if b.kind == "conv"]
        denses = [b for b in arch if b.kind == "dense"]
        if len(convs) > self.n_conv or not 1 <= len(denses) <= len(self.options) - self.n_conv:
            raise NasLabError(f"the DynamicNet supernet has {self.n_conv} conv and {len(self.options) - self.n_conv} "
                              f"dense slots (at least one dense block); {self.space.format(arch)} does not fit")
        slotted = convs + [None] * (self.n_conv - len(convs)) + denses
        slotted += [None] * (len(self.options) - len(slotted))
        choices = []
        for s, b in enumerate(slotted):
            if b not in self.options[s]:
                raise NasLabError(f"the DynamicNet supernet searches type, width, kernel and activation only; "
                                  f"block {b.token()} of {self.space.format(arch)} is not among slot {s}'s choices")
            choices.append(self.options[s].index(b))
        return tuple(choices)

    # -- beyond the protocol -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Net:
        """A path drawn uniformly per slot (the supernet's own sub-space of the DynamicNet space)."""
        return self.arch_of([int(rng.integers(n)) for n in self.slots()])

    def subnet(self, arch: Net) -> DynamicNet:
        """The discrete ``DynamicNet`` of ``arch`` holding the supernet's weights for that path."""
        net = self.space.build(arch)
        layers = [m for m in net.layers if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))]
        norms = iter(m for m in net.layers if isinstance(m, nn.modules.batchnorm._BatchNorm))
        blocks = [(s, self.options[s][c]) for s, c in enumerate(self.choices_of(arch)) if self.options[s][c] is not None]
        with torch.no_grad():
            for target, (s, block) in zip(layers, blocks):
                slot = self.layer_slots[s]
                weight, bias = slot.params_for(block, target.weight.shape[1])
                target.weight.copy_(weight)
                target.bias.copy_(bias)
                if block.norm:
                    bn, source = next(norms), slot.norms[slot.kernels.index(block.kernel)]
                    for name in ("weight", "bias", "running_mean", "running_var"):
                        getattr(bn, name).copy_(getattr(source, name)[: block.width])
            classifier = layers[len(blocks)]
            weight, bias = self._classifier_params(classifier.weight.shape[1])
            classifier.weight.copy_(weight)
            classifier.bias.copy_(bias)
        return net.to(self.device())


def sliced_batch_norm(bn: nn.modules.batchnorm._BatchNorm, y: torch.Tensor) -> torch.Tensor:
    """``bn`` on the first ``y.shape[1]`` channels, as ``bn.forward`` computes it (running
    statistics updated in place, cumulative average when ``momentum`` is None)."""
    width = y.shape[1]
    factor = 0.0
    if bn.training:
        bn.num_batches_tracked.add_(1)
        factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    return F.batch_norm(y, bn.running_mean[:width], bn.running_var[:width], bn.weight[:width], bn.bias[:width],
                        bn.training, factor, bn.eps)


def _single(weights: torch.Tensor) -> int | None:
    """The index of the only non-zero weight when it is exactly 1, else None (a mixture)."""
    values = weights.detach()
    nonzero = torch.nonzero(values).flatten()
    if len(nonzero) == 1 and float(values[nonzero[0]]) == 1.0:
        return int(nonzero[0])
    return None


# -- provider functions (``ENTRY.supernet``, ``supernet_provider``) ------------------------------

def build_supernet(space: DynamicNetSpace, dataset: str, config: SupernetConfig) -> DynamicNetSupernet:
    """The supernet of ``space``; its slots come from the space, so ``width`` and ``depth`` are
    not taken, nor PC-DARTS partial channels (the widths of a slot's choices differ)."""
    if config.width is not None or config.depth is not None:
        raise NasLabError("the DynamicNet supernet takes its widths and depth from the space: leave width and depth at 0")
    if config.partial_channels != 1:
        raise NasLabError("the DynamicNet supernet has no partial channels (its choices differ in width): "
                          "pc-darts runs on nb201 only")
    return DynamicNetSupernet(space, seed=config.seed)


def search_data(dataset: str, settings: Settings, *, seed: int) -> SearchData:
    """The benchmark's training split for weight steps, its validation split for architecture
    steps (the same data and split the live evaluator uses; ``seed`` does not change it)."""
    from .benchmark import load_data

    data = load_data(dataset, settings)
    source = (f"dynamicnet/{dataset}: train {len(data.train_y):,} / validation {len(data.val_y):,} "
              "(the benchmark's own split)")
    return SearchData((data.train_x, data.train_y), (data.val_x, data.val_y), source, proxy=False)
