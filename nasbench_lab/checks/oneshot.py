"""One-shot checks: a supernet with one-hot architecture weights computes exactly the discrete
network of that architecture (NB201 and DynamicNet supernets), and DARTS on the proxy task
drifts to parameter-free operations, as the papers report on CIFAR-10.

Extension point: a new family is a module defining ``CHECKS`` (as ``ofa.py``: "an extracted
subnet's outputs equal the elastic supernet's at that configuration") listed in
``registry.FAMILIES``; nothing else changes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext

PARAMETER_FREE = ("skip_connect", "avg_pool_3x3")


def nb201_onehot_run(context: ValidationContext) -> Measurement:
    """Largest |difference| between the NB201 supernet with one-hot weights and the NB201 network
    of ``network.py`` given the supernet's weights, over sampled cells, in eval and train mode."""
    import torch

    from nasbench_lab.adapters.nb201.network import nb201_network
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.adapters.nb201.supernet import NB201Supernet
    from nasbench_lab.infra.parallel import torch_threads

    C, N = context.pick((8, 1), (16, 5))
    space, rng = NB201Space(), np.random.default_rng(0)
    cells = [space.arch_at(int(i)) for i in rng.choice(space.size, context.pick(12, 100), replace=False)]
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    worst = 0.0
    with torch_threads(1), torch.no_grad():
        net = NB201Supernet("cifar10", C=C, N=N, seed=0)
        for cell in cells:
            fresh = nb201_network(cell, C=C, N=N)
            fresh.load_state_dict(net.discrete_network(cell).state_dict(), strict=False)
            for train in (False, True):  # running statistics, then batch statistics
                net.train(train)
                fresh.train(train)
                worst = max(worst, float((net(x, net.arch_weights(cell)) - fresh(x)).abs().max()))
    return Measurement(worst, n=len(cells), detail=f"{len(cells)} sampled cells, C={C}, N={N}, eval and train mode")


def dynamicnet_onehot_run(context: ValidationContext) -> Measurement:
    """Largest |difference| between the DynamicNet supernet with one-hot weights and its
    ``subnet(arch)`` (a standalone DynamicNet holding the same weights), MNIST-1D shape."""
    import torch

    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
    from nasbench_lab.adapters.dynamicnet.supernet import DynamicNetSupernet
    from nasbench_lab.infra.parallel import torch_threads

    space, rng = DynamicNetSpace((1, 40), 10), np.random.default_rng(0)
    x = torch.randn(8, 1, 40, generator=torch.Generator().manual_seed(0))
    worst, count = 0.0, context.pick(12, 100)
    with torch_threads(1), torch.no_grad():
        net = DynamicNetSupernet(space, seed=0)
        for _ in range(4):  # move the shared batch-norm statistics away from their initial values
            net.train()(x, net.arch_weights(net.sample(rng)))
        net.eval()
        for _ in range(count):
            arch = net.sample(rng)
            worst = max(worst, float((net(x, net.arch_weights(arch)) - net.subnet(arch).eval()(x)).abs().max()))
    return Measurement(worst, n=count, detail=f"{count} sampled paths of the MNIST-1D supernet, eval mode")


def _darts_results(settings: Any, params: dict) -> tuple[Any, dict]:
    """DARTS on nb201/cifar10, seed 0, budget 1, run into a results folder (as ``leaderboard``
    does): its rows and its one-shot record, read back from that folder alone."""
    import tempfile
    from pathlib import Path

    from nasbench_lab.reports.oneshot import load_records
    from nasbench_lab.running.pipeline import RunConfig, execute
    from nasbench_lab.running.store import ResultsStore

    config = RunConfig(benchmarks=[("nb201", "cifar10")], algorithms=["darts"], budget=1, seeds=[0],
                       params={"darts": dict(params)}, settings=settings)
    config.resolve()
    with tempfile.TemporaryDirectory() as tmp, ResultsStore(Path(tmp) / "results") as store:
        store.prepare(config)
        runs = execute(config, store)
        (record,) = load_records(store.out, "nb201", "cifar10")
    return runs, record


def darts_mix_run(context: ValidationContext) -> Measurement:
    """DARTS on the NB201 supernet over the digits proxy task (no image directory): the share of
    parameter-free operations in the derived cell, and whether the alphas moved at all."""
    import dataclasses

    from nasbench_lab.adapters.nb201.space import OPS, NB201Space
    from nasbench_lab.reports.oneshot import learns_alphas, operation_mix, operation_mix_figure
    from nasbench_lab.reports.checks import atomic_figure

    settings = dataclasses.replace(context.settings, image_dir=None)  # the proxy task, always
    runs, record = _darts_results(settings, context.pick({"epochs": 3, "max_train": 300}, {}))
    ops = [OPS[o] for o in NB201Space().parse(runs["arch"].iloc[0])]
    share = sum(op in PARAMETER_FREE for op in ops) / len(ops)
    figure = atomic_figure(context.figure("darts-opmix-proxy.png"),
                           lambda tmp: operation_mix_figure(operation_mix([record]), tmp,
                                                            title="DARTS on the digits proxy task (seed 0)"))
    return Measurement(
        share, n=len(ops), detail=f"derived {runs['arch'].iloc[0]} ({len(record['epochs'])} epochs, "
                                  f"{record['data']}); its NB201 test accuracy {runs['report_metric'].iloc[0]:.2f}",
        conditions={"the alphas moved (not all uniform)": learns_alphas(record),
                    "proxy task recorded": bool(record.get("proxy_task"))},
        extra={"derived": ops, "compute_seconds": float(runs["compute_seconds"].iloc[0])}, figure=figure.name)


CHECKS = [
    Check(name="oneshot-onehot-nb201", family="oneshot",
          title="NB201 supernet with one-hot alphas vs the discrete NB201 network: max |output difference|",
          reproduces="DARTS (Liu et al. 2019) relaxation: a one-hot mixed operation is the chosen operation",
          reference=0.0, tolerance=0.0, digits=3, run=nb201_onehot_run,
          command="nasbench-lab validate --only oneshot-onehot-nb201", seconds={"quick": 0.5, "full": 11}),
    Check(name="oneshot-onehot-dynamicnet", family="oneshot",
          title="DynamicNet supernet with one-hot weights vs its standalone subnet: max |output difference|",
          reproduces="same relaxation on the DynamicNet slots (README, DynamicNet supernet)",
          reference=0.0, tolerance=0.0, digits=3, run=dynamicnet_onehot_run,
          command="nasbench-lab validate --only oneshot-onehot-dynamicnet", seconds={"quick": 0.3, "full": 1}),
    Check(name="darts-opmix-proxy", family="oneshot",
          title="DARTS derived cell on the digits proxy task: share of parameter-free operations",
          reproduces="NB201 Table 5: DARTS-V1 derives the all-skip cell on CIFAR-10 (6 of 6 parameter-free); "
                     "Zela et al. 2020",
          reference=1.0, tolerance=0.5, rule="at_least", digits=2, run=darts_mix_run,
          command="nasbench-lab leaderboard --benchmark nb201/cifar10 --algorithms darts --budget 1 --seeds 1",
          note="proxy task (digits), not CIFAR-10: our DARTS drifts to average pooling there; "
               "quick: 3 epochs on 300 images per half", seconds={"quick": 11, "full": 74}),
]
