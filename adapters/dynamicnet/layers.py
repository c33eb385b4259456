"""Layer configurations: small frozen dataclasses, one per node of a ``DynamicNet``.

Every configuration knows

* its row in the common graph form (``ArchGraph``, see ``encoding.py``): a one-hot over
  ``VOCAB`` followed by the normalised numeric parameters ``PARAMS`` (each divided by a power of
  two, ``SCALES``, so the float32 encoding decodes back to the exact integer);
* the shape it produces from the shapes it receives (``out_shape``, raising ``ShapeError`` with
  the reason when the input cannot work), its parameter count and multiply-accumulate count;
* the ``torch.nn`` module that computes it (``module``).

Shapes never include the batch dimension: ``(features,)`` for flat tensors, ``(C, L)`` for
1-D signals, ``(C, H, W)`` for images. Convolution, pooling and batch-norm take their dimension
from their input: the same ``Convcfg`` is a ``Conv1d`` on a ``(C, L)`` input and a ``Conv2d`` on
an image, so 1-D layers share the configurations and graph rows of the 2-D ones (the input
node's row says which: ``height`` 0 and ``width`` L for a signal).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar, Sequence

import numpy as np

from nasbench_lab.errors import ArchError

Shape = tuple[int, ...]

ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid", "elu", "silu")
POOLS = ("max", "avg")
MERGES = ("add", "concat")
#: Node types (the one-hot part of a node's row).
VOCAB: tuple[str, ...] = (
    ("input", "linear", "conv", "maxpool", "avgpool", "batchnorm", "dropout")
    + ACTIVATIONS
    + ("flatten", "add", "concat")
)
#: Numeric parameters (the remaining columns), each stored as ``value / SCALES[name]``.
PARAMS: tuple[str, ...] = ("units", "kernel", "stride", "padding", "p", "height", "width")
SCALES = {"units": 1024, "kernel": 8, "stride": 4, "padding": 4, "p": 1, "height": 64, "width": 64}


class ShapeError(ArchError):
    """A layer graph whose shapes cannot work (e.g. a linear layer fed an image)."""


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ArchError(f"{what} must be a whole number >= 1, got {value!r}")
    return int(value)


def _nonneg_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ArchError(f"{what} must be a whole number >= 0, got {value!r}")
    return int(value)


class LayerCfg:
    """Base of the layer configurations (each subclass is a frozen dataclass)."""

    #: Name of the node type in ``VOCAB`` (subclasses with several types override ``op``).
    kind: ClassVar[str] = ""
    #: Whether the node takes several inputs (merge nodes only).
    merges: ClassVar[bool] = False

    @property
    def op(self) -> str:
        return self.kind

    def values(self) -> dict[str, float]:
        """Un-normalised numeric parameters by ``PARAMS`` name (absent ones are 0)."""
        return {}

    def row(self) -> np.ndarray:
        """The node's row in the graph form: one-hot type, then normalised parameters."""
        x = np.zeros(len(VOCAB) + len(PARAMS), dtype=np.float32)
        x[VOCAB.index(self.op)] = 1.0
        for name, value in self.values().items():
            x[len(VOCAB) + PARAMS.index(name)] = value / SCALES[name]
        return x

    def describe(self) -> str:
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({inner})"

    # -- shapes and costs ------------------------------------------------------------------
    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return self._one(inputs)

    def _one(self, inputs: Sequence[Shape]) -> Shape:
        return tuple(inputs[0])

    def param_count(self, inputs: Sequence[Shape], out: Shape) -> int:
        """Trainable parameters."""
        return 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """Multiply-accumulate operations for one sample (linear and conv layers only)."""
        return 0

    def module(self, inputs: Sequence[Shape]):
        """The ``torch.nn.Module`` computing the node, or ``None`` when ``DynamicNet`` computes
        it itself (input, flatten, merges)."""
        return None


def _spatial(shape: Shape, what: str) -> Shape:
    """The spatial sizes of a signal ``(C, L)`` or an image ``(C, H, W)``."""
    if len(shape) not in (2, 3):
        raise ShapeError(f"{what} needs a signal (C, L) or an image (C, H, W) input, got shape {shape}")
    return tuple(shape[1:])


def _window(sizes: Shape) -> str:
    return "x".join(map(str, sizes))


@dataclass(frozen=True)
class Inputcfg(LayerCfg):
    """The network input: ``(features,)``, ``(channels, length)`` or ``(channels, height, width)``."""

    shape: Shape
    kind: ClassVar[str] = "input"

    def __post_init__(self) -> None:
        shape = tuple(self.shape) if isinstance(self.shape, (tuple, list)) else (self.shape,)
        if len(shape) not in (1, 2, 3):
            raise ArchError(f"input shape must be (features,), (C, L) or (C, H, W), got {self.shape!r}")
        object.__setattr__(self, "shape", tuple(_positive_int(s, "an input dimension") for s in shape))

    def values(self) -> dict[str, float]:
        if len(self.shape) == 1:
            return {"units": self.shape[0]}
        if len(self.shape) == 2:
            return {"units": self.shape[0], "width": self.shape[1]}
        c, h, w = self.shape
        return {"units": c, "height": h, "width": w}

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return self.shape


@dataclass(frozen=True)
class Linearcfg(LayerCfg):
    """Fully connected layer with bias, ``units`` outputs; needs a flat input."""

    units: int
    kind: ClassVar[str] = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", _positive_int(self.units, "linear units"))

    def values(self) -> dict[str, float]:
        return {"units": self.units}

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 1:
            raise ShapeError(f"a linear layer needs a flat input (features,), got shape {shape}: add a Flattencfg before it")
        return (self.units,)

    def param_count(self, inputs, out) -> int:
        return inputs[0][0] * self.units + self.units

    def macs(self, inputs, out) -> int:
        return inputs[0][0] * self.units

    def module(self, inputs):
        from torch import nn

        return nn.Linear(inputs[0][0], self.units)


@dataclass(frozen=True)
class Convcfg(LayerCfg):
    """Convolution with bias, 1-D on a signal ``(C, L)``, 2-D on an image: ``filters`` output
    channels, ``kernel`` (square in 2-D), ``stride``; ``padding=None`` means ``kernel // 2``
    (same size for odd kernels at stride 1)."""

    filters: int
    kernel: int = 3
    stride: int = 1
    padding: int | None = None
    kind: ClassVar[str] = "conv"

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", _positive_int(self.filters, "conv filters"))
        object.__setattr__(self, "kernel", _positive_int(self.kernel, "conv kernel"))
        object.__setattr__(self, "stride", _positive_int(self.stride, "conv stride"))
        pad = self.kernel // 2 if self.padding is None else _nonneg_int(self.padding, "conv padding")
        object.__setattr__(self, "padding", pad)

    def values(self) -> dict[str, float]:
        return {"units": self.filters, "kernel": self.kernel, "stride": self.stride, "padding": self.padding}

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        sizes = _spatial(inputs[0], f"a kernel-{self.kernel} conv layer")
        out = tuple((s + 2 * self.padding - self.kernel) // self.stride + 1 for s in sizes)  # type: ignore[operator]
        if min(out) < 1:
            kernel = _window((self.kernel,) * len(sizes))
            raise ShapeError(f"a {kernel} conv (padding {self.padding}) does not fit a {_window(sizes)} feature map")
        return (self.filters, *out)

    def param_count(self, inputs, out) -> int:
        return inputs[0][0] * self.filters * self.kernel ** (len(out) - 1) + self.filters

    def macs(self, inputs, out) -> int:
        return inputs[0][0] * self.filters * self.kernel ** (len(out) - 1) * math.prod(out[1:])

    def module(self, inputs):
        from torch import nn

        cls = nn.Conv1d if len(inputs[0]) == 2 else nn.Conv2d
        return cls(inputs[0][0], self.filters, self.kernel, self.stride, self.padding)


@dataclass(frozen=True)
class Poolcfg(LayerCfg):
    """Max or average pooling over windows of ``kernel`` (1-D) or ``kernel`` x ``kernel`` (2-D)
    (``stride`` defaults to the kernel), no padding."""

    mode: str = "max"
    kernel: int = 2
    stride: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in POOLS:
            raise ArchError(f"unknown pooling {self.mode!r}; choose from {', '.join(POOLS)}")
        object.__setattr__(self, "kernel", _positive_int(self.kernel, "pool kernel"))
        stride = self.kernel if self.stride is None else _positive_int(self.stride, "pool stride")
        object.__setattr__(self, "stride", stride)

    @property
    def op(self) -> str:
        return self.mode + "pool"

    def values(self) -> dict[str, float]:
        return {"kernel": self.kernel, "stride": self.stride}  # type: ignore[dict-item]

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        sizes = _spatial(inputs[0], f"{self.mode}-pooling")
        out = tuple((s - self.kernel) // self.stride + 1 for s in sizes)  # type: ignore[operator]
        if min(out) < 1:
            window = _window((self.kernel,) * len(sizes))
            raise ShapeError(f"{window} {self.mode}-pooling does not fit a {_window(sizes)} feature map")
        return (inputs[0][0], *out)

    def module(self, inputs):
        from torch import nn

        one_d = len(inputs[0]) == 2
        cls = {"max": (nn.MaxPool2d, nn.MaxPool1d), "avg": (nn.AvgPool2d, nn.AvgPool1d)}[self.mode][one_d]
        return cls(self.kernel, self.stride)


@dataclass(frozen=True)
class BatchNormcfg(LayerCfg):
    """Batch normalisation over features (flat input) or channels (signal or image input)."""

    kind: ClassVar[str] = "batchnorm"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        if len(inputs[0]) not in (1, 2, 3):
            raise ShapeError(f"batch-norm needs a (features,), (C, L) or (C, H, W) input, got {inputs[0]}")
        return tuple(inputs[0])

    def param_count(self, inputs, out) -> int:
        return 2 * inputs[0][0]

    def module(self, inputs):
        from torch import nn

        return nn.BatchNorm2d(inputs[0][0]) if len(inputs[0]) == 3 else nn.BatchNorm1d(inputs[0][0])


@dataclass(frozen=True)
class Dropoutcfg(LayerCfg):
    """Element-wise dropout with probability ``p`` (rounded to 6 decimals) while training."""

    p: float = 0.5
    kind: ClassVar[str] = "dropout"

    def __post_init__(self) -> None:
        try:
            p = round(float(self.p), 6)
        except (TypeError, ValueError):
            raise ArchError(f"dropout p must be a number, got {self.p!r}") from None
        if not 0.0 <= p < 1.0:
            raise ArchError(f"dropout p must be in [0, 1), got {self.p!r}")
        object.__setattr__(self, "p", p)

    def values(self) -> dict[str, float]:
        return {"p": self.p}

    def module(self, inputs):
        from torch import nn

        return nn.Dropout(self.p)


@dataclass(frozen=True)
class Activationcfg(LayerCfg):
    """Element-wise non-linearity: one of ``ACTIVATIONS``."""

    fn: str = "relu"

    def __post_init__(self) -> None:
        if self.fn not in ACTIVATIONS:
            raise ArchError(f"unknown activation {self.fn!r}; choose from {', '.join(ACTIVATIONS)}")

    @property
    def op(self) -> str:
        return self.fn

    def module(self, inputs):
        from torch import nn

        return {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid,
                "elu": nn.ELU, "silu": nn.SiLU}[self.fn]()


@dataclass(frozen=True)
class Flattencfg(LayerCfg):
    """``(C, H, W)`` -> ``(C * H * W,)``; a flat input passes unchanged."""

    kind: ClassVar[str] = "flatten"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return (math.prod(inputs[0]),)


@dataclass(frozen=True)
class Mergecfg(LayerCfg):
    """Merge node for skip connections: ``add`` (equal shapes) or ``concat`` (along features or
    channels; images must share height and width). Inputs are taken in node order."""

    mode: str = "add"
    merges: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.mode not in MERGES:
            raise ArchError(f"unknown merge {self.mode!r}; choose from {', '.join(MERGES)}")

    @property
    def op(self) -> str:
        return self.mode

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        shapes = [tuple(s) for s in inputs]
        if len(shapes) < 2:
            raise ShapeError(f"a {self.mode} merge needs at least 2 inputs, got {len(shapes)}")
        if self.mode == "add":
            if len(set(shapes)) != 1:
                raise ShapeError(f"an add merge needs inputs of equal shape, got {', '.join(map(str, shapes))}")
            return shapes[0]
        if len({len(s) for s in shapes}) != 1 or len({s[1:] for s in shapes}) != 1:
            raise ShapeError(
                f"a concat merge needs inputs that differ only in features/channels, got {', '.join(map(str, shapes))}"
            )
        return (sum(s[0] for s in shapes),) + shapes[0][1:]
