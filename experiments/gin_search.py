"""gin-evolution (and optionally gin-sa) against regularized evolution at equal query budgets:
NB201 protocol (search on 12-epoch validation, report 200-epoch test) on CIFAR-10, CIFAR-100,
ImageNet16-120, and NAS-Bench-Graph (search valid_perf, report perf) on Cora, CiteSeer, PubMed.

    python experiments/gin_search.py --data-dir ../shared/data [--seeds 100] [--budget 100] [--jobs 2]
        [--algorithms gin-evolution,re] [--benchmarks nb201/cifar10,nasbench-graph/cora]
        [--param gin-evolution.queries_per_round=5] [--csv finals.csv]

Prints, per benchmark, the mean ± std (over seeds) of the final report metric of the incumbent
for every algorithm, the mean seconds per run, and a one-sided Mann-Whitney U test that the
first algorithm's finals are greater than those of each other algorithm. RE's (and random
search's) finals on nb201 are checked against the NB201 paper by ``nasbench-lab validate --only
protocol``; both run through the runner (``run_task``), so a seed gives the same run here and there.
"""
from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from nasbench_lab.cli.args import parse_params, parse_seeds
from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.loading import load_benchmark, resolve_algorithm
from nasbench_lab.infra.parallel import parallel_map
from nasbench_lab.running.runner import Task, run_task

BENCHMARKS = ("nb201/cifar10", "nb201/cifar100", "nb201/ImageNet16-120",
              "nasbench-graph/cora", "nasbench-graph/citeseer", "nasbench-graph/pubmed")


def _one(task: Task, settings: Settings) -> dict:
    start = time.perf_counter()
    frame = run_task(task, settings)
    return {
        "benchmark": task.benchmark, "dataset": task.dataset, "algorithm": task.algorithm, "seed": task.seed,
        "queries": len(frame), "final_report": float(frame["best_report_metric"].iloc[-1]),
        "final_search": float(frame["best_search_metric"].iloc[-1]), "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the NB201 CSV tables (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS), help="comma-separated NAME/DATASET")
    parser.add_argument("--algorithms", default="gin-evolution,re", help="first one is tested against the others")
    parser.add_argument("--seeds", default="100", help="count, list or range (default: 100 = seeds 0..99)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--param", action="append", default=[], metavar="ALGO.NAME=VALUE")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    parser.add_argument("--csv", help="write one row per run to this CSV")
    args = parser.parse_args()

    settings = Settings.from_env(data_dir=args.data_dir)
    seeds = parse_seeds(args.seeds)
    algorithms = [a for a in args.algorithms.split(",") if a]
    params = parse_params(args.param)
    resolved = {a: tuple(sorted(resolve_algorithm(a, params.get(a, {})).items())) for a in algorithms}
    benchmarks = []
    for item in args.benchmarks.split(","):
        name, _, dataset = item.partition("/")
        benchmarks.append((name, load_benchmark(name, dataset or None, settings).dataset))
    tasks = [Task(b, d, a, resolved[a], s, args.budget) for b, d in benchmarks for a in algorithms for s in seeds]
    print(f"{len(tasks)} runs: {len(benchmarks)} benchmarks x {algorithms} x {len(seeds)} seeds, budget {args.budget}, "
          f"jobs {args.jobs}", flush=True)
    for a in algorithms:
        print(f"  {a}: {dict(resolved[a])}")
    start = time.perf_counter()
    done = dict(parallel_map(partial(_one, settings=settings), tasks, args.jobs))
    frame = pd.DataFrame([done[k] for k in sorted(done)])
    if args.csv:
        frame.to_csv(args.csv, index=False)
    assert frame["queries"].eq(args.budget).all(), "a run did not spend exactly the budget"

    first = algorithms[0]
    print(f"\nfinal report metric of the incumbent, mean ± std over {len(seeds)} seeds (seconds per run)")
    for (b, d), part in frame.groupby(["benchmark", "dataset"], sort=False):
        bench = load_benchmark(b, d, settings)
        cells = []
        for a in algorithms:
            v = part.loc[part["algorithm"] == a]
            cells.append(f"{a} {v['final_report'].mean():.3f} ± {v['final_report'].std(ddof=1):.3f} "
                         f"({v['seconds'].mean():.2f} s)")
        line = f"{b}/{d} [{bench.report_metric_name}, best {bench.best_report:.2f}]: " + "; ".join(cells)
        ours = part.loc[part["algorithm"] == first, "final_report"].to_numpy()
        for a in algorithms[1:]:
            other = part.loc[part["algorithm"] == a, "final_report"].to_numpy()
            p = stats.mannwhitneyu(ours, other, alternative="greater").pvalue
            line += f"\n    {first} - {a}: {ours.mean() - other.mean():+.3f}, one-sided Mann-Whitney p = {p:.3g}"
        print(line, flush=True)
    print(f"\ntotal {time.perf_counter() - start:.0f} s wall")


if __name__ == "__main__":
    main()
