"""One-shot search targets: ProxylessNAS and SPOS-evolution under a latency limit on MNIST-1D,
ProxylessNAS against DARTS on the NB201 cell with Pixel 3 latency, ENAS in a MNIST-1D leaderboard.

    python experiments/oneshot_targets.py [--quick] [--seeds 5] [--budget 4] [--jobs 2] [--targets 1,2,3]
        [--nb201-epochs E] [--proxylessnas-epochs E] [--proxylessnas-param KEY=VALUE ...] [--out DIR]

Every search runs through ``nasbench-lab leaderboard`` (the command a user runs; each
leaderboard's command line is printed and saved). Sizes are shrunk to fit a shared 2-core
machine (see ``SIZES``): standalone trainings with ``dynamicnet.epochs`` epochs of the recipe,
supernets trained ``epochs`` epochs on ``max_train`` images per search half.

1. ``dynamicnet/mnist1d`` with ``--constraint latency<=L``, L = the median measured latency
   (``latency_ms``, batch 1, this CPU, the benchmark's cost model) of 100 uniform paths of the
   DynamicNet supernet (seed 0): ``proxylessnas``, ``spos`` with evolution, ``re-constrained``,
   ``--budget`` standalone trainings each; per seed the test accuracy of the incumbent (best
   feasible by validation) and whether it is feasible.
2. ``nb201/cifar10`` with ``--objectives search,latency:pixel3``: ``darts`` and ``proxylessnas``
   searching the NB201 cell supernet on the digits proxy task, budget 1 (the derived cell); per
   seed the derived cell's Pixel 3 latency and 200-epoch CIFAR-10 test accuracy (table lookup).
   DARTS trains ``--nb201-epochs`` epochs (default: the size's ``nb201_epochs``), ProxylessNAS
   ``--proxylessnas-epochs`` (default: the same), the first ``floor(warmup_fraction x epochs)`` of
   them its weight-only warm-up; ``--proxylessnas-param`` sets its other hyper-parameters. The
   recipe that meets the target on this proxy (``experiments/oneshot_targets.md``):
   ``--nb201-epochs 8 --proxylessnas-epochs 150 --proxylessnas-param warmup_fraction=0.6667
   --proxylessnas-param cost_weight=0.01``.
3. ``dynamicnet/mnist1d``: ``enas, darts, drnas, spos, re, random``, one leaderboard.
A summary (tables and commands) is written to ``<out>/summary.md`` and printed.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.cli import main as cli

SIZES = {"full": {"recipe_epochs": 3, "epochs": 2, "max_train": 400, "nb201_epochs": 3, "evolution": 3,
                  "population": 16},
         "quick": {"recipe_epochs": 1, "epochs": 1, "max_train": 96, "nb201_epochs": 1, "evolution": 1,
                   "population": 4}}
ONESHOT = ("proxylessnas", "spos", "enas", "darts", "drnas")


def say(*parts: object) -> None:
    print(*parts, flush=True)


def leaderboard(out: Path, benchmark: str, algorithms: str, args, extra: list[str], log: list[str]) -> pd.DataFrame:
    """Run (or resume) one leaderboard; its ``runs.csv`` as a frame."""
    argv = ["leaderboard", "--benchmark", benchmark, "--algorithms", algorithms, "--budget", str(args.budget),
            "--seeds", str(args.seeds), "--jobs", str(args.jobs), "--out", str(out), "--no-progress", "--json"] + extra
    if (out / "manifest.json").is_file():
        argv.append("--resume")
    log.append("nasbench-lab " + shlex.join(argv))
    say("$ " + log[-1])
    start = time.perf_counter()
    if cli(argv) != 0:
        sys.exit(f"leaderboard into {out} failed")
    say(f"  ({time.perf_counter() - start:.0f} s)")
    return pd.read_csv(out / "runs.csv")


def supernet_params(algorithms: str, size: dict, epochs: int, max_train: int) -> list[str]:
    out = []
    for name in algorithms.split(","):
        if name in ONESHOT:
            out += ["--param", f"{name}.epochs={epochs}"] + (["--param", f"{name}.max_train={max_train}"] if max_train else [])
    return out


def latency_limit(size: dict) -> float:
    """The median measured latency of 100 uniform DynamicNet-supernet paths on mnist1d (seed 0)."""
    from nasbench_lab.adapters.dynamicnet.supernet import DynamicNetSupernet
    from nasbench_lab.core.loading import load_benchmark
    from nasbench_lab.infra.settings import Settings

    bench = load_benchmark("dynamicnet", "mnist1d", Settings.from_env(
        options={"dynamicnet": {"epochs": size["recipe_epochs"]}}))
    cost = bench.cost_fn(["latency_ms"])
    net, rng = DynamicNetSupernet(bench.space, seed=0), np.random.default_rng(0)
    paths = [net.arch_of(tuple(int(rng.integers(n)) for n in net.slots())) for _ in range(100)]
    return float(np.median([cost(a)["latency_ms"] for a in paths]))


def final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.sort_values("query").groupby(["algorithm", "seed"]).tail(1)


def per_seed(frame: pd.DataFrame, value: str, fmt: str = "{:.2f}") -> str:
    """A markdown table: algorithms as rows, seeds as columns, then the mean."""
    table = frame.pivot_table(index="algorithm", columns="seed", values=value, aggfunc="first")
    lines = ["| algorithm | " + " | ".join(f"seed {s}" for s in table.columns) + " | mean |",
             "|---" * (len(table.columns) + 2) + "|"]
    for algo, row in table.iterrows():
        lines.append(f"| {algo} | " + " | ".join(fmt.format(v) for v in row) + f" | {fmt.format(row.mean())} |")
    return "\n".join(lines)


def target_constrained(args, size: dict, log: list[str]) -> list[str]:
    limit = latency_limit(size)
    say(f"L = {limit:.4f} ms (median latency of 100 uniform supernet paths)")
    algos = "proxylessnas,spos,re-constrained"
    extra = ["--benchmark-option", f"dynamicnet.epochs={size['recipe_epochs']}", "--constraint", f"latency<={limit:.4f}",
             "--param", f"spos.evolution={size['evolution']}", "--param", f"spos.population={size['population']}"]
    extra += supernet_params(algos, size, size["epochs"], size["max_train"])
    runs = leaderboard(Path(args.out) / "t1-constrained", "dynamicnet/mnist1d", algos, args, extra, log)
    last = final_rows(runs)
    feasible = last.groupby("algorithm")["best_report_metric"].apply(lambda s: int(np.isfinite(s).sum()))
    means = last.groupby("algorithm")["best_report_metric"].mean()
    gap = {a: means[a] - means["re-constrained"] for a in ("proxylessnas", "spos")}
    ok = all(feasible[a] == args.seeds for a in ("proxylessnas", "spos")) and all(g >= -2 for g in gap.values())
    return [f"## 1. Latency limit on dynamicnet/mnist1d (L = {limit:.4f} ms)", "",
            "Test accuracy (%) of the incumbent (best feasible by validation), per seed:", "",
            per_seed(last, "best_report_metric"), "",
            "Feasible incumbents: " + ", ".join(f"{a} {feasible[a]}/{args.seeds}" for a in feasible.index), "",
            "Mean gap to re-constrained: " + ", ".join(f"{a} {g:+.2f} points" for a, g in gap.items()),
            f"Target (all feasible, within 2 points): {'holds' if ok else 'FAILS'}", ""]


def target_nb201(args, size: dict, log: list[str]) -> list[str]:
    from nasbench_lab.core.loading import load_benchmark
    from nasbench_lab.infra.settings import Settings

    epochs = args.nb201_epochs or size["nb201_epochs"]
    extra = ["--objectives", "search,latency:pixel3"] + supernet_params("darts", size, epochs, 0)
    extra += supernet_params("proxylessnas", size, args.proxylessnas_epochs or epochs, 0)
    for item in args.proxylessnas_param:
        extra += ["--param", f"proxylessnas.{item}"]
    one = argparse.Namespace(**{**vars(args), "budget": 1})
    runs = leaderboard(Path(args.out) / "t2-nb201-pixel3", "nb201/cifar10", "darts,proxylessnas", one, extra, log)
    bench = load_benchmark("nb201", "cifar10", Settings.from_env())
    last = final_rows(runs).copy()
    archs = [bench.space.parse(a) for a in last["arch"]]
    last["latency_pixel3"] = [bench.costs(a)["latency_ms:pixel3"] for a in archs]
    last["test_acc"] = [bench.report_metric(a) for a in archs]
    last["cell"] = [bench.space.format(a) for a in archs]
    means = last.groupby("algorithm")[["latency_pixel3", "test_acc"]].mean()
    lower = means.loc["proxylessnas", "latency_pixel3"] < means.loc["darts", "latency_pixel3"]
    cells = [f"- {r.algorithm} seed {r.seed}: `{r.cell}`" for r in last.itertuples()]
    return ["## 2. NB201 cell, digits proxy, Pixel 3 latency (table lookup of the derived cells)", "",
            "Pixel 3 latency (ms):", "", per_seed(last, "latency_pixel3", "{:.3f}"), "",
            "NB201 CIFAR-10 test accuracy (%, 200 epochs):", "", per_seed(last, "test_acc"), "", *cells, "",
            f"ProxylessNAS mean latency {'lower' if lower else 'NOT lower'} than DARTS's "
            f"({means.loc['proxylessnas', 'latency_pixel3']:.3f} vs {means.loc['darts', 'latency_pixel3']:.3f} ms) at "
            f"test accuracy {means.loc['proxylessnas', 'test_acc']:.2f} vs {means.loc['darts', 'test_acc']:.2f} %", ""]


def target_leaderboard(args, size: dict, log: list[str]) -> list[str]:
    algos = "enas,darts,drnas,spos,re,random"
    extra = ["--benchmark-option", f"dynamicnet.epochs={size['recipe_epochs']}"]
    extra += supernet_params(algos, size, size["epochs"], size["max_train"])
    runs = leaderboard(Path(args.out) / "t3-mnist1d", "dynamicnet/mnist1d", algos, args, extra, log)
    last = final_rows(runs)
    order = last.groupby("algorithm")["best_report_metric"].mean().sort_values(ascending=False)
    lines = ["## 3. MNIST-1D leaderboard (test accuracy % of the incumbent)", "", per_seed(last, "best_report_metric"), "",
             "Ranked by mean: " + ", ".join(f"{a} {v:.2f}" for a, v in order.items())]
    if "compute_seconds" in last:
        secs = last.groupby("algorithm")["compute_seconds"].mean()
        lines.append("Mean search compute (s, supernet): " + ", ".join(f"{a} {v:.0f}" for a, v in secs.items()))
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke check: tiny sizes, 1 seed, budget 2")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=4, help="standalone trainings per run (MNIST-1D targets)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--targets", default="1,2,3")
    parser.add_argument("--nb201-epochs", type=int, default=0,
                        help="DARTS's supernet epochs in target 2 (0: the size's nb201_epochs)")
    parser.add_argument("--proxylessnas-epochs", type=int, default=0,
                        help="ProxylessNAS's supernet epochs in target 2 (0: as DARTS)")
    parser.add_argument("--proxylessnas-param", action="append", default=[], metavar="KEY=VALUE",
                        help="a ProxylessNAS hyper-parameter in target 2 (repeatable), e.g. cost_weight=0.01")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "full"]
    if args.quick:
        args.seeds, args.budget = 1, 2
    args.out = args.out or ("results/oneshot-targets" + ("-quick" if args.quick else ""))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    parts = {"1": target_constrained, "2": target_nb201, "3": target_leaderboard}
    body = []
    for key in args.targets.split(","):
        body += parts[key](args, size, log)
    header = ["# One-shot targets", "", "$ python experiments/oneshot_targets.py " + " ".join(sys.argv[1:]), "",
              f"Sizes: {size}; nb201 epochs {args.nb201_epochs or size['nb201_epochs']} (proxylessnas "
              f"{args.proxylessnas_epochs or args.nb201_epochs or size['nb201_epochs']}"
              f"{''.join(', ' + p for p in args.proxylessnas_param)}); seeds {args.seeds}; "
              f"budget {args.budget}", "", "Leaderboards:", "",
              *[f"    {c}" for c in log], ""]
    from nasbench_lab.infra.files import write_text

    text = "\n".join(header + body)
    write_text(Path(args.out) / "summary.md", text)
    say(text)


if __name__ == "__main__":
    main()
