import numpy as np
import pytest
import torch
from torch import nn

from nasbench_lab.adapters.nats_size.network import GENOTYPE, nats_size_network
from nasbench_lab.adapters.nb201.network import (
    NB201Bank, cell_ops, dataset_shape, live_edges, make_builder, nb201_network,
)
from nasbench_lab.adapters.nb201.space import OPS, NB201Space
from nasbench_lab.core.costs import count_flops
from nasbench_lab.errors import ArchError, UnknownNameError

SPACE = NB201Space()


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small networks: one thread (conftest)


NONE = (0,) * 6
CONV3 = (3,) * 6


def n_params(net):
    return sum(p.numel() for p in net.parameters())


def test_official_parameter_and_flop_extremes_cifar10():
    # NAS-Bench-201: params 0.073306 .. 1.531546 MB, FLOPs 7.78305 .. 220.11969 M on CIFAR-10
    low, high = nb201_network(NONE, "cifar10"), nb201_network(CONV3, "cifar10")
    assert n_params(low) == 73_306 and n_params(high) == 1_531_546
    assert count_flops(low, (1, 3, 32, 32)) == 7_783_050
    assert count_flops(high, (1, 3, 32, 32)) == 220_119_690


def test_datasets_differ_by_classifier_and_input_size():
    assert dataset_shape("c100") == (100, 32) and dataset_shape("imagenet16") == (120, 16)
    c10, c100, im = (nb201_network(CONV3, d) for d in ("cifar10", "cifar100", "ImageNet16-120"))
    assert n_params(c100) - n_params(c10) == 90 * 65 and n_params(im) - n_params(c10) == 110 * 65
    assert c10(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert im(torch.zeros(2, 3, 16, 16)).shape == (2, 120) and im.input_shape() == (1, 3, 16, 16)
    with pytest.raises(UnknownNameError):
        dataset_shape("mnist")


def test_without_batchnorm():
    with_bn, without = nb201_network(CONV3, batchnorm=True), nb201_network(CONV3, batchnorm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in without.modules())
    bn_params = sum(p.numel() for m in with_bn.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    assert n_params(without) == n_params(with_bn) - bn_params
    assert without.linear_when_positive and not with_bn.linear_when_positive


def test_cell_forms_and_errors():
    text = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    arch = SPACE.parse(text)
    assert cell_ops(text) == cell_ops(arch) == tuple(OPS[o] for o in arch)
    for bad in [(0, 1, 2), (0, 1, 2, 3, 4, 5), "nonsense", ("conv",) * 6, 3]:
        with pytest.raises(ArchError):
            nb201_network(bad)


def test_seeded_weights_are_deterministic_shared_by_position_and_leave_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = nb201_network((3, 1, 3, 2, 0, 4), seed=7)
    b = nb201_network((3, 1, 3, 2, 0, 4), seed=7)
    assert torch.equal(torch.rand(3), expected)  # global stream untouched
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    # same op at the same position -> same weights, whatever the rest of the cell
    c = nb201_network((3, 0, 0, 0, 2, 0), seed=7)
    assert torch.equal(a.cells[12].edges[0][1].weight, c.cells[12].edges[0][1].weight)
    assert torch.equal(a.classifier.weight, c.classifier.weight)
    assert not torch.equal(a.cells[12].edges[0][1].weight, nb201_network((3,) * 6, seed=8).cells[12].edges[0][1].weight)
    # the copy owns its weights: the bank is not modified through it
    with torch.no_grad():
        a.classifier.weight.zero_()
    assert torch.equal(nb201_network((3, 1, 3, 2, 0, 4), seed=7).classifier.weight, b.classifier.weight)


def test_builder_matches_seeded_network_and_pruning_keeps_the_output():
    rng = np.random.default_rng(0)
    build = make_builder("cifar10", seed=3, prune=True)
    x = torch.randn(2, 3, 32, 32)
    for i in rng.choice(SPACE.size, 6, replace=False):
        cell = SPACE.arch_at(int(i))
        ref = nb201_network(cell, seed=3).eval()
        pruned = build(cell).eval()
        with torch.no_grad():
            assert torch.allclose(ref(x), pruned(x), rtol=1e-5, atol=1e-6)


def test_live_edges():
    ops = lambda t: [OPS[o] for o in t]  # noqa: E731
    assert live_edges(ops((3, 3, 3, 3, 3, 3))) == (True,) * 6
    # node 2 has no way out (edge 2->3 none): its input edges are dead
    assert live_edges(ops((3, 3, 3, 3, 3, 0))) == (True, False, False, True, True, False)
    # node 1 receives nothing: its outgoing edges are dead
    assert live_edges(ops((0, 3, 3, 3, 3, 3))) == (False, True, False, True, False, True)


def test_bank_networks_share_modules():
    bank = NB201Bank("cifar10", seed=0)
    a, b = bank.network((3,) * 6), bank.network((3, 0, 0, 0, 0, 0))
    assert a.cells[0].edges[0] is b.cells[0].edges[0] and a.stem is b.stem


def _nats_expected_params(ch, classes=10):
    c1, c2, c3, c4, c5 = ch

    def cell(ci, co):  # GENOTYPE: conv3 0->1, conv3 0->2, conv3 1->2, skip 0->3, conv3 1->3, conv3 2->3
        skip = 0 if ci == co else ci * co + 2 * co
        return 2 * (9 * ci * co + 2 * co) + 3 * (9 * co * co + 2 * co) + skip

    def red(ci, co):
        return 9 * ci * co + 2 * co + 9 * co * co + 2 * co + ci * co

    return 27 * c1 + 2 * c1 + cell(c1, c1) + red(c1, c2) + cell(c2, c3) + red(c3, c4) + cell(c4, c5) \
        + 2 * c5 + c5 * classes + classes


@pytest.mark.parametrize("channels", [(8, 16, 24, 32, 40), (64, 64, 64, 64, 64), (16, 8, 64, 8, 56)])
def test_nats_size_network(channels):
    net = nats_size_network(channels, "cifar10")
    assert n_params(net) == _nats_expected_params(channels)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    im = nats_size_network(":".join(map(str, channels)), "ImageNet16-120", batchnorm=False, seed=1)
    assert im(torch.zeros(1, 3, 16, 16)).shape == (1, 120)
    assert cell_ops(GENOTYPE) == ("nor_conv_3x3",) * 3 + ("skip_connect", "nor_conv_3x3", "nor_conv_3x3")
    with pytest.raises(ArchError):
        nats_size_network((8, 16, 24))
