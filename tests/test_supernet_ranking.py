"""The supernet as a ranker: inherited-weight accuracy of sampled paths against the benchmark's
search metric (a table; a live benchmark's cached standalone training), rank statistics, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.cli import main
from nasbench_lab.errors import NasLabError
from nasbench_lab.live.cache import LiveCache
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.supernet_correlation import supernet_ranking

SPACE = NB201Space()
# search metric: a deterministic scramble of the index, so the truth of each path is checkable
VALUES = (np.arange(SPACE.size) * 7919 % SPACE.size).astype(float)
BENCH = TabularBenchmark(name="t", dataset="cifar10", space=SPACE, metrics={"v": VALUES},
                         search_metric="v", report_metric="v")
TINY = {"epochs": 1, "max_train": 48, "batch_size": 24, "width": 4}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small networks: one thread (conftest)


def rank(method, seed, tmp_path, sample=6, **extra):
    return supernet_ranking(method, BENCH, "t", sample=sample, seed=seed, settings=Settings(cache_dir=tmp_path),
                            params={**TINY, **extra}, bootstrap=20)


@pytest.mark.parametrize("method, extra", [("spos", {"eval_samples": 32}), ("darts", {})])
def test_sampled_paths_are_scored_by_inherited_weights_against_the_table(method, extra, tmp_path):
    result = rank(method, 2, tmp_path, **extra)
    assert len(set(result.archs)) == 6 and result.proxy_task and "proxy task" in result.data
    assert result.truth.tolist() == [VALUES[SPACE.index(a)] for a in result.archs]
    assert ((result.inherited >= 0) & (result.inherited <= 100)).all()
    assert result.correlation.n == 6 and -1 <= result.correlation.kendall_tau <= 1
    lo, hi = result.correlation.kendall_ci
    assert lo <= hi and result.epochs == 1 and result.train_seconds > 0


def test_same_seed_same_ranking_and_the_sample_does_not_depend_on_the_method(tmp_path):
    first, again, other = rank("spos", 4, tmp_path), rank("spos", 4, tmp_path), rank("spos", 5, tmp_path)
    assert first.archs == again.archs and first.inherited.tolist() == again.inherited.tolist()
    assert first.archs != other.archs
    assert rank("darts", 4, tmp_path).archs == first.archs  # one ground truth serves both methods


def test_bad_requests_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(NasLabError, match="^method must be one of spos, darts"):
        rank("gdas", 0, tmp_path)
    with pytest.raises(NasLabError, match="^sample must be at least 3"):
        rank("spos", 0, tmp_path, sample=2)
    assert main(["proxy", "supernet", "--benchmark", "nb201-analog", "--sample", "5"]) == 2
    assert "needs --method" in capsys.readouterr().err
    assert main(["proxy", "supernet", "--benchmark", "nb201-analog", "--method", "spos"]) == 2
    assert "needs --sample" in capsys.readouterr().err
    assert main(["proxy", "supernet", "--benchmark", "nb201-analog", "--method", "spos", "--sample", "5",
                 "--param", "darts.epochs=1"]) == 2
    assert "--param names 'darts'" in capsys.readouterr().err


def test_cli_on_a_live_benchmark_trains_the_truth_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    args = ["proxy", "supernet", "--benchmark", "dynamicnet/digits", "--method", "spos", "--sample", "4",
            "--seed", "1", "--jobs", "1", "--bootstrap", "20", "--param", "spos.epochs=1",
            "--param", "spos.max_train=64", "--param", "spos.eval_samples=64",
            "--benchmark-option", "dynamicnet.epochs=1", "--benchmark-option", "dynamicnet.max_train=200",
            "--figure", str(tmp_path / "scatter.png"), "--json"]
    assert main(args) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["architectures"] == 4 and row["search_metric"] == "valid_acc" and row["proxy_task"] is False
    assert len(row["kendall_ci"]) == 2 and 0 <= row["truth_min"] <= row["truth_max"] <= 100
    assert (tmp_path / "scatter.png").stat().st_size > 0
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["kendall_tau"] == row["kendall_tau"] and again["truth_max"] == row["truth_max"]
    caches = [p for p in (tmp_path / "cache" / "live").glob("*.sqlite") if not p.stem.endswith("-costs")]
    assert [LiveCache(p).count() for p in caches] == [4]  # the second run trained nothing more
