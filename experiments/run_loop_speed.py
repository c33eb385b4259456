"""CPU seconds of the runs themselves, in-process (no results folder, no figure): 600 runs
(random, re, sa x 200 seeds, nb201/cifar10, budget 100) through ``run_task``, best of
``--repeats``. Separates the query loop's cost from the leaderboard's fixed costs
(``experiments/throughput.py`` times the whole command).

    python experiments/run_loop_speed.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.pipeline import RunConfig
from nasbench_lab.running.runner import run_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_env()
    config = RunConfig(benchmarks=[("nb201", "cifar10")], algorithms=["random", "re", "sa"], budget=100,
                       seeds=list(range(200)), settings=settings)
    tasks = config.tasks()
    run_task(tasks[0], settings)  # the table loaded and the modules imported before timing
    times = []
    for _ in range(args.repeats):
        start = time.process_time()
        for task in tasks:
            run_task(task, settings)
        times.append(time.process_time() - start)
    print(f"{len(tasks)} runs, CPU s per repeat: {' '.join(f'{t:.3f}' for t in times)}; best {min(times):.3f} "
          f"({min(times) / len(tasks) * 1e3:.2f} ms per run)")


if __name__ == "__main__":
    main()
