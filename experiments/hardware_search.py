"""Hardware-aware search on NB201 / CIFAR-10: the accuracy-latency front, and the best cell under a
latency limit (the figures quoted in docs/hardware-aware-search.md).

    python experiments/hardware_search.py --data-dir ../shared/data --seeds 30 --jobs 2

1. Pareto: objectives search metric and Pixel 3 latency, budget 200; final IGD+ (report metric
   and latency, normalised over the true front's region of interest) per seed; paired two-sided
   Wilcoxon tests, Holm-corrected over the comparisons listed in ``PARETO_TESTS``.
2. Constrained: Pixel 3 latency <= the median over all 15,625 cells, budget 100; per method the
   share of seeds whose best feasible cell (by search metric) is within 0.3 points (report metric)
   of the best feasible cell in the table, the same for the best feasible cell queried chosen in
   hindsight by report metric, the share of queries spent on infeasible cells, and the ceiling:
   the regret of the feasible cells with the best search metric.
Results directories go under ``--out``; the figures of ``nasbench-lab report`` can be made from them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.cli import main as cli
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.core.objectives import problem_from_options
from nasbench_lab.reports.hardware import constrained_summary, front_scores
from nasbench_lab.reports.stats import holm, paired_wilcoxon
from nasbench_lab.reports.style import pyplot
from nasbench_lab.infra.settings import Settings

PARETO_ALGORITHMS = "random,nsga2,gin-pareto,weighted,optuna-nsga2,optuna-tpe"
PARETO_TESTS = [("nsga2", "random"), ("gin-pareto", "random"), ("nsga2", "optuna-nsga2"), ("gin-pareto", "optuna-nsga2")]
#: (label, algorithm, --param values): each its own leaderboard, so one algorithm can run twice.
CONSTRAINED_RUNS = [
    ("random", "random", []), ("re", "re", []), ("re-constrained", "re-constrained", []),
    ("re-constrained (no screening)", "re-constrained", ["re-constrained.screen_tries=0"]),
    ("sa-constrained", "sa-constrained", []), ("gin-constrained", "gin-constrained", []),
    ("optuna-tpe-constrained", "optuna-tpe-constrained", []),
]


def leaderboard(out: Path, algorithms: str, budget: int, seeds: int, jobs: int, data_dir: str, extra: list[str]) -> pd.DataFrame:
    args = ["leaderboard", "--benchmark", "nb201/cifar10", "--algorithms", algorithms, "--budget", str(budget),
            "--seeds", str(seeds), "--jobs", str(jobs), "--data-dir", data_dir, "--out", str(out), "--no-progress", "--json"]
    if (out / "manifest.json").is_file():
        args.append("--resume")
    if cli(args + extra) != 0:
        sys.exit(f"leaderboard into {out} failed")
    return pd.read_csv(out / "runs.csv")


def pareto(args, settings: Settings) -> dict:
    problem = problem_from_options("search,latency:pixel3", None, None)
    runs = leaderboard(Path(args.out) / "pareto", PARETO_ALGORITHMS, 200, args.seeds, args.jobs, args.data_dir,
                       ["--objectives", "search,latency:pixel3"])
    scores = front_scores(runs, problem, lambda b, d: load_benchmark(b, d, settings))
    final = scores.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
    table = final.pivot_table(index="seed", columns="algorithm", values="igd_plus")
    hv = final.pivot_table(index="seed", columns="algorithm", values="hypervolume")
    raw = [paired_wilcoxon(table[a].to_numpy(), table[b].to_numpy()) for a, b in PARETO_TESTS]
    tests = [{"a": a, "b": b, "mean_a": float(table[a].mean()), "mean_b": float(table[b].mean()),
              "wins_a": int((table[a] < table[b]).sum()), "p": p, "p_holm": ph}
             for (a, b), p, ph in zip(PARETO_TESTS, raw, holm(raw))]
    means = {a: {"igd_plus": float(table[a].mean()), "igd_plus_std": float(table[a].std(ddof=1)),
                 "hypervolume": float(hv[a].mean()), "hypervolume_std": float(hv[a].std(ddof=1)),
                 "compute_s_per_run": float(runs[runs.algorithm == a].groupby("seed")["compute_seconds"].last().mean())}
             for a in table.columns}
    return {"algorithms": means, "tests": tests}


def constrained(args, settings: Settings) -> dict:
    bench = load_benchmark("nb201", "cifar10", settings)
    median = float(np.median(bench.values("latency_ms:pixel3")))
    limit = f"latency:pixel3<={median!r}"
    # The ceiling of the protocol: the feasible cells with the best search metric (12-epoch
    # validation) and their distance to the best feasible report metric (200-epoch test).
    ok = bench.values("latency_ms:pixel3") <= median
    search, report = bench.values(bench.search_metric_name), bench.values(bench.report_metric_name)
    top = np.argsort(-np.where(ok, search, -np.inf))[:10]
    out = {"limit_ms": median, "best_feasible_in_table": float(report[ok].max()),
           "regret_of_top10_feasible_by_search_metric": [round(float(report[ok].max() - report[i]), 3) for i in top]}
    for label, algo, params in CONSTRAINED_RUNS:
        folder = Path(args.out) / ("constrained-" + label.replace(" ", "-").replace("(", "").replace(")", ""))
        extra = ["--constraint", limit] + [x for p in params for x in ("--param", p)]
        runs = leaderboard(folder, algo, 100, args.seeds, args.jobs, args.data_dir, extra)
        row = constrained_summary(runs, within=0.3).iloc[0]
        out[label] = {"within_0.3": float(row.within_mean), "within_0.3_hindsight": float(row.hindsight_mean),
                      "found": float(row.found_mean),
                      "best_feasible": float(row.best_report_metric_mean), "regret": float(row.regret_mean),
                      "regret_std": float(row.regret_std), "infeasible_share": float(row.infeasible_share_mean)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="results/hardware")
    parser.add_argument("--part", choices=("pareto", "constrained", "both"), default="both")
    args = parser.parse_args()
    pyplot()  # import matplotlib now: the leaderboard's background import can race a very fast first run
    settings = Settings.from_env(data_dir=args.data_dir)
    result = {}
    if args.part in ("pareto", "both"):
        result["pareto"] = pareto(args, settings)
    if args.part in ("constrained", "both"):
        result["constrained"] = constrained(args, settings)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
