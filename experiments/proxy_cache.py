"""synflow-rank over many seeds through the shared proxy-score cache: the proxy compute of the
whole leaderboard against one pass over the cells its runs touch.

    python experiments/proxy_cache.py --data-dir ../shared/data [--seeds 30] [--jobs 2] [--before]

1. ``nasbench-lab leaderboard --benchmark nb201/cifar10 --algorithms synflow-rank --seeds S
   --jobs J`` with a fresh cache directory: wall time; the compute charged to the runs (the
   ``compute_seconds`` column: the recorded compute time of each run's pool); the compute
   actually spent (the cache's ``work`` table: cells computed and their seconds, over all
   processes); the union of cells the runs touched (the cells scored in the cache).
2. One pass: that union scored once (``compute_scores``, J processes, another fresh cache).
3. ``--before``: the same leaderboard with ``--param synflow-rank.use_cache=false``: every run
   scores its whole pool itself, as every run did before the shared cache.

Target: compute actually spent by the leaderboard <= 1.3 x the compute of one pass. Two
measures: the recorded per-cell seconds (wall time of each scoring, the unit of the
``compute_seconds`` column; inflated when other work shares the cores), and the CPU seconds of
the whole process trees (``getrusage``: everything, SQLite and process start-up included; much
less sensitive to other load on the machine).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from nasbench_lab.infra.parallel import default_jobs
from nasbench_lab.proxies.cache import ScoreCache
from nasbench_lab.proxies.scores import TableConfig, compute_scores

CONFIG = TableConfig("synflow", "nb201", "cifar10", 0)


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished (waited-for) child processes."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def leaderboard(root: Path, data_dir: str | None, seeds: int, jobs: int, *extra: str) -> tuple[float, float, pd.Series]:
    """Runs the leaderboard with the cache in ``root/cache``; (wall seconds, CPU seconds of the
    leaderboard and its workers, compute s per run)."""
    cmd = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", "nb201/cifar10",
           "--algorithms", "synflow-rank", "--seeds", str(seeds), "--jobs", str(jobs), "--out", str(root / "out"),
           "--no-progress", *(["--data-dir", data_dir] if data_dir else []), *extra]
    env = dict(os.environ, NASBENCH_LAB_CACHE=str(root / "cache"))
    print("$ NASBENCH_LAB_CACHE=" + env["NASBENCH_LAB_CACHE"] + " " + " ".join(cmd[1:]), flush=True)
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    runs = pd.read_csv(root / "out" / "runs.csv")
    return wall, cpu, runs.groupby("seed")["compute_seconds"].first()


def describe(name: str, wall: float, cpu: float, charged: pd.Series) -> None:
    print(f"{name}: wall {wall / 60:.2f} min, CPU {cpu:.0f} s ({cpu / 60:.1f} min); compute_seconds column: "
          f"total {charged.sum():.0f} s ({charged.sum() / 60:.1f} min), {charged.mean():.1f} s/run; "
          f"load average now {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the NB201 tables (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--pool-size", type=int, help="synflow-rank pool size (default: the algorithm's, 3000)")
    parser.add_argument("--keep", metavar="DIR", help="keep the results and caches in DIR (default: a temporary folder)")
    parser.add_argument("--before", action="store_true",
                        help="also run the leaderboard without the cache (each run scores its own pool)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}; {args.seeds} seeds, "
          f"--jobs {args.jobs}", flush=True)
    with tempfile.TemporaryDirectory(prefix="proxy-cache-") as tmp:
        root = Path(args.keep or tmp)
        pool = ["--param", f"synflow-rank.pool_size={args.pool_size}"] if args.pool_size else []
        wall, cpu, charged = leaderboard(root / "after", args.data_dir, args.seeds, args.jobs, *pool)
        describe("with the shared cache", wall, cpu, charged)
        cache = ScoreCache.at(root / "after" / "cache")
        cells, spent = cache.work(CONFIG.stem())
        union = sorted(cache.read(CONFIG.stem()))
        print(f"  compute actually spent: {cells} cells computed in {spent:.0f} s ({spent / 60:.1f} min); "
              f"union of the cells the runs touched: {len(union)}", flush=True)

        start, pass_cpu = time.perf_counter(), cpu_seconds()
        once = compute_scores(CONFIG, root / "pass" / "cache", union, jobs=args.jobs, export=False)
        pass_wall, pass_cpu = time.perf_counter() - start, cpu_seconds() - pass_cpu
        pass_compute = float(once.seconds.sum())
        print(f"one pass over the union ({len(union)} cells, {args.jobs} processes): wall {pass_wall / 60:.2f} min, "
              f"CPU {pass_cpu:.0f} s, compute {pass_compute:.0f} s ({pass_compute / 60:.1f} min); "
              f"load average now {os.getloadavg()[0]:.2f}", flush=True)
        print(f"ratios leaderboard / one pass (target <= 1.3): recorded compute {spent / pass_compute:.2f}, "
              f"CPU {cpu / pass_cpu:.2f}, wall {wall / pass_wall:.2f}", flush=True)

        if args.before:
            wall_b, cpu_b, charged_b = leaderboard(root / "before", args.data_dir, args.seeds, args.jobs,
                                                   *pool, "--param", "synflow-rank.use_cache=false")
            describe("without the cache (before)", wall_b, cpu_b, charged_b)
            print(f"ratios without the cache / one pass: recorded compute {charged_b.sum() / pass_compute:.2f}, "
                  f"CPU {cpu_b / pass_cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
