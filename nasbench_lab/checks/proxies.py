"""SynFlow checks: Spearman rho of SynFlow (scored on the real NAS-Bench-201 networks through the
proxy tables, ``nasbench_lab.proxies.scores.compute_scores``) against the 200-epoch test accuracy,
vs the zero-cost-proxy paper. Full: every cell; quick: a seeded sample, with its bootstrap
interval. The scores are computed afresh (the run's cache directory is new)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext

#: Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS", Table 1 (all NB201 cells).
PUBLISHED = {"cifar10": 0.737, "cifar100": 0.763, "ImageNet16-120": 0.751}
SAMPLE = 400  # cells per dataset in --quick
SEED = 0


def synflow_scores(context: ValidationContext, dataset: str, sample: int | None, bootstrap: int):
    """(scores, report metric, rank correlation) of SynFlow on ``sample`` cells drawn with
    ``SEED`` (None: all cells) of nb201/``dataset``."""
    from nasbench_lab.proxies.scores import TableConfig, compute_scores
    from nasbench_lab.core.rank_correlation import rank_correlation

    bench = context.benchmark("nb201", dataset)
    size = bench.space.size
    indices = None if sample is None else np.sort(np.random.default_rng(SEED).choice(size, sample, replace=False))
    scores = compute_scores(TableConfig("synflow", "nb201", bench.dataset, SEED), context.settings.cache_dir,
                            indices, jobs=context.jobs)
    truth = bench.values(bench.report_metric_name)[scores.indices]
    return scores, truth, rank_correlation(scores.values, truth, bootstrap=bootstrap, seed=SEED)


def synflow_check(dataset: str) -> Check:
    name = f"synflow-{dataset}"

    def run(context: ValidationContext) -> Measurement:
        from nasbench_lab.reports.checks import scatter_figure_atomic

        scores, truth, corr = synflow_scores(context, dataset, context.pick(SAMPLE, None), context.pick(1000, 300))
        values = scores.values
        keep = values != scores.config.spec.floor
        figure = scatter_figure_atomic(values[keep], truth[keep], context.figure(f"{name}.png"),
                                       xlabel="log10 SynFlow", ylabel="200-epoch test accuracy (%)",
                                       title=f"nb201/{dataset}, {int(keep.sum())} cells with a score > 0")
        lo, hi = corr.spearman_ci
        return Measurement(
            corr.spearman_rho, stderr=(hi - lo) / 3.92, interval=(lo, hi), n=len(values),
            detail=f"{len(values)} cells{' (seeded sample)' if context.quick else ''}; "
                   f"Kendall tau {corr.kendall_tau:.3f}; precision@top-5% {corr.precision_at_top[5.0]:.2f}; "
                   f"{int((~keep).sum())} score 0; compute {scores.seconds.sum():.0f} s",
            extra={"kendall_tau": corr.kendall_tau, "kendall_ci": list(corr.kendall_ci),
                   "precision_at_top": {f"{k:g}%": v for k, v in corr.precision_at_top.items()},
                   "compute_seconds": float(scores.seconds.sum()), "wall_seconds": scores.wall_seconds},
            figure=figure.name)

    return Check(
        name=name, family="synflow", title=f"SynFlow vs 200-epoch test accuracy, nb201/{dataset}: Spearman rho",
        reproduces="Abdelfattah et al. 2021, Zero-Cost Proxies for Lightweight NAS, Table 1 (all NB201 cells)",
        reference=PUBLISHED[dataset], tolerance=0.05, digits=3, run=run,
        command=f"nasbench-lab proxy synflow --benchmark nb201/{dataset}" + " [--sample 400 --seed 0]",
        note="ours: NATS-Bench 200-epoch test accuracies and our NB201 network without BatchNorm",
        seconds={"quick": 11, "full": {"cifar10": 400, "cifar100": 260, "ImageNet16-120": 170}[dataset]})


CHECKS = [synflow_check(d) for d in PUBLISHED]
