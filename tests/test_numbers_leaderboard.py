"""Leaderboard numbers, end to end on NAS-Bench-Graph: every value of runs.csv against the
nas_bench_graph package's own table, the leaderboard statistics against an independent pandas +
scipy recomputation from runs.csv with its rows shuffled (``recompute``), and ``report`` made
with the runner unavailable, its JSON, CSV, Markdown and hypervolume numbers against the same
recomputation."""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys

import nas_bench_graph  # noqa: F401  (a hard dependency: imported, never skipped)
import numpy as np
import pandas as pd
import pytest

import recompute
from nasbench_lab.cli import main
from nasbench_lab.reports.leaderboard import overall_ranks, summarise

DATASETS = ("cora", "citeseer")
ALGORITHMS = ("random", "re", "sa")
BUDGET, SEEDS = 12, 8
NUMBERS = ["seeds", "queries", "report_mean", "report_std", "report_sem", "regret_mean", "regret_std",
           "regret_sem", "search_mean", "search_std", "avg_rank", "p_vs_best", "p_holm"]
#: cost column of a report -> (field of the package's records, scale)
GRAPH_COSTS = {"params_m": ("para", 1.0), "latency_ms": ("latency", 1000.0)}


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A leaderboard on two NAS-Bench-Graph datasets: its results folder and its JSON line."""
    out = tmp_path_factory.mktemp("board") / "lb"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["leaderboard", "--benchmark", ",".join(f"nasbench-graph/{d}" for d in DATASETS),
                     "--algorithms", ",".join(ALGORITHMS), "--param", "re.population_size=3",
                     "--budget", str(BUDGET), "--seeds", str(SEEDS), "--out", str(out), "--no-progress", "--json"])
    assert code == 0
    return out, json.loads(printed.getvalue().strip().splitlines()[-1])


def assert_same_summary(product: pd.DataFrame, expected: pd.DataFrame, atol: float = 1e-9) -> None:
    """Same rows in the same order (best first per benchmark), the same numbers."""
    keys = recompute.GROUP
    assert product[keys].values.tolist() == expected[keys].values.tolist()
    for column in NUMBERS:
        np.testing.assert_allclose(product[column].astype(float), expected[column].astype(float),
                                   rtol=1e-9, atol=atol, equal_nan=True, err_msg=column)


# ------------------------------------------------------------------------------ end to end


def test_every_number_of_runs_csv_comes_from_the_package(board):
    out, _ = board
    runs = pd.read_csv(out / "runs.csv")
    runs_per_group = runs.groupby(recompute.GROUP + ["seed"]).size()
    assert len(runs_per_group) == len(DATASETS) * len(ALGORITHMS) * SEEDS and (runs_per_group == BUDGET).all()
    for (_, dataset, _, _), run in runs.groupby(recompute.GROUP + ["seed"]):
        run = run.sort_values("query")
        assert run["query"].tolist() == list(range(1, BUDGET + 1)) and run["arch"].is_unique
        records = [recompute.graph_record(dataset, arch) for arch in run["arch"]]
        valid = np.array([r["valid_perf"] for r in records]) * 100
        test = np.array([r["perf"] for r in records]) * 100
        incumbent = [int(np.argmax(valid[: k + 1])) for k in range(BUDGET)]  # best so far, earliest on ties
        best_in_table = recompute.graph_column(dataset, "perf", 100.0).max()
        np.testing.assert_allclose(run["search_metric"], valid, rtol=1e-12)
        np.testing.assert_allclose(run["report_metric"], test, rtol=1e-12)
        np.testing.assert_allclose(run["best_search_metric"], np.maximum.accumulate(valid), rtol=1e-12)
        np.testing.assert_allclose(run["best_report_metric"], test[incumbent], rtol=1e-12)
        np.testing.assert_allclose(run["regret"], best_in_table - test[incumbent], rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- statistics


def test_summary_equals_the_recomputation_whatever_the_row_order(board):
    out, line = board
    runs = pd.read_csv(out / "runs.csv")
    expected = recompute.summary(runs)
    assert expected["report_std"].gt(0).all() and expected["p_vs_best"].notna().sum() == 2 * len(DATASETS)
    for seed in range(3):
        rows = recompute.shuffled(runs, seed)
        assert_same_summary(summarise(rows), recompute.summary(rows))
        ranks = overall_ranks(rows).set_index("algorithm")["avg_rank"]
        pd.testing.assert_series_equal(ranks.sort_index(), recompute.overall_ranks(rows).sort_index(),
                                       check_names=False, rtol=1e-12)
    assert_same_summary(pd.read_csv(out / "leaderboard.csv"), expected)  # what `leaderboard` wrote
    assert_same_summary(pd.DataFrame(line["leaderboard"]), expected, atol=5e-5)  # its JSON line (4 decimals)


def test_wilcoxon_pairs_runs_by_seed():
    """'a' beats 'b' by 1 on every seed while the seeds differ by tens, in no order: paired by
    seed the test is decisive (exact p = 2 / 2^8), any other pairing is not. 'a' and 'c' lack
    seed 0, which 'b' has (left out of the pairs; pairing by position would shift every pair);
    'b' lists its seeds out of order; 'c' equals 'a' (rank ties, p = 1). 'b' alone on seed 0 is
    not ranked there: ranks are taken on the 8 seeds every algorithm has."""
    level = {s: 50.0 + 10 * (5 * s % 9) for s in range(9)}
    paired = list(range(1, 9))
    finals = ([("a", s, level[s] + 1 + 0.01 * s) for s in paired] + [("b", s, level[s]) for s in (8, 3, 0, 5, 7, 1, 6, 2, 4)]
              + [("c", s, level[s] + 1 + 0.01 * s) for s in paired])
    runs = pd.DataFrame([dict(benchmark="b", dataset="d", algorithm=a, seed=s, query=q, best_report_metric=v - (q == 1),
                              best_search_metric=v, regret=100 - v + (q == 1)) for a, s, v in finals for q in (2, 1)])
    rows = recompute.shuffled(runs, 7)
    expected = recompute.summary(rows)
    assert expected.set_index("algorithm").loc["b", "p_vs_best"] == pytest.approx(2 / 2 ** 8)
    assert expected.set_index("algorithm").loc["c", "p_vs_best"] == 1.0
    assert_same_summary(summarise(rows), expected)
    b = summarise(rows).set_index("algorithm").loc["b"]
    assert (b["avg_rank"], b["ranked_seeds"], b["paired_seeds"], b["seeds"]) == (3.0, 8, 8, 9)


# ------------------------------------------------------------------ report, runner unavailable


def block_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """No search can run: importing the runner (or the API above it) fails, and its functions raise."""
    import nasbench_lab.running
    import nasbench_lab.running.runner as runner

    def unavailable(*_args, **_kwargs):
        raise AssertionError("report called the runner")

    for name in ("run_resolved", "run_task", "run_for_store"):
        monkeypatch.setattr(runner, name, unavailable)
    for module in ("runner", "pipeline", "api"):
        monkeypatch.setitem(sys.modules, f"nasbench_lab.running.{module}", None)
        monkeypatch.delattr(nasbench_lab.running, module, raising=False)
    with pytest.raises(ImportError):
        importlib.import_module("nasbench_lab.running.runner")


@pytest.fixture(scope="module")
def report(board, tmp_path_factory):
    """``nasbench-lab report --json`` on the leaderboard's folder with the runner unavailable:
    its folder and its JSON line."""
    store, _ = board
    out = tmp_path_factory.mktemp("report") / "report"
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(printed):
        block_runner(monkeypatch)
        code = main(["report", str(store), "--out", str(out), "--formats", "png", "--json"])
    assert code == 0
    return out, json.loads(printed.getvalue().strip().splitlines()[-1])


def markdown_rows(text: str) -> pd.DataFrame:
    """The per-benchmark tables of leaderboard.md as numbers (NaN for '–' and 'n/a')."""
    number = r"(n/a|[\d.]+)"
    row = re.compile(rf"^\| (\d+) \| (\S+) \| {number} ± {number} \(se {number}\) \| (?:{number} ± {number}|n/a) "
                     rf"\| {number} ± {number} \| {number} \| (–|<0\.001|[\d.]+) \| (\d+) \| (\d+) \|")
    rows, bench = [], None
    for line in text.splitlines():
        if line.startswith("## ") and " / " in line:
            bench = line[3:].split(" / ")
        elif bench and (m := row.match(line)):
            values = [float("nan") if v in (None, "n/a", "–") else 0.0 if v == "<0.001" else float(v) for v in m.groups()[2:]]
            rows.append(dict(zip(["report_mean", "report_std", "report_sem", "regret_mean", "regret_std", "search_mean",
                                  "search_std", "avg_rank", "p_holm", "seeds", "queries"], values),
                             benchmark=bench[0], dataset=bench[1], algorithm=m[2], position=int(m[1])))
    return pd.DataFrame(rows)


def test_report_numbers_equal_the_recomputation_without_the_runner(board, report):
    (store, _), (out, printed) = board, report
    expected = recompute.summary(recompute.shuffled(pd.read_csv(store / "runs.csv"), 3))
    assert_same_summary(pd.DataFrame(printed["leaderboard"]), expected, atol=5e-5)  # rounded to 4 decimals
    assert_same_summary(pd.read_csv(out / "leaderboard.csv"), expected)

    table = markdown_rows((out / "leaderboard.md").read_text())
    assert table[recompute.GROUP].values.tolist() == expected[recompute.GROUP].values.tolist()
    assert table["position"].tolist() == [k for n in expected.groupby(recompute.BENCH).size() for k in range(1, n + 1)]
    for column in ("report_mean", "report_std", "report_sem", "regret_mean", "regret_std", "search_mean", "search_std", "avg_rank"):
        np.testing.assert_allclose(table[column], expected[column], atol=0.005 + 1e-9, err_msg=column)
    shown = np.where(expected["p_holm"] < 1e-3, 0.0, expected["p_holm"])
    np.testing.assert_allclose(table["p_holm"], shown, atol=0.0005 + 1e-9, equal_nan=True)
    assert (table[["seeds", "queries"]].to_numpy() == expected[["seeds", "queries"]].to_numpy()).all()


def test_report_hypervolumes_equal_a_recomputation_from_the_package(board, report):
    """hypervolume.csv: per algorithm, the mean and std over seeds of the area its queried
    architectures dominate (test accuracy up, cost down) over the true front's, with the
    reference at the median accuracy and the true front's largest cost."""
    (store, _), (out, _) = board, report
    hv = pd.read_csv(out / "hypervolume.csv")
    assert set(map(tuple, hv[["dataset", "cost"]].values)) == {(d, c) for d in DATASETS for c in GRAPH_COSTS}
    runs = pd.read_csv(store / "runs.csv")
    for row in hv.itertuples(index=False):
        field, scale = GRAPH_COSTS[row.cost]
        acc, cost = recompute.graph_column(row.dataset, "perf", 100.0), recompute.graph_column(row.dataset, field, scale)
        reference = recompute.true_front_reference(acc, cost)
        true_area = recompute.staircase_area(acc, cost, *reference)
        found = runs[(runs.dataset == row.dataset) & (runs.algorithm == row.algorithm)]
        shares = []
        for _, run in found.groupby("seed"):
            records = [recompute.graph_record(row.dataset, a) for a in run["arch"]]
            shares.append(recompute.staircase_area(np.array([r["perf"] for r in records]) * 100,
                                                   np.array([r[field] for r in records]) * scale, *reference) / true_area)
        assert len(shares) == SEEDS and max(shares) > 0
        assert row.hv_mean == pytest.approx(np.mean(shares), rel=1e-9)
        assert row.hv_std == pytest.approx(np.std(shares, ddof=1), rel=1e-9)
