"""The supernet protocol and the mixed choice, on a toy two-slot supernet."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from nasbench_lab.errors import NasLabError
from nasbench_lab.supernet import Supernet, supernet_provider
from nasbench_lab.supernet.mixed import MixedChoice, channel_shuffle


class Toy(Supernet):
    """Slot 0: three linear maps (choice 2 not derivable); slot 1: two activations."""

    def __init__(self, partial: int = 1) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first = MixedChoice([nn.Linear(4 // partial, 4 // partial) for _ in range(3)], partial_channels=partial)
        self.second = MixedChoice([nn.ReLU(), nn.Tanh()])
        self.head = nn.Linear(4, 2)

    def slots(self):
        return [3, 2]

    def choice_names(self, slot):
        return [["a", "b", "z"], ["relu", "tanh"]][slot]

    def forward(self, x, weights):
        self.check_weights(weights)
        return self.head(self.second(self.first(x, weights[0]), weights[1]))

    def arch_of(self, choices):
        return tuple(int(c) for c in choices)

    def choices_of(self, arch):
        return tuple(arch)

    def derivable(self, slot):
        return [0, 1] if slot == 0 else [0, 1]


def test_one_hot_weights_compute_only_the_chosen_path():
    net, x = Toy(), torch.randn(5, 4)
    calls = []
    for i, m in enumerate(net.first.candidates):
        m.register_forward_hook(lambda mod, inp, out, i=i: calls.append(i))
    out = net(x, net.arch_weights((1, 1)))
    assert calls == [1]
    expected = net.head(torch.tanh(net.first.candidates[1](x)))
    assert torch.equal(out, expected)


def test_mixture_is_the_weighted_sum():
    net, x = Toy(), torch.randn(5, 4)
    w = torch.tensor([0.2, 0.5, 0.3])
    mixed = net.first(x, w)
    expected = sum(w[i] * net.first.candidates[i](x) for i in range(3))
    assert torch.allclose(mixed, expected)


def test_derive_takes_the_argmax_over_derivable_choices():
    net = Toy()
    alphas = [torch.tensor([0.1, 0.3, 9.0]), torch.tensor([1.0, 0.0])]
    assert net.derive(alphas) == (1, 0)


def test_wrong_weights_are_refused_in_one_line():
    net = Toy()
    with pytest.raises(NasLabError, match="sizes"):
        net(torch.randn(2, 4), [torch.ones(3)])
    with pytest.raises(NasLabError, match="partial_channels"):
        MixedChoice([nn.Identity()], partial_channels=0)


def test_partial_channels_mix_a_fraction_and_shuffle():
    net, x = Toy(partial=2), torch.randn(3, 4)
    seen = []
    net.first.candidates[0].register_forward_hook(lambda mod, inp, out: seen.append(inp[0].shape[1]))
    out = net.first(x, torch.tensor([1.0, 0.0, 0.0]))
    assert seen == [2]
    expected = channel_shuffle(torch.cat([net.first.candidates[0](x[:, :2]), x[:, 2:]], 1), 2)
    assert torch.equal(out, expected)
    assert torch.equal(channel_shuffle(torch.arange(4.0).reshape(1, 4), 2), torch.tensor([[0.0, 2.0, 1.0, 3.0]]))


def test_unknown_space_has_no_supernet():
    with pytest.raises(NasLabError, match="no supernet for search space 'nasbench-graph'"):
        supernet_provider("nasbench-graph")
