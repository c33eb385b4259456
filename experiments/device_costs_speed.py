"""Time to compute ``flash_kb`` and ``peak_kb`` of DynamicNet architectures (no forward pass).

For ``--archs`` architectures sampled (fixed seed) from the DynamicNet space on digits (8x8
images) and on mnist1d-shaped signals (1 x 40), the median over architectures of the best of
``--repeats`` timed calls of

* ``device_costs(net)`` on a built ``DynamicNet`` (what the cost model does after building);
* ``device_costs(LayerGraph.of(*space.to_layers(arch)))`` from the architecture alone (what
  ``DynamicNetBenchmark.costs`` does: shapes only, no modules, no weights);
* for scale: ``space.build(arch, seed=0)`` (module construction and weight initialisation) and a
  batch-1 forward pass, which neither count needs.

    python experiments/device_costs_speed.py
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.adapters.dynamicnet.costs import LayerGraph, device_costs  # noqa: E402
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace  # noqa: E402
from nasbench_lab.infra.parallel import torch_threads  # noqa: E402


def best_us(run: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` timed calls, in microseconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def measure(space: DynamicNetSpace, archs: int, repeats: int) -> dict[str, float]:
    """Median microseconds per architecture of each path."""
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {"net": [], "shapes": [], "build": [], "forward": []}
    x = torch.zeros((1, *space.input_shape))
    for _ in range(archs):
        arch = space.sample(rng)
        net = space.build(arch, seed=0).eval()
        times["net"].append(best_us(lambda: device_costs(net), repeats))
        times["shapes"].append(best_us(lambda: device_costs(LayerGraph.of(*space.to_layers(arch))), repeats))
        times["build"].append(best_us(lambda: space.build(arch, seed=0), max(1, repeats // 10)))
        with torch.no_grad():
            times["forward"].append(best_us(lambda: net(x), repeats))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    for name, space in (("digits (1x8x8)", DynamicNetSpace((1, 8, 8), 10)), ("mnist1d (1x40)", DynamicNetSpace((1, 40), 10))):
        with torch_threads(1):
            t = measure(space, args.archs, args.repeats)
        print(f"{name}: both costs from a built net {t['net']:.1f} us; from the architecture (shapes only) "
              f"{t['shapes']:.1f} us; for scale: build {t['build']:.0f} us, batch-1 forward {t['forward']:.0f} us "
              f"(median over {args.archs} sampled architectures, best of {args.repeats})")


if __name__ == "__main__":
    main()
