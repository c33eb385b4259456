import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from nasbench_lab.adapters.nats_size.network import nats_size_network
from nasbench_lab.adapters.nb201.costs import cost_arrays
from nasbench_lab.adapters.nb201.network import nb201_network
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.cli import main
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError, NasLabError, UnknownNameError
from nasbench_lab.proxies import LOG_FLOOR, PROXIES, get_proxy, load_batch, proxy_batch, shape_batch
from nasbench_lab.proxies import measures
from nasbench_lab.proxies.scores import TableConfig, compute_scores, table_paths

SPACE = NB201Space()
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
DISCONNECTED = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|"


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small networks: one thread (conftest)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NASBENCH_LAB_IMAGES", raising=False)
    return tmp_path / "cache"


def synflow(cell, method="auto", dataset="cifar10", seed=0, prune=False):
    net = nb201_network(cell, dataset, batchnorm=False, seed=seed, prune=prune)
    return measures.synflow(net, shape_batch(dataset), method=method)


def test_registry():
    assert set(PROXIES) == {"synflow", "snip", "grad_norm", "grasp", "fisher", "jacob_cov", "nwot", "params", "flops"}
    with pytest.raises(UnknownNameError):
        get_proxy("zen")
    assert get_proxy("synflow").report(1e30) == 30.0 and get_proxy("synflow").report(0.0) == LOG_FLOOR
    assert not get_proxy("synflow").needs_data and get_proxy("snip").needs_data


def test_synflow_forward_mode_equals_backpropagation():
    rng = np.random.default_rng(0)
    cells = [BEST] + [SPACE.format(SPACE.arch_at(int(i))) for i in rng.choice(SPACE.size, 3, replace=False)]
    for cell in cells:
        ref = synflow(cell, "autograd", dataset="ImageNet16-120")
        assert ref > 0 and synflow(cell, "forward", dataset="ImageNet16-120") == pytest.approx(ref, rel=1e-10)
        assert synflow(cell, prune=True, dataset="ImageNet16-120") == pytest.approx(ref, rel=1e-10)
    net = nats_size_network((8, 24, 16, 40, 64), batchnorm=False, seed=0)
    ref = measures.synflow(net, shape_batch("cifar10"), method="autograd")
    assert measures.synflow(net, shape_batch("cifar10"), method="forward") == pytest.approx(ref, rel=1e-10)


def test_synflow_invariances():
    # a cell whose output is cut from its input passes nothing: score 0, reported at the floor
    assert synflow(DISCONNECTED) == 0.0 and synflow((0,) * 6) == 0.0
    assert get_proxy("synflow").report(synflow(DISCONNECTED)) == LOG_FLOOR
    # weights enter by absolute value: flipping signs changes nothing
    net = nb201_network(BEST, batchnorm=False, seed=0)
    before = measures.synflow(net, shape_batch("cifar10"))
    with torch.no_grad():
        for p in net.parameters():
            p.neg_()
    negated = [p.clone() for p in net.parameters()]
    assert measures.synflow(net, shape_batch("cifar10")) == before
    # the proxy leaves the network alone (no absolute values, no dtype change, no gradients)
    assert all(torch.equal(p, q) and p.dtype == torch.float32 and p.grad is None
               for p, q in zip(net.parameters(), negated))
    # a network with every weight positive is linear: adding a parallel path adds flow
    less = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert synflow(BEST) > synflow(less)
    # deterministic for a seed, different for another
    assert synflow(BEST, seed=0) == before and synflow(BEST, seed=1) != before


def test_data_dependent_proxies_are_deterministic_and_leave_weights(monkeypatch):
    batch = load_batch("ImageNet16-120", None, batch_size=8, seed=0)
    assert batch.source.startswith("synthetic") and batch.inputs.shape == (8, 3, 16, 16)
    small = (8, 16, 8, 16, 8)  # a small size-space network keeps this fast
    for name in ("snip", "grad_norm", "grasp", "fisher", "jacob_cov", "nwot"):
        net = nats_size_network(small, "ImageNet16-120", seed=0)
        net.eval()
        state = {k: v.clone() for k, v in net.state_dict().items()}
        first = get_proxy(name)(net, batch)
        second = get_proxy(name)(nats_size_network(small, "ImageNet16-120", seed=0), batch)
        assert math.isfinite(first) and first == pytest.approx(second, rel=1e-9), name
        assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items()), name
        assert not any(p.grad is not None for p in net.parameters()), name
        assert not net.training, name


def test_cost_proxies_match_nb201_costs():
    i = SPACE.index(SPACE.parse(BEST))
    net = nb201_network(BEST, "cifar100")
    batch = proxy_batch("flops", "cifar100")
    assert get_proxy("params")(net, batch) == cost_arrays("cifar100")["params_m"][i]
    assert get_proxy("flops")(net, batch) == cost_arrays("cifar100")["flops_m"][i]


def _fake_cifar(root, n=40):
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    data = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": list(rng.integers(0, 10, n))}
    with open(folder / "data_batch_1", "wb") as fh:
        pickle.dump(data, fh)
    im = {"data": rng.integers(0, 256, (n, 768), dtype=np.uint8), "labels": list(rng.integers(1, 1001, n))}
    with open(root / "train_data_batch_1", "wb") as fh:
        pickle.dump(im, fh)
    return data


def test_real_batches(tmp_path):
    data = _fake_cifar(tmp_path)
    batch = load_batch("cifar10", tmp_path, batch_size=8, seed=1)
    assert batch.inputs.shape == (8, 3, 32, 32) and batch.inputs.dtype == torch.float32
    assert "data_batch_1" in batch.source and batch.num_classes == 10
    assert set(batch.targets.tolist()) <= set(data["labels"])
    assert torch.equal(load_batch("cifar10", tmp_path, batch_size=8, seed=1).inputs, batch.inputs)
    im = load_batch("imagenet16", tmp_path, batch_size=2, seed=0)
    assert im.inputs.shape == (2, 3, 16, 16) and im.targets.max() < 120
    with pytest.raises(BenchmarkFileError, match="no cifar100 training file"):
        load_batch("cifar100", tmp_path)
    with pytest.raises(BenchmarkFileError, match="not found"):
        load_batch("cifar10", tmp_path / "missing")
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(BenchmarkFileError, match="cannot read"):
        load_batch("cifar10", tmp_path)


def test_tables_are_resumable_and_independent_of_jobs(cache):
    config = TableConfig("synflow", "nb201", "ImageNet16-120", seed=0)
    picks = np.array([5, 77, 1234, 9000, 15624])
    one = compute_scores(config, cache, picks[:3], jobs=1)
    assert one.computed == 3 and not one.complete and one.path == cache / "proxies" / "scores.sqlite"
    two = compute_scores(config, cache, picks, jobs=2)
    assert two.computed == 2 and two.reused == 3
    assert np.array_equal(two.raw[:3], one.raw)  # read back exactly
    fresh = compute_scores(config, cache / "other", picks, jobs=2)
    assert np.array_equal(fresh.raw, two.raw)  # same scores whatever the number of processes
    assert fresh.raw[-1] == synflow(SPACE.arch_at(15624), dataset="ImageNet16-120")  # = one network, scored alone
    # rows of an earlier version's partial CSV are moved into the cache; a torn last line is recomputed
    legacy = cache / "legacy"
    partial = table_paths(config, legacy)[1]
    partial.parent.mkdir(parents=True)
    lines = [f"{SPACE.format(SPACE.arch_at(int(i)))},{float(r)!r},0.5" for i, r in zip(picks[:4], two.raw[:4])]
    partial.write_text("arch_str,raw,seconds\n" + "\n".join(lines) + "\n|nor_conv_3x3~0|+|none~0|no")
    again = compute_scores(config, legacy, picks, jobs=1)
    assert again.computed == 1 and np.array_equal(again.raw, two.raw) and not partial.exists()
    assert list(again.seconds[:4]) == [0.5] * 4


def test_complete_table_is_served_by_the_table_adapter(cache, tmp_path):
    from nasbench_lab.adapters.table import build
    from nasbench_lab.proxies.scores import _finalise

    config = TableConfig("params", "nb201", "cifar10")
    params = cost_arrays("cifar10")["params_m"]
    rows = {i: (float(params[i]), 0.001) for i in range(SPACE.size)}
    path = _finalise(config, cache, rows, {"proxy": "params"})
    decl = {"name": "with-proxy", "space": "nb201",
            "files": {"p": {"path": str(path), "arch_column": "arch_str"}},
            "datasets": {"cifar10": {"search": "p:params", "report": "p:params", "metrics": {"proxy_raw": "p:raw"}}}}
    bench = build(decl, "cifar10", Settings(cache_dir=cache), tmp_path)
    assert np.array_equal(bench.values("params"), params)
    done = compute_scores(config, cache, [3, 4], jobs=1)
    assert done.complete and done.reused == 2 and done.computed == 0


def test_proxy_cli_end_to_end(cache, capsys, data_dir):
    args = ["proxy", "synflow", "--benchmark", "nb201/ImageNet16-120", "--sample", "10", "--seed", "3",
            "--jobs", "1", "--bootstrap", "50", "--data-dir", str(data_dir), "--json"]
    assert main(args) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["architectures"] == 10 and row["computed"] == 10 and row["data"].startswith("none: data-free")
    assert row["report_metric"] == "test_acc_200ep" and -1 <= row["spearman_rho"] <= 1
    assert len(row["spearman_ci"]) == 2 and "kendall_tau" in row
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["reused"] == 10 and again["spearman_rho"] == row["spearman_rho"]
    assert main(args[:-1]) == 0
    text = capsys.readouterr().out
    assert "Spearman rho" in text and "Kendall tau" in text and "data: none: data-free" in text
    # a data-dependent proxy says it ran on a synthetic batch
    assert main(["proxy", "nwot", "--benchmark", "nb201/ImageNet16-120", "--sample", "4", "--batch-size", "8",
                 "--jobs", "1", "--bootstrap", "0", "--data-dir", str(data_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["data"].startswith("synthetic: 8 images")


def test_proxy_cli_errors(cache, capsys):
    assert main(["proxy", "zen", "--benchmark", "nb201-analog"]) == 2
    assert "unknown proxy 'zen'" in capsys.readouterr().err
    assert main(["proxy", "synflow", "--benchmark", "nasbench-graph", "--sample", "5"]) == 2
    assert "no network builder" in capsys.readouterr().err
    assert main(["proxy", "synflow", "--benchmark", "nb201-analog", "--sample", "2"]) == 2
    assert "--sample must be between 3" in capsys.readouterr().err
    assert main(["proxy", "snip", "--benchmark", "nb201-analog", "--sample", "3", "--image-dir", "/nonexistent"]) == 2
    assert "image directory not found" in capsys.readouterr().err


def test_synflow_rank_algorithm(cache):
    from nasbench_lab.algorithms.synflow_rank import SynflowRank
    from nasbench_lab.core.context import RunContext
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.core.registry import ALGORITHMS
    from nasbench_lab.core.loading import load_benchmark

    assert ALGORITHMS.get("synflow-rank") is SynflowRank
    bench = load_benchmark("nb201-analog", "cifar10", Settings.from_env())

    def run(seed, **kw):  # proxy networks for ImageNet16-120 (16x16 input) keep this fast
        oracle = Oracle.for_benchmark(bench, 12)
        context = RunContext("nb201-analog", "ImageNet16-120", seed, Settings.from_env(), oracle.add_compute)
        SynflowRank(bench.space, np.random.default_rng(seed), pool_size=20, top_k=4, **kw).run(oracle, context)
        return oracle

    a, b = run(0), run(0)
    assert [q.arch for q in a.history] == [q.arch for q in b.history] and a.used == 12
    assert a.compute_seconds > 0
    # the first queries are the pool's best by proxy
    pool = np.random.default_rng(0).choice(SPACE.size, 20, replace=False)
    scores = {int(i): synflow(SPACE.arch_at(int(i)), dataset="ImageNet16-120") for i in pool}
    top = sorted(scores, key=lambda i: -scores[i])[:4]
    assert [SPACE.index(q.arch) for q in a.history[:4]] == top
    # a complete cached table is used, and charged the compute time it records
    from nasbench_lab.proxies.scores import _finalise

    rows = {i: (float(i), 0.5) for i in range(SPACE.size)}  # fake proxy: higher index = better
    _finalise(TableConfig("synflow", "nb201", "ImageNet16-120"), cache, rows, {})
    c = run(0, evolve=False)
    assert [SPACE.index(q.arch) for q in c.history] == sorted(pool.tolist(), reverse=True)[:12]
    assert c.compute_seconds == pytest.approx(20 * 0.5)
    with pytest.raises(NasLabError):
        SynflowRank(bench.space, np.random.default_rng(0), top_k=0)


def test_leaderboard_records_compute_time(cache, tmp_path, capsys):
    out = tmp_path / "lb"
    code = main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", "random,synflow-rank",
                 "--param", "synflow-rank.pool_size=4", "--budget", "6", "--seeds", "2", "--out", str(out),
                 "--no-progress", "--json"])
    assert code == 0, capsys.readouterr().err
    runs = pd.read_csv(out / "runs.csv")
    assert (runs.loc[runs.algorithm == "random", "compute_seconds"] == 0).all()
    assert (runs.loc[runs.algorithm == "synflow-rank", "compute_seconds"] > 0).all()
    table = (out / "leaderboard.md").read_text()
    assert "compute s/run" in table
    row = next(line for line in table.splitlines() if "| random |" in line)
    assert row.rstrip().endswith("0.0 |")


def test_synflow_rank_refuses_a_space_without_networks_before_running(cache, tmp_path, capsys):
    out = tmp_path / "lb"
    code = main(["leaderboard", "--benchmark", "nasbench-graph/cora", "--algorithms", "random,synflow-rank",
                 "--budget", "5", "--seeds", "1", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "synflow-rank" in err and "nasbench-graph" in err and "Traceback" not in err
    assert not (out / "runs.csv").exists()


def test_nats_size_space_tables(cache):
    from nasbench_lab.adapters.nats_size.space import NATSSizeSpace

    space = NATSSizeSpace()
    scores = compute_scores(TableConfig("synflow", "nats-size", "ImageNet16-120"), cache, [0, 100, space.size - 1])
    assert scores.computed == 3 and (scores.raw > 0).all()
    # wider networks carry more flow: 64 channels everywhere beats 8 everywhere
    assert scores.raw[-1] > scores.raw[0]
    net = nats_size_network(space.arch_at(100), "ImageNet16-120", batchnorm=False, seed=0)
    assert scores.raw[1] == pytest.approx(measures.synflow(net, shape_batch("ImageNet16-120")), rel=1e-12)


def test_proxies_score_dynamicnet_networks():
    """The proxy code is generic: DynamicNet networks plug into it unchanged."""
    from nasbench_lab.adapters.dynamicnet import (Activationcfg, BatchNormcfg, Convcfg, DynamicNet, Flattencfg,
                                                  Linearcfg, Poolcfg)
    from nasbench_lab.proxies.data import Batch

    net = DynamicNet([Convcfg(8, 3), BatchNormcfg(), Activationcfg("relu"), Poolcfg("max"), Flattencfg(),
                      Linearcfg(32), Activationcfg("relu"), Linearcfg(10)], input_shape=(1, 8, 8), seed=0)
    g = torch.Generator().manual_seed(0)
    batch = Batch(torch.randn(16, 1, 8, 8, generator=g), torch.randint(0, 10, (16,), generator=g), 10, "synthetic")
    before = net.get_flat_weights().clone()
    scores = {name: proxy(net, batch) for name, proxy in PROXIES.items()}
    assert all(math.isfinite(v) for v in scores.values()), scores
    assert scores["params"] == pytest.approx(sum(p.numel() for p in net.parameters()) / 1e6)
    assert scores["synflow"] > 0 and torch.equal(net.get_flat_weights(), before)
