import itertools

import numpy as np
import pytest

from nasbench_lab.adapters.nats_size.space import CHAIN_EDGES, CHANNELS, PARAMS, VOCAB, NATSSizeSpace
from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.registry import import_object

SPACE = NATSSizeSpace()


def test_every_arch_round_trips():
    assert SPACE.size == 32768 == len(SPACE)
    for i in range(SPACE.size):
        arch = SPACE.arch_at(i)
        assert SPACE.index(arch) == i
        assert SPACE.parse(SPACE.format(arch)) == arch
        assert SPACE.decode(SPACE.encode(arch)) == arch


def test_index_order_is_the_official_nats_order():
    # nats_bench's size file lists "8:8:8:8:8", "8:8:8:8:16", ... (traverse_net in sss-collect.py)
    official = [":".join(map(str, c)) for c in itertools.product(CHANNELS, repeat=5)]
    assert [SPACE.format(a) for a in SPACE] == official
    assert SPACE.arch_at(0) == (8, 8, 8, 8, 8)
    assert SPACE.arch_at(1) == (8, 8, 8, 8, 16)
    assert SPACE.arch_at(8) == (8, 8, 8, 16, 8)
    assert SPACE.arch_at(SPACE.size - 1) == (64, 64, 64, 64, 64)
    arch = SPACE.parse("8:16:32:64:64")
    assert SPACE.official_index(arch) == SPACE.index(arch) == official.index("8:16:32:64:64")
    assert SPACE.from_official_index(SPACE.index(arch)) == arch


def test_neighbours():
    arch = (8, 16, 32, 64, 64)
    nbrs = SPACE.neighbours(arch)
    assert len(nbrs) == 35 == len(set(nbrs))
    assert arch not in nbrs
    for n in nbrs:
        assert sum(a != b for a, b in zip(arch, n)) == 1
        SPACE.index(n)
    assert nbrs == SPACE.neighbours(arch)  # fixed order
    rng = np.random.default_rng(0)
    assert SPACE.mutate(arch, rng) in nbrs


def test_sample_is_a_member_and_covers_the_space():
    rng = np.random.default_rng(1)
    seen = {SPACE.sample(rng) for _ in range(2000)}
    assert all(isinstance(a, tuple) and all(type(c) is int for c in a) for a in seen)
    assert len(seen) > 1900
    for a in seen:
        SPACE.index(a)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("8:16:32:64", "expected 5 channel counts"),
        ("8:16:32:64:64:8", "got 6"),
        ("", "got 1"),
        ("8,16,32,64,64", "got 1"),
        ("8:16:x:64:64", "'x' is not a whole number"),
        ("8:16:32.0:64:64", "not a whole number"),
        ("8:16:-8:64:64", "not a whole number"),
        ("8:16::64:64", "not a whole number"),
        ("8:16:30:64:64", "channel count 30 is not one of 8, 16"),
        ("8:16:72:64:64", "channel count 72"),
        ("0:16:32:64:64", "channel count 0"),
    ],
)
def test_parse_errors(text, fragment):
    with pytest.raises(ArchError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        SPACE.parse(text)


def test_parse_accepts_spaces_and_rejects_non_strings():
    assert SPACE.parse(" 8: 16 :32:64:64\n") == (8, 16, 32, 64, 64)
    with pytest.raises(ArchError, match="string"):
        SPACE.parse((8, 16, 32, 64, 64))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [(8, 16, 32, 64), (8, 16, 32, 64, 63), (8, 16, 32, 64, True), "8:8:8:8:8", None, 5])
def test_bad_archs_are_arch_errors(bad):
    with pytest.raises(ArchError):
        SPACE.index(bad)
    with pytest.raises(ArchError):
        SPACE.format(bad)


def test_index_accepts_numpy_ints_and_arch_at_checks_range():
    assert SPACE.index(tuple(np.array([8, 8, 8, 8, 16]))) == 1
    for bad in (-1, SPACE.size, 2.0):
        with pytest.raises(ArchError):
            SPACE.arch_at(bad)  # type: ignore[arg-type]


def test_graph_form():
    g = SPACE.encode((8, 16, 32, 64, 64))
    assert g.vocab == VOCAB and g.params == PARAMS
    assert g.num_nodes == 7 and g.num_edges == 6
    assert g.ops() == ["input", "conv", "conv", "conv", "conv", "conv", "output"]
    assert g.param("channels").tolist() == [0.0, 0.125, 0.25, 0.5, 1.0, 1.0, 0.0]
    assert {tuple(e) for e in g.edge_index.T.tolist()} == set(CHAIN_EDGES)


def test_decode_ignores_node_order():
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = SPACE.sample(rng)
        g = SPACE.encode(arch)
        perm = rng.permutation(g.num_nodes)
        inv = np.argsort(perm)
        shuffled = ArchGraph(inv[g.edge_index], g.x[perm], g.vocab, g.params)
        assert SPACE.decode(shuffled) == arch


def _graph(ops, edges, channels):
    return ArchGraph.from_nodes(ops, edges, VOCAB, PARAMS, [{"channels": c} for c in channels])


def test_decode_rejects_graphs_outside_the_space():
    good_ops = ["input"] + ["conv"] * 5 + ["output"]
    good_ch = [0, 0.125, 0.25, 0.5, 1.0, 1.0, 0]
    assert SPACE.decode(_graph(good_ops, CHAIN_EDGES, good_ch)) == (8, 16, 32, 64, 64)
    bad = [
        (good_ops, CHAIN_EDGES, [0, 0.1, 0.25, 0.5, 1.0, 1.0, 0]),  # 6.4 channels
        (good_ops, CHAIN_EDGES, [0, 1.125, 0.25, 0.5, 1.0, 1.0, 0]),  # 72 channels
        (good_ops, CHAIN_EDGES, [0, 0.0, 0.25, 0.5, 1.0, 1.0, 0]),  # 0 channels
        (good_ops, CHAIN_EDGES, [0.5, 0.125, 0.25, 0.5, 1.0, 1.0, 0]),  # input with channels
        (good_ops, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 6)), good_ch),  # branch
        (good_ops, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 1)), good_ch),  # cycle
        (good_ops, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (5, 6)), good_ch),  # skips a layer
        (["input"] + ["conv"] * 4 + ["output", "conv"], CHAIN_EDGES, good_ch),  # output mid-chain
        (["input"] + ["conv"] * 4 + ["output"], CHAIN_EDGES[:-1], good_ch[:-1]),  # 4 layers
        (["input"] + ["conv"] * 5 + ["input"], CHAIN_EDGES, good_ch),  # two inputs
    ]
    for ops, edges, channels in bad:
        with pytest.raises(ArchError):
            SPACE.decode(_graph(ops, edges, channels))
    from nasbench_lab.adapters.nb201.space import NB201Space

    with pytest.raises(ArchError, match="vocabulary"):
        SPACE.decode(NB201Space().encode((1, 2, 3, 4, 0, 1)))


def test_registered():
    from nasbench_lab.adapters import SPACES

    assert isinstance(import_object(SPACES["nats-size"])(), NATSSizeSpace)
