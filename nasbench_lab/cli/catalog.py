"""``nasbench-lab list`` (benchmarks, algorithms, hyper-parameters) and ``query`` (one arch)."""
from __future__ import annotations

import argparse
import json
from typing import Any

from nasbench_lab.errors import NasLabError

from .args import DEFAULT_BENCHMARKS, add_common, example, settings_from, split_benchmark


def benchmark_costs(spec, name: str) -> tuple[list[str], str]:
    """The cost names of benchmark ``name``: those its spec declares or, when it declares a
    pattern (``latency_ms:{}``: one cost per device of its table) or computes costs, those of
    its first dataset, loaded (a shipped table: no data directory needed). With a note when
    the table cannot be opened here."""
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.infra.settings import Settings

    declared = list(spec.costs)
    if not any("{}" in c for c in declared):
        return declared, ""
    try:
        return list(open_benchmark(name, None, Settings.from_env()).cost_names), ""
    except NasLabError as exc:
        return [c for c in declared if "{}" not in c], f"per-device costs listed once it loads ({exc})"


def devices(costs: list[str]) -> list[str]:
    """The devices of the per-device latencies ``latency_ms:<device>``."""
    return [c.partition(":")[2] for c in costs if c.startswith("latency_ms:")]


def costs_text(costs: list[str]) -> str:
    """``params_m, flops_m, latency_ms:<device> (27 devices: a, b, ...)``."""
    found = devices(costs)
    plain = [c for c in costs if not c.startswith("latency_ms:")]
    if found:
        plain.append(f"latency_ms:<device> ({len(found)} devices: {', '.join(found)})")
    return ", ".join(plain) or "none"


def cmd_list(args: argparse.Namespace) -> int:
    from nasbench_lab.core.registry import ALGORITHMS, BENCHMARKS, COST_FUNCTIONS

    info: dict[str, Any] = {"benchmarks": [], "algorithms": [], "cost_functions": COST_FUNCTIONS.names()}
    for name in BENCHMARKS.names():
        if name.endswith(":"):
            continue
        spec = BENCHMARKS.get(name)
        costs, note = benchmark_costs(spec, name)
        info["benchmarks"].append({
            "name": name, "description": spec.description, "datasets": list(spec.datasets),
            "search_metric": spec.search_metric, "report_metric": spec.report_metric,
            "costs": costs, "devices": devices(costs), "note": " ".join(filter(None, (spec.note, note))),
            "needs": spec.needs,
        })
    for name in ALGORITHMS.names():
        cls = ALGORITHMS.get(name)
        info["algorithms"].append({"name": name, "summary": cls.summary(), "hyperparameters": cls.hyperparameters(),
                                   "ranges": {k: r.describe() for k, r in cls.ranges().items()}})
    if args.json:
        print(json.dumps(info, default=str))
        return 0
    _print_list(info)
    return 0


def _print_list(info: dict[str, Any]) -> None:
    print("Benchmarks (use --benchmark NAME or NAME/DATASET):")
    for b in info["benchmarks"]:
        print(f"  {b['name']}: {b['description']}")
        print(f"      datasets: {', '.join(b['datasets'])}")
        print(f"      search metric: {b['search_metric']}; report metric: {b['report_metric']}")
        print(f"      costs: {costs_text(b['costs'])}")
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


def cmd_query(args: argparse.Namespace) -> int:
    from nasbench_lab.core.loading import open_benchmark

    name, dataset = split_benchmark(args.benchmark)
    bench = open_benchmark(name, dataset or args.dataset, settings_from(args))
    if args.arch is None:
        return _print_format(args, name, bench)
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


def _format_text(space) -> str:
    """How the space's strings read: the "String form" paragraph of its module's docstring, else
    the first paragraph of its class docstring."""
    import re
    import sys

    module = sys.modules.get(type(space).__module__)
    found = re.search(r"String form.*?(?:\n\s*\n|$)", getattr(module, "__doc__", None) or "", re.S)
    text = found.group(0) if found else (type(space).__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.replace("``", "").split())


def _print_format(args: argparse.Namespace, name: str, bench) -> int:
    """``query`` without an architecture: the space's string format, with examples."""
    import shlex

    import numpy as np

    space = bench.space
    rng = np.random.default_rng(0)
    samples = [space.format(space.sample(rng)) for _ in range(2)]
    about = _format_text(space)
    size = getattr(space, "size", None)
    if args.json:
        print(json.dumps({"benchmark": name, "dataset": bench.dataset, "space": space.name, "size": size,
                          "format": about, "examples": samples}))
        return 0
    print(f"{name}/{bench.dataset}: space {space.name}" + (f", {size:,} architectures" if size else ""))
    print(f"format: {about}")
    for text in samples:
        print(f"  {text}")
    print(f"example: nasbench-lab query --benchmark {name} {shlex.quote(samples[0])}")
    return 0


def register(sub, common=add_common) -> None:
    ls = sub.add_parser("list", help="show benchmarks, datasets, costs, algorithms and hyper-parameters",
                        epilog=example("list", "list --json"))
    common(ls, data=False, files=False, options=False)
    ls.set_defaults(func=cmd_list)

    q = sub.add_parser("query", help="look up one architecture in a benchmark (without one: its string format)",
                       epilog=example("query '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
                                      "nor_conv_3x3~1|skip_connect~2|'", "query --benchmark nasbench-graph"))
    q.add_argument("--benchmark", default=DEFAULT_BENCHMARKS[0].split("/")[0], metavar="NAME[/DATASET]",
                   help="benchmark (the leaderboard's first)")
    q.add_argument("--dataset", help="dataset for a --benchmark given without one (default: its first)")
    q.add_argument("arch", nargs="?", help="architecture string, e.g. an NB201 cell '|nor_conv_3x3~0|+|...|' "
                                           "(without: print the benchmark's format and an example)")
    common(q)
    q.set_defaults(func=cmd_query)
