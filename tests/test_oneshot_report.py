"""Figures from one-shot records: derived architecture's report metric per epoch, operation mix."""
from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.reports.oneshot import (derived_archs, derived_metric_curves, derived_metric_figure,
                                          load_records, operation_mix, operation_mix_figure)
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.store import ResultsStore

SPACE = NB201Space()
BENCH = TabularBenchmark(name="t", dataset="cifar10", space=SPACE,
                         metrics={"v": (np.arange(SPACE.size) * 7919 % SPACE.size).astype(float)},
                         search_metric="v", report_metric="v")


RUNS = [("darts", 0), ("darts", 1), ("gdas", 0), ("spos", 0)]


def _store(out, artefacts):
    """A results folder holding one run per (method, seed) with its artefacts, as the runner commits them."""
    tasks = [SimpleNamespace(benchmark="t", dataset="cifar10", algorithm=m, params=(), seed=s) for m, s in RUNS]
    config = SimpleNamespace(to_dict=lambda: {"budget": 2}, tasks=lambda: tasks, loaded={})
    with ResultsStore(out) as store:
        store.prepare(config)
        for task, saved in zip(tasks, artefacts):
            text = f"benchmark,dataset,algorithm,seed,query\nt,cifar10,{task.algorithm},{task.seed},1\n"
            store.commit_text(task, text, saved)
        store.finish()
    return out


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    artefacts = []
    for method, seed in RUNS:
        extra = {"candidates": 3, "eval_samples": 24} if method == "spos" else {"arch_lr": 0.05}
        algo = ALGORITHMS.get(method)(SPACE, np.random.default_rng(seed), epochs=3, max_train=48, batch_size=24,
                                      width=4, **extra)
        context = RunContext(benchmark="t", dataset="cifar10", seed=seed, settings=Settings(cache_dir=cache))
        algo.run(Oracle.for_benchmark(BENCH, 2), context)
        artefacts.append(context.artefacts)
    torch.set_num_threads(threads)
    assert not (cache / "oneshot").exists()  # nothing written outside the results folder
    return _store(tmp_path_factory.mktemp("results") / "out", artefacts)


def test_derived_metric_per_epoch_is_the_table_value_of_the_derived_cell_mean_over_runs(records):
    loaded = load_records(records, "t", "cifar10")
    assert sorted(r["method"] for r in loaded) == ["darts", "darts", "gdas", "spos"]
    assert load_records(records, "x") == []
    curves = derived_metric_curves(loaded, BENCH)
    assert sorted(curves) == ["darts", "gdas"]  # spos learns no alphas: no per-epoch derivation
    darts = [r for r in loaded if r["method"] == "darts"]
    expected = np.mean([[BENCH.report_metric(a) for a in derived_archs(r, SPACE)] for r in darts], axis=0)
    assert curves["darts"][0].tolist() == [1, 2, 3] and np.allclose(curves["darts"][1], expected)
    ops = darts[0]["slots"][0]
    decoded = [[ops[c] for c in arch] for arch in derived_archs(darts[0], SPACE)]
    assert decoded == [e["derived_names"] for e in darts[0]["epochs"]]  # NB201 arch = op index per edge


def test_operation_mix_shares_sum_to_one_and_count_the_derived_names(records):
    loaded = load_records(records)
    mixes = operation_mix(loaded)
    assert set(mixes["gdas"]) == {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
    total = sum(values for _, values in mixes["darts"].values())
    assert np.allclose(total, 1.0)
    gdas = next(r for r in loaded if r["method"] == "gdas")
    skip = [e["derived_names"].count("skip_connect") / 6 for e in gdas["epochs"]]
    assert np.allclose(mixes["gdas"]["skip_connect"][1], skip)


def test_methods_drawn_together_get_distinct_colours():
    """re and drnas, darts and gdas... share a usual colour; drawn together they must not."""
    from nasbench_lab.core.registry import ALGORITHMS
    from nasbench_lab.reports.style import PALETTE, colour, colours

    palette = colours(["darts", "drnas", "gdas", "pc-darts", "darts-es", "spos"])
    assert len(set(palette.values())) == 6
    names = sorted(ALGORITHMS.names())
    for start in range(0, len(names), len(PALETTE)):  # every registered algorithm, 20 at a time
        drawn = names[start:start + len(PALETTE)]
        assert len(set(colours(drawn).values())) == len(drawn)
    assert colours(["random", "re"]) == {"random": colour("random"), "re": colour("re")}  # usual ones kept


def test_figures_are_written_and_empty_input_is_an_error(records, tmp_path):
    loaded = load_records(records)
    a = derived_metric_figure(derived_metric_curves(loaded, BENCH), tmp_path / "derived.png", ylabel="v")
    b = operation_mix_figure(operation_mix(loaded), tmp_path / "mix.pdf")
    assert a.stat().st_size > 0 and b.stat().st_size > 0
    with pytest.raises(NasLabError, match="no one-shot records"):
        operation_mix_figure({}, tmp_path / "x.png")
    with pytest.raises(NasLabError, match="is not a directory"):
        load_records(tmp_path / "missing")
    copy = shutil.copytree(records, tmp_path / "copy")
    (record,) = list(copy.glob("runs/*gdas*/oneshot.json"))
    record.write_bytes(record.read_bytes().replace(b'"gdas"', b'"darts"'))
    with pytest.raises(NasLabError, match="differs from its SHA-256 in .*manifest.json: the file was altered"):
        load_records(copy)
    record.unlink()
    record.symlink_to(next(copy.glob("runs/*spos*/oneshot.json")))
    with pytest.raises(NasLabError, match="missing or not a regular file"):
        load_records(copy)


def test_artefacts_are_listed_in_the_manifest_with_their_sha256(records):
    import hashlib

    entries = json.loads((records / "manifest.json").read_text())["runs"]
    for entry in entries:
        (item,) = entry["artefacts"]
        assert item["name"] == "oneshot.json" and item["file"] == f"runs/{entry['file'][:-4]}/oneshot.json"
        assert hashlib.sha256((records / item["file"]).read_bytes()).hexdigest() == item["sha256"]


def test_report_needs_the_results_folder_alone(tmp_path, capsys, monkeypatch, data_dir):
    """A one-shot run's folder, copied elsewhere and reported with an empty cache: the one-shot
    figures come from the artefacts beside the run files (nothing was written to the cache)."""
    from nasbench_lab.cli import main

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "results"
    tiny = ["darts.epochs=2", "darts.max_train=48", "darts.batch_size=24", "darts.width=4"]
    assert main(["leaderboard", "--benchmark", "nb201/cifar10", "--algorithms", "darts", "--budget", "2",
                 "--seeds", "2", "--data-dir", str(data_dir), "--out", str(out), "--no-progress",
                 *[a for p in tiny for a in ("--param", p)]]) == 0
    assert not (tmp_path / "cache" / "oneshot").exists()
    copy = shutil.copytree(out, tmp_path / "elsewhere" / "copy")
    shutil.rmtree(out)
    shutil.rmtree(tmp_path / "cache")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "empty"))
    capsys.readouterr()
    assert main(["report", str(copy), "--formats", "png", "--json"]) == 0
    names = {p.name for p in (copy / "report").iterdir()}
    assert {"oneshot_mix_nb201_cifar10.png", "oneshot_derived_nb201_cifar10.png", "leaderboard.md"} <= names
    records = load_records(copy, "nb201", "cifar10")
    assert sorted(r["seed"] for r in records) == [0, 1] and {r["method"] for r in records} == {"darts"}
