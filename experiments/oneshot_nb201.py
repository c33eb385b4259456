"""One-shot methods on the NB201 cell: searches on the digits proxy task, and the cost of a
paper-size epoch.

    python experiments/oneshot_nb201.py [--methods darts,gdas,...] [--seed 0] [--epochs N]
                                        [--data-dir ../shared/data]
    python experiments/oneshot_nb201.py --paper-size-epoch [--steps 4]

1. Each method searches at the CPU default size (C=8, N=1, its default epochs) on the digits
   proxy task (``--image-dir`` for real CIFAR-10 batches), budget 1 query (the derived cell).
   Printed per method: the derived cell, the operation mix of the derived cell per epoch (share
   of each operation among the 6 edges: a skip collapse shows there), the derived cell's
   NB201 CIFAR-10 200-epoch test accuracy from the table (``nb201``; ``nb201-analog`` if the CSV
   tables are missing) -- a **cross-task transfer** when the search ran on the proxy -- and the
   compute seconds of the search.
2. ``--paper-size-epoch``: the NB201 supernet at C=16, N=5 on CIFAR-shaped random input (batch
   64, 3x32x32): ``--steps`` DARTS steps (architecture step + weight step), timed; seconds per
   epoch = seconds per step x 391 (25,000 training images of the 50/50 split at batch 64), and
   the process's peak resident memory (``resource.getrusage``) plus Python-side peak
   (``tracemalloc``; torch tensors are not counted there).
"""
from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from collections import Counter

import numpy as np

METHODS = ("darts", "gdas", "pc-darts", "drnas", "darts-es", "spos")


def say(*parts: object) -> None:
    print(*parts, flush=True)


def load_table(data_dir: str | None):
    from nasbench_lab.errors import NasLabError
    from nasbench_lab.core.loading import load_benchmark
    from nasbench_lab.infra.settings import Settings

    settings = Settings.from_env(data_dir=data_dir)
    try:
        return load_benchmark("nb201", "cifar10", settings), settings
    except NasLabError as exc:
        say(f"(nb201 tables unavailable: {exc}; using nb201-analog)")
        return load_benchmark("nb201-analog", "cifar10", settings), settings


def op_mix(record: dict) -> list[str]:
    """Per epoch: share of each operation in the derived cell, e.g. ``skip 3/6 conv3 2/6 ...``."""
    names = record["slots"][0]
    short = {"none": "none", "skip_connect": "skip", "nor_conv_1x1": "conv1", "nor_conv_3x3": "conv3",
             "avg_pool_3x3": "pool"}
    lines = []
    for epoch in record["epochs"]:
        counts = Counter(names[c] for c in epoch["derived"])
        mix = " ".join(f"{short[n]} {counts[n]}/6" for n in names if counts[n])
        extra = " ".join(f"{k}={v:.3g}" for k, v in epoch["extra"].items() if isinstance(v, float))
        lines.append(f"  epoch {epoch['epoch']:>2}: {mix:<36} train acc {100 * epoch['train_acc']:5.1f}%  {extra}")
    return lines


def search(args) -> None:
    from nasbench_lab.core.context import RunContext
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.core.registry import ALGORITHMS
    from nasbench_lab.infra.settings import Settings

    bench, settings = load_table(args.data_dir)
    if args.image_dir:
        settings = Settings.from_env(data_dir=args.data_dir, image_dir=args.image_dir)
    say(f"table: {bench.name}/cifar10 (report metric: 200-epoch test accuracy)")
    for name in args.methods.split(","):
        params = {"epochs": args.epochs} if args.epochs else {}
        algo = ALGORITHMS.get(name)(bench.space, np.random.default_rng(args.seed), **params)
        oracle = Oracle.for_benchmark(bench, 1)
        spent: list[float] = []
        algo.run(oracle, RunContext(benchmark=bench.name, dataset="cifar10", seed=args.seed, settings=settings,
                                    record_compute=spent.append))
        record, arch = algo.record, oracle.history[0].arch
        transfer = " (cross-task transfer: searched on the proxy task)" if record["proxy_task"] else ""
        say(f"\n{name}: derived {bench.space.format(arch)}")
        say(f"  NB201 cifar10 test accuracy {bench.report_metric(arch):.2f}%{transfer}; "
            f"search compute {spent[0]:.1f} s ({len(record['epochs'])} epochs); data: {record['data']}")
        if name == "spos":  # uniform path sampling: no alphas, so no derivation per epoch
            say("  (no per-epoch derivation: SPOS learns no alphas; the cell is the best of "
                f"{len(record['inherited_accuracy'])} candidates by inherited accuracy, "
                f"{record['inherited_accuracy'][0][1]:.1f}% on the validation half)")
            continue
        for line in op_mix(record):
            say(line)


def paper_size_epoch(args) -> None:
    import torch

    from nasbench_lab.adapters.nb201.supernet import NB201Supernet
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.supernet import SearchData
    from nasbench_lab.supernet.training import Strategy, TrainConfig, Trainer

    tracemalloc.start()
    g = torch.Generator().manual_seed(0)
    n = 64 * args.steps
    x, y = torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)
    data = SearchData((x, y), (x.clone(), y.clone()), "random CIFAR-shaped input", proxy=True)
    with torch_threads(args.threads):
        net = NB201Supernet("cifar10", C=16, N=5)
        trainer = Trainer(net, data, Strategy(), TrainConfig(epochs=1, batch_size=64))
        start = time.perf_counter()
        trainer.run_epoch()
        step = (time.perf_counter() - start) / args.steps
    peak_py = tracemalloc.get_traced_memory()[1]
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    say(f"paper size C=16 N=5, batch 64, {args.threads} thread(s), first-order DARTS step (arch + weights): "
        f"{step:.2f} s/step over {args.steps} steps -> {step * 391 / 60:.1f} min per CIFAR-10 search epoch "
        f"(391 steps); peak RSS {rss_kb / 1024:.0f} MiB, Python-side peak {peak_py / 2**20:.1f} MiB; "
        f"{sum(p.numel() for p in net.parameters()) / 1e6:.3f} M parameters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=0, help="0: each method's default")
    parser.add_argument("--data-dir", default=os.environ.get("NASBENCH_LAB_DATA"))
    parser.add_argument("--image-dir", default=None)
    parser.add_argument("--paper-size-epoch", action="store_true")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.paper_size_epoch:
        paper_size_epoch(args)
    else:
        search(args)


if __name__ == "__main__":
    main()
