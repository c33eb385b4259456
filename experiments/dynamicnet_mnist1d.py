"""DynamicNet on MNIST-1D: how much architectures differ there, and what one training costs.

    python experiments/dynamicnet_mnist1d.py [--samples 20] [--seed 0] [--epochs 20]

Trains, with the benchmark's default recipe (or ``--epochs``) and one torch thread, each of
``--samples`` architectures drawn by the space's ``sample`` from ``--seed``, plus three fixed
reference nets (one dense block ~ a linear model with one hidden layer, a 2-block MLP, a
3-block 1-D CNN), through the live benchmark with an in-memory cache (every query really trains).
Prints one line per architecture (validation and test accuracy, wall and CPU seconds for
training + validation + cost measurement: CPU seconds tell the cost on a busy machine), then the min / median / max of the sampled accuracies and of
the seconds per training.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

REFERENCES = ("dense16-relu", "dense128-relu|dense128-relu",
              "conv32k5-relu-maxpool|conv32k5-relu-maxpool|conv32k3-relu-maxpool")


def say(*parts: object) -> None:
    print(*parts, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=0, help="0: the benchmark's default recipe")
    args = parser.parse_args()

    from nasbench_lab.adapters.dynamicnet.benchmark import load
    from nasbench_lab.infra.settings import Settings

    options = {"cache": False, **({"epochs": args.epochs} if args.epochs else {})}
    start = time.perf_counter()
    bench = load("mnist1d", Settings(options={"dynamicnet": options}))
    data = bench.data_name
    say(f"dynamicnet/{data}: {bench.note}; data and space ready in {time.perf_counter() - start:.1f} s")
    space = bench.space
    rng = np.random.default_rng(args.seed)
    archs = [("sample", space.sample(rng)) for _ in range(args.samples)]
    archs += [("reference", space.parse(text)) for text in REFERENCES]
    rows = []
    for role, arch in archs:
        t, cpu = time.perf_counter(), time.process_time()
        valid = bench.search_metric(arch)
        test = bench.report_metric(arch)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        rows.append((role, valid, test, seconds, cpu))
        say(f"  {role:9s} valid {valid:6.2f} %  test {test:6.2f} %  {seconds:5.1f} s ({cpu:4.1f} s CPU)  "
            f"{bench.costs(arch)['params_m'] * 1e6:8.0f} params  {space.format(arch)}")
    sampled = [r for r in rows if r[0] == "sample"]
    for what, k in (("valid", 1), ("test", 2), ("seconds", 3), ("CPU seconds", 4)):
        values = [r[k] for r in sampled]
        say(f"{len(values)} sampled, {what}: min {min(values):.2f}, median {statistics.median(values):.2f}, "
            f"max {max(values):.2f}")
    say(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
