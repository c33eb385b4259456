"""NAS-Bench-Graph adapter: the space against the nas_bench_graph package, and the tables."""
from __future__ import annotations

import contextlib
import io
import sys
import time
from collections import Counter

import numpy as np
import pytest

from nas_bench_graph import Arch as PkgArch
from nas_bench_graph import architecture as pkg
from nas_bench_graph import light_read

from nasbench_lab.adapters.nasbench_graph import benchmark as ngb
from nasbench_lab.adapters.nasbench_graph import canonical as ngc
from nasbench_lab.adapters.nasbench_graph import space as ng
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import ArchError, BenchmarkFileError
from nasbench_lab.core.graph import ArchGraph

SPACE = ng.NasBenchGraphSpace()
PROTEINS = ng.space_for("proteins")
ALL_SKIP_HASH = PkgArch([0, 0, 0, 0], ["skip"] * 4).valid_hash()
# The package README's example network (gcn -> gin -> fc and gcn -> cheb) in two numberings.
# (The README's second spelling, [0,1,1,2] + gcn,cheb,gin,fc, wires fc after cheb instead: a
# different network, and valid_hash gives it a different key.)
README_A = "link=0,1,2,1;ops=gcn,gin,fc,cheb"
README_B = "link=0,1,1,2;ops=gcn,gin,cheb,fc"


def pkg_hash(link, ops) -> int:
    return int(PkgArch(list(link), list(ops)).valid_hash())


def one_change_variants(arch, ops_allowed):
    link, ops = arch
    for pos in range(4):
        for op in ops_allowed:
            if op != ops[pos]:
                yield link, ops[:pos] + (op,) + ops[pos + 1 :]
    for other in pkg.link_list:
        if tuple(other) != link:
            yield tuple(other), ops


def test_constants_match_the_package():
    assert ngc.GNN_OPS == tuple(pkg.gnn_list)
    assert ngc.PROTEINS_OPS == tuple(pkg.gnn_list_proteins)
    assert ngc.LINKS == tuple(tuple(link) for link in pkg.link_list)


def test_space_is_exactly_the_packages_all_archs():
    with contextlib.redirect_stdout(io.StringIO()):  # all_archs() prints its count
        reference = pkg.all_archs()
    assert SPACE.size == len(reference) == 26206
    assert set(SPACE) == {(tuple(a.link), tuple(a.ops)) for a in reference}
    keys = SPACE.keys
    assert np.all(np.diff(keys) > 0), "enumeration must follow the table-key order"
    assert sorted(a.hash_arch() for a in reference) == keys.tolist()
    assert set(keys.tolist()) == set(light_read("cora"))


def test_every_arch_round_trips():
    for space in (SPACE, PROTEINS):
        for i in range(space.size):
            arch = space.arch_at(i)
            assert space.index(arch) == i
            assert space.parse(space.format(arch)) == arch
            assert space.decode(space.encode(arch)) == arch
            assert space.canonical(arch) == str(space.keys[i])


def test_graph_form():
    arch = SPACE.parse("link=0,0,1,2;ops=gat,gcn,sage,fc")
    g = SPACE.encode(arch)
    assert g.vocab == ngc.VOCAB and g.params == ()
    assert g.num_nodes == 6
    assert g.ops()[0] == "input" and g.ops()[-1] == "output"
    assert sorted(g.ops()[1:5]) == sorted(arch[1])
    assert arch == ((0, 0, 1, 2), ("gat", "gcn", "sage", "fc"))  # already canonical
    assert g.ops() == ["input", "gat", "gcn", "sage", "fc", "output"]
    assert sorted(map(tuple, g.edge_index.T.tolist())) == [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5)]
    # same vocabulary for the proteins space, so graphs are comparable across datasets
    p = PROTEINS.arch_at(0)
    assert PROTEINS.encode(p) == SPACE.encode(p)


def test_decode_ignores_node_order():
    rng = np.random.default_rng(0)
    for _ in range(300):
        arch = SPACE.sample(rng)
        g = SPACE.encode(arch)
        perm = rng.permutation(g.num_nodes)
        inverse = np.argsort(perm)
        shuffled = ArchGraph(inverse[g.edge_index], g.x[perm], g.vocab, g.params)
        assert SPACE.decode(shuffled) == arch


def test_decode_rejects_foreign_graphs():
    arch = SPACE.parse("link=0,0,1,2;ops=gcn,gat,sage,fc")
    g = SPACE.encode(arch)
    ops = g.ops()
    bad = [
        ArchGraph(g.edge_index[:, :-1], g.x, g.vocab),  # a leaf not wired to the output
        ArchGraph(np.hstack([g.edge_index, [[0], [5]]]), g.x, g.vocab),  # input -> output
        ArchGraph(np.hstack([g.edge_index, [[1], [5]]]), g.x, g.vocab),  # non-leaf -> output
        ArchGraph(np.hstack([g.edge_index, [[2], [1]]]), g.x, g.vocab),  # two inputs for a layer
        ArchGraph.from_nodes(["input", "input"] + ops[2:], [(0, 2), (1, 3), (2, 4), (3, 5), (4, 5)], ngc.VOCAB),
        ArchGraph.from_nodes(ops[:5], [(0, 1), (1, 2), (2, 3), (3, 4)], ngc.VOCAB),  # no output node
        ArchGraph(g.edge_index, g.x[:, 2:], g.vocab[2:]),  # foreign vocabulary
        ArchGraph(  # layers 1 and 2 feed each other: a cycle
            np.array([[2, 1, 0, 0, 3, 4], [1, 2, 3, 4, 5, 5]]), g.x, g.vocab
        ),
    ]
    for graph in bad:
        with pytest.raises(ArchError):
            SPACE.decode(graph)
    with pytest.raises(ArchError, match="not evaluated on this dataset"):
        PROTEINS.decode(g)  # gat is not a proteins op
    all_skip = ArchGraph.from_nodes(["input"] + ["skip"] * 4 + ["output"], [(0, 1), (0, 2), (0, 3), (0, 4)] + [(n, 5) for n in range(1, 5)], ngc.VOCAB)
    with pytest.raises(ArchError, match="all four layers are 'skip'"):
        SPACE.decode(all_skip)


def test_neighbours_are_one_change_away():
    rng = np.random.default_rng(2)
    picks = [(SPACE, SPACE.arch_at(i)) for i in rng.choice(SPACE.size, 400, replace=False)]
    picks += [(PROTEINS, PROTEINS.arch_at(i)) for i in range(0, PROTEINS.size, 10)]
    for space, arch in picks:
        nbrs = space.neighbours(arch)
        assert nbrs and len(set(nbrs)) == len(nbrs) and arch not in nbrs
        assert all(space.index(n) >= 0 for n in nbrs)
        # one op replaced (multisets differ by one element) or the wiring changed (same multiset)
        for n in nbrs:
            diff = Counter(arch[1]) - Counter(n[1])
            assert sum(diff.values()) <= 1
        # exactly the package's canonical forms of all one-change variants
        own = pkg_hash(*arch)
        expected = {pkg_hash(*v) for v in one_change_variants(arch, space.ops)} - {own, ALL_SKIP_HASH}
        assert {int(space.canonical(n)) for n in nbrs} == expected
    rng = np.random.default_rng(3)
    arch = SPACE.arch_at(123)
    assert SPACE.mutate(arch, rng) in SPACE.neighbours(arch)


def test_non_canonical_architectures_map_to_their_member():
    a, b = SPACE.parse(README_A), SPACE.parse(README_B)
    assert a == b and SPACE.canonical(a) == str(pkg_hash((0, 1, 2, 1), ("gcn", "gin", "fc", "cheb")))
    # the same tree numbered non-topologically: layer 1 reads from layer 4, etc.
    assert SPACE.parse("link=4,0,2,2;ops=fc,gcn,cheb,gin") == a
    # sibling order and skip placement are normalised
    assert SPACE.parse("link=0,0,0,0;ops=fc,gcn,gat,sage") == ((0, 0, 0, 0), ("gat", "gcn", "sage", "fc"))
    assert SPACE.canonicalise(((0, 1, 2, 3), ("gcn", "skip", "gat", "fc"))) in SPACE.neighbours(
        SPACE.canonicalise(((0, 1, 2, 3), ("gcn", "gin", "gat", "fc")))
    )
    # a graph of the non-canonical wiring decodes to the member too
    raw = ArchGraph.from_nodes(
        ["input", "gcn", "gin", "fc", "cheb", "output"],
        [(0, 1), (1, 2), (2, 3), (1, 4), (3, 5), (4, 5)],
        ngc.VOCAB,
    )
    assert SPACE.decode(raw) == a
    # index() refuses non-canonical tuples, naming the canonical member
    with pytest.raises(ArchError, match="canonical member"):
        SPACE.index(((0, 0, 0, 0), ("fc", "gcn", "gat", "sage")))
    # every topologically numbered architecture hits the table key the package computes
    rng = np.random.default_rng(4)
    links = [(0, a, b, c) for a in range(2) for b in range(3) for c in range(4)]
    for _ in range(3000):
        link = links[rng.integers(len(links))]
        ops = tuple(ngc.GNN_OPS[d] for d in rng.integers(len(ngc.GNN_OPS), size=4))
        if ops == ("skip",) * 4:
            continue
        text = "link={};ops={}".format(",".join(map(str, link)), ",".join(ops))
        assert SPACE.canonical(SPACE.parse(text)) == str(pkg_hash(link, ops))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "missing link and ops"),
        ("gcn,gat,skip,fc", "bad field"),
        ("link=0,0,1,2", "missing ops"),
        ("link=0,0,1;ops=gcn,gat,skip,fc", "link needs 4 entries"),
        ("link=0,0,1,2;ops=gcn,gat,fc", "needs 4 operations"),
        ("link=0,0,1,2;ops=gcn,gat,conv,fc", "unknown operation 'conv'.*choose from gat, gcn"),
        ("link=0,0,1,9;ops=gcn,gat,skip,fc", r"link\[3\] = 9 is out of range"),
        ("link=0,0,1,4;ops=gcn,gat,skip,fc", "layer 4 cannot be its own input"),
        ("link=2,1,0,0;ops=gcn,gat,skip,fc", "cycle"),
        ("link=0,a,1,2;ops=gcn,gat,skip,fc", "comma-separated integers"),
        ("link=0,0,0,0;ops=skip,skip,skip,skip", "all four layers are 'skip'"),
        ("link=0,0,1,2;link=0,0,1,2;ops=gcn,gat,skip,fc", "given twice"),
        ("link=0,0,1,2;ops=gcn,,skip,fc", "empty operation name"),
    ],
)
def test_malformed_strings(text, message):
    with pytest.raises(ArchError, match=message):
        SPACE.parse(text)


def test_other_bad_input():
    with pytest.raises(ArchError, match="not evaluated on this dataset"):
        PROTEINS.parse("link=0,0,1,2;ops=gcn,gat,skip,fc")
    with pytest.raises(ArchError):
        SPACE.parse(None)  # type: ignore[arg-type]
    with pytest.raises(ArchError):
        SPACE.index(((0, 0, 1), ("gcn",)))
    with pytest.raises(ArchError):
        SPACE.index("link=0,0,1,2;ops=gcn,gat,skip,fc")
    with pytest.raises(ArchError):
        SPACE.arch_at(SPACE.size)
    # spaces are forgiving about case and spacing in strings
    assert SPACE.parse(" LINK = 0,1,1,2 ; ops = GCN, gin, cheb, fc ") == SPACE.parse(README_B)


def test_every_dataset_loads_with_sane_values():
    ngb.load_arrays.cache_clear()
    for dataset in ngb.DATASETS:
        start = time.perf_counter()
        bench = ngb.SPEC.build(dataset, Settings())
        seconds = time.perf_counter() - start
        assert seconds < 2.0, f"{dataset} took {seconds:.2f} s to load"
        assert bench.space.size == (2021 if dataset == "proteins" else 26206)
        for metric in ("valid_perf", "perf"):
            v = bench.values(metric)
            assert np.isfinite(v).all() and 0.0 <= v.min() and v.max() <= 100.0
            assert v.max() > 50.0  # percent, not a fraction
        assert (bench.values("latency_ms") > 0).all() and bench.values("latency_ms").max() < 5000.0
        assert (bench.values("params_m") > 0).all() and bench.values("params_m").max() < 100.0
        assert bench.best_report == bench.values("perf").max()
    assert ngb.load_arrays("cora") is ngb.load_arrays("cora")  # cached in-process


def test_known_values_match_the_package():
    for dataset, arch_text, link, ops in [
        ("cora", README_A, [0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"]),
        ("arxiv", "link=0,0,1,2;ops=sage,gat,skip,fc", [0, 0, 1, 2], ["sage", "gat", "skip", "fc"]),
        ("proteins", "link=0,1,1,1;ops=arma,gcn,skip,fc", [0, 1, 1, 1], ["arma", "gcn", "skip", "fc"]),
    ]:
        record = light_read(dataset)[PkgArch(link, ops).valid_hash()]
        bench = ngb.SPEC.build(dataset, Settings())
        arch = bench.space.parse(arch_text)
        assert bench.search_metric(arch) == pytest.approx(100 * record["valid_perf"])
        assert bench.report_metric(arch) == pytest.approx(100 * record["perf"])
        assert bench.search_metric_fn()(arch) == bench.search_metric(arch)
        assert bench.costs(arch) == pytest.approx({"latency_ms": 1000 * record["latency"], "params_m": float(record["para"])})


def test_costs_are_in_the_vocabulary_latency_in_ms():
    """latency_ms is 1000 x the package's latency (seconds) for every architecture; params_m is para."""
    from nasbench_lab.core.costs import check_cost

    table = light_read("cora")
    bench = ngb.SPEC.build("cora", Settings())
    seconds = np.array([table[int(k)]["latency"] for k in bench.space.keys], dtype=float)
    para = np.array([table[int(k)]["para"] for k in bench.space.keys], dtype=float)
    assert np.array_equal(bench.values("latency_ms"), seconds * 1000.0)
    assert np.array_equal(bench.values("params_m"), para)
    assert bench.cost_names == ngb.SPEC.costs == ("latency_ms", "params_m")
    for name in bench.cost_names:
        check_cost(name)


def test_registered():
    from nasbench_lab.adapters import SPACES
    from nasbench_lab.core.registry import BENCHMARKS, import_object

    assert BENCHMARKS.get("nasbench-graph") is ngb.SPEC
    assert ngb.SPEC.datasets[0] == "cora" and len(ngb.SPEC.datasets) == 9
    assert ngb.SPEC.resolve("PubMed") == "pubmed"
    assert import_object(SPACES["nasbench-graph"])().size == 26206


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "nas_bench_graph", None)
    with pytest.raises(BenchmarkFileError, match="pip install nas-bench-graph"):
        ngb._read_table("cora")


def test_no_torch_needed_to_load():
    import subprocess

    code = (
        "import sys; from nasbench_lab.adapters.nasbench_graph import benchmark as ngb; "
        "from nasbench_lab.infra.settings import Settings; "
        "ngb.load('cora', Settings()); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_to_pyg():
    data = SPACE.encode(SPACE.parse(README_A)).to_pyg()
    assert tuple(data.x.shape) == (6, len(ngc.VOCAB))
    assert data.edge_index.shape[0] == 2 and data.edge_index.shape[1] == 4 + 2  # 4 layer edges, 2 leaves
