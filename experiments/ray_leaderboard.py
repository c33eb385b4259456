"""A large leaderboard on ``--executor ray``: wall time, and its rows against ``--executor local``.

    python experiments/ray_leaderboard.py --data-dir ../shared/data [--seeds 0-199] [--compare-seeds 0-19]
        [--jobs 2] [--address auto] [--out DIR]

Runs 5 algorithms (random, re, sa, gin-sa, gin-evolution; the GIN ones with a light training,
``LIGHT_PARAMS``) x NB201 cifar10/cifar100/ImageNet16-120 x ``--seeds`` on Ray (a local Ray of
``--jobs`` CPUs, or the cluster at ``--address``), then the ``--compare-seeds`` subset with
``--executor local --jobs 1``, and checks that those runs' rows are equal (all columns but the
wall-clock ``seconds`` and ``compute_seconds``). Each leaderboard is a ``nasbench-lab`` process.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from nasbench_lab.cli.args import parse_seeds

BENCHMARKS = "nb201/cifar10,nb201/cifar100,nb201/ImageNet16-120"
ALGORITHMS = "random,re,sa,gin-sa,gin-evolution"
LIGHT_PARAMS = ("gin-sa.epochs=10", "gin-sa.refit_epochs=3", "gin-evolution.epochs=10",
                "gin-evolution.refit_epochs=3", "gin-evolution.candidates=100")
TIMING = ["seconds", "compute_seconds"]


def leaderboard(out: Path, seeds: str, data_dir: str | None, *extra: str) -> float:
    """Run one leaderboard in its own process; return its wall time in seconds."""
    cmd = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", BENCHMARKS,
           "--algorithms", ALGORITHMS, "--budget", "100", "--seeds", seeds, "--out", str(out),
           "--no-progress", "--json", *[a for p in LIGHT_PARAMS for a in ("--param", p)], *extra]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the NB201 CSV tables (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--seeds", default="0-199", help="seeds of the Ray leaderboard (default: 0-199)")
    parser.add_argument("--compare-seeds", default="0-19", help="seeds rerun locally and compared (default: 0-19)")
    parser.add_argument("--jobs", type=int, default=2, help="CPUs of the local Ray (default: 2)")
    parser.add_argument("--address", help="a Ray cluster to join instead (e.g. auto)")
    parser.add_argument("--out", default="results/ray-leaderboard", help="folder for both leaderboards")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds, compare = parse_seeds(args.seeds), parse_seeds(args.compare_seeds)
    if not set(compare) <= set(seeds):
        parser.error("--compare-seeds must be a subset of --seeds")
    where = ["--address", args.address] if args.address else ["--jobs", str(args.jobs)]
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}; "
          f"{len(ALGORITHMS.split(','))} algorithms x 3 datasets x {len(seeds)} seeds, budget 100")
    ray_wall = leaderboard(out / "ray", args.seeds, args.data_dir, "--executor", "ray", *where, "--overwrite")
    ray_rows = pd.read_csv(out / "ray" / "runs.csv")
    print(f"--executor ray {' '.join(where)}: {ray_rows.groupby(['dataset', 'algorithm', 'seed']).ngroups} runs, "
          f"{len(ray_rows)} rows, wall {ray_wall:.1f} s")
    local_wall = leaderboard(out / "local", args.compare_seeds, args.data_dir, "--executor", "local", "--jobs", "1",
                             "--overwrite")
    local_rows = pd.read_csv(out / "local" / "runs.csv").drop(columns=TIMING)
    subset = ray_rows[ray_rows.seed.isin(compare)].drop(columns=TIMING).reset_index(drop=True)
    pd.testing.assert_frame_equal(subset, local_rows, check_exact=True)
    print(f"--executor local --jobs 1, seeds {args.compare_seeds}: {len(local_rows)} rows, wall {local_wall:.1f} s; "
          f"equal to the Ray rows of those seeds, row by row")


if __name__ == "__main__":
    main()
