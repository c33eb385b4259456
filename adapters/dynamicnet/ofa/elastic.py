"""Elastic layers: one weight tensor built for the widest input and output (and the largest
kernel), of which a sub-network uses a slice.

* width: the first ``out`` output channels (features) and the first ``in`` input channels of the
  weight, bias and batch-norm (running statistics included); ``permute_outputs`` /
  ``permute_inputs`` reorder channels, so sorting them by importance first makes the first ``w``
  the most important ones;
* kernel: a smaller kernel is the centre crop of the next larger one passed through a learned
  ``small^dims x small^dims`` kernel-transformation matrix (initialised to the identity, shared by
  all channels of the layer), from the largest kernel down: 5 -> 3 -> 1.

Every forward computes exactly what the ``torch.nn`` layer of a ``DynamicNet`` holding the
sliced (transformed) weights computes (``active_weight`` gives them).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import Activationcfg, Poolcfg
from ..supernet import sliced_batch_norm


def _permute(t: torch.Tensor, perm: torch.Tensor, dim: int, group: int = 1) -> None:
    """Reorder ``t`` in place along ``dim`` in blocks of ``group`` consecutive entries (a
    flattened channel-major map: ``group`` = its spatial size)."""
    with torch.no_grad():
        shape = t.shape
        view = t.reshape(*shape[:dim], shape[dim] // group, group, *shape[dim + 1:])
        t.copy_(view.index_select(dim, perm.to(t.device)).reshape(shape))


class ElasticConv(nn.Module):
    """1-D or 2-D convolution with elastic output width, input width and kernel (``kernels``,
    odd, ascending), stride 1 and same padding."""

    def __init__(self, in_max: int, out_max: int, kernels: Sequence[int], dims: int) -> None:
        super().__init__()
        self.kernels, self.dims = tuple(sorted(kernels)), dims
        k = self.kernels[-1]
        self.conv = (nn.Conv1d if dims == 1 else nn.Conv2d)(in_max, out_max, k, padding=k // 2)
        self.transforms = nn.ParameterDict({
            f"{big}to{small}": nn.Parameter(torch.eye(small ** dims))
            for big, small in zip(self.kernels[1:], self.kernels[:-1])})
        self.fn = F.conv1d if dims == 1 else F.conv2d

    def active_weight(self, out: int, inputs: int, kernel: int) -> torch.Tensor:
        """The ``out x inputs x kernel^dims`` weight of a sub-network."""
        w = self.conv.weight[:out, :inputs]
        for big, small in zip(reversed(self.kernels[1:]), reversed(self.kernels[:-1])):
            if big <= kernel:
                break
            start = (big - small) // 2
            crop = w[..., start:start + small]
            if self.dims == 2:
                crop = crop[..., start:start + small, :]
            flat = F.linear(crop.reshape(out * inputs, small ** self.dims), self.transforms[f"{big}to{small}"])
            w = flat.reshape(out, inputs, *([small] * self.dims))
        return w

    def active_bias(self, out: int) -> torch.Tensor:
        return self.conv.bias[:out]

    def forward(self, x: torch.Tensor, out: int, kernel: int) -> torch.Tensor:
        return self.fn(x, self.active_weight(out, x.shape[1], kernel), self.active_bias(out), padding=kernel // 2)

    def l1_by_output(self) -> torch.Tensor:
        return self.conv.weight.detach().abs().flatten(1).sum(1)

    def permute_outputs(self, perm: torch.Tensor) -> None:
        _permute(self.conv.weight, perm, 0)
        _permute(self.conv.bias, perm, 0)

    def permute_inputs(self, perm: torch.Tensor, group: int = 1) -> None:
        _permute(self.conv.weight, perm, 1, group)


class ElasticLinear(nn.Module):
    """Linear layer with elastic output and input width."""

    def __init__(self, in_max: int, out_max: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_max, out_max)

    def active_weight(self, out: int, inputs: int, kernel: int = 0) -> torch.Tensor:
        return self.linear.weight[:out, :inputs]

    def active_bias(self, out: int) -> torch.Tensor:
        return self.linear.bias[:out]

    def forward(self, x: torch.Tensor, out: int, kernel: int = 0) -> torch.Tensor:
        return F.linear(x, self.active_weight(out, x.shape[1]), self.active_bias(out))

    def l1_by_output(self) -> torch.Tensor:
        return self.linear.weight.detach().abs().sum(1)

    def permute_outputs(self, perm: torch.Tensor) -> None:
        _permute(self.linear.weight, perm, 0)
        _permute(self.linear.bias, perm, 0)

    def permute_inputs(self, perm: torch.Tensor, group: int = 1) -> None:
        _permute(self.linear.weight, perm, 1, group)


class ElasticBlock(nn.Module):
    """One DynamicNet block, ``layer -> batch-norm -> act [-> + input] [-> pool by 2]``, with an
    elastic layer and batch-norm. ``in_shape``: the widest input (no batch dimension)."""

    def __init__(self, kind: str, in_shape: tuple[int, ...], out_max: int, kernels: Sequence[int], act: str,
                 pool: str, skip: bool) -> None:
        super().__init__()
        dims = len(in_shape) - 1
        if kind == "conv":
            self.layer: ElasticConv | ElasticLinear = ElasticConv(in_shape[0], out_max, kernels, dims)
        else:
            self.layer = ElasticLinear(in_shape[0], out_max)
        self.norm = nn.BatchNorm2d(out_max) if dims == 2 else nn.BatchNorm1d(out_max)
        self.act = Activationcfg(act).module([in_shape])
        self.pool = Poolcfg(pool, 2).module([(out_max, *in_shape[1:])]) if pool != "none" else None
        self.skip = skip

    def forward(self, x: torch.Tensor, width: int, kernel: int = 0) -> torch.Tensor:
        y = self.act(sliced_batch_norm(self.norm, self.layer(x, width, kernel)))
        if self.skip:
            y = y + x
        return self.pool(y) if self.pool is not None else y

    def permute_outputs(self, perm: torch.Tensor) -> None:
        self.layer.permute_outputs(perm)
        for name in ("weight", "bias", "running_mean", "running_var"):
            _permute(getattr(self.norm, name), perm, 0)

    def copy_to(self, layer: nn.Module, norm: nn.Module, width: int, inputs: int, kernel: int) -> None:
        """Write the sliced weights of one sub-network into a ``DynamicNet``'s layer and batch-norm."""
        with torch.no_grad():
            layer.weight.copy_(self.layer.active_weight(width, inputs, kernel))
            layer.bias.copy_(self.layer.active_bias(width))
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(norm, name).copy_(getattr(self.norm, name)[:width])


def spatial_size(shape: Sequence[int]) -> int:
    """Positions per channel of a ``(C, L)`` or ``(C, H, W)`` shape (1 for a flat one)."""
    return math.prod(shape[1:])
