"""Does a single path's accuracy on the NB201 cell supernet's digits proxy say which cells are good
on CIFAR-10? The signal ProxylessNAS (-G and -R), ENAS and SPOS learn from, measured directly.

Per seed: the NB201 cell supernet (the CPU default, C=8, N=1) is trained on the digits proxy with
SPOS's uniform single-path sampling for each of ``--epochs`` (no architecture learned: the
supernet every path shares, as after ProxylessNAS's warm-up); then ``--paths`` distinct cells
drawn uniformly are scored two ways with the shared weights:

* **inherited accuracy**: SPOS's score, BatchNorm recalibrated on 256 training images, 500
  validation images (``supernet.evaluation.inherited_accuracy``);
* **path reward**: ENAS's and ProxylessNAS-R's reward, train-mode BatchNorm accuracy on one
  validation batch, averaged over 4 batches (``algorithms.enas.path_accuracy``);

and each is compared with the cells' NB201 CIFAR-10 test accuracy (200 epochs, table lookup):
Kendall's tau over the cells, and the mean of each per number of convolutions in the cell.

    python experiments/single_path_signal.py --data-dir ../shared/data [--seeds 5] [--epochs 8,40] [--paths 80]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from nasbench_lab.algorithms.enas import path_accuracy
from nasbench_lab.algorithms.spos import spos_strategy
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.infra.parallel import torch_threads
from nasbench_lab.infra.settings import Settings
from nasbench_lab.supernet.build import SupernetSettings, build_trainer
from nasbench_lab.supernet.evaluation import inherited_accuracy, sample_paths

#: groups of cells by their number of convolutions (of 6 edges)
CONV_GROUPS = ((0, 0), (1, 2), (3, 6))
REWARD_BATCHES = 4


def measure(bench, settings: Settings, seed: int, epochs: int, paths: int) -> dict:
    """Train one uniform single-path supernet and score ``paths`` cells on it."""
    trainer, _ = build_trainer(bench.space, "cifar10", settings, SupernetSettings(epochs=epochs), seed,
                               spos_strategy())
    history = trainer.train()
    net = trainer.net
    cells = sample_paths(net, np.random.default_rng(seed), paths)
    valid = tuple(t[:500] for t in trainer.data.valid)
    recalibration = trainer.data.train[0][:256]
    batches = trainer.batches(trainer.data.valid)[:REWARD_BATCHES]
    rows = []
    for cell in cells:
        choices = list(net.choices_of(cell))
        rows.append((inherited_accuracy(net, cell, valid, recalibration),
                     100 * float(np.mean([path_accuracy(trainer, choices, b) for b in batches])),
                     bench.report_metric(cell),
                     sum("conv" in net.choice_names(s)[c] for s, c in enumerate(choices))))
    inherited, reward, table, convs = (np.array(column) for column in zip(*rows))
    return {"train_acc": history[-1].train_acc,
            "tau_inherited": stats.kendalltau(inherited, table)[0], "tau_reward": stats.kendalltau(reward, table)[0],
            "groups": {g: (int(m.sum()), inherited[m].mean(), reward[m].mean(), table[m].mean())
                       for g in CONV_GROUPS for m in [(convs >= g[0]) & (convs <= g[1])] if m.any()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", default="8,40", help="uniform training epochs, comma-separated (default 8,40)")
    parser.add_argument("--paths", type=int, default=80, help="cells scored per supernet (default 80)")
    args = parser.parse_args()
    with torch_threads(1):
        report(args)


def report(args: argparse.Namespace) -> None:
    """The table of ``main``'s arguments, one row per (epochs, seed) and a mean per epochs."""
    settings = Settings.from_env(data_dir=args.data_dir)
    bench = load_benchmark("nb201", "cifar10", settings)
    print("| epochs | seed | supernet train acc. | tau, inherited acc. | tau, path reward | "
          + " | ".join(f"{lo}-{hi} convs: inherited / reward / CIFAR-10" for lo, hi in CONV_GROUPS) + " |")
    print("|" + " --- |" * (5 + len(CONV_GROUPS)))
    for epochs in (int(e) for e in args.epochs.split(",")):
        taus = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            found = measure(bench, settings, seed, epochs, args.paths)
            taus.append((found["tau_inherited"], found["tau_reward"]))
            groups = " | ".join(
                (f"{found['groups'][g][1]:.1f} / {found['groups'][g][2]:.1f} / {found['groups'][g][3]:.1f} "
                 f"(n={found['groups'][g][0]})") if g in found["groups"] else "none drawn" for g in CONV_GROUPS)
            print(f"| {epochs} | {seed} | {found['train_acc']:.2f} | {found['tau_inherited']:+.2f} | "
                  f"{found['tau_reward']:+.2f} | {groups} |", flush=True)
        mean = np.mean(taus, axis=0)
        print(f"| {epochs} | mean | | {mean[0]:+.2f} | {mean[1]:+.2f} |" + " |" * len(CONV_GROUPS), flush=True)


if __name__ == "__main__":
    main()
