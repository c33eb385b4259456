"""The DynamicNet search space: sampling, moves, strings, graph form, canonical hash."""
from dataclasses import replace

import numpy as np
import pytest

from nasbench_lab.adapters.dynamicnet import Convcfg, DynamicNet, Flattencfg, Inputcfg, Linearcfg, Mergecfg
from nasbench_lab.adapters.dynamicnet.blocks import Block
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.registry import import_object

SPACE = DynamicNetSpace()
RNG = np.random.default_rng(0)
SAMPLES = [SPACE.sample(RNG) for _ in range(60)]


def test_registered_and_default_is_digits():
    from nasbench_lab.adapters import SPACES

    space = import_object(SPACES["dynamicnet"])()
    assert space.input_shape == (1, 8, 8) and space.num_classes == 10


def test_samples_are_valid_hashable_and_seeded():
    assert all(SPACE.contains(a) for a in SAMPLES)
    assert len({hash(a) for a in SAMPLES}) > 50
    again = [SPACE.sample(np.random.default_rng(0)) for _ in range(3)]
    assert again == [SAMPLES[0]] * 3
    kinds = {tuple(b.kind for b in a) for a in SAMPLES}
    assert any("conv" not in k for k in kinds) and any("conv" in k for k in kinds)  # MLPs and CNNs
    assert any(b.skip for a in SAMPLES for b in a)  # repaired skips survive where shapes allow


def test_neighbours_are_valid_distinct_one_change_moves():
    for arch in SAMPLES[:25]:
        nbrs = SPACE.neighbours(arch)
        assert nbrs == SPACE.neighbours(arch)  # fixed order
        assert arch not in nbrs and len(set(nbrs)) == len(nbrs) and nbrs
        assert all(SPACE.contains(n) for n in nbrs)
        for n in nbrs:  # same layout: one block changes, plus at most a repaired skip right after it
            if [b.kind for b in n] == [b.kind for b in arch]:
                changed = [i for i, (x, y) in enumerate(zip(arch, n)) if x != y]
                assert 1 <= len(changed) <= 2
                if len(changed) == 2:
                    i, j = changed
                    assert j == i + 1 and replace(arch[j], skip=False) == n[j] and arch[j].skip
        rng = np.random.default_rng(1)
        assert SPACE.mutate(arch, rng) in nbrs


def test_neighbours_change_depth_and_layer_type():
    mlp = SPACE.parse("dense128-relu|dense128-relu")
    nbrs = {SPACE.format(n) for n in SPACE.neighbours(mlp)}
    assert "dense128-relu" in nbrs  # removal
    assert "dense128-relu|dense128-relu|dense128-relu" in nbrs  # duplication
    assert "dense128-relu|dense128-relu-skip" in nbrs  # skip where the width is kept
    assert "conv64k3-relu|dense128-relu" in nbrs  # first dense block becomes a conv block
    assert "dense128-tanh|dense128-relu" in nbrs and "dense128-relu|dense128-relu-drop0.5" in nbrs


def test_repair_drops_impossible_skips_and_pools():
    blocks = [Block("conv", 8, "relu", 3, pool="max", skip=True)] + [Block("conv", 8, "relu", 3, pool="max", skip=True)] * 3
    fixed = SPACE.repair(blocks)
    assert [b.pool for b in fixed] == ["max", "max", "max", "none"]  # 8 -> 4 -> 2 -> 1: no fourth pool
    assert [b.skip for b in fixed] == [False, True, True, True]  # the first block changes 1 -> 8 channels
    small = DynamicNetSpace(max_conv=4, max_blocks=5)
    assert small.contains(fixed)


@pytest.mark.parametrize(
    "text, message",
    [
        ("dense100-relu", "width 100 is not one of"),
        ("dense64-swish", "activation 'swish'"),
        ("dense64", "malformed DynamicNet block 1"),
        ("dense64-relu-bn-bn", "unknown or repeated token 'bn'"),
        ("dense64-relu-dropx", "malformed dropout"),
        ("dense64-relu|conv8k3-relu", "conv blocks must come before dense blocks"),
        ("conv8k3-relu-skip", "a skip needs the block to keep its input shape"),
        ("conv8k3-relu-maxpool|conv8k3-relu-maxpool|conv8k3-relu-maxpool|conv8k3-relu-maxpool", "4 conv blocks"),
        ("conv8k2-relu", "kernel 2 is not one of"),
        ("", "architecture string is expected"),
    ],
)
def test_parse_rejects_with_a_reason(text, message):
    with pytest.raises(ArchError, match=message):
        SPACE.parse(text)


def test_parse_rejects_pool_on_tiny_maps_and_huge_nets():
    space = DynamicNetSpace(max_conv=4)
    with pytest.raises(ArchError, match="too small .* to pool"):
        space.parse("|".join(["conv8k3-relu-maxpool"] * 4))
    with pytest.raises(ArchError, match="above the space's limit"):
        DynamicNetSpace(max_params=10_000).parse("conv64k3-relu|dense256-relu")


def test_string_round_trip_and_any_token_order():
    for arch in SAMPLES:
        assert SPACE.parse(SPACE.format(arch)) == arch
    a = SPACE.parse("conv16k3-relu-drop0.1-maxpool-bn|conv16k3-gelu-skip-bn|dense64-elu")
    assert a[0] == Block("conv", 16, "relu", 3, True, "max", 0.1, False)
    assert a[1] == Block("conv", 16, "gelu", 3, True, "none", 0.0, True)
    assert SPACE.format(SPACE.parse("conv16k3-relu|conv16k3-gelu-skip-bn")) == "conv16k3-relu|conv16k3-gelu-bn-skip"


def test_encode_decode_round_trip_in_any_node_order():
    rng = np.random.default_rng(5)
    for arch in SAMPLES:
        g = SPACE.encode(arch)
        assert g.edge_index.dtype == np.int64 and g.x.dtype == np.float32
        assert SPACE.decode(g) == arch
        perm = rng.permutation(g.num_nodes)
        inv = np.argsort(perm)
        shuffled = ArchGraph(inv[g.edge_index], g.x[perm], g.vocab, g.params)
        assert SPACE.decode(shuffled) == arch


def test_decode_rejects_graphs_outside_the_space():
    other = DynamicNetSpace((1, 16, 16))
    with pytest.raises(ArchError, match="does not match this space's input"):
        SPACE.decode(other.encode(other.parse("dense64-relu")))
    nodes = [Inputcfg((1, 8, 8)), Flattencfg(), Linearcfg(64), Linearcfg(64), Mergecfg("concat"), Linearcfg(10)]
    edges = [(0, 1), (1, 2), (2, 3), (2, 4), (3, 4), (4, 5)]
    with pytest.raises(ArchError):
        SPACE.decode(DynamicNet(nodes, edges).to_graph())
    wide = [Inputcfg((1, 8, 8)), Convcfg(8, 3, stride=2), Flattencfg(), Linearcfg(10)]
    with pytest.raises(ArchError):
        SPACE.decode(DynamicNet(wide).to_graph())


def test_canonical_hash():
    a = SPACE.parse("dense128-relu|dense128-relu")
    assert SPACE.canonical(a) == "dn-5521a589f5269c78"  # pinned: cache keys depend on it
    assert SPACE.canonical(SPACE.parse("dense128-relu|dense128-relu")) == SPACE.canonical(a)
    hashes = {SPACE.canonical(x) for x in set(SAMPLES)}
    assert len(hashes) == len(set(SAMPLES))
    assert SPACE.canonical((replace(a[0], act="gelu"), a[1])) != SPACE.canonical(a)


def test_build_matches_space_counts_and_classes():
    for arch in SAMPLES[:10]:
        net = SPACE.build(arch, seed=0)
        assert net.output_shape == (10,) and net.input_shape == (1, 8, 8)
        assert net.param_count() == SPACE.param_count(arch) == sum(p.numel() for p in net.parameters())
        assert net.param_count() <= SPACE.max_params


def test_flat_input_space_is_mlp_only():
    space = DynamicNetSpace((20,), 3)
    archs = [space.sample(np.random.default_rng(s)) for s in range(20)]
    assert all(b.kind == "dense" for a in archs for b in a)
    assert all(b.kind == "dense" for a in archs[:5] for n in space.neighbours(a) for b in n)
    with pytest.raises(ArchError, match=r"the input is flat \(not a signal or an image\)"):
        space.parse("conv8k3-relu")
    assert space.decode(space.encode(archs[0])) == archs[0]
