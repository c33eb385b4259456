"""``OFASupernet``: the elastic network of an ``OFAStructure``, every configuration one slice of it.

``net.run(x, config)`` computes the sub-network of ``config``; it also follows the
``nasbench_lab.supernet.Supernet`` protocol with one-hot weights only (``forward(x,
net.arch_weights(arch))``), so the shared BN recalibration and inherited-accuracy helpers of
``nasbench_lab.supernet.evaluation`` work on it. ``extract(config)`` gives the standalone
``DynamicNet`` holding that slice (kernel-transformed weights, current BN statistics):
``extract(config)(x) == run(x, config)`` in eval mode.

``sort_channels()`` reorders every stage's channels by importance (L1 norm of the weights
producing each channel, summed over the stage's blocks, largest first), together with the inputs
that consume them (next stage's first layer, flattened maps included, or the classifier): the
largest network computes the same function, and the first ``w`` channels are the most important.
Progressive shrinking calls it once, before width becomes elastic.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.supernet import Supernet

from ..blocks import Net
from ..net import DynamicNet
from .elastic import ElasticBlock, ElasticLinear, spatial_size
from .structure import OFAConfig, OFAStructure


class OFASupernet(Supernet):
    """The elastic supernet of ``structure`` (weights initialised from ``seed``)."""

    def __init__(self, structure: OFAStructure, *, seed: int = 0) -> None:
        super().__init__()
        self.structure = structure
        shape = tuple(structure.space.input_shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            stages, self.stage_shapes = [], []
            for s in structure.stages:
                if s.kind == "dense" and len(shape) > 1:
                    shape = (math.prod(shape),)
                blocks = []
                for j in range(s.max_depth):
                    block = ElasticBlock(s.kind, shape, s.widths[-1], s.kernels, structure.act,
                                         s.pool if j == 0 else "none", j > 0)
                    blocks.append(block)
                    shape = (s.widths[-1], *shape[1:])
                    if j == 0 and s.pool != "none":
                        shape = (shape[0], *(n // 2 for n in shape[1:]))
                stages.append(nn.ModuleList(blocks))
                self.stage_shapes.append(shape)
            self.stage_blocks = nn.ModuleList(stages)
            self.classifier = ElasticLinear(math.prod(shape), structure.space.num_classes)
        self.register_buffer("channels_sorted", torch.tensor(False))

    # -- computing a configuration ---------------------------------------------------------------
    def run(self, x: torch.Tensor, config: OFAConfig) -> torch.Tensor:
        """Logits of the sub-network ``config``."""
        for s, blocks, d, w, ks in zip(self.structure.stages, self.stage_blocks, config.depths, config.widths,
                                       config.kernels):
            if s.kind == "dense" and x.dim() > 2:
                x = x.flatten(1)
            for j in range(d):
                x = blocks[j](x, w, ks[j] if ks else 0)
        x = x.flatten(1)
        return self.classifier(x, self.structure.space.num_classes)

    # -- the Supernet protocol (one-hot weights only) ----------------------------------------------
    def slots(self) -> list[int]:
        return [len(o) for o in self.structure.slot_options()]

    def choice_names(self, slot: int) -> list[str]:
        n = len(self.structure.stages)
        if slot < 2 * n:
            what = "depth" if slot % 2 == 0 else "width"
            label = f"stage{slot // 2 + 1}-{what}"
        else:
            label = f"kernel-slot{slot - 2 * n + 1}"
        return [f"{label}{v}" for v in self.structure.slot_options()[slot]]

    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        self.check_weights(weights)
        choices = []
        for w in weights:
            nonzero = torch.nonzero(w.detach()).flatten()
            if len(nonzero) != 1 or float(w[nonzero[0]]) != 1.0:
                raise NasLabError("the OFA supernet runs one configuration at a time: give one-hot weights")
            choices.append(int(nonzero[0]))
        return self.run(x, self.structure.config_from_choices(choices))

    def arch_of(self, choices: Sequence[int]) -> Net:
        return self.structure.arch(self.structure.config_from_choices(choices))

    def choices_of(self, arch: Net) -> tuple[int, ...]:
        return self.structure.choices_of(self.structure.config_of(arch))

    # -- importance sorting --------------------------------------------------------------------------
    def sort_channels(self) -> None:
        """Sort every stage's channels by importance (see the module docstring); once."""
        if bool(self.channels_sorted):
            return
        stages = list(self.stage_blocks)
        for i, blocks in enumerate(stages):
            importance = sum(b.layer.l1_by_output() for b in blocks)
            perm = torch.argsort(-importance, stable=True)
            for j, block in enumerate(blocks):
                block.permute_outputs(perm)
                if j > 0:
                    block.layer.permute_inputs(perm)
            last = i + 1 == len(stages)
            consumer = self.classifier if last else stages[i + 1][0].layer
            flattens = self.structure.stages[i].kind == "conv" and (last or self.structure.stages[i + 1].kind == "dense")
            consumer.permute_inputs(perm, spatial_size(self.stage_shapes[i]) if flattens else 1)
        self.channels_sorted.fill_(True)

    # -- extraction ------------------------------------------------------------------------------------
    def extract(self, config: OFAConfig) -> DynamicNet:
        """The standalone ``DynamicNet`` of ``config`` holding its slice of the weights (kernels
        transformed) and the current BN running statistics, in eval mode."""
        structure = self.structure
        net = structure.space.build(structure.arch(config))
        layers = [m for m in net.layers if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))]
        norms = [m for m in net.layers if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        kept = structure.blocks(config)
        if len(layers) != len(kept) + 1 or len(norms) != len(kept):
            raise NasLabError(f"cannot extract {structure.space.format(structure.arch(config))}: "
                              f"its DynamicNet has {len(layers)} layers and {len(norms)} batch-norms for {len(kept)} blocks")
        for (s, j, block), layer, norm in zip(kept, layers, norms):
            source = self.stage_blocks[s][j]
            source.copy_to(layer, norm, block.width, layer.weight.shape[1], block.kernel)
        classifier = layers[-1]
        with torch.no_grad():
            classifier.weight.copy_(self.classifier.active_weight(classifier.out_features, classifier.in_features))
            classifier.bias.copy_(self.classifier.active_bias(classifier.out_features))
        return net.eval()

