"""Predictor study on NAS-Bench-201 / CIFAR-10: GIN vs flat MLP vs trees, Kendall tau against
training-set size, for the 200-epoch test accuracy (as in the predictor literature) and the
12-epoch validation accuracy (the search metric); training time of a GIN on 1,000 graphs; and
node-order invariance (graph form) against order dependence (flat form).

    python experiments/predictor_study.py --data-dir ../shared/data [--seeds 5] [--jobs 2]
        [--predictors gin,mlp,gbdt,rf] [--train-sizes 20,50,100,200,500,1000] [--out DIR]

Writes DIR/<target>/ (runs.csv, summary.csv, summary.md, tau.png, config.json) and prints the
tables. Timings depend on the machine's load: the script prints the load average beside them.
The GIN targets (tau >= 0.60 at 100 cells, >= 0.80 at 1,000) are checked by ``nasbench-lab
validate --only predictors``, which calls the same ``run_study`` (same splits, so the same rows).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats

from nasbench_lab.cli.args import parse_seeds
from nasbench_lab.infra.settings import Settings
from nasbench_lab.predictors import make_predictor
from nasbench_lab.predictors.study import StudyConfig, load_table, resolve_target, run_study, splits
from nasbench_lab.reports.predictor_study import write_results

TARGETS = ("report", "search")


def load() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def permuted(g, perm):
    from nasbench_lab.core.graph import ArchGraph

    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(len(perm))
    return ArchGraph(inverse[g.edge_index], g.x[perm], g.vocab, g.params)


def timing_and_invariance(bench, metric: str, config: StudyConfig, repeats: int) -> None:
    test, train = splits(bench.space.size, config.test_size, [1000], [0], config.split_seed)
    y = bench.values(metric)
    graphs = [bench.space.encode(bench.space.arch_at(int(i))) for i in train[(0, 1000)]]
    held = [bench.space.encode(bench.space.arch_at(int(i))) for i in test]
    import torch

    print(f"\nTraining time on 1,000 graphs ({os.cpu_count()} CPUs, torch threads {torch.get_num_threads()} "
          f"-> GIN uses 1; {load()} before)")
    times = []
    model = None
    for r in range(repeats):
        model = make_predictor("gin", seed=r).fit(graphs, y[train[(0, 1000)]])
        times.append(model.fit_seconds)
        print(f"  GIN fit {r}: {model.fit_seconds:.2f} s   ({load()})", flush=True)
    print(f"  GIN: mean {np.mean(times):.2f} s, max {np.max(times):.2f} s over {repeats} fits")
    mlp = make_predictor("mlp", seed=0).fit(graphs, y[train[(0, 1000)]])
    print(f"  flat MLP: {mlp.fit_seconds:.2f} s")

    rng = np.random.default_rng(0)
    shuffled = [permuted(g, rng.permutation(g.num_nodes)) for g in held]
    print("\nNode-order invariance (trained on 1,000, held-out set with every graph's nodes shuffled):")
    for name, m in (("gin", model), ("mlp", mlp)):
        a, b = m.predict(held), m.predict(shuffled)
        tau_a = stats.kendalltau(a, y[test]).statistic
        tau_b = stats.kendalltau(b, y[test]).statistic
        print(f"  {name}: max |prediction change| {np.max(np.abs(a - b)):.2e}; tau {tau_a:.3f} -> {tau_b:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the NB201 CSV tables (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--predictors", default="gin,mlp,gbdt,rf")
    parser.add_argument("--train-sizes", default="20,50,100,200,500,1000")
    parser.add_argument("--seeds", default="5")
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--targets", default=",".join(TARGETS), help="report, search or metric names")
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the study (not for the timing)")
    parser.add_argument("--out", default="results/predictor-study")
    args = parser.parse_args()

    settings = Settings.from_env(data_dir=args.data_dir)
    bench = load_table("nb201", args.dataset, settings)
    sizes = [int(v) for v in args.train_sizes.split(",")]
    start = time.perf_counter()
    test, _ = splits(bench.space.size, args.test_size, sizes, [0], 12345)
    search = bench.values(bench.search_metric_name)[test]
    report = bench.values(bench.report_metric_name)[test]
    print(f"nb201/{bench.dataset}: held-out {args.test_size} cells. For scale: the search metric "
          f"{bench.search_metric_name} ranks {bench.report_metric_name} at Kendall tau "
          f"{stats.kendalltau(search, report).statistic:.3f} on it")
    config = None
    for target in args.targets.split(","):
        config = StudyConfig(
            benchmark="nb201", dataset=bench.dataset, target=target,
            predictors=args.predictors.split(","), train_sizes=sizes, seeds=parse_seeds(args.seeds),
            test_size=args.test_size, settings=settings,
        )
        t0 = time.perf_counter()
        runs = run_study(config, jobs=args.jobs)
        result = write_results(Path(args.out) / target, config, runs, overwrite=True)
        print()
        print(result["markdown"])
        print(f"({time.perf_counter() - t0:.0f} s wall, jobs {args.jobs}, {load()}; fit seconds are per model "
              f"with other jobs running)", flush=True)
    timing_and_invariance(bench, resolve_target(bench, "report"), config, args.timing_repeats)
    print(f"\ntotal {time.perf_counter() - start:.0f} s; results in {args.out}/")


if __name__ == "__main__":
    main()
