"""NAS-Bench-Graph checks: the best test performance the ``nas-bench-graph`` package itself
records for a dataset (its ``light_read`` table, read at run time) against the best the adapter
serves (``nasbench-graph/<dataset>``, the value regret is measured from)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")


def package_best(dataset: str) -> tuple[float, object, int]:
    """(best ``perf`` x 100, its table key, number of entries) of the package's own table."""
    from nas_bench_graph.readbench import light_read

    table = light_read(dataset)
    key = max(table, key=lambda k: table[k]["perf"])
    return 100.0 * float(table[key]["perf"]), key, len(table)


def best_check(dataset: str) -> Check:
    def run(context: ValidationContext) -> Measurement:
        bench = context.benchmark("nasbench-graph", dataset)
        served = bench.values(bench.report_metric_name)
        reference, key, entries = package_best(dataset)
        top = int(np.argmax(served))
        same_arch = bench.space.keys[top] == key or np.isclose(served[top], reference, rtol=0, atol=1e-9)
        return Measurement(
            bench.best_report, n=bench.space.size, reference=reference,
            detail=f"best {bench.space.format(bench.space.arch_at(top))}; {entries} package entries, "
                   f"{bench.space.size} served",
            conditions={"the adapter serves every entry of the package": entries == bench.space.size,
                        "the best architecture is the package's best": bool(same_arch)})

    return Check(
        name=f"nbgraph-best-{dataset}", family="nasbench-graph",
        title=f"best test performance served, nasbench-graph/{dataset} (%)",
        reproduces="nas-bench-graph package's own table (light_read, 'perf' x 100)",
        reference=None, tolerance=1e-9, digits=3, unit="%", run=run,
        command=f"nasbench-lab validate --only nbgraph-best-{dataset}", seconds={"quick": 0.2, "full": 0.2})


CHECKS = [best_check(d) for d in DATASETS]
