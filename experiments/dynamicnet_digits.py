"""DynamicNet on digits: the cost of one live evaluation, and what regularized evolution finds.

    python experiments/dynamicnet_digits.py [--budget 50] [--seeds 3] [--repeats 5] [--epochs 20]

1. Times one evaluation of a 3-layer MLP (``dense128-relu|dense128-relu`` + the linear
   classifier: 64-128-128-10) with the default recipe (20 epochs of Adam, batch 64, one torch
   thread): training, validation, test accuracy, parameter/FLOP count and latency measurement.
   The first evaluation in a process also pays torch's one-off optimiser import; it is shown
   apart. Every timed evaluation uses a fresh in-memory cache, so it really trains.
2. Runs RE (default hyper-parameters) with ``--budget`` evaluations for each seed, through the
   normal runner (oracle, SQLite cache in a temporary directory shared by the seeds), and
   reports the incumbent's (best by validation accuracy) test accuracy, and how many of the
   evaluated networks reach 97 % (how hard the target is). ``--cache-dir`` keeps the evaluations
   so a rerun is fast.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def say(*parts: object) -> None:
    print(*parts, flush=True)  # progress shows when piped to a file


def time_mlp(repeats: int, recipe) -> None:
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
    from nasbench_lab.adapters.dynamicnet.data import digits_data

    data = digits_data()
    arch_text = "dense128-relu|dense128-relu"
    times, rows = [], []
    for k in range(repeats + 1):
        bench = DynamicNetBenchmark(data, recipe=recipe, cache_dir=None)
        arch = bench.space.parse(arch_text)
        start = time.perf_counter()
        valid = bench.search_metric(arch)
        test = bench.report_metric(arch)
        seconds = time.perf_counter() - start
        rows.append((seconds, valid, test, bench.evaluate(arch).seconds))
        if k:
            times.append(seconds)
    first = rows[0][0]
    say(f"3-layer MLP {arch_text} (64-128-128-10, {bench.costs(arch)['params_m'] * 1e6:.0f} parameters), "
          f"{recipe.describe()}, digits train/valid/test {len(data.train_y)}/{len(data.val_y)}/{len(data.test_y)}")
    say(f"  first evaluation in the process: {first:.2f} s (includes torch's one-off optimiser import)")
    say(f"  next {repeats} evaluations: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"(train+validate {statistics.median(r[3] for r in rows[1:]):.2f} s of it); "
          f"valid {rows[-1][1]:.2f} %, test {rows[-1][2]:.2f} %")
    say(f"  load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def run_re(budget: int, seeds: list[int], epochs: int, cache_dir: str | None) -> None:
    from nasbench_lab.infra.settings import Settings
    from nasbench_lab.core.loading import load_benchmark, resolve_algorithm
    from nasbench_lab.running.runner import Task, run_task

    params = tuple(sorted(resolve_algorithm("re", {}).items()))
    finals = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(cache_dir or tmp), options={"dynamicnet": {"epochs": epochs}})
        bench = load_benchmark("dynamicnet", "digits", settings)
        for seed in seeds:
            trained_before = bench.trainings
            start = time.perf_counter()
            frame = run_task(Task("dynamicnet", "digits", "re", params, seed, budget), settings)
            seconds = time.perf_counter() - start
            last = frame.iloc[-1]
            inc = frame[frame.search_metric == last.best_search_metric].iloc[0]
            reached = frame.index[frame.best_report_metric >= 97.0]
            first97 = int(frame.loc[reached[0], "query"]) if len(reached) else None
            failed = int((frame.search_metric == 0.0).sum())
            share = float((frame.report_metric >= 97.0).mean())
            finals.append(last.best_report_metric)
            say(f"  seed {seed}: incumbent {inc.arch}\n"
                  f"          valid {inc.search_metric:.2f} %, test {inc.report_metric:.2f} % "
                  f"(found at query {int(inc['query'])}); incumbent test >= 97 % from query {first97}; "
                  f"best test among the {len(frame)} evaluated {frame.report_metric.max():.2f} %, "
                  f"{100 * share:.0f} % of them >= 97 %; "
                  f"{bench.trainings - trained_before} trainings, {failed} diverged, {seconds:.0f} s")
    arr = np.array(finals)
    say(f"RE, {budget} evaluations, seeds {seeds}: incumbent test accuracy {arr.mean():.2f} ± "
          f"{arr.std(ddof=1) if len(arr) > 1 else 0.0:.2f} % (min {arr.min():.2f}, max {arr.max():.2f}); "
          f"load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--cache-dir", help="keep the evaluations here (default: a temporary directory)")
    args = parser.parse_args()

    from nasbench_lab.live import Recipe

    if not args.skip_timing:
        time_mlp(args.repeats, Recipe(epochs=args.epochs))
    if not args.skip_search:
        run_re(args.budget, list(range(args.seeds)), args.epochs, args.cache_dir)


if __name__ == "__main__":
    main()
