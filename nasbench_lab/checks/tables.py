"""Checks of what the NB201 tables serve: the parameter and FLOP extremes against the official
NAS-Bench-201 values, analog-nasbench's CIFAR-10 accuracies against NATS-Bench's, and the
isomorphism partition of the cell space by the canonical hash."""
from __future__ import annotations

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext

#: Official NAS-Bench-201 cost ranges (API ``get_cost_info``; params printed as "MB" = millions of
#: parameters; FLOPs in millions), as quoted in the README's "NB201 costs".
OFFICIAL_COSTS = {
    "cifar10": {"params_m": (0.073306, 1.531546), "flops_m": (7.78305, 220.11969)},
    "cifar100": {"params_m": (0.079156, 1.537396), "flops_m": (7.7889, 220.12554)},
    "ImageNet16-120": {"params_m": (0.080456, 1.538696), "flops_m": (1.9534, 55.03756)},
}
ANALOG_PEARSON = 0.9994
ISOMORPHISM_CLASSES = 6466


def costs_check(dataset: str) -> Check:
    official = OFFICIAL_COSTS[dataset]

    def run(context: ValidationContext) -> Measurement:
        from nasbench_lab.adapters.nb201.costs import cost_arrays

        arrays = cost_arrays(dataset)  # counted on the NAS-Bench-201 network, not read from a table
        ours = {c: (float(arrays[c].min()), float(arrays[c].max())) for c in official}
        gap = max(abs(o - r) for c in official for o, r in zip(ours[c], official[c]))
        text = ", ".join(f"{c} {lo:.10g}–{hi:.10g}" for c, (lo, hi) in ours.items())
        return Measurement(gap, n=len(arrays["params_m"]), detail=f"ours: {text}", extra={"ours": ours})

    label = ", ".join(f"{c} {lo}–{hi}" for c, (lo, hi) in official.items())
    return Check(
        name=f"nb201-costs-{dataset}", family="tables",
        title=f"params/FLOPs extremes of the 15,625 cells, {dataset}: largest deviation (M)",
        reproduces="NAS-Bench-201 API cost info (official file v1_1), README 'NB201 costs'",
        reference=0.0, tolerance=5e-5, digits=6, run=run, label=f"0 ({label})",
        command="python -c \"from nasbench_lab.adapters.nb201.costs import cost_arrays; "
                f"print(cost_arrays('{dataset}'))\"",
        note="tolerance: half a unit of the coarsest printed digit (1.9534)", seconds={"quick": 1.5, "full": 1.5})


def analog_run(context: ValidationContext) -> Measurement:
    from nasbench_lab.reports.checks import scatter_figure_atomic

    analog = context.benchmark("nb201-analog", "cifar10")
    nats = context.benchmark("nb201", "cifar10")
    x = analog.values(analog.report_metric_name)
    y = nats.values(nats.report_metric_name)
    r = float(np.corrcoef(x, y)[0, 1])
    rng = np.random.default_rng(0)
    boot = [np.corrcoef(x[i], y[i])[0, 1] for i in (rng.integers(0, len(x), len(x)) for _ in range(300))]
    lo, hi = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    figure = scatter_figure_atomic(x, y, context.figure("analog-pearson.png"),
                                   xlabel="nb201-analog baseline_accuracy (%)",
                                   ylabel=f"nb201 {nats.report_metric_name} (%)",
                                   title=f"CIFAR-10, all {len(x)} cells; Pearson r = {r:.5f}")
    return Measurement(r, stderr=(hi - lo) / 3.92, interval=(lo, hi), n=len(x),
                       detail=f"max |difference| {np.abs(x - y).max():.2f} points", figure=figure.name)


def isomorphism_run(context: ValidationContext) -> Measurement:
    from nasbench_lab.adapters.nb201.space import NB201Space

    space = NB201Space()
    classes: dict[str, int] = {}
    for i in range(space.size):
        key = space.canonical(space.arch_at(i))
        classes[key] = classes.get(key, 0) + 1
    sizes = np.array(list(classes.values()))
    return Measurement(float(len(classes)), n=space.size,
                       detail=f"class sizes 1–{sizes.max()}, {int((sizes == 1).sum())} singletons",
                       extra={"largest_class": int(sizes.max())})


CHECKS = [costs_check(d) for d in OFFICIAL_COSTS] + [
    Check(name="analog-pearson", family="tables",
          title="nb201-analog baseline accuracy vs NATS 200-epoch CIFAR-10 test accuracy: Pearson r",
          reproduces="project's stated figure (README, Benchmarks: 'Pearson 0.9994'); both tables hold "
                     "NB201's CIFAR-10 accuracy",
          reference=ANALOG_PEARSON, tolerance=1e-4, digits=4, run=analog_run,
          command="nasbench-lab validate --only analog-pearson",
          note="a wrong operation or edge order in the adapter drops r far below", seconds={"quick": 2, "full": 2}),
    Check(name="nb201-isomorphism", family="tables",
          title="classes of the canonical hash over the 15,625 NB201 cells",
          reproduces="NAS-Bench-201 / NATS-Bench: 6,466 unique topologies among 15,625 cells",
          reference=ISOMORPHISM_CLASSES, tolerance=0, digits=0, run=isomorphism_run,
          command="nasbench-lab validate --only nb201-isomorphism", seconds={"quick": 1, "full": 1}),
]
