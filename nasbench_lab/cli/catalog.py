"""``nasbench-lab list`` (benchmarks, algorithms, hyper-parameters) and ``query`` (one arch)."""
from __future__ import annotations

import argparse
import json
from typing import Any

from .args import add_common, settings_from, split_benchmark


def cmd_list(args: argparse.Namespace) -> int:
    from nasbench_lab.core.registry import ALGORITHMS, BENCHMARKS, COST_FUNCTIONS

    info: dict[str, Any] = {"benchmarks": [], "algorithms": [], "cost_functions": COST_FUNCTIONS.names()}
    for name in BENCHMARKS.names():
        if name.endswith(":"):
            continue
        spec = BENCHMARKS.get(name)
        info["benchmarks"].append({
            "name": name, "description": spec.description, "datasets": list(spec.datasets),
            "search_metric": spec.search_metric, "report_metric": spec.report_metric,
            "costs": len(spec.costs), "note": spec.note, "needs": spec.needs,
        })
    for name in ALGORITHMS.names():
        cls = ALGORITHMS.get(name)
        info["algorithms"].append({"name": name, "summary": cls.summary(), "hyperparameters": cls.hyperparameters(),
                                   "ranges": {k: r.describe() for k, r in cls.ranges().items()}})
    if args.json:
        print(json.dumps(info, default=str))
        return 0
    print("Benchmarks (use --benchmark NAME or NAME/DATASET):")
    for b in info["benchmarks"]:
        print(f"  {b['name']}: {b['description']}")
        print(f"      datasets: {', '.join(b['datasets'])}")
        print(f"      search metric: {b['search_metric']}; report metric: {b['report_metric']}; cost metrics: {b['costs']}")
        if b["note"]:
            print(f"      note: {b['note']}")
        if b["needs"]:
            print(f"      needs: {b['needs']}")
    print("  table:<declaration.json>: any CSV/Parquet table mapped by a JSON declaration")
    print(f"      computed_costs (registered cost functions): {', '.join(info['cost_functions'])}")
    print("\nAlgorithms (use --algorithms a,b,c; --param NAME.HYPERPARAMETER=VALUE):")
    for a in info["algorithms"]:
        print(f"  {a['name']}: {a['summary']}")
        for k, v in a["hyperparameters"].items():
            print(f"      {k}={v!r}  ({a['ranges'][k]})")
        if not a["hyperparameters"]:
            print("      no hyper-parameters")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from nasbench_lab.core.loading import open_benchmark

    name, dataset = split_benchmark(args.benchmark)
    bench = open_benchmark(name, dataset or args.dataset, settings_from(args))
    arch = bench.space.parse(args.arch)
    row: dict[str, Any] = {
        "benchmark": name, "dataset": bench.dataset, "arch": bench.space.format(arch),
        "canonical": bench.space.canonical(arch),
        bench.search_metric_name + " (search)": bench.search_metric(arch),
        bench.report_metric_name + " (report)": bench.report_metric(arch),
        **bench.costs(arch),
    }
    print(json.dumps(row, indent=None if args.json else 2))
    return 0


def register(sub, common=add_common) -> None:
    ls = sub.add_parser("list", help="show benchmarks, datasets, algorithms and hyper-parameters")
    common(ls)
    ls.set_defaults(func=cmd_list)

    q = sub.add_parser("query", help="look up one architecture in a benchmark")
    q.add_argument("--benchmark", default="nb201-analog", metavar="NAME[/DATASET]")
    q.add_argument("--dataset")
    q.add_argument("arch", help="architecture string, e.g. an NB201 cell '|nor_conv_3x3~0|+|...|'")
    common(q)
    q.set_defaults(func=cmd_query)
