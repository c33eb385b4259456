"""ProxylessNAS's derived NB201 cells under other settings: is the latency term, or the supernet's
accuracy signal, what keeps them below DARTS's cells? (issue target: lower Pixel 3 latency than
DARTS at a comparable CIFAR-10 test accuracy; ``experiments/oneshot_targets.py --targets 2``.)

Each setting is a JSON object of ``proxylessnas`` hyper-parameters (``"alg"`` another method),
searched with ``--objectives search,latency:pixel3`` on the NB201 cell supernet and the digits
proxy task (budget 1: the derived cell), seeds 0..4; per setting the derived cells' Pixel 3
latency and 200-epoch CIFAR-10 test accuracy (table lookups) and the supernet compute seconds.

    python experiments/proxylessnas_nb201.py [--data-dir ../shared/data] [--seeds 5] [--jobs 2]
        '{"epochs": 8, "cost_weight": 0}' '{"epochs": 8, "batch_size": 16}' ...
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

import nasbench_lab
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.core.objectives import Problem, parse_objectives
from nasbench_lab.infra.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", help="JSON objects of hyper-parameters")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (the rows do not depend on it)")
    args = parser.parse_args()
    settings = Settings.from_env(data_dir=args.data_dir)
    bench = load_benchmark("nb201", "cifar10", settings)
    problem = Problem(objectives=parse_objectives("search,latency:pixel3"))
    for text in args.settings:
        params = json.loads(text)
        algorithm = params.pop("alg", "proxylessnas")
        start = time.time()
        runs = nasbench_lab.run(algorithm, "nb201/cifar10", budget=1, seeds=args.seeds, settings=settings,
                                params=params, problem=problem, jobs=args.jobs)
        last = runs.groupby("seed").last()
        cells = [bench.space.parse(a) for a in last["arch"]]
        latency = [bench.costs(c)["latency_ms:pixel3"] for c in cells]
        test = [bench.report_metric(c) for c in cells]
        print(f"{algorithm} {text}: Pixel 3 latency {np.mean(latency):.2f} ms {np.round(latency, 1).tolist()} | "
              f"CIFAR-10 test {np.mean(test):.2f} % {np.round(test, 1).tolist()} | "
              f"supernet {last['compute_seconds'].mean():.0f} s per seed, {time.time() - start:.0f} s in all", flush=True)
        for cell in cells:
            print("    " + bench.space.format(cell), flush=True)


if __name__ == "__main__":
    main()
