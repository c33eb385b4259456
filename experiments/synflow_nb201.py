"""SynFlow on all 15,625 NAS-Bench-201 cells: scoring time and rank correlation with the
200-epoch test accuracy (``nats_bench.csv``), against the published figures.

    python experiments/synflow_nb201.py --data-dir ../shared/data [--jobs 2] [--fresh]

Scores are cached in the shared score cache and exported as proxy tables
(``$NASBENCH_LAB_CACHE/proxies``); ``--fresh`` deletes them first so that the timing covers the
whole computation. Published (Abdelfattah et al.
2021, "Zero-Cost Proxies for Lightweight NAS", Table 1, Spearman rho on all NB201 cells):
CIFAR-10 0.737, CIFAR-100 0.763, ImageNet16-120 0.751.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from nasbench_lab.settings import Settings
from nasbench_lab.parallel import default_jobs
from nasbench_lab.proxies.cache import ScoreCache
from nasbench_lab.proxies.table import TableConfig, compute_scores, table_paths
from nasbench_lab.loading import load_benchmark
from nasbench_lab.ranking import rank_correlation
from nasbench_lab.reports.ranking import scatter_figure

PUBLISHED = {"cifar10": 0.737, "cifar100": 0.763, "ImageNet16-120": 0.751}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with nats_bench.csv (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--datasets", default="cifar10,cifar100,ImageNet16-120")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="weight initialisation seed (default: 0)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CIs")
    parser.add_argument("--fresh", action="store_true", help="delete cached SynFlow tables first (time everything)")
    parser.add_argument("--figures", metavar="DIR", help="write a scatter plot per dataset into DIR")
    args = parser.parse_args()

    settings = Settings.from_env(data_dir=args.data_dir)
    print(f"SynFlow on NAS-Bench-201: {args.jobs} worker processes, one PyTorch thread each, seed {args.seed}; "
          f"cache {settings.cache_dir / 'proxies'}; {os.cpu_count()} CPUs, load average at start "
          f"{os.getloadavg()[0]:.2f}")
    total_wall = total_cpu = 0.0
    rows = []
    for dataset in args.datasets.split(","):
        bench = load_benchmark("nb201", dataset, settings)
        config = TableConfig("synflow", "nb201", bench.dataset, args.seed)
        if args.fresh:
            for path in table_paths(config, settings.cache_dir):
                path.unlink(missing_ok=True)
            ScoreCache.at(settings.cache_dir).forget(config.stem())
        start = time.perf_counter()
        scores = compute_scores(config, settings.cache_dir, jobs=args.jobs, progress=True)
        wall = time.perf_counter() - start
        truth = bench.values(bench.report_metric_name)
        corr = rank_correlation(scores.values, truth, bootstrap=args.bootstrap, seed=args.seed)
        total_wall += wall
        total_cpu += float(scores.seconds.sum())
        rows.append((bench.dataset, scores, wall, corr))
        zero = int((scores.raw == 0).sum())
        print(f"\n{bench.dataset}: {scores.computed} cells scored in {wall:.1f} s wall "
              f"({scores.reused} reused; per-cell compute {scores.seconds.mean() * 1e3:.1f} ms, "
              f"load average now {os.getloadavg()[0]:.2f}); {zero} cells disconnected (score 0)")
        print(f"  vs {bench.report_metric_name}: Spearman rho {corr.spearman_rho:.3f} "
              f"[{corr.spearman_ci[0]:.3f}, {corr.spearman_ci[1]:.3f}]  (published {PUBLISHED.get(bench.dataset, float('nan')):.3f}), "
              f"Kendall tau {corr.kendall_tau:.3f} [{corr.kendall_ci[0]:.3f}, {corr.kendall_ci[1]:.3f}]")
        print("  precision@top " + ", ".join(f"{k:g}%: {v:.2f}" for k, v in corr.precision_at_top.items()))
        print(f"  table {scores.path}")
        if args.figures:
            out = Path(args.figures)
            out.mkdir(parents=True, exist_ok=True)
            keep = scores.raw > 0
            scatter_figure(scores.values[keep], truth[keep], out / f"synflow_nb201_{bench.dataset}.png",
                           xlabel="log10 SynFlow", ylabel="200-epoch test accuracy (%)",
                           title=f"NB201 {bench.dataset} ({keep.sum()} connected cells)")
    print(f"\nall datasets: {total_wall:.1f} s wall, {total_cpu:.1f} s of per-cell compute over {args.jobs} processes")
    print("| dataset | Spearman rho [95% CI] | published | Kendall tau [95% CI] | wall s |")
    print("| --- | --- | ---: | --- | ---: |")
    for dataset, scores, wall, corr in rows:
        print(f"| {dataset} | {corr.spearman_rho:.3f} [{corr.spearman_ci[0]:.3f}, {corr.spearman_ci[1]:.3f}] "
              f"| {PUBLISHED.get(dataset, np.nan):.3f} | {corr.kendall_tau:.3f} [{corr.kendall_ci[0]:.3f}, "
              f"{corr.kendall_ci[1]:.3f}] | {wall:.0f} |")


if __name__ == "__main__":
    main()
