"""GIN predictor checks: Kendall tau on 1,000 held-out NB201/CIFAR-10 cells after training on
100 and 1,000 cells (target: the 200-epoch test accuracy), against the project's targets
(tau >= 0.60 at 100, >= 0.80 at 1,000). Computed by the predictor study
(``nasbench_lab.predictors.study.run_study``, the path of ``nasbench-lab predictor``)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext

TARGETS = {100: 0.60, 1000: 0.80}
#: seeds (training sets) per mode: the study's 5 in full; fewer in quick
SEEDS = {"quick": {100: [0, 1], 1000: [0]}, "full": {100: [0, 1, 2, 3, 4], 1000: [0, 1, 2, 3, 4]}}


def gin_check(size: int) -> Check:
    def run(context: ValidationContext) -> Measurement:
        from nasbench_lab.predictors.study import StudyConfig, run_study

        seeds = SEEDS[context.mode][size]
        context.benchmark("nb201", "cifar10")
        config = StudyConfig(benchmark="nb201", dataset="cifar10", target="report", predictors=["gin"],
                             train_sizes=[size], seeds=seeds, test_size=1000, bootstrap=200,
                             settings=context.settings)
        rows = run_study(config, jobs=min(context.jobs, len(seeds)))
        taus = rows["kendall_tau"].to_numpy()
        if len(taus) > 1:
            stderr, interval = float(taus.std(ddof=1) / np.sqrt(len(taus))), None
        else:  # one training set: the bootstrap interval over the held-out cells
            interval = (float(rows["kendall_lo"].iloc[0]), float(rows["kendall_hi"].iloc[0]))
            stderr = (interval[1] - interval[0]) / 3.92
        return Measurement(
            float(taus.mean()), stderr=stderr, interval=interval, n=len(taus),
            detail=f"seeds {', '.join(map(str, seeds))}: tau " + ", ".join(f"{t:.3f}" for t in taus)
                   + f"; fit {rows['fit_seconds'].mean():.1f} s per model",
            extra={"taus": taus.tolist(), "fit_seconds": rows["fit_seconds"].tolist()})

    return Check(
        name=f"gin-tau-{size}", family="predictors",
        title=f"GIN Kendall tau, {size:,} training cells, 1,000 held out (nb201/cifar10, 200-epoch test)",
        reproduces="project target; measured then: 0.624 ± 0.020 at 100, 0.807 ± 0.009 at 1,000",
        reference=TARGETS[size], tolerance=0.0, rule="at_least", digits=3, run=run,
        label=f"≥ {TARGETS[size]:.2f} (target)",
        command=f"nasbench-lab predictor --benchmark nb201/cifar10 --predictors gin --train-sizes {size} --seeds 5",
        note="mean over training sets; quick: fewer training sets", seconds={"quick": 12 if size == 100 else 10,
                                                                              "full": 17 if size == 100 else 36})


CHECKS = [gin_check(n) for n in TARGETS]
