"""Once-for-All on MNIST-1D (or digits): supernet cost, ranking consistency, constrained search.

    python experiments/ofa_mnist1d.py [--dataset mnist1d|digits] [--subnets 30] [--budgets 10,20] [--seeds 5]
                                      [--params-limit 20000] [--peak-limit-kb 1] [--fresh] [--out DIR]

1. **Supernet**: the default progressive-shrinking schedule (or ``--schedule``), one torch thread;
   wall and CPU seconds and the process's peak RSS (``--fresh`` trains even when the cache has
   it; otherwise the times are those recorded when it was trained, and RSS is not measured).
2. **Ranking**: ``--subnets`` distinct configurations (uniform, ``--subnet-seed`` 1) extracted with BN
   recalibrated on 512 training inputs; inherited-weight validation accuracy against the live
   evaluator's standalone training (the benchmark's recipe: validation and test accuracy), and the
   same after ``--finetune-epochs`` of fine-tuning the extracted weights (Adam 1e-3, cosine).
   Kendall tau with bootstrap 95% intervals (``nasbench_lab.core.rank_correlation``), scatter figures and a CSV
   in ``--out``.
3. **Search**: ``ofa`` against ``re-constrained`` under ``params<=LIMIT`` and under
   ``peak_kb<=LIMIT`` (8-bit activations); the same number of standalone trainings (each of
   ``--budgets``) and ``--seeds`` seeds each; the incumbent's test accuracy (best feasible by
   validation) per seed.
4. **Predictors** (before 2): ``mlp`` and ``gin`` fitted on the inherited accuracy of 150 random
   configurations, Kendall tau on 100 others.

Everything goes through ``$NASBENCH_LAB_CACHE`` (standalone trainings are shared with other runs).
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import time
from pathlib import Path

import numpy as np


def say(*parts: object) -> None:
    print(*parts, flush=True)


def supernet(args, settings, space):
    from nasbench_lab.algorithms.ofa_search import OFASupernetSettings, ofa_supernet

    start, cpu = time.perf_counter(), time.process_time()
    net, structure, data, meta = ofa_supernet(space, OFASupernetSettings(schedule=args.schedule or ""), args.dataset,
                                              settings, log=say, fresh=args.fresh)
    if meta["loaded"]:
        say(f"supernet read from the cache ({meta['path']}): training took {meta['seconds']:.1f} s wall, "
            f"{meta['cpu_seconds']:.1f} s CPU (peak RSS: run with --fresh)")
    else:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        say(f"supernet trained ({meta['path']}): {meta['seconds']:.1f} s wall, {meta['cpu_seconds']:.1f} s CPU "
            f"({time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU with the data); "
            f"peak RSS of the process {rss:.0f} MiB")
    for h in meta["history"]:
        say(f"  phase {h['stage']}: {h['seconds']:.1f} s, loss of the largest {h['largest_loss']:.3f}, "
            f"of sampled sub-networks {h['subnet_loss']:.3f}")
    return net, structure, data


def finetuned_accuracy(sub, data, epochs: int) -> float:
    from nasbench_lab.live import Recipe, accuracy, fit_classifier

    fit_classifier(sub, *data.train, Recipe(epochs=epochs, lr=1e-3))
    return accuracy(sub, *data.valid)


def ranking(args, bench, net, structure, data, out: Path) -> None:
    from nasbench_lab.core.rank_correlation import rank_correlation
    from nasbench_lab.reports.scatter import scatter_figure
    from nasbench_lab.supernet.evaluation import inherited_accuracy

    space, rng = bench.space, np.random.default_rng(args.subnet_seed)
    configs = list(dict.fromkeys(structure.sample(rng) for _ in range(20 * args.subnets)))[: args.subnets]
    rows = []
    for k, config in enumerate(configs, start=1):
        arch = structure.arch(config)
        inherited = inherited_accuracy(net, arch, data.valid, data.train[0][:512])
        sub = net.extract(config)
        tuned = finetuned_accuracy(sub, data, args.finetune_epochs)
        t, cpu = time.perf_counter(), time.process_time()
        valid, test = bench.search_metric(arch), bench.report_metric(arch)
        rows.append({"arch": space.format(arch), "params": space.param_count(arch), "inherited_valid": inherited,
                     "finetuned_valid": tuned, "standalone_valid": valid, "standalone_test": test})
        say(f"  {k:3d} inherited {inherited:6.2f}  fine-tuned {tuned:6.2f}  standalone valid {valid:6.2f} test "
            f"{test:6.2f}  ({time.perf_counter() - t:4.1f} s, {time.process_time() - cpu:4.1f} s CPU)  {rows[-1]['arch']}")
    with open(out / f"ofa_{args.dataset}_ranking.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    column = {k: np.array([r[k] for r in rows]) for k in rows[0] if k != "arch"}
    for pred, truth in [("inherited_valid", "standalone_test"), ("inherited_valid", "standalone_valid"),
                        ("finetuned_valid", "standalone_test"), ("finetuned_valid", "standalone_valid")]:
        r = rank_correlation(column[pred], column[truth], bootstrap=1000)
        say(f"Kendall tau {pred} vs {truth} over {r.n} subnets: {r.kendall_tau:.3f} "
            f"(95% CI {r.kendall_ci[0]:.3f} to {r.kendall_ci[1]:.3f}); Spearman {r.spearman_rho:.3f}")
    for pred, label in [("inherited_valid", "inherited-weight"), ("finetuned_valid", f"fine-tuned ({args.finetune_epochs} ep.)")]:
        path = scatter_figure(column[pred], column["standalone_test"], out / f"ofa_{args.dataset}_{pred}.png",
                              xlabel=f"{label} validation accuracy (%)", ylabel="standalone test accuracy (%)",
                              title=f"OFA subnets, {args.dataset} ({len(rows)})")
        say(f"figure: {path}")


def predictors(args, net, structure, data) -> None:
    """Which predictor ranks inherited accuracy better: fitted on 150 configurations, scored on 100 others."""
    from nasbench_lab.predictors import make_predictor
    from nasbench_lab.core.rank_correlation import rank_correlation
    from nasbench_lab.supernet.evaluation import inherited_accuracy

    space, rng = structure.space, np.random.default_rng(2)
    archs = list(dict.fromkeys(structure.arch(structure.sample(rng)) for _ in range(2000)))[:250]
    t = time.perf_counter()
    values = np.array([inherited_accuracy(net, a, data.valid, data.train[0][:512]) for a in archs])
    say(f"inherited accuracy of {len(archs)} configurations in {time.perf_counter() - t:.1f} s")
    graphs = [space.encode(a) for a in archs]
    for name in ("mlp", "gin"):
        model = make_predictor(name, seed=0).fit(graphs[:150], values[:150])
        r = rank_correlation(model.predict(graphs[150:]), values[150:], bootstrap=500)
        say(f"predictor {name}: Kendall tau on 100 held-out configurations {r.kendall_tau:.3f} "
            f"(95% CI {r.kendall_ci[0]:.3f} to {r.kendall_ci[1]:.3f}), fitted in {model.fit_seconds:.1f} s")


def search(args, settings) -> None:
    import nasbench_lab
    from nasbench_lab.core.objectives import problem_from_options

    budgets = sorted(int(b) for b in args.budgets.split(","))
    for limit in (f"params<={args.params_limit / 1e6:g}", f"peak_kb<={args.peak_limit_kb:g}"):
        problem = problem_from_options(None, [limit], None)
        finals: dict[tuple[str, int], np.ndarray] = {}
        for algorithm in ("ofa", "re-constrained"):
            t, cpu = time.perf_counter(), time.process_time()
            runs = nasbench_lab.run(algorithm, f"dynamicnet/{args.dataset}", budget=budgets[-1],
                                    seeds=args.seeds, settings=settings, problem=problem)
            say(f"{limit}: {algorithm}: infeasible queries {(runs['violation'] > 0).mean():.0%}, compute s/run "
                f"{runs.groupby('seed')['compute_seconds'].first().mean():.1f}, {time.perf_counter() - t:.0f} s wall, "
                f"{time.process_time() - cpu:.0f} s CPU")
            for budget in budgets:  # the first queries of a longer run are those of a shorter one
                head = runs[runs["query"] <= budget]
                final = finals[algorithm, budget] = head.groupby("seed").tail(1)["best_report_metric"].to_numpy()
                hindsight = head[head["violation"] <= 0].groupby("seed")["report_metric"].max().to_numpy()
                say(f"  budget {budget:3d}: incumbent test {np.nanmean(final):.2f} +- {np.nanstd(final, ddof=1):.2f} "
                    f"(per seed {np.round(final, 1).tolist()}); best feasible queried {np.mean(hindsight):.2f}")
        for budget in budgets:
            gap = np.nanmean(finals["re-constrained", budget]) - np.nanmean(finals["ofa", budget])
            say(f"{limit}, budget {budget}: RE - OFA = {gap:.2f} points (target: <= 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist1d", choices=("mnist1d", "digits"))
    parser.add_argument("--schedule", default="", help="JSON schedule file (default: the built-in one)")
    parser.add_argument("--subnets", type=int, default=30)
    parser.add_argument("--subnet-seed", type=int, default=1, help="seed of the subnets drawn for the ranking")
    parser.add_argument("--finetune-epochs", type=int, default=2)
    parser.add_argument("--budgets", default="10,20", help="standalone trainings per run, compared at each")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--params-limit", type=int, default=20_000)
    parser.add_argument("--peak-limit-kb", type=float, default=1.0)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: predictors, ranking, search")
    parser.add_argument("--fresh", action="store_true", help="train the supernet even if cached (measures RSS)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from nasbench_lab.adapters.dynamicnet.benchmark import load
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.infra.settings import Settings

    settings = Settings.from_env()
    out = Path(args.out or f"results/ofa-{args.dataset}")
    out.mkdir(parents=True, exist_ok=True)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    with torch_threads(1):
        bench = load(args.dataset, settings)
        net, structure, data = supernet(args, settings, bench.space)
        if "predictors" not in skip:
            predictors(args, net, structure, data)
        if "ranking" not in skip:
            ranking(args, bench, net, structure, data, out)
        if "search" not in skip:
            search(args, settings)
    say(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
