"""One paper-size NB201 supernet epoch of DARTS and of ENAS, timed on a torch device.

    python experiments/epoch_timing.py [--device cpu|cuda|auto] [--batches K] [--threads T]
                                       [--out results/epoch-timing.json]

The supernet is the paper's (NAS-Bench-201 search: C=16, N=5 cells per stage, CIFAR-10 input
32x32x3, 10 classes), trained by the project's loop (``nasbench_lab.supernet.training.Trainer``)
with each method's strategy, batches of 64, on the device asked for. The data are **random
tensors of CIFAR-10's shape** (standard normal inputs, uniform labels; no CIFAR-10 is read):
the time of a step does not depend on the pixel values. A full epoch walks the 25,000-image train
half (the CIFAR-10 training set split 50/50): 391 batches. Rather than 391, the script times
``--batches K`` of them after one warm-up step and extrapolates:

* DARTS (first order): per batch one architecture step (validation batch) and one weight step
  (train batch), both through the full mixed supernet; epoch = 391 x the mean batch time.
* ENAS: per batch one weight step through one sampled path; after the pass the controller's
  50 REINFORCE steps (one sampled path's forward pass on a validation batch each), timed as
  they run; epoch = 391 x the mean batch time + the controller phase.

Times are wall-clock seconds of this process and its CPU seconds (``time.process_time``: what
the process computed, less sensitive to other processes on a shared machine; with one thread
the wall time of an idle machine), with ``--threads`` torch threads (1 by default, as the
one-shot methods run); on a shared machine the wall times are upper bounds. On a GPU the CPU
seconds are not the compute time: read the wall times.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np
import torch

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.adapters.nb201.supernet import build_supernet
from nasbench_lab.infra.files import write_text
from nasbench_lab.infra.parallel import torch_threads
from nasbench_lab.infra.torch_device import device_type
from nasbench_lab.supernet import SearchData
from nasbench_lab.supernet.provider import SupernetConfig
from nasbench_lab.supernet.training import TrainConfig, Trainer

TRAIN_HALF = 25_000  # CIFAR-10's 50,000 training images, split 50/50 as the NB201 search papers do
BATCH = 64
C, N = 16, 5


def random_cifar10(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` standard-normal 3x32x32 inputs and uniform labels 0..9 (CIFAR-10's shape)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def strategy_of(method: str):
    from nasbench_lab.core.registry import ALGORITHMS

    algo = ALGORITHMS.get(method)(NB201Space(), np.random.default_rng(0))
    return algo.strategy(), algo


def time_epoch(method: str, device: str, batches: int) -> dict:
    """Time ``batches`` batches of one ``method`` epoch (plus its end-of-epoch phase) on ``device``."""
    strategy, algo = strategy_of(method)
    n = batches * BATCH
    data = SearchData(random_cifar10(n, 0), random_cifar10(n, 1), "random tensors of CIFAR-10's shape", proxy=True)
    net = build_supernet(NB201Space(), "cifar10", SupernetConfig(width=C, depth=N, seed=0))
    trainer = Trainer(net, data, strategy, TrainConfig(epochs=1, batch_size=BATCH, seed=0, device=device))
    end_seconds = []
    epoch_end = strategy.epoch_end

    def timed_end(trainer_, record):
        start, cpu = time.perf_counter(), time.process_time()
        stop = epoch_end(trainer_, record)
        _sync(device)
        end_seconds.append((time.perf_counter() - start, time.process_time() - cpu))
        return stop

    strategy.epoch_end = timed_end
    warm = trainer.batches(trainer.data.train)[0]
    trainer.weight_step(warm)  # warm-up (allocations, kernels): not timed
    _sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    record = trainer.run_epoch()
    _sync(device)
    wall, cpu = (time.perf_counter() - start) / batches, (time.process_time() - cpu) / batches
    strategy.epoch_end(trainer, record)  # the end-of-epoch phase (ENAS: controller steps), timed alone
    (end_wall, end_cpu), full = end_seconds[0], math.ceil(TRAIN_HALF / BATCH)
    return {"method": method, "batches_timed": batches, "batch_size": BATCH, "batches_per_epoch": full,
            "seconds_per_batch": round(wall, 3), "cpu_seconds_per_batch": round(cpu, 3),
            "end_of_epoch_seconds": round(end_wall, 3), "end_of_epoch_cpu_seconds": round(end_cpu, 3),
            "epoch_seconds_extrapolated": round(wall * full + end_wall, 1),
            "epoch_cpu_seconds_extrapolated": round(cpu * full + end_cpu, 1),
            "end_of_epoch": "controller: %d REINFORCE steps" % algo.controller_steps if method == "enas" else "none"}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    parser.add_argument("--batches", type=int, default=4, help="batches timed per method (default: 4)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--methods", default="darts,enas", help="comma-separated (default: darts,enas)")
    parser.add_argument("--out", default="results/epoch-timing.json", help="JSON record to write")
    args = parser.parse_args()
    device = device_type(args.device)
    rows = []
    with torch_threads(args.threads):
        for method in args.methods.split(","):
            row = time_epoch(method.strip(), device, args.batches)
            print(json.dumps(row), flush=True)
            rows.append(row)
    record = {"device": device, "asked": args.device, "threads": args.threads, "supernet": {"C": C, "N": N},
              "input": "random tensors of CIFAR-10's shape (3x32x32, 10 classes); no CIFAR-10 read",
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
              "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "methods": rows}
    from pathlib import Path

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_text(Path(args.out), json.dumps(record, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
