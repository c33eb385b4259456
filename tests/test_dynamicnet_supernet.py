"""The DynamicNet supernet: slots, exact one-hot paths, mixtures, coverage, the shared training loop."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.adapters.dynamicnet.supernet import DynamicNetSupernet, build_supernet, search_data
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.settings import Settings
from nasbench_lab.supernet import SearchData, SupernetConfig, supernet_provider

SIGNAL = DynamicNetSpace((1, 40), 10)
SHAPES = [(1, 40), (1, 8, 8), (24,)]


@pytest.fixture(scope="module")
def net():
    return DynamicNetSupernet(SIGNAL, seed=0).eval()


def test_slots_follow_the_space(net):
    assert net.slots() == [49, 49, 49, 20, 21]  # none + 4 widths x 3 kernels x 4 activations; dense: no none first
    assert net.choice_names(0)[:2] == ["none", "conv8k1-relu-bn"] and "conv64k5-elu-bn" in net.choice_names(2)
    assert "none" not in net.choice_names(3) and net.choice_names(4)[0] == "none"
    assert supernet_provider("dynamicnet").build_supernet is build_supernet


@pytest.mark.parametrize("shape", SHAPES)
def test_one_hot_weights_compute_exactly_the_discrete_dynamicnet(shape):
    space = DynamicNetSpace(shape, 10)
    net = DynamicNetSupernet(space, seed=1)
    rng = np.random.default_rng(0)
    x = torch.randn(6, *shape)
    for _ in range(4):  # train-mode passes move the shared batch-norm statistics
        net.train()(x, net.arch_weights(net.sample(rng)))
        net(x, [torch.full((n,), 1.0 / n) for n in net.slots()])
    net.eval()
    for _ in range(12):
        arch = net.sample(rng)
        assert space.contains(arch) and net.arch_of(net.choices_of(arch)) == arch
        sub = net.subnet(arch).eval()
        assert [b.token() for b in arch] == space.format(arch).split("|")
        assert torch.equal(net(x, net.arch_weights(arch)), sub(x))  # same weights, same output


def test_without_batch_norm_one_hot_paths_are_exact_too():
    net = DynamicNetSupernet(SIGNAL, seed=2, norm=False).eval()
    arch = net.sample(np.random.default_rng(3))
    assert not any(b.norm for b in arch)
    x = torch.randn(5, 1, 40)
    assert torch.equal(net(x, net.arch_weights(arch)), net.subnet(arch).eval()(x))


def test_a_none_between_blocks_is_the_same_architecture(net):
    a, b = net.choice_names(0).index("conv16k3-relu-bn"), net.choice_names(0).index("conv32k5-gelu-bn")
    spaced = net.arch_of([a, 0, b, 5, 0])
    assert SIGNAL.format(spaced) == "conv16k3-relu-bn|conv32k5-gelu-bn|" + net.choice_names(3)[5]
    assert net.choices_of(spaced) == (a, b, 0, 5, 0)


def test_a_mixture_is_the_weighted_sum_of_its_paths(net):
    x = torch.randn(4, 1, 40)
    base = [torch.nn.functional.one_hot(torch.tensor(c), n).float() for c, n in zip([7, 0, 30, 2, 0], net.slots())]
    mixed = list(base)
    picks = [0, 7, 8, 20, 40]  # none, two widths of one (kernel, act) group, others
    mixed[2] = torch.zeros(49)
    mixed[2][picks] = torch.tensor([0.1, 0.2, 0.3, 0.15, 0.25])
    slot = net.layer_slots[2]
    h = net.layer_slots[1](net.layer_slots[0](x, base[0], 7)[:, :net.options[0][7].width], base[1], 0)
    h = h[:, :net.options[0][7].width]
    expected = sum(mixed[2][i] * slot(h, torch.nn.functional.one_hot(torch.tensor(i), 49).float(), i) for i in picks)
    assert torch.allclose(slot(h, mixed[2], None), expected, atol=1e-6)


def test_alpha_gradients_reach_every_choice(net):
    alphas = [torch.zeros(n, requires_grad=True) for n in net.slots()]
    loss = torch.nn.functional.cross_entropy(net(torch.randn(8, 1, 40), [a.softmax(-1) for a in alphas]),
                                             torch.arange(8) % 10)
    loss.backward()
    assert all(bool((a.grad != 0).all()) for a in alphas)


def test_architectures_outside_the_supernet_are_refused(net):
    for text, message in [("conv16k3-relu|dense32-relu-bn", "not among slot 0's choices"),
                          ("conv16k3-relu-bn-maxpool|dense32-relu-bn", "not among slot 0's choices"),
                          ("conv16k3-relu-bn", "at least one dense block"),
                          ("dense32-relu-bn|dense32-relu-bn|dense32-relu-bn", "2 dense slots")]:
        with pytest.raises(NasLabError, match=message):
            net.choices_of(SIGNAL.parse(text))


def test_derive_takes_the_argmax(net):
    alphas = [torch.zeros(n) for n in net.slots()]
    alphas[0][net.choice_names(0).index("conv32k5-relu-bn")] = 1.0
    alphas[3][net.choice_names(3).index("dense64-tanh-bn")] = 1.0
    assert SIGNAL.format(net.derive(alphas)) == "conv32k5-relu-bn|dense64-tanh-bn"


def test_dense_widths_above_max_params_are_left_out_of_the_first_dense_slot():
    digits = DynamicNetSupernet(DynamicNetSpace((1, 8, 8), 10), seed=0)
    assert not any(n.startswith("dense256") for n in digits.choice_names(3))  # 64 * 64 * 256 > 1M
    assert any(n.startswith("dense256") for n in digits.choice_names(4))


def test_config_options_it_cannot_honour_are_refused():
    for config, message in [(SupernetConfig(width=8), "width and depth"),
                            (SupernetConfig(partial_channels=2), "no partial channels")]:
        with pytest.raises(NasLabError, match=message):
            build_supernet(SIGNAL, "mnist1d", config)
    a = build_supernet(SIGNAL, "mnist1d", SupernetConfig(seed=3))
    b = build_supernet(SIGNAL, "mnist1d", SupernetConfig(seed=3))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_search_data_is_the_benchmarks_own_split():
    data = search_data("mnist1d", Settings(), seed=0)
    assert isinstance(data, SearchData) and not data.proxy
    assert data.train[0].shape == (3200, 1, 40) and data.valid[0].shape == (800, 1, 40)
    assert "mnist1d" in data.source


@pytest.mark.parametrize("method", ["darts", "spos"])
def test_the_shared_training_loop_runs_the_supernet(method):
    from nasbench_lab.algorithms.darts import darts_strategy
    from nasbench_lab.algorithms.spos import spos_strategy
    from nasbench_lab.supernet.training import TrainConfig, Trainer

    net = DynamicNetSupernet(DynamicNetSpace((24,), 3), seed=0)
    x, y = torch.randn(96, 24), torch.arange(96) % 3
    data = SearchData((x[:64], y[:64]), (x[64:], y[64:]), "toy", proxy=True)
    strategy = spos_strategy() if method == "spos" else darts_strategy(order=1)
    trainer = Trainer(net, data, strategy, TrainConfig(epochs=2, batch_size=16, seed=0))
    before = [a.detach().clone() for a in trainer.alphas]
    history = trainer.train()
    assert len(history) == 2 and all(np.isfinite(r.train_loss) for r in history)
    moved = any(not torch.equal(a, b) for a, b in zip(trainer.alphas, before))
    assert moved == (method == "darts")
    assert net.space.contains(net.arch_of(history[-1].derived))
