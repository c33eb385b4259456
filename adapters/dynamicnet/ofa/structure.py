"""The Once-for-All macro structure over the DynamicNet space, and its configurations.

A structure is a list of **stages** (conv stages first, then dense stages). A stage holds up to
``max_depth`` blocks of one kind sharing one width; a configuration chooses, per stage, its
**depth** (the first ``d`` blocks are kept), its **width** (one of the stage's widths) and, per
kept conv block, its **kernel**. Every configuration spells a DynamicNet architecture of the
space (``arch`` / ``config_of``): a stage's first block changes the width (and, for a conv stage
with ``pool``, pools by 2), every further block keeps the shape and adds its input (``-skip``), so
dropping the last blocks of a stage leaves the feature map the next stage expects. Blocks are
``conv<w>k<k>-<act>-bn`` and ``dense<w>-<act>-bn``.

Presets (``preset``): ``cnn`` (signals and images: one conv stage of up to 3 blocks, widths
8/16/32/64, kernels 1/3/5, max-pool after its first block; one dense stage of up to 2 blocks,
widths 32/64/128; 936 configurations) and ``mlp`` (one dense stage of up to 3 blocks, widths
16/32/64/128/256; 15 configurations), 5 and 3
blocks at most: both fit the default ``DynamicNetSpace`` (3 conv, 3 dense, 5 blocks).

Decision slots (for the ``Supernet`` protocol and evolution): per stage a depth slot (choices
``1..max_depth``) and a width slot (its widths, ascending); per conv block position a kernel
slot (its kernels, ascending). Kernel slots of dropped blocks are ignored.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from nasbench_lab.errors import NasLabError

from ..blocks import Block, Net
from ..space import DynamicNetSpace

PRESETS = ("cnn", "mlp")
#: The elastic dimensions, in the order progressive shrinking opens them.
DIMENSIONS = ("kernel", "depth", "width")


@dataclass(frozen=True)
class Stage:
    """Up to ``max_depth`` blocks of ``kind`` (conv or dense) sharing one width from ``widths``;
    conv stages choose a kernel per block from ``kernels`` and pool (``max``/``avg``/``none``)
    after their first block."""

    kind: str
    max_depth: int
    widths: tuple[int, ...]
    kernels: tuple[int, ...] = ()
    pool: str = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(sorted(int(w) for w in self.widths)))
        object.__setattr__(self, "kernels", tuple(sorted(int(k) for k in self.kernels)))
        if self.kind not in ("conv", "dense") or self.max_depth < 1 or not self.widths:
            raise NasLabError(f"an OFA stage needs kind conv or dense, max_depth >= 1 and widths, got {self}")
        if (self.kind == "conv") != bool(self.kernels) or (self.kind == "dense" and self.pool != "none"):
            raise NasLabError(f"conv stages (only) have kernels, dense stages no pooling: {self}")


@dataclass(frozen=True)
class OFAConfig:
    """One sub-network: per stage its depth and width; per conv stage the kernel of each kept
    block (``kernels[s]`` has ``depths[s]`` entries; empty for dense stages)."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    kernels: tuple[tuple[int, ...], ...]


class OFAStructure:
    """Stages over a ``DynamicNetSpace`` (see the module docstring); ``act`` is every block's activation."""

    def __init__(self, space: DynamicNetSpace, stages: Sequence[Stage], *, act: str = "relu", name: str = "custom") -> None:
        self.space, self.stages, self.act, self.name = space, tuple(stages), act, name
        kinds = [s.kind for s in self.stages]
        n_conv = sum(s.max_depth for s in self.stages if s.kind == "conv")
        n_dense = sum(s.max_depth for s in self.stages if s.kind == "dense")
        if not kinds or kinds != sorted(kinds):  # "conv" < "dense"
            raise NasLabError("an OFA structure needs at least one stage, conv stages before dense ones")
        if n_conv > space.max_conv or n_dense > space.max_dense or n_conv + n_dense > space.max_blocks:
            raise NasLabError(f"the OFA structure has up to {n_conv} conv and {n_dense} dense blocks; the space "
                              f"allows {space.max_conv} conv, {space.max_dense} dense, {space.max_blocks} in all")
        for s in self.stages:
            widths = space.conv_widths if s.kind == "conv" else space.dense_widths
            if not set(s.widths) <= set(widths) or not set(s.kernels) <= set(space.kernels):
                raise NasLabError(f"stage {s} uses widths or kernels outside the space's ({widths}, {space.kernels})")
        space.check(self.arch(self.largest()))

    # -- configurations ------------------------------------------------------------------------
    def largest(self) -> OFAConfig:
        return OFAConfig(tuple(s.max_depth for s in self.stages), tuple(s.widths[-1] for s in self.stages),
                         tuple((s.kernels[-1],) * s.max_depth if s.kernels else () for s in self.stages))

    def smallest(self) -> OFAConfig:
        return OFAConfig((1,) * len(self.stages), tuple(s.widths[0] for s in self.stages),
                         tuple((s.kernels[0],) if s.kernels else () for s in self.stages))

    def check(self, config: OFAConfig) -> OFAConfig:
        """``config`` if it is a configuration of this structure, else a ``NasLabError`` saying why."""
        if not isinstance(config, OFAConfig) or not (len(config.depths) == len(config.widths)
                                                     == len(config.kernels) == len(self.stages)):
            raise NasLabError(f"not a configuration of this {len(self.stages)}-stage OFA structure: {config!r}")
        for i, (s, d, w, ks) in enumerate(zip(self.stages, config.depths, config.widths, config.kernels), start=1):
            if not 1 <= d <= s.max_depth or w not in s.widths:
                raise NasLabError(f"stage {i}: depth {d} / width {w} not among 1..{s.max_depth} / {s.widths}")
            if len(ks) != (d if s.kernels else 0) or any(k not in s.kernels for k in ks):
                raise NasLabError(f"stage {i}: kernels {ks} do not give one of {s.kernels} per kept block")
        return config

    def blocks(self, config: OFAConfig) -> list[tuple[int, int, Block]]:
        """``(stage, position, block)`` of every kept block, in order."""
        self.check(config)
        out = []
        for i, (s, d, w, ks) in enumerate(zip(self.stages, config.depths, config.widths, config.kernels)):
            for j in range(d):
                out.append((i, j, Block(s.kind, w, self.act, ks[j] if ks else 0, True,
                                        s.pool if j == 0 else "none", 0.0, j > 0)))
        return out

    def arch(self, config: OFAConfig) -> Net:
        """The DynamicNet architecture (tuple of ``Block``) of ``config``."""
        return tuple(b for _, _, b in self.blocks(config))

    def config_of(self, arch: Net) -> OFAConfig:
        """The configuration spelling ``arch``; a ``NasLabError`` when the structure does not cover it."""
        blocks, depths, widths, kernels = list(arch), [], [], []
        for i, s in enumerate(self.stages, start=1):
            run = 0
            while run < s.max_depth and run < len(blocks) and blocks[run].kind == s.kind and (run == 0 or blocks[run].skip):
                run += 1
            if run == 0:
                raise NasLabError(f"{self._text(arch)} is not covered by the OFA structure: stage {i} ({s.kind}) is empty")
            depths.append(run)
            widths.append(blocks[0].width)
            kernels.append(tuple(b.kernel for b in blocks[:run]) if s.kernels else ())
            blocks = blocks[run:]
        if blocks:
            raise NasLabError(f"{self._text(arch)} is not covered by the OFA structure: blocks left after its stages")
        try:
            config = self.check(OFAConfig(tuple(depths), tuple(widths), tuple(kernels)))
        except NasLabError as exc:
            raise NasLabError(f"{self._text(arch)} is not covered by the OFA structure: {exc}") from None
        if self.arch(config) != tuple(arch):
            raise NasLabError(f"{self._text(arch)} is not covered by the OFA structure: its blocks must read "
                              f"{self.space.format(self.arch(config))} (activation {self.act}, batch-norm, "
                              "pooling after a stage's first block, skips on the others, no dropout)")
        return config

    def _text(self, arch) -> str:
        try:
            return self.space.format(arch)
        except NasLabError:
            return repr(arch)

    # -- decision slots ------------------------------------------------------------------------
    def slot_options(self) -> list[tuple[int, ...]]:
        """Per slot its values: per stage (depths 1..max, widths), then per conv block position its kernels."""
        slots: list[tuple[int, ...]] = []
        for s in self.stages:
            slots += [tuple(range(1, s.max_depth + 1)), s.widths]
        for s in self.stages:
            slots += [s.kernels] * (s.max_depth if s.kernels else 0)
        return slots

    def choices_of(self, config: OFAConfig) -> tuple[int, ...]:
        """Choice index per slot (kernel slots of dropped blocks: 0)."""
        self.check(config)
        out: list[int] = []
        for s, d, w in zip(self.stages, config.depths, config.widths):
            out += [d - 1, s.widths.index(w)]
        for s, ks in zip(self.stages, config.kernels):
            if s.kernels:
                out += [s.kernels.index(k) for k in ks] + [0] * (s.max_depth - len(ks))
        return tuple(out)

    def config_from_choices(self, choices: Sequence[int]) -> OFAConfig:
        options = self.slot_options()
        if len(choices) != len(options) or any(not 0 <= int(c) < len(o) for c, o in zip(choices, options)):
            raise NasLabError(f"expected one choice per slot of sizes {[len(o) for o in options]}, got {list(choices)}")
        n = len(self.stages)
        depths = tuple(options[2 * i][int(choices[2 * i])] for i in range(n))
        widths = tuple(options[2 * i + 1][int(choices[2 * i + 1])] for i in range(n))
        kernels, k = [], 2 * n
        for s, d in zip(self.stages, depths):
            if s.kernels:
                kernels.append(tuple(s.kernels[int(c)] for c in choices[k:k + d]))
                k += s.max_depth
            else:
                kernels.append(())
        return OFAConfig(depths, widths, tuple(kernels))

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, opened: dict[str, int] | None = None) -> OFAConfig:
        """A configuration with each choice uniform among the ``opened[dim]`` largest values of
        its dimension (kernel, depth, width; all when absent), capped at what each stage has."""
        opened = opened or {}

        def pick(values: Sequence[int], dim: str) -> int:
            top = values[-min(len(values), max(1, opened.get(dim, len(values)))):]
            return int(top[int(rng.integers(len(top)))])

        depths = tuple(pick(range(1, s.max_depth + 1), "depth") for s in self.stages)
        widths = tuple(pick(s.widths, "width") for s in self.stages)
        kernels = tuple(tuple(pick(s.kernels, "kernel") for _ in range(d)) if s.kernels else ()
                        for s, d in zip(self.stages, depths))
        return OFAConfig(depths, widths, kernels)

    def size(self) -> int:
        """Number of distinct configurations."""
        total = 1
        for s in self.stages:
            total *= len(s.widths) * sum(len(s.kernels or (0,)) ** d for d in range(1, s.max_depth + 1))
        return total

    def describe(self) -> dict:
        """A JSON-ready description (part of the supernet cache key)."""
        return {"name": self.name, "input": list(self.space.input_shape), "classes": self.space.num_classes,
                "act": self.act, "stages": [asdict(s) for s in self.stages]}


def preset(space: DynamicNetSpace, name: str = "cnn") -> OFAStructure:
    """The ``cnn`` or ``mlp`` structure of the module docstring for ``space``'s input."""
    if name not in PRESETS:
        raise NasLabError(f"unknown OFA structure {name!r}; choose from {', '.join(PRESETS)}")
    if name == "cnn":
        if not space.spatial:
            raise NasLabError(f"the cnn OFA structure needs a signal or image input, not {space.input_shape}: use mlp")
        stages = [Stage("conv", 3, (8, 16, 32, 64), (1, 3, 5), "max"), Stage("dense", 2, (32, 64, 128))]
    else:
        stages = [Stage("dense", 3, (16, 32, 64, 128, 256))]
    return OFAStructure(space, stages, name=name)
