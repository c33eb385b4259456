"""Command line: ``nasbench-lab leaderboard | list | query``."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from .config import Settings
from .errors import NasLabError

DEFAULT_BENCHMARKS = ("nb201-analog/cifar10", "nasbench-graph/cora")
#: Further sub-commands: each module has ``register(subparsers, common)`` adding its parser(s)
#: with ``set_defaults(func=...)``; the function returns an exit code and raises NasLabError
#: for user mistakes. One line per module.
COMMAND_MODULES: list[str] = [
    "nasbench_lab.reports.cli",
    "nasbench_lab.proxies.cli",
    "nasbench_lab.predictors.cli",
]
DEFAULT_ALGORITHMS = "random,re,sa"


def parse_seeds(text: str) -> list[int]:
    """``20`` -> 0..19; ``3,7,9`` -> those seeds; ``100-199`` -> that inclusive range."""
    try:
        if "," in text:
            return [int(s) for s in text.split(",") if s.strip()]
        if "-" in text.strip("-"):
            lo, hi = text.split("-", 1)
            return list(range(int(lo), int(hi) + 1))
        n = int(text)
    except ValueError:
        raise NasLabError(f"--seeds expects a count, a list like 1,2,3 or a range like 0-19; got {text!r}") from None
    if n < 1:
        raise NasLabError(f"--seeds must be at least 1, got {n}")
    return list(range(n))


def parse_dotted(items: Sequence[str], flag: str, owner: str) -> dict[str, dict[str, Any]]:
    """``OWNER.NAME=VALUE`` items -> {owner: {name: value}}; values are read as JSON when they
    parse, else kept as strings (the owner checks names and types). The owner is everything
    before the last dot, so benchmark names with dots (``table:x.json``) work."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        head, dot, name = key.strip().rpartition(".")
        if not (eq and dot and head and name):
            raise NasLabError(f"{flag} expects {owner}.NAME=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(head, {})[name] = value
    return out


def parse_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``re.population_size=20`` -> {"re": {"population_size": 20}}."""
    return parse_dotted(items, "--param", "ALGORITHM")


def split_benchmark(item: str) -> tuple[str, str | None]:
    """``name`` or ``name/dataset`` (a ``table:`` path may itself contain slashes)."""
    from .registry import BENCHMARKS

    head, sep, tail = item.rpartition("/")
    if sep and head in BENCHMARKS:
        return head, tail
    return item, None


def resolve_benchmarks(items: list[str] | None, dataset: str | None) -> list[tuple[str, str | None]]:
    from .runner import benchmark_spec

    if items:
        names = [split_benchmark(i) for entry in items for i in entry.split(",") if i]
        return [(b, d or dataset) for b, d in names]
    defaults = [split_benchmark(i) for i in DEFAULT_BENCHMARKS]
    if dataset is None:
        return defaults
    chosen = []
    for b, _ in defaults:
        try:
            chosen.append((b, benchmark_spec(b).resolve(dataset)))
        except NasLabError:
            continue
    if not chosen:
        raise NasLabError(f"no default benchmark has dataset {dataset!r}: pass --benchmark too")
    return chosen


def parse_benchmark_options(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``dynamicnet.epochs=5`` -> {"dynamicnet": {"epochs": 5}}."""
    return parse_dotted(items, "--benchmark-option", "BENCHMARK")


def _json_safe(value: Any) -> Any:
    """NaN (e.g. the regret of a live benchmark) -> None, so the JSON line stays valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def settings_from(args: argparse.Namespace) -> Settings:
    files = {}
    for item in getattr(args, "benchmark_file", None) or []:
        name, eq, path = item.partition("=")
        if not eq:
            raise NasLabError(f"--benchmark-file expects NAME=PATH, got {item!r}")
        files[name] = path
    options = parse_benchmark_options(getattr(args, "benchmark_option", None) or [])
    return Settings.from_env(data_dir=args.data_dir, files=files, options=options)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from .runner import ResultsStore, RunConfig, execute, load_benchmark

    start = time.perf_counter()
    if args.budget < 1:
        raise NasLabError(f"--budget must be at least 1 query, got {args.budget}")
    if args.time_budget is not None and not args.time_budget > 0:
        raise NasLabError(f"--time-budget must be a number of seconds > 0, got {args.time_budget}")
    config = RunConfig(
        benchmarks=resolve_benchmarks(args.benchmark, args.dataset),  # type: ignore[arg-type]
        algorithms=[a for a in args.algorithms.split(",") if a],
        budget=args.budget,
        seeds=parse_seeds(args.seeds),
        params=parse_params(args.param or []),
        settings=settings_from(args),
        max_seconds=args.time_budget,
    )
    unknown = set(config.params) - set(config.algorithms)
    if unknown:
        raise NasLabError(f"--param names algorithms not being run: {', '.join(sorted(unknown))}")
    unknown = set(config.settings.options) - {b for b, _ in config.benchmarks}
    if unknown:
        raise NasLabError(f"--benchmark-option names benchmarks not being run: {', '.join(sorted(unknown))}")
    config.resolve()
    out = Path(args.out or time.strftime("results/leaderboard-%Y%m%d-%H%M%S"))
    store = ResultsStore(out)
    store.prepare(config, overwrite=args.overwrite)
    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        def progress(it, total):
            return tqdm(it, total=total, desc="runs", unit="run", file=sys.stderr, disable=None, leave=False)

    query_bar = None
    if not args.no_progress and args.jobs <= 1:
        from .live import LiveBenchmark

        if any(isinstance(load_benchmark(b, d, config.settings), LiveBenchmark) for b, d in config.benchmarks):
            # Live benchmarks train on every query: show queries, not just finished runs.
            query_bar = tqdm(total=len(config.tasks()) * config.budget, desc="queries", unit="query",
                             file=sys.stderr, disable=None, leave=False, position=1)
    try:
        runs = execute(config, store, jobs=args.jobs, progress=progress,
                       on_query=(lambda: query_bar.update(1)) if query_bar is not None else None)
    finally:
        if query_bar is not None:
            query_bar.close()

    from nasbench_lab.reports.figures import regret_curves
    from nasbench_lab.reports.leaderboard import overall_ranks, summarise, to_markdown

    summary = summarise(runs)
    notes = {(b, d): load_benchmark(b, d, config.settings).note for b, d in config.benchmarks}
    markdown = to_markdown(summary, notes, overall_ranks(runs) if len(config.benchmarks) > 1 else None)
    (out / "leaderboard.md").write_text(markdown)
    summary.to_csv(out / "leaderboard.csv", index=False)
    regret_curves(runs, out / "regret.png")
    if not args.json:
        print(markdown)
        print(f"results in {out}/ (runs.csv, config.json, leaderboard.md, regret.png)")
    else:
        line = {
            "out": str(out),
            "runs": int(runs.groupby(["benchmark", "dataset", "algorithm", "seed"]).ngroups),
            "queries": int(len(runs)),
            "seconds": round(time.perf_counter() - start, 3),
            "leaderboard": _json_safe(summary.round(4).to_dict(orient="records")),
        }
        print(json.dumps(line))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .registry import ALGORITHMS, BENCHMARKS

    info: dict[str, Any] = {"benchmarks": [], "algorithms": []}
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
        info["algorithms"].append({"name": name, "summary": cls.summary(), "hyperparameters": cls.hyperparameters()})
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
    print("\nAlgorithms (use --algorithms a,b,c; --param NAME.HYPERPARAMETER=VALUE):")
    for a in info["algorithms"]:
        hp = ", ".join(f"{k}={v!r}" for k, v in a["hyperparameters"].items()) or "none"
        print(f"  {a['name']}: {a['summary']}\n      {hp}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .runner import benchmark_spec, load_benchmark

    name, dataset = split_benchmark(args.benchmark)
    bench = load_benchmark(name, dataset or args.dataset, settings_from(args))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasbench-lab", description="Run and validate NAS algorithms on tabular benchmarks.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="directory of CSV tables (default: $NASBENCH_LAB_DATA)")
        p.add_argument("--benchmark-file", action="append", metavar="NAME=PATH",
                       help="official benchmark file, e.g. nb201-official=NAS-Bench-201-v1_1-096897.pth")
        p.add_argument("--json", action="store_true", help="print one JSON line (for scripts)")
        p.add_argument("--benchmark-option", action="append", metavar="BENCHMARK.NAME=VALUE",
                       help="benchmark option, e.g. a live benchmark's recipe: dynamicnet.epochs=5")

    lb = sub.add_parser("leaderboard", help="run algorithms on benchmarks under equal query budgets")
    lb.add_argument("--benchmark", action="append", metavar="NAME[/DATASET]",
                    help=f"benchmark(s), repeatable or comma-separated (default: {', '.join(DEFAULT_BENCHMARKS)})")
    lb.add_argument("--dataset", help="dataset for benchmarks given without one (aliases such as c10 accepted)")
    lb.add_argument("--algorithms", default=DEFAULT_ALGORITHMS, help=f"comma-separated (default: {DEFAULT_ALGORITHMS})")
    lb.add_argument("--budget", type=int, default=100, help="queries of the search metric per run (default: 100)")
    lb.add_argument("--seeds", default="20", help="count (20 = seeds 0..19), list 1,2,3 or range 0-199 (default: 20)")
    lb.add_argument("--param", action="append", metavar="ALGO.NAME=VALUE", help="algorithm hyper-parameter")
    lb.add_argument("--out", help="results directory (default: results/leaderboard-<time>)")
    lb.add_argument("--overwrite", action="store_true", help="replace runs.csv in an existing --out")
    lb.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    lb.add_argument("--no-progress", action="store_true", help="no progress bar")
    lb.add_argument("--time-budget", type=float, metavar="SECONDS",
                    help="wall-clock budget per run besides --budget (no new query after SECONDS)")
    common(lb)
    lb.set_defaults(func=cmd_leaderboard)

    ls = sub.add_parser("list", help="show benchmarks, datasets, algorithms and hyper-parameters")
    common(ls)
    ls.set_defaults(func=cmd_list)

    q = sub.add_parser("query", help="look up one architecture in a benchmark")
    q.add_argument("--benchmark", default="nb201-analog", metavar="NAME[/DATASET]")
    q.add_argument("--dataset")
    q.add_argument("arch", help="architecture string, e.g. an NB201 cell '|nor_conv_3x3~0|+|...|'")
    common(q)
    q.set_defaults(func=cmd_query)

    from .registry import import_object

    for module in COMMAND_MODULES:
        import_object(module + ":register")(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NasLabError as exc:
        print(f"nasbench-lab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nasbench-lab: interrupted; runs finished so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
