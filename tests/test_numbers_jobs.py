"""Same seed, same rows, whatever ``--jobs``: the algorithms that compute outside the query budget
(a GIN trained during the search, proxy scores of a pool) give identical runs.csv rows, wall-clock
columns aside, in one process and in two worker processes; and the proxy scores they stored
(the score cache, read here with sqlite3) are the same numbers. (random, re and sa: tests/test_cli.py.)"""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from nasbench_lab.cli import main

WALL_CLOCK = ["seconds", "compute_seconds"]
ALGORITHMS = {
    "gin-evolution": ["--param", "gin-evolution.initial_samples=4", "--param", "gin-evolution.queries_per_round=2",
                      "--param", "gin-evolution.candidates=20", "--param", "gin-evolution.epochs=5",
                      "--param", "gin-evolution.refit_epochs=2", "--param", "gin-evolution.hidden=8"],
    "synflow-rank": ["--param", "synflow-rank.pool_size=8", "--param", "synflow-rank.top_k=6",
                     "--param", "synflow-rank.population_size=3", "--param", "synflow-rank.sample_size=2",
                     "--param", "synflow-rank.dataset=ImageNet16-120"],  # 16x16 proxy networks: quick
}


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_rows_do_not_depend_on_jobs(algorithm, tmp_path, monkeypatch, capsys):
    frames = []
    for jobs in (1, 2):
        monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / f"cache{jobs}"))  # every proxy score computed afresh
        out = tmp_path / f"jobs{jobs}"
        code = main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", algorithm, *ALGORITHMS[algorithm],
                     "--budget", "8", "--seeds", "2", "--jobs", str(jobs), "--out", str(out), "--no-progress"])
        assert code == 0, capsys.readouterr().err
        frames.append(pd.read_csv(out / "runs.csv"))
    one, two = frames
    assert len(one) == 2 * 8 and one["compute_seconds"].gt(0).all() and two["compute_seconds"].gt(0).all()
    assert one.groupby("seed")["arch"].apply(tuple).nunique() == 2  # the seeds searched differently
    pd.testing.assert_frame_equal(one.drop(columns=WALL_CLOCK), two.drop(columns=WALL_CLOCK), check_exact=True)
    if algorithm == "synflow-rank":
        scores = [stored_scores(tmp_path / f"cache{jobs}") for jobs in (1, 2)]
        assert len(scores[0]) == 2 * 8 and scores[0] == scores[1]


def stored_scores(cache_dir) -> dict[tuple[str, int], float]:
    """Every (table, architecture) -> raw score of a cache directory's shared score cache."""
    with sqlite3.connect(cache_dir / "proxies" / "scores.sqlite") as db:
        return {(config, arch): raw for config, arch, raw in db.execute("SELECT config, arch, raw FROM scores")}
