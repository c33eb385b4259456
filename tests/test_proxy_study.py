"""The proxy study as a library call, and ``nasbench-lab proxy --out scores.csv``."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.cli import main
from nasbench_lab.errors import ParameterError
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.proxies.study import proxy_study, sample_indices
from nasbench_lab.infra.settings import Settings

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    return Settings(cache_dir=tmp_path / "cache")


def test_the_study_scores_the_sample_and_correlates_with_the_report_metric(settings):
    bench = load_benchmark("nb201", "cifar10", settings)
    study = proxy_study("params", bench, "nb201", settings, sample=6, seed=2, bootstrap=0)
    assert list(study.indices) == list(sample_indices(bench.space.size, 6, 2)) and len(set(study.indices)) == 6
    table = study.per_architecture()
    assert list(table.columns) == ["index", "arch", "params_score", "test_acc_200ep", "score_seconds"]
    for row in table.itertuples():  # each row names its architecture and its true report metric
        arch = bench.space.arch_at(int(row.index))
        assert row.arch == bench.space.format(arch) and row.test_acc_200ep == bench.report_metric(arch)
    assert study.summary()["architectures"] == 6 and study.summary()["kendall_tau"] == study.correlation.kendall_tau


def test_the_study_names_its_parameters_not_flags(settings):
    bench = load_benchmark("nb201", "cifar10", settings)
    with pytest.raises(ParameterError, match=r"^sample must be between 3 and 15625, got 2$"):
        proxy_study("params", bench, "nb201", settings, sample=2)
    with pytest.raises(ParameterError, match=r"^bootstrap must be a whole number >= 0, got -1$"):
        proxy_study("params", bench, "nb201", settings, sample=3, bootstrap=-1)


def test_proxy_out_writes_the_scores_and_never_replaces_a_file_unasked(settings, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    args = ["proxy", "params", "--benchmark", "nb201/cifar10", "--sample", "5", "--bootstrap", "0", "--jobs", "1",
            "--out", str(out), "--json"]
    assert main(args) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    table = pd.read_csv(out)
    assert row["out"] == str(out) and len(table) == 5 and table["index"].is_unique
    assert np.isfinite(table["params_score"]).all()
    out.write_text("mine\n")
    assert main(args) == 2
    assert "--out" in capsys.readouterr().err and out.read_text() == "mine\n"
    assert main(args + ["--overwrite"]) == 0 and len(pd.read_csv(out)) == 5
    assert main(args[:-4] + ["--out", str(tmp_path), "--json"]) == 2  # a directory is never replaced
