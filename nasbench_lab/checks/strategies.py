"""Search strategies against their baselines on the NB201 protocol (search on 12-epoch
validation, report the incumbent's 200-epoch test accuracy): the claims the algorithms page
makes, re-derived in full mode (each runs hundreds of seeds, torch steps included).

A claim is a paired comparison over the same seeds (seed k of both methods), judged with the
one-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, ties split: ``zsplit``): "above" holds when the new method
is greater at p < 0.05; "not worse" (non-inferiority, as the issue states it) holds when there is
no evidence at p < 0.05 that it is smaller. The value shown is the mean paired difference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext
from nasbench_lab.checks.nb201_protocol import final_report_metrics

ALPHA = 0.05


@dataclass(frozen=True)
class Claim:
    """``method`` against ``baseline`` on ``nb201/<dataset>`` at ``budget`` queries over seeds
    0..seeds-1; ``claim``: "above" or "not worse"; ``seconds``: wall time on the 2-core machine."""

    method: str
    baseline: str
    dataset: str
    budget: int
    seeds: int
    claim: str
    seconds: float


CLAIMS = [
    Claim("pnas", "random", "cifar10", 100, 200, "above", 320),
    Claim("pnas", "random", "cifar100", 100, 200, "above", 260),
    Claim("pnas", "random", "ImageNet16-120", 100, 200, "above", 270),
    Claim("bananas", "re", "cifar10", 100, 200, "not worse", 150),
    Claim("local-search", "re", "cifar10", 300, 200, "not worse", 2),
    Claim("reinforce", "random", "cifar10", 100, 200, "not worse", 10),
]


def finals(context: ValidationContext, algorithm: str, claim: Claim) -> np.ndarray:
    """The report metric of each seed's final incumbent (seeds 0..seeds-1), in seed order; the
    context's worker processes (the model-based methods train at every step)."""
    return final_report_metrics(context, algorithm, claim.dataset, claim.budget, claim.seeds, context.jobs)


def paired(new: np.ndarray, old: np.ndarray, claim: str) -> tuple[float, bool]:
    """The one-sided Wilcoxon p-value of the claim's test and whether the claim holds."""
    from scipy import stats

    if np.array_equal(new, old):  # no difference at all: nothing is above, nothing is worse
        return 1.0, claim != "above"
    if claim == "above":
        p = float(stats.wilcoxon(new, old, alternative="greater", zero_method="zsplit").pvalue)
        return p, p < ALPHA
    p = float(stats.wilcoxon(new, old, alternative="less", zero_method="zsplit").pvalue)
    return p, p >= ALPHA


def claim_check(claim: Claim) -> Check:
    name = f"{claim.method}-vs-{claim.baseline}-{claim.dataset}"
    above = claim.claim == "above"

    def run(context: ValidationContext) -> Measurement:
        new, old = finals(context, claim.method, claim), finals(context, claim.baseline, claim)
        diff = new - old
        p, holds = paired(new, old, claim.claim)
        test = "greater" if above else "smaller"
        return Measurement(
            float(diff.mean()), stderr=float(diff.std(ddof=1) / np.sqrt(len(diff))), n=len(diff),
            detail=f"{claim.method} {new.mean():.2f} ± {new.std(ddof=1):.2f}, {claim.baseline} {old.mean():.2f} ± "
                   f"{old.std(ddof=1):.2f} over {len(diff)} seeds; wins/ties/losses {int((diff > 0).sum())}/"
                   f"{int((diff == 0).sum())}/{int((diff < 0).sum())}; one-sided Wilcoxon p ({test}) = {p:.2g}",
            conditions={f"{'above' if above else 'not smaller'} at p < {ALPHA} (paired one-sided Wilcoxon)": holds},
            extra={"p": p, "method_mean": float(new.mean()), "baseline_mean": float(old.mean())})

    return Check(
        name=name, family="strategies",
        title=f"{claim.method} {'above' if above else 'not worse than'} {claim.baseline}, {claim.budget} queries, "
              f"nb201/{claim.dataset}: "
              "paired difference of the final test accuracy",
        reproduces="this library's claim (docs/algorithms.md), from the issue's targets",
        reference=0.0, tolerance=0.0, rule="at_least", digits=2, unit="points", run=run,
        label="> 0, p < 0.05" if above else "not smaller, p ≥ 0.05",
        command=f"nasbench-lab leaderboard --benchmark nb201/{claim.dataset} --algorithms "
                f"{claim.method},{claim.baseline} --budget {claim.budget} --seeds 0-{claim.seeds - 1}",
        note="the verdict is the Wilcoxon test's; the mean difference and its 2 s.e. are shown beside it",
        modes=("full",), seconds={"full": claim.seconds})


CHECKS = [claim_check(c) for c in CLAIMS]
