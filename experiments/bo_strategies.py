"""Bayesian-optimisation strategies (bananas, gp-bo) against regularized evolution, paired by seed:
NB201 protocol on CIFAR-10 (search on 12-epoch validation, report 200-epoch test).

    python experiments/bo_strategies.py [--benchmark nb201/cifar10] [--budget 100] [--seeds 200]
        [--algorithms bananas,re] [--param bananas.encoding=gin] [--jobs 1] [--csv finals.csv]

Prints, for every algorithm, the mean ± std over seeds of the incumbent's final report metric
and the seconds per run; then, for each algorithm but the last (the baseline), a paired Wilcoxon
signed-rank test (``scipy.stats.wilcoxon``, zero differences split) of its finals against the
baseline's, seed by seed: the two-sided p and the one-sided p that it is worse.
"""
from __future__ import annotations

import argparse
import time

import pandas as pd
from scipy import stats

import nasbench_lab
from nasbench_lab.cli.args import parse_params, parse_seeds


def finals(algorithm: str, benchmark: str, budget: int, seeds, params: dict, jobs: int) -> pd.DataFrame:
    start = time.perf_counter()
    runs = nasbench_lab.run(algorithm, benchmark, budget=budget, seeds=seeds, params=params, jobs=jobs)
    seconds = time.perf_counter() - start
    last = runs.groupby("seed").tail(1).set_index("seed")
    assert runs.groupby("seed").size().eq(budget).all(), f"{algorithm}: a run did not spend the budget"
    return pd.DataFrame({"final": last["best_report_metric"], "seconds": seconds / len(last)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="nb201/cifar10")
    parser.add_argument("--algorithms", default="bananas,re", help="the last one is the baseline")
    parser.add_argument("--seeds", default="200", help="count, list or range (default: 200 = seeds 0..199)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--param", action="append", default=[], metavar="ALGO.NAME=VALUE")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv", help="write one row per run (algorithm, seed, final) to this CSV")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    algorithms = [a for a in args.algorithms.split(",") if a]
    params = parse_params(args.param)
    results = {a: finals(a, args.benchmark, args.budget, seeds, params.get(a, {}), args.jobs) for a in algorithms}
    if args.csv:
        pd.concat(results, names=["algorithm"]).reset_index().to_csv(args.csv, index=False)
    base = algorithms[-1]
    print(f"{args.benchmark}, budget {args.budget}, {len(seeds)} seeds; final report metric (mean ± std), s/run")
    for a, frame in results.items():
        print(f"  {a:<12} {frame['final'].mean():.3f} ± {frame['final'].std():.3f}   {frame['seconds'].iloc[0]:.2f} s")
    for a in algorithms[:-1]:
        diff = results[a]["final"] - results[base]["final"]
        two = stats.wilcoxon(diff, zero_method="zsplit").pvalue
        worse = stats.wilcoxon(diff, zero_method="zsplit", alternative="less").pvalue
        print(f"  {a} - {base}: mean {diff.mean():+.3f}, wins/ties/losses {(diff > 0).sum()}/{(diff == 0).sum()}/"
              f"{(diff < 0).sum()}; Wilcoxon two-sided p = {two:.3g}, one-sided p({a} worse) = {worse:.3g}")


if __name__ == "__main__":
    main()
