"""Multi-fidelity search on a live benchmark at an equal budget of training epochs:
hyperband, successive-halving and optuna-hyperband against random search (full trainings).

    python experiments/multi_fidelity.py [--dataset mnist1d] [--epochs 9] [--trainings 10]
        [--seeds 10] [--max-train 800] [--algorithms hyperband,optuna-hyperband,random] [--jobs 1]
        [--csv runs.csv] [--rank-study 30]

Budget unit: training epochs. Every run gets ``--trainings`` x ``--epochs`` epochs (the same for
every method, random search included); ``--epochs`` is the full training R (the recipe's
cosine schedule runs over R epochs; a partly trained network resumes from its kept state,
``nasbench_lab.live.fidelity``). The incumbent is the best full (R-epoch) training by validation
accuracy; its test accuracy (the benchmark's ``report_metric``, scoring the weights the full
training left in the cache) is reported. The same comparison runs through the leaderboard with
``nasbench-lab leaderboard --benchmark dynamicnet/mnist1d --budget-unit epochs --budget 90
--benchmark-option dynamicnet.epochs=9 --benchmark-option dynamicnet.max_train=800 ...``. Prints, per method, the mean ± std of the incumbent's
test accuracy over seeds and its regret curve's points (epochs spent -> incumbent), and a
one-sided paired Wilcoxon signed-rank test (``scipy.stats.wilcoxon``) that the first method's
final test accuracy is greater than the last's (random), seed by seed. ``--rank-study N``
first trains N random architectures (seed 0) to every rung of Hyperband's first bracket and
prints Spearman's rho between each rung's validation accuracy and the full training's (and its
test accuracy): how well the low fidelities rank what they promote.
"""
from __future__ import annotations

import argparse
import json
import time
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from nasbench_lab.cli.args import parse_seeds
from nasbench_lab.core.fidelity import FidelityOracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.infra.parallel import parallel_map, torch_threads
from nasbench_lab.infra.settings import Settings


def one(task: tuple[str, int], args) -> dict:
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark, load_data
    from nasbench_lab.live.recipe import Recipe

    name, seed = task
    data = load_data(args.dataset, Settings.from_env())
    bench = DynamicNetBenchmark(data, recipe=Recipe(epochs=args.epochs, max_train=args.max_train), latency_repeats=1)
    train = bench.fidelity_fn()
    oracle = FidelityOracle(bench.space, train, budget=args.trainings * args.epochs, max_epochs=args.epochs)
    start = time.process_time()
    with torch_threads(1):
        ALGORITHMS.get(name)(bench.space, np.random.default_rng(seed)).run(oracle)
        best = oracle.best()
        test = bench.report_metric(best.arch) if best else float("nan")  # scores the cache row's weights
    curve = [(spent, q.search_metric if q else None) for spent, q in oracle.trajectory()]
    return {"algorithm": name, "seed": seed, "test": test, "valid": best.search_metric if best else float("nan"),
            "epochs": oracle.used, "archs": len({e.query.arch for e in oracle.evaluations}),
            "full": len(oracle.history), "cpu_s": time.process_time() - start, "curve": json.dumps(curve)}


def rank_study(args) -> None:
    """Spearman's rho of each rung's validation accuracy against the full training's validation
    and test accuracy, over ``args.rank_study`` random architectures (each resumed rung to rung)."""
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark, load_data
    from nasbench_lab.algorithms.hyperband import brackets
    from nasbench_lab.live.recipe import Recipe

    bench = DynamicNetBenchmark(load_data(args.dataset, Settings.from_env()),
                                recipe=Recipe(epochs=args.epochs, max_train=args.max_train), latency_repeats=1)
    rng, train = np.random.default_rng(0), bench.fidelity_fn()
    archs = list({bench.space.canonical(a): a for a in (bench.space.sample(rng) for _ in range(args.rank_study))}.values())
    rungs = [r for _, r in brackets(args.epochs, 3)[0]]
    with torch_threads(1):
        valid = pd.DataFrame({r: [train(a, r) for a in archs] for r in rungs})
        test = pd.Series([bench.report_metric(a) for a in archs])
    for r in rungs:
        print(f"  rank study ({len(archs)} archs): valid@{r} vs valid@{args.epochs}: rho "
              f"{stats.spearmanr(valid[r], valid[args.epochs])[0]:.2f}, vs test@{args.epochs}: rho "
              f"{stats.spearmanr(valid[r], test)[0]:.2f}  (mean valid@{r} {valid[r].mean():.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist1d")
    parser.add_argument("--epochs", type=int, default=9, help="full training R (epochs)")
    parser.add_argument("--trainings", type=int, default=10, help="budget = trainings x epochs")
    parser.add_argument("--seeds", default="10")
    parser.add_argument("--max-train", type=int, default=800, help="training samples (0: all)")
    parser.add_argument("--algorithms", default="hyperband,optuna-hyperband,random", help="the last is the baseline")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv")
    parser.add_argument("--rank-study", type=int, default=0, help="architectures of the fidelity rank study (0: none)")
    args = parser.parse_args()
    if args.rank_study:
        rank_study(args)
    algorithms = [a for a in args.algorithms.split(",") if a]
    tasks = [(a, s) for s in parse_seeds(args.seeds) for a in algorithms]
    print(f"dynamicnet/{args.dataset}: budget {args.trainings * args.epochs} epochs (R = {args.epochs}), "
          f"max_train {args.max_train}, {len(tasks)} runs", flush=True)
    done = dict(parallel_map(partial(one, args=args), tasks, args.jobs))
    frame = pd.DataFrame([done[k] for k in sorted(done)])
    if args.csv:
        frame.to_csv(args.csv, index=False)
    for a, part in frame.groupby("algorithm", sort=False):
        print(f"  {a:<20} test {part['test'].mean():.2f} ± {part['test'].std():.2f}  valid {part['valid'].mean():.2f}"
              f"  epochs {part['epochs'].mean():.0f}  archs {part['archs'].mean():.1f}  full {part['full'].mean():.1f}"
              f"  cpu {part['cpu_s'].mean():.0f} s")
    base = algorithms[-1]
    by = frame.pivot(index="seed", columns="algorithm", values="test")
    for a in algorithms[:-1] if len(by) > 1 else []:
        diff = by[a] - by[base]
        p = stats.wilcoxon(diff, zero_method="zsplit", alternative="greater").pvalue
        print(f"  {a} - {base}: mean {diff.mean():+.2f} points, wins {(diff > 0).sum()}/{len(diff)}, "
              f"Wilcoxon one-sided p = {p:.3g}")


if __name__ == "__main__":
    main()
