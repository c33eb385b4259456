"""``MixedChoice``: one decision slot of a supernet, the weighted sum of its candidate modules.

    edge = MixedChoice([conv3, conv1, pool, skip, zero])
    y = edge(x, torch.tensor([0., 1., 0., 0., 0.]))      # exactly conv1(x): zero weights are skipped
    y = edge(x, alpha.softmax(-1))                       # the DARTS mixture

``partial_channels=K`` (PC-DARTS): the candidates see only the first ``C/K`` channels of the
input (build them for ``C/K`` channels); the other channels bypass the slot, the two parts are
concatenated and the channels shuffled in ``K`` groups, so a different part is mixed in the next
cell. Edge normalisation is the method's business: it scales a slot's weight vector.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from nasbench_lab.errors import NasLabError


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of ``x`` (N, C, ...) from ``groups`` groups (ShuffleNet)."""
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)


class MixedChoice(nn.Module):
    """Weighted sum of candidate modules. Candidates whose weight is exactly zero, and those
    marked ``outputs_zero = True`` (a ``none`` operation: its term is zero whatever its weight),
    are not run; with nothing run the output is zeros shaped like the (partial) input."""

    def __init__(self, candidates: Sequence[nn.Module], *, partial_channels: int = 1) -> None:
        super().__init__()
        if partial_channels < 1:
            raise NasLabError(f"partial_channels must be an integer >= 1, got {partial_channels}")
        self.candidates = nn.ModuleList(candidates)
        self.partial_channels = int(partial_channels)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(part the candidates see, part that bypasses them)``."""
        k = self.partial_channels
        if k == 1:
            return x, None
        if x.shape[1] % k:
            raise NasLabError(f"partial_channels={k} must divide the {x.shape[1]} channels of the slot's input")
        seen = x.shape[1] // k
        return x[:, :seen], x[:, seen:]

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if weights.shape != (len(self.candidates),):
            raise NasLabError(f"a mixed choice of {len(self.candidates)} candidates got weights of shape "
                              f"{tuple(weights.shape)}")
        part, rest = self.split(x)
        total = None
        for i, value in enumerate(weights.detach().tolist()):
            if value == 0.0 or getattr(self.candidates[i], "outputs_zero", False):
                continue
            out = weights[i] * self.candidates[i](part)
            total = out if total is None else total + out
        if total is None:
            total = torch.zeros_like(part)
        if rest is None:
            return total
        return channel_shuffle(torch.cat([total, rest], dim=1), self.partial_channels)
