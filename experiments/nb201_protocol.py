"""Quality check against the NAS-Bench-201 paper (Dong & Yang 2020, Table 5, CIFAR-10):
search on 12-epoch validation accuracy, report 200-epoch test accuracy, equal query budgets.

    python experiments/nb201_protocol.py --data-dir ../shared/data [--seeds 200] [--budget 100]

Paper: RS 93.70 ± 0.36, REA 93.92 ± 0.30 (their budget was wall-clock; here it is queries).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from nasbench_lab.settings import Settings
from nasbench_lab.loading import load_benchmark, resolve_algorithm
from nasbench_lab.runner import Task, run_task

PAPER = {"random": (93.70, 0.36), "re": (93.92, 0.30)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with nb201_12epoch.csv and nats_bench.csv")
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--algorithms", default="random,re,sa")
    args = parser.parse_args()

    settings = Settings.from_env(data_dir=args.data_dir)
    bench = load_benchmark("nb201", args.dataset, settings)
    print(f"benchmark nb201/{bench.dataset}: search {bench.search_metric_name}, report {bench.report_metric_name} "
          f"(best report {bench.best_report:.2f}); budget {args.budget}, seeds 0..{args.seeds - 1}")
    finals: dict[str, np.ndarray] = {}
    for algo in args.algorithms.split(","):
        params = tuple(sorted(resolve_algorithm(algo, {}).items()))
        start = time.perf_counter()
        final = [
            run_task(Task("nb201", bench.dataset, algo, params, seed, args.budget), settings)["best_report_metric"].iloc[-1]
            for seed in range(args.seeds)
        ]
        finals[algo] = np.array(final)
        paper = PAPER.get(algo)
        ref = f"paper {paper[0]:.2f} ± {paper[1]:.2f}" if paper and bench.dataset == "cifar10" else ""
        print(f"{algo:>8}: test {finals[algo].mean():.2f} ± {finals[algo].std(ddof=1):.2f}   {ref:<22}"
              f"({time.perf_counter() - start:.1f} s)")
    if "re" in finals and "random" in finals:
        test = stats.mannwhitneyu(finals["re"], finals["random"], alternative="greater")
        print(f"RE > RS: mean difference {finals['re'].mean() - finals['random'].mean():+.3f}, "
              f"one-sided Mann-Whitney p = {test.pvalue:.2g}")


if __name__ == "__main__":
    main()
