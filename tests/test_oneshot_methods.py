"""The one-shot methods as registered algorithms: equal budgets, records, reproducibility."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.infra.settings import Settings

SPACE = NB201Space()
BENCH = TabularBenchmark(name="t", dataset="cifar10", space=SPACE,
                         metrics={"v": np.arange(SPACE.size, dtype=float)}, search_metric="v", report_metric="v")
TINY = {"epochs": 2, "max_train": 48, "batch_size": 24, "width": 4}


def run(name, seed, tmp_path, budget=4, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **{**TINY, **params})
    oracle = Oracle.for_benchmark(BENCH, budget)
    spent = []
    context = RunContext(benchmark="t", dataset="cifar10", seed=seed,
                         settings=Settings(cache_dir=tmp_path), record_compute=spent.append)
    algo.run(oracle, context)
    algo.saved = context.artefacts  # what the run handed over for the results folder
    return algo, oracle, spent


@pytest.mark.parametrize("name, extra", [("darts", {}), ("darts", {"order": 2}), ("gdas", {}), ("pc-darts", {}),
                                         ("drnas", {}), ("darts-es", {"es_window": 1, "es_iterations": 2}),
                                         ("spos", {"candidates": 6, "eval_samples": 32})])
def test_method_spends_the_budget_derived_first_and_records_its_search(name, extra, tmp_path):
    algo, oracle, spent = run(name, 3, tmp_path, **extra)
    queried = [q.arch for q in oracle.history]
    assert len(set(queried)) == 4 and len(spent) == 1 and spent[0] > 0
    record = json.loads(algo.saved["oneshot.json"])
    assert tuple(record["derived"]) == queried[0]
    assert record["proxy_task"] is True and "proxy task" in record["data"]
    assert 1 <= len(record["epochs"]) <= 2 and len(record["epochs"][0]["probabilities"]) == 6
    if name != "spos":
        assert 0 not in queried[0]  # derivation excludes none
        assert tuple(record["epochs"][-1]["derived"]) == queried[0]
    else:
        scores = [s for _, s in record["inherited_accuracy"]]
        assert scores == sorted(scores, reverse=True) and tuple(record["inherited_accuracy"][0][0]) == queried[0]


def test_same_seed_same_search(tmp_path):
    first, _, _ = run("drnas", 5, tmp_path)
    again, _, _ = run("drnas", 5, tmp_path)
    other, _, _ = run("drnas", 6, tmp_path)
    assert first.record["epochs"] == again.record["epochs"]
    assert first.record["epochs"] != other.record["epochs"]


def test_bad_settings_are_one_line_errors(tmp_path):
    with pytest.raises(NasLabError, match="partial_channels=3 must divide"):
        run("pc-darts", 0, tmp_path, partial_channels=3)
    with pytest.raises(NasLabError, match="no supernet for search space"):
        ALGORITHMS.get("darts").check_space(type("S", (), {"name": "nasbench-graph"})())
