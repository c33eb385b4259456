"""Targets for reinforce, ppo, local-search, grid and pnas on the NB201 protocol
(search on 12-epoch validation, report the incumbent's 200-epoch test accuracy):

* reinforce and ppo at budget 100 (200 seeds) against random search, and reinforce against the NB201
  paper's REINFORCE (Table 5: 93.85 ± 0.37, 71.71 ± 1.09, 45.24 ± 1.18; the paper's budget was
  12,000 simulated seconds of 12-epoch training, ours is 100 queries);
* local-search against re at budget 300;
* pnas against random search at budget 100 (100 seeds: it fits a GIN at every level).

    python experiments/new_strategies.py --data-dir ../shared/data [--seeds 200] [--pnas-seeds 100] [--first-seed 0]
        [--datasets cifar10,cifar100,ImageNet16-120] [--jobs 2] [--only reinforce,ppo,local-search,pnas]
        [--param pnas.distinct=false --param pnas.members=5 ...]   (hyper-parameters, as the CLI's --param)

Every run goes through ``nasbench_lab.run`` (the runner the leaderboard uses). For each comparison it
prints both means ± std over seeds, the mean paired difference (same seeds) and a one-sided paired
Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon``) that the new method is greater (for
local-search vs re: a two-sided one, "not worse" being the claim).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from scipy import stats

import nasbench_lab
from nasbench_lab.cli.args import parse_params
from nasbench_lab.infra.settings import Settings

PAPER_REINFORCE = {"cifar10": (93.85, 0.37), "cifar100": (71.71, 1.09), "ImageNet16-120": (45.24, 1.18)}
#: (new method, baseline, budget, which seed count, alternative)
COMPARISONS = {
    "reinforce": ("reinforce", "random", 100, "seeds", "greater"),
    "ppo": ("ppo", "random", 100, "seeds", "greater"),
    "local-search": ("local-search", "re", 300, "seeds", "two-sided"),
    "pnas": ("pnas", "random", 100, "pnas_seeds", "greater"),
}


def finals(algorithm: str, dataset: str, budget: int, seeds: int, settings: Settings, jobs: int,
           params: dict | None = None) -> np.ndarray:
    """The report and search metrics of each seed's final incumbent (rows; ``seeds``: a count
    from 0, or the seeds)."""
    runs = nasbench_lab.run(algorithm, f"nb201/{dataset}", budget=budget, seeds=seeds, settings=settings, jobs=jobs,
                            params=params)
    last = runs.groupby("seed", sort=True)[["best_report_metric", "best_search_metric"]].last()
    return last.to_numpy().T


def compare(name: str, dataset: str, args: argparse.Namespace, settings: Settings, cache: dict) -> None:
    new, base, budget, count, alternative = COMPARISONS[name]
    seeds = getattr(args, count)
    got = {}
    for algorithm in (new, base):
        key = (algorithm, dataset, budget, seeds)
        if key not in cache:
            start = time.perf_counter()
            chosen = list(range(args.first_seed, args.first_seed + seeds))
            cache[key] = (finals(algorithm, dataset, budget, chosen, settings, args.jobs, args.params.get(algorithm)),
                          time.perf_counter() - start)
        got[algorithm] = cache[key]
    ((a, search_a), sa), ((b, search_b), sb) = got[new], got[base]
    p = stats.wilcoxon(a, b, alternative=alternative, zero_method="zsplit").pvalue
    line = (f"nb201/{dataset:15s} budget {budget:3d}, {seeds} seeds: {new} {a.mean():.2f} ± {a.std(ddof=1):.2f} "
            f"({sa:.0f} s) vs {base} {b.mean():.2f} ± {b.std(ddof=1):.2f} ({sb:.0f} s); "
            f"paired diff {np.mean(a - b):+.2f}, Wilcoxon {alternative} p = {p:.3g}; "
            f"search metric {search_a.mean():.2f} vs {search_b.mean():.2f}")
    if new == "reinforce":
        mean, std = PAPER_REINFORCE[dataset]
        inside = abs(a.mean() - mean) <= std
        line += (f"; paper REINFORCE {mean:.2f} ± {std:.2f} (budget 12,000 simulated s): "
                 f"{'within' if inside else 'OUTSIDE'} one std ({a.mean() - mean:+.2f})")
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the shared NB201 tables (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--pnas-seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds first-seed.. (e.g. 1030 to screen settings on seeds the targets do not use)")
    parser.add_argument("--datasets", default="cifar10,cifar100,ImageNet16-120")
    parser.add_argument("--only", default=",".join(COMPARISONS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--param", action="append", default=[], metavar="ALGORITHM.NAME=VALUE",
                        help="a hyper-parameter of one algorithm, as the CLI's --param (repeatable)")
    args = parser.parse_args()
    args.params = parse_params(args.param)
    if args.data_dir:
        os.environ["NASBENCH_LAB_DATA"] = args.data_dir
    unknown = set(args.only.split(",")) - set(COMPARISONS)
    if unknown:
        print(f"--only: unknown comparison {', '.join(sorted(unknown))}; choose from {', '.join(COMPARISONS)}")
        return 2
    settings = Settings.from_env()
    cache: dict = {}
    for name in args.only.split(","):
        for dataset in args.datasets.split(","):
            compare(name, dataset, args, settings, cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
