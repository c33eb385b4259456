"""Mechanics of the NB201 supernet and the one-shot methods, on tiny supernets (C=4, N=1, 8x8 input)."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from nasbench_lab.adapters.nb201.network import live_edges, nb201_network
from nasbench_lab.adapters.nb201.space import OPS, NB201Space
from nasbench_lab.adapters.nb201.supernet import NB201Supernet
from nasbench_lab.supernet.curvature import dominant_eigenvalue, second_order_hypergradient
from nasbench_lab.supernet.evaluation import best_choices, inherited_accuracy

CELLS = [(3, 1, 2, 4, 0, 3), (0, 0, 0, 0, 0, 0), (1, 1, 1, 1, 1, 1), (3, 3, 3, 3, 3, 3), (0, 2, 0, 4, 1, 0)]


def tiny(dtype=torch.float32, **kwargs) -> NB201Supernet:
    return NB201Supernet("cifar10", C=4, N=1, seed=0, **kwargs).to(dtype)


def batch(dtype=torch.float32, n=6):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 3, 8, 8, generator=g, dtype=dtype), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("cell", CELLS)
def test_one_hot_alphas_compute_the_discrete_nb201_network(cell):
    net, (x, _) = tiny(), batch()
    discrete = net.discrete_network(cell)
    fresh = nb201_network(cell, C=4, N=1)  # network.py's own net, given the supernet's weights
    missing, unexpected = fresh.load_state_dict(discrete.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("cells.") and k.endswith((".weight", ".bias")) for k in missing)
    for mode in (False, True):  # running statistics (before train-mode forwards change them), then batch statistics
        for m in (net, discrete, fresh):
            m.train(mode)
        out = net(x, net.arch_weights(cell))
        assert torch.equal(out, discrete(x))
        assert torch.equal(out, fresh(x))


def softmax_loss(net, alphas, data):
    return torch.nn.functional.cross_entropy(net(data[0], [a.softmax(-1) for a in alphas]), data[1])


def test_alpha_gradients_match_finite_differences():
    net, data = tiny(torch.float64), batch(torch.float64)
    alphas = [torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(k)).requires_grad_()
              for k in range(6)]
    grads = torch.autograd.grad(softmax_loss(net, alphas, data), alphas)
    eps = 1e-6
    for slot, op in [(0, 3), (2, 1), (5, 4), (3, 0)]:
        with torch.no_grad():
            alphas[slot][op] += eps
            up = float(softmax_loss(net, alphas, data))
            alphas[slot][op] -= 2 * eps
            down = float(softmax_loss(net, alphas, data))
            alphas[slot][op] += eps
        assert (up - down) / (2 * eps) == pytest.approx(float(grads[slot][op]), rel=1e-5, abs=1e-9)


def test_second_order_update_equals_the_exact_hypergradient():
    net, train, valid = tiny(torch.float64), batch(torch.float64, 5), batch(torch.float64, 7)
    alphas = [(0.5 * torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(k))).requires_grad_()
              for k in range(6)]
    names = [n for n, _ in net.named_parameters()]
    weights = list(net.parameters())
    xi, wd = 0.05, 3e-4
    # exact: differentiate L_val(w - xi (grad_w L_train + wd w), alpha) through the virtual step
    g = torch.autograd.grad(softmax_loss(net, alphas, train), weights, create_graph=True)
    virtual = {n: w - xi * (gw + wd * w) for n, w, gw in zip(names, weights, g)}
    out = torch.func.functional_call(net, virtual, (valid[0], [a.softmax(-1) for a in alphas]))
    exact = torch.autograd.grad(torch.nn.functional.cross_entropy(out, valid[1]), alphas)
    before = [w.detach().clone() for w in weights]
    approx = second_order_hypergradient(lambda: softmax_loss(net, alphas, train),
                                        lambda: softmax_loss(net, alphas, valid), weights, alphas, xi, wd, r=1e-4)
    assert all(torch.equal(w, b) for w, b in zip(weights, before))  # weights restored
    first_order = torch.autograd.grad(softmax_loss(net, alphas, valid), alphas)
    flat = lambda v: torch.cat([t.flatten() for t in v])  # noqa: E731
    assert torch.allclose(flat(approx), flat(exact), rtol=1e-5, atol=1e-8)
    assert not torch.allclose(flat(first_order), flat(exact), rtol=1e-3)  # the second-order term matters


def test_dominant_eigenvalue_matches_the_exact_hessian():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(7, 7, generator=g, dtype=torch.float64))
    hessian = q @ torch.diag(torch.tensor([-5.0, 3, 2, 1, 0.5, -1, 0], dtype=torch.float64)) @ q.T
    a, b = torch.randn(3, dtype=torch.float64, requires_grad=True), torch.randn(4, dtype=torch.float64, requires_grad=True)

    def loss():  # quadratic plus a linear term: the Hessian is exactly ``hessian``
        v = torch.cat([a, b])
        return 0.5 * v @ hessian @ v + v.sum()

    assert dominant_eigenvalue(loss, [a, b], 80, torch.Generator().manual_seed(1)) == pytest.approx(-5.0, rel=1e-6)


def trainer_of(net, seed=0):
    g = torch.Generator().manual_seed(seed)
    alphas = [torch.randn(n, generator=g).requires_grad_() for n in net.slots()]
    return SimpleNamespace(alphas=alphas, net=net, generator=g, device=torch.device("cpu"),
                           uniform=lambda shape=(): torch.rand(shape, generator=g))


def test_gdas_forward_runs_one_operation_per_edge_and_trains_every_alpha():
    from nasbench_lab.algorithms.gdas import gdas_strategy

    net, (x, y) = tiny(), batch()
    strategy, trainer = gdas_strategy(1.0, 0.1), trainer_of(net)
    with torch.no_grad():
        for a in trainer.alphas:
            a[OPS.index("nor_conv_3x3")] += 4.0  # mostly convolutions: live edges
    runs = []
    for k, edge in enumerate(net.cells[0].edges):
        for op, module in enumerate(edge.candidates):
            module.register_forward_hook(lambda m, i, o, k=k, op=op: runs.append((k, op)))
    weights = strategy.weights(trainer, "arch")
    assert all(int((w != 0).sum()) == 1 for w in weights)
    torch.nn.functional.cross_entropy(net(x, weights), y).backward()
    chosen = [int(w.argmax()) for w in weights]
    assert sorted(runs) == [(k, op) for k, op in enumerate(chosen) if OPS[op] != "none"]
    live = live_edges([OPS[c] for c in chosen])
    assert any(live) and all(bool((a.grad != 0).any()) for a, used in zip(trainer.alphas, live) if used)


def test_pc_darts_candidates_see_the_configured_channel_fraction():
    net, (x, _) = tiny(partial_channels=2), batch()
    seen = {}
    for block in net.cells:
        for edge in getattr(block, "edges", []):
            conv = edge.candidates[OPS.index("nor_conv_3x3")]
            conv.register_forward_hook(lambda m, i, o, c=block.channels: seen.setdefault(c, i[0].shape[1]))
    net(x, [torch.full((5,), 0.2)] * 6)
    assert seen == {4: 2, 8: 4, 16: 8}
    assert NB201Supernet(C=8, N=1, partial_channels=4).cells[0].edges[0].candidates[3][1].in_channels == 2


def test_derivation_is_the_per_edge_argmax_excluding_none():
    net = tiny()
    alphas = [torch.tensor([9.0, 1, 2, 3, 0]), torch.tensor([0.0, 5, 1, 1, 1]), torch.tensor([7.0, 0, 0, 0, 1]),
              torch.tensor([0.0, 0, 0, 2, 1]), torch.tensor([1.0, 2, 3, 4, 5]), torch.tensor([0.0, 0, 8, 0, 0])]
    assert net.derive(alphas) == (3, 1, 4, 3, 4, 2)


def test_spos_samples_each_operation_uniformly():
    from nasbench_lab.algorithms.spos import spos_strategy

    strategy, trainer = spos_strategy(), trainer_of(tiny())
    counts = np.zeros((6, 5), dtype=int)
    for _ in range(2000):
        for slot, w in enumerate(strategy.weights(trainer, "weights")):
            assert float(w.sum()) == 1.0 and int((w != 0).sum()) == 1
            counts[slot, int(w.argmax())] += 1
    for slot in range(6):
        assert chisquare(counts[slot]).pvalue > 1e-3, counts[slot]


def test_best_choices_enumerates_in_score_order():
    rng = np.random.default_rng(0)
    scores = [rng.normal(size=4) for _ in range(3)]
    allowed = [[1, 2, 3], [0, 1, 2, 3], [0, 3]]
    got = list(best_choices(scores, allowed))
    brute = sorted(itertools.product(*allowed), key=lambda c: -sum(s[i] for s, i in zip(scores, c)))
    assert got == brute


def test_inherited_accuracy_recalibrates_bn_and_scores_in_range():
    net, (x, y) = tiny(), batch(n=16)
    acc = inherited_accuracy(net, (3, 3, 3, 3, 3, 3), (x, y), x)
    norm = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert 0.0 <= acc <= 100.0 and norm.num_batches_tracked > 0 and norm.momentum == 0.1
    assert NB201Space().index(net.derive([torch.zeros(5)] * 6)) >= 0
