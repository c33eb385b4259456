"""No silent averages: a run that stops short of its budget, or a seed that never found a feasible
architecture, is counted, marked in every table and named in a warning (issue 23, item 1)."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

import nasbench_lab
from nasbench_lab.cli import main
from nasbench_lab.core.algorithm import AskTellAlgorithm, BatchAlgorithm
from nasbench_lab.core.objectives import problem_from_options
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import FiniteSpace
from nasbench_lab.running.runner import stop_reason
from nasbench_lab.reports.hardware import constrained_summary, hardware_markdown
from nasbench_lab.reports.leaderboard import summarise, write_leaderboard

BENCH = "nb201/cifar10"


class Greedy(AskTellAlgorithm):
    """Re-proposes the first 3 + seed-dependent architectures it sampled: converges early."""

    max_free_repeats = 30

    def setup(self) -> None:
        self.pool = [self.space.sample(self.rng) for _ in range(3 + int(self.rng.integers(3)))]
        self.k = 0

    def ask(self):
        self.k += 1
        return self.pool[self.k % len(self.pool)]

    def tell(self, query) -> None:
        pass


class TwoBatches(BatchAlgorithm):
    """Proposes two batches of two, then nothing."""

    def setup(self) -> None:
        self.left = 2

    def batch_size(self) -> int:
        return 2

    def ask_batch(self, n: int):
        self.left -= 1
        return [self.space.sample(self.rng) for _ in range(n)] if self.left >= 0 else []

    def tell(self, query) -> None:
        pass


class Tiny(FiniteSpace):
    """Four architectures, 0..3."""

    name = "tiny"
    size = 4

    def index(self, arch):
        return int(arch)

    def arch_at(self, i):
        return int(i)

    def neighbours(self, arch):
        return [a for a in range(4) if a != arch]

    def encode(self, arch):
        raise NotImplementedError

    def decode(self, graph):
        raise NotImplementedError

    def parse(self, text):
        return int(text)

    def format(self, arch):
        return str(arch)


class Sweep(AskTellAlgorithm):
    max_free_repeats = 10

    def setup(self) -> None:
        self.k = -1

    def ask(self):
        self.k += 1
        return self.k % 4

    def tell(self, query) -> None:
        pass


def test_each_reason_a_run_stops_short_is_recorded():
    runs = nasbench_lab.run(Greedy, BENCH, budget=20, seeds=3)
    stops = runs.groupby("seed")["stop"].agg(set)
    assert all(s == {"free repeats"} for s in stops)
    assert sorted(runs.groupby("seed").size()) == sorted(runs.groupby("seed")["arch"].nunique())
    assert set(nasbench_lab.run("random", BENCH, budget=20, seeds=2)["stop"]) == {"budget"}
    assert set(nasbench_lab.run(TwoBatches, BENCH, budget=20, seeds=1)["stop"]) == {"nothing to propose"}
    oracle, sweep = Oracle(Tiny(), float, 10), Sweep(Tiny(), np.random.default_rng(0))
    sweep.run(oracle)
    assert oracle.used == 4 and stop_reason(oracle, sweep) == "space exhausted"
    oracle = Oracle(Tiny(), float, 4)
    Sweep(Tiny(), np.random.default_rng(0)).run(oracle)
    assert stop_reason(oracle, Sweep(Tiny(), np.random.default_rng(0))) == "budget"  # spent, though the space is too


@pytest.fixture(scope="module")
def mixed_runs() -> pd.DataFrame:
    return pd.concat([nasbench_lab.run("random", BENCH, budget=20, seeds=3),
                      nasbench_lab.run(Greedy, BENCH, budget=20, seeds=3)], ignore_index=True)


def test_short_runs_are_counted_marked_and_named(mixed_runs, tmp_path):
    summary, markdown, paths = write_leaderboard(mixed_runs, tmp_path, latex=True)
    rows = summary.set_index("algorithm")
    assert rows.loc["random", "full_budget"] == 3 and rows.loc["Greedy", "full_budget"] == 0
    assert rows.loc["Greedy", "seeds"] == 3 and rows.loc["Greedy", "feasible"] == 3
    queries = mixed_runs[mixed_runs.algorithm == "Greedy"].groupby("seed").size()
    warning = [line for line in markdown.splitlines() if line.startswith("Warning") and "Greedy" in line]
    assert len(warning) == 1, markdown
    assert "3 of 3 runs stopped short of the budget" in warning[0] and "free repeats" in warning[0]
    assert "seeds 0-2" in warning[0] and f"{queries.min()}-{queries.max()} queries" in warning[0]
    assert not [line for line in markdown.splitlines() if line.startswith("Warning") and "random" in line]
    assert "| Greedy † |" in markdown and f"(0/3 full)" in markdown
    csv = pd.read_csv(tmp_path / "leaderboard.csv").set_index("algorithm")
    assert csv.loc["Greedy", "full_budget"] == 0 and csv.loc["random", "full_budget"] == 3
    tex = (tmp_path / "leaderboard.tex").read_text()
    assert "Greedy$^\\dagger$" in tex and "0/3" in tex


def test_older_results_without_a_stop_column_are_not_taken_as_full(mixed_runs):
    summary = summarise(mixed_runs.drop(columns="stop")).set_index("algorithm")
    assert summary.loc["random", "full_budget"] == 3 and summary.loc["Greedy", "full_budget"] == 0


LIMIT = ["latency_ms:pixel3<=0.006"]  # 2 of 20 RE seeds, 6 of 20 random ones find a feasible cell at budget 50


@pytest.fixture(scope="module")
def constrained_runs() -> pd.DataFrame:
    problem = problem_from_options(None, LIMIT, None)
    return pd.concat([nasbench_lab.run(a, BENCH, budget=50, seeds=20, problem=problem) for a in ("re", "random")],
                     ignore_index=True)


def test_infeasible_seeds_are_counted_and_shown(constrained_runs, tmp_path):
    final = constrained_runs.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
    found = final.groupby("algorithm")["best_report_metric"].count()
    assert 0 < found["re"] < 20 and 0 < found["random"] < 20
    summary, markdown, _ = write_leaderboard(constrained_runs, tmp_path)
    rows = summary.set_index("algorithm")
    assert rows.loc["re", "feasible"] == found["re"] and rows.loc["re", "seeds"] == 20
    assert f"({found['re']}/20 seeds feasible)" in markdown
    warning = [line for line in markdown.splitlines() if line.startswith("Warning") and " re " in line]
    assert len(warning) == 1 and f"{20 - found['re']} of 20 seeds found no feasible architecture" in warning[0]
    # ranks only on seeds where every algorithm has a feasible incumbent
    both = final.pivot(index="seed", columns="algorithm", values="best_report_metric").dropna()
    assert rows.loc["re", "ranked_seeds"] == len(both)
    expected = both.rank(axis=1, ascending=False).mean()
    assert rows.loc["re", "avg_rank"] == pytest.approx(expected["re"]) if len(both) else np.isnan(rows.loc["re", "avg_rank"])


def test_constrained_table_shows_feasible_counts_beside_means(constrained_runs):
    table = constrained_summary(constrained_runs).set_index("algorithm")
    final = constrained_runs.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
    found = final.groupby("algorithm")["best_report_metric"].count()
    assert table.loc["re", "feasible_seeds"] == found["re"]
    assert table.loc["re", "feasible_rate"] == pytest.approx(found["re"] / 20)
    markdown = hardware_markdown(problem_from_options(None, LIMIT, None), None, table.reset_index())
    assert f"({found['re']}/20 seeds feasible)" in markdown
    # the legend explains the tables shown, and only those: no Pareto scores without a front table
    assert "Pareto scores" not in markdown and "Constrained: the incumbent" in markdown


def test_nothing_feasible_anywhere_is_a_table_not_a_traceback(tmp_path):
    problem = problem_from_options(None, ["latency_ms:pixel3<=0.0034"], None)  # 3 cells of 15625
    runs = pd.concat([nasbench_lab.run(a, BENCH, budget=10, seeds=3, problem=problem) for a in ("re", "random")],
                     ignore_index=True)
    summary, markdown, _ = write_leaderboard(runs, tmp_path)
    assert summary["feasible"].tolist() == [0, 0]
    assert markdown.count("n/a (0/3 seeds feasible)") == 2


def _json_run(tmp_path, *options: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["leaderboard", "--no-progress", "--json", "--out", str(tmp_path / "out"), "--benchmark", BENCH,
                     "--algorithms", "re,random", "--seeds", "3", "--budget", "30", *options]) == 0
    return json.loads(out.getvalue())


def test_json_of_constrained_and_pareto_runs_has_their_scores(tmp_path):
    result = _json_run(tmp_path, "--objectives", "search,latency:pixel3", "--constraint", "latency:pixel3<=7.5")
    front = {r["algorithm"]: r for r in result["hardware"]["front"]}
    constrained = {r["algorithm"]: r for r in result["hardware"]["constrained"]}
    assert set(front) == set(constrained) == {"re", "random"}
    for r in front.values():
        assert {"igd_plus_mean", "hypervolume_mean", "feasible_seeds", "feasible_rate"} <= set(r)
    for r in constrained.values():
        assert {"feasible_seeds", "feasible_rate", "feasible_query_rate"} <= set(r)
        assert 0 <= r["feasible_rate"] <= 1
    rows = {r["algorithm"]: r for r in result["leaderboard"]}
    assert {"full_budget", "feasible", "ranked_seeds"} <= set(rows["re"])
    assert isinstance(result["warnings"], list)


def test_front_summary_counts_runs_without_a_feasible_point():
    from nasbench_lab.reports.hardware import front_summary

    rows = [dict(benchmark="b", dataset="d", algorithm=a, seed=s, query=1, igd_plus=v, hypervolume=h)
            for a, s, v, h in [("x", 0, 0.1, 0.9), ("x", 1, 0.3, 0.7), ("x", 2, np.inf, 0.0),
                               ("y", 0, 0.2, 0.8), ("y", 1, 0.4, 0.6), ("y", 2, 0.5, 0.5)]]
    summary = front_summary(pd.DataFrame(rows)).set_index("algorithm")
    assert summary.loc["x", "feasible_seeds"] == 2 and summary.loc["y", "feasible_seeds"] == 3
    assert summary.loc["x", "igd_plus_mean"] == pytest.approx(0.2)  # over its 2 feasible runs, not inf
    assert summary.loc["x", "hypervolume_mean"] == pytest.approx(1.6 / 3)  # an empty set has no volume: 0 counts
