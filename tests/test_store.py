"""The results store never loses a finished run: atomic run files, --resume after a crash or a
SIGKILL, one writer at a time, --overwrite only once the new configuration is valid, and
``report`` refusing an incomplete store."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from nasbench_lab.cli import main
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.running.pipeline import RunConfig
from nasbench_lab.running.store import ResultsStore
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.store import RUN_COLUMNS, run_entry

SMALL = ["--benchmark", "nb201-analog/cifar10", "--algorithms", "random,re", "--seeds", "6", "--budget", "20"]


def leaderboard(out: Path, *args: str) -> int:
    return main(["leaderboard", "--no-progress", "--json", "--out", str(out), *args])


def rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "runs.csv").drop(columns="seconds")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("ref") / "r"
    assert leaderboard(out, *SMALL) == 0
    return rows(out)


def test_crash_leaves_complete_run_files_and_resume_finishes(tmp_path, capsys, monkeypatch, reference):
    out = tmp_path / "r"
    cls = ALGORITHMS.get("re")
    plain = cls.run

    def crashing(self, oracle, context=None):
        if context is not None and context.seed == 3:
            raise RuntimeError("simulated crash")
        return plain(self, oracle, context)

    monkeypatch.setattr(cls, "run", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        leaderboard(out, *SMALL)
    files = sorted((out / "runs").iterdir())
    assert len(files) == 6 + 3  # random seeds 0-5, re seeds 0-2
    for f in files:  # a run file is absent or complete
        run = pd.read_csv(f)
        assert list(run.columns) == RUN_COLUMNS and len(run) == 20 and run["query"].tolist() == list(range(1, 21))
    assert not (out / "runs.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["complete"] is False
    capsys.readouterr()

    assert main(["report", str(out)]) == 2  # report refuses an incomplete store, in one line
    err = capsys.readouterr().err
    assert "incomplete (9 of 12 runs finished)" in err and "--resume" in err and len(err.strip().splitlines()) == 1

    monkeypatch.setattr(cls, "run", plain)
    before = {f.name: f.read_bytes() for f in files}
    assert leaderboard(out, *SMALL, "--resume") == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["runs"] == 12
    assert {f.name: f.read_bytes() for f in files} == before  # finished runs are never rewritten
    pd.testing.assert_frame_equal(rows(out), reference)
    assert json.loads((out / "manifest.json").read_text())["complete"] is True
    assert not list(out.rglob(".*.tmp"))


def test_sigkill_then_resume_gives_the_uninterrupted_rows(tmp_path):
    args = ["--benchmark", "nb201-analog/cifar10", "--algorithms", "random,re", "--seeds", "40", "--budget", "50",
            "--no-progress"]
    ref = tmp_path / "ref"
    assert main(["leaderboard", "--out", str(ref), *args]) == 0
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--out", str(out), *args]
    rng = random.Random(7)
    partial = []
    for attempt in range(8):  # three kills, more until one lands between the first and the last run
        if attempt >= 3 and any(partial):
            break
        flag = ["--resume"] if (out / "manifest.json").exists() else ["--overwrite"] if out.exists() else []
        proc = subprocess.Popen(command + flag,  # --overwrite: killed before its store was laid out
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt == 0:  # while it starts up (before or while the store is laid out)
            time.sleep(rng.uniform(0.05, 0.3))  # start-up takes about 0.3 s, the 80 runs 0.1 s
        else:  # while it runs: a short random delay after its first new run file (or its first one)
            before = len(list((out / "runs").glob("*.csv")))
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline \
                    and len(list((out / "runs").glob("*.csv"))) == before:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.01))  # 80 runs take a few tens of milliseconds
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (out / "runs").is_dir():
            done = sorted((out / "runs").glob("*.csv"))
            partial.append(0 < len(done) < 80)
            for f in done:  # every committed run is complete
                assert len(pd.read_csv(f)) == 50
            if len(done) == 80 and not any(partial):  # it finished before any kill landed: start afresh
                shutil.rmtree(out)
    assert any(partial), "no kill landed while runs were being written"
    finished = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    pd.testing.assert_frame_equal(rows(out), rows(ref))


def test_second_writer_is_refused_while_the_lock_is_held(tmp_path, capsys):
    out = tmp_path / "r"
    config = RunConfig(benchmarks=[("nb201-analog", "cifar10")], algorithms=["random"], budget=3, seeds=[0],
                       settings=Settings.from_env())  # as the CLI makes them
    config.resolve()
    with ResultsStore(out) as store:
        store.prepare(config)
        for extra in ([], ["--resume"], ["--overwrite"]):
            assert leaderboard(out, "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "3",
                               "--seeds", "1", *extra) == 2
            err = capsys.readouterr().err
            assert f"is being written by another nasbench-lab process (pid {os.getpid()})" in err
    # the lock is released: the same configuration can now be finished
    assert leaderboard(out, "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "3",
                       "--seeds", "1", "--resume") == 0


def test_resume_with_another_configuration_is_refused(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL) == 0
    before = snapshot(out)
    capsys.readouterr()
    changed = [a if a != "20" else "21" for a in SMALL]
    assert leaderboard(out, *changed, "--resume") == 2
    err = capsys.readouterr().err
    assert "configuration differs" in err and "in budget;" in err and len(err.strip().splitlines()) == 1
    assert leaderboard(out, *SMALL, "--param", "re.population_size=5", "--resume") == 2
    assert "algorithms.re.population_size" in capsys.readouterr().err
    assert leaderboard(out, *SMALL) == 2  # neither --resume nor --overwrite: refused as before
    assert "already exists" in capsys.readouterr().err
    assert snapshot(out) == before
    assert leaderboard(out, *SMALL, "--resume") == 0  # nothing missing: same rows again
    assert snapshot(out)["runs.csv"] == before["runs.csv"]


def test_overwrite_validates_first_then_swaps_in(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL) == 0
    (out / "report").mkdir()
    before = snapshot(out)
    capsys.readouterr()
    assert leaderboard(out, *SMALL, "--param", "re.pop=3", "--overwrite") == 2
    assert "has no hyper-parameter pop" in capsys.readouterr().err
    assert snapshot(out) == before
    assert leaderboard(out, "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "4",
                       "--seeds", "2", "--overwrite") == 0
    assert json.loads((out / "config.json").read_text())["budget"] == 4
    assert len(pd.read_csv(out / "runs.csv")) == 8 and len(list((out / "runs").iterdir())) == 2
    assert not (out / "report").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary sibling left


def test_report_refuses_runs_that_do_not_match_the_manifest(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "4",
                       "--seeds", "3") == 0
    capsys.readouterr()
    runs = pd.read_csv(out / "runs.csv")
    runs[runs.seed != 1].to_csv(out / "runs.csv", index=False)  # a run lost from the export
    assert main(["report", str(out), "--formats", "png"]) == 2
    assert "runs.csv differs from its SHA-256" in capsys.readouterr().err
    vouch(out)  # a manifest forged to vouch for the edit: its runs still disagree
    assert main(["report", str(out), "--formats", "png"]) == 2
    err = capsys.readouterr().err
    assert "does not match" in err and "1 expected runs missing" in err and "seed 1" in err
    assert len(err.strip().splitlines()) == 1
    (out / "manifest.json").unlink()  # an older results directory (runs.csv only): only on request
    assert main(["report", str(out), "--formats", "png"]) == 2
    assert "--unchecked" in capsys.readouterr().err
    assert main(["report", str(out), "--formats", "png", "--unchecked"]) == 0


def vouch(out: Path) -> None:
    """Rewrite the manifest's SHA-256 of runs.csv to match the file as it is now."""
    import hashlib

    manifest = json.loads((out / "manifest.json").read_text())
    manifest["runs_csv_sha256"] = hashlib.sha256((out / "runs.csv").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_run_file_names_are_safe_for_table_benchmarks():
    a = run_entry(SimpleNamespace(benchmark="table:/data/x y/decl.json", dataset="cifar10", algorithm="re",
                                  params=(("population_size", 10),), seed=3))
    b = run_entry(SimpleNamespace(benchmark="table:/data/x y/decl.json", dataset="cifar10", algorithm="re",
                                  params=(("population_size", 11),), seed=3))
    assert "/" not in a["file"] and ":" not in a["file"] and " " not in a["file"]
    assert a["file"].startswith("table-data-x-y-decl.json__cifar10__re__seed3__") and a["file"] != b["file"]


def test_report_refuses_a_runs_csv_with_rows_cut_from_a_run(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL) == 0
    runs = pd.read_csv(out / "runs.csv")
    cut = runs.drop(index=runs.index[(runs["algorithm"] == "re") & (runs["seed"] == 2) & (runs["query"] > 15)])
    cut.to_csv(out / "runs.csv", index=False)  # every run still present, one of them short
    vouch(out)
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "re seed 2 holds 15 rows" in err and "\n" not in err


def test_resuming_a_complete_store_keeps_it_complete(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL) == 0
    manifest = (out / "manifest.json").read_bytes()
    assert leaderboard(out, *SMALL, "--resume") == 0
    assert (out / "manifest.json").read_bytes() == manifest
    assert json.loads(manifest)["complete"] is True


def test_resume_compares_results_not_the_command_dates_versions_or_cache():
    from nasbench_lab.running.store import config_differences

    stored = {"command": "a", "created": "t1", "python": "3.11", "numpy": "1.26", "versions": {"pandas": "2.1"},
              "budget": 100, "settings": {"cache_dir": "/a", "jobs": 1}, "algorithms": {"re": {"population_size": 10}}}
    again = {**stored, "command": "b", "created": "t2", "python": "3.12", "numpy": "2.0", "versions": {"pandas": "2.2"},
             "settings": {"cache_dir": "/b", "jobs": 1}}
    assert config_differences(stored, again) == []
    other = {**again, "budget": 50, "algorithms": {"re": {"population_size": 5}}, "seeds": [1]}
    assert config_differences(stored, other) == ["budget", "algorithms.re.population_size", "seeds"]
    assert config_differences(other, stored) == ["budget", "algorithms.re.population_size", "seeds"]


def test_a_refused_resume_names_three_differences_and_counts_the_rest(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL) == 0
    capsys.readouterr()
    three = [a if a != "20" else "21" for a in SMALL] + ["--param", "re.population_size=5", "--param", "re.sample_size=2"]
    assert leaderboard(out, *three, "--resume") == 2
    err = capsys.readouterr().err
    assert "budget" in err and "re.sample_size" in err and "more" not in err
    assert leaderboard(out, *three, "--param", "re.max_mutation_tries=5", "--resume") == 2
    assert "; use the same options" in (err := capsys.readouterr().err) and " and 1 more;" in err


def test_the_manifest_entry_records_the_run_and_its_hyperparameters():
    task = SimpleNamespace(benchmark="nb201", dataset="cifar10", algorithm="re", seed=3,
                           params=(("population_size", 10), ("sample_size", 3)))
    entry = run_entry(task)
    assert {k: v for k, v in entry.items() if k != "file"} == {
        "benchmark": "nb201", "dataset": "cifar10", "algorithm": "re", "seed": 3,
        "params": {"population_size": 10, "sample_size": 3}}


def test_two_runs_with_one_key_are_refused_not_joined(tmp_path):
    """Run keys (benchmark, dataset, algorithm, seed) are unique: a store whose manifest lists one
    key twice (hand-edited; the pipeline refuses a repeated algorithm or seed) is refused when it
    is exported, naming the key, rather than joined into runs.csv."""
    from nasbench_lab.errors import NasLabError
    from nasbench_lab.running.runner import run_task

    settings = Settings.from_env()
    config = RunConfig(benchmarks=[("nb201-analog", "cifar10")], algorithms=["random"], budget=3, seeds=[0, 1, 2],
                       settings=settings)
    config.resolve()
    with ResultsStore(tmp_path / "r") as store:
        store.prepare(config)
        for task in config.tasks():
            store.commit(task, run_task(task, settings))
        store.entries[2]["seed"] = store.entries[1]["seed"]  # not the first key: the one repeated is named
        with pytest.raises(NasLabError, match=r"^2 runs share one key: nb201-analog/cifar10, random, seed 1 "
                                              r"\(a run is one benchmark, dataset, algorithm and seed\)$"):
            store.finish()
    assert not (tmp_path / "r" / "runs.csv").exists()


def test_runs_csv_is_in_key_order_whatever_order_the_runs_were_listed(tmp_path):
    """runs.csv is sorted by benchmark, dataset, algorithm, seed, query, not in the order the
    configuration lists algorithms and seeds (so two folders of one protocol compare row by row)."""
    assert leaderboard(tmp_path / "r", "--benchmark", "nb201-analog", "--algorithms", "re,random", "--budget", "3",
                       "--seeds", "2,0,1") == 0
    runs = rows(tmp_path / "r")
    keys = list(zip(runs["algorithm"], runs["seed"], runs["query"]))
    assert keys == sorted(keys) and runs["algorithm"].iloc[0] == "random" and runs["seed"].iloc[0] == 0
