"""``nasbench-lab leaderboard``: algorithms x benchmarks x seeds under equal query budgets."""
from __future__ import annotations

import argparse
import json
import time

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.progress import quiet
from nasbench_lab.running.executors import EXECUTORS, make_executor
from nasbench_lab.running.request import BUDGET_UNITS

from .hardware import add_problem_options, problem_from
from .args import (
    DEFAULT_BENCHMARKS, add_common, add_device, example, check_jobs, flag_errors, json_safe, output_dir, parse_names, parse_params, parse_seeds,
    resolve_benchmarks, settings_from,
)

DEFAULT_ALGORITHMS = "random,re,sa"


def _request(args: argparse.Namespace):
    """The run request of the command line (parsed, not yet checked)."""
    from nasbench_lab.running.request import RunRequest

    return RunRequest(
        benchmarks=resolve_benchmarks(args.benchmark, args.dataset),
        algorithms=parse_names(args.algorithms, "--algorithms"),
        budget=args.budget,
        seeds=parse_seeds(args.seeds),
        params=parse_params(args.param or []),
        settings=settings_from(args),
        max_seconds=args.time_budget,
        problem=problem_from(args),
        device=args.device,
        budget_unit=args.budget_unit,
    )


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from nasbench_lab.workflows.leaderboard import run_leaderboard
    from nasbench_lab.running.pipeline import Pipeline
    from nasbench_lab.running.request import check_budget, check_budget_unit, check_max_seconds

    start = time.perf_counter()
    with flag_errors():
        check_budget(args.budget, check_budget_unit(args.budget_unit))
        check_jobs(args.jobs)
        check_max_seconds(args.time_budget)
        request = _request(args)
    if args.resume and args.overwrite:
        raise NasLabError("--resume and --overwrite exclude each other")
    if args.resume and not args.out:
        raise NasLabError("--resume needs the --out of the results to finish")
    executor = make_executor(args.executor, args.jobs, args.address)  # Ray installed? (not started yet)
    with flag_errors():
        plan = Pipeline(request).resolve()  # every name and value checked before any old result is touched
    executor.start()  # join (or start) Ray before anything is written
    try:
        out = output_dir(args.out or time.strftime("results/leaderboard-%Y%m%d-%H%M%S"))
    except BaseException:
        executor.close()
        raise
    with quiet(args.jobs > 1):  # one bar (runs done), not one per worker fighting for the same line
        runs, summary, markdown = run_leaderboard(plan, out, executor, overwrite=args.overwrite, resume=args.resume,
                                                  progress=not args.no_progress)
    if not args.json:
        print(markdown)
        from nasbench_lab.reports.figures import curve_name

        print(f"results in {out}/ (runs.csv, config.json, leaderboard.md, {curve_name(runs)}.png)")
    else:
        print(json.dumps({
            "out": str(out),
            "runs": int(runs.groupby(["benchmark", "dataset", "algorithm", "seed"]).ngroups),
            "queries": int(len(runs)),
            "seconds": round(time.perf_counter() - start, 3),
            "leaderboard": json_safe(summary.round(4).to_dict(orient="records")),
            "warnings": [line for line in markdown.splitlines() if line.startswith("Warning: ")],  # as in the table
            **_hardware_json(out),
        }))
    return 0


def _hardware_json(out) -> dict:
    """The Pareto and constrained tables the run wrote (IGD+, hypervolume, feasible rates), if any."""
    import pandas as pd

    tables = {key: out / f"hardware_{key}.csv" for key in ("front", "constrained")}
    found = {key: json_safe(pd.read_csv(path).round(4).to_dict(orient="records"))
             for key, path in tables.items() if path.is_file()}
    return {"hardware": found} if found else {}


def register(sub, common=add_common) -> None:
    lb = sub.add_parser("leaderboard", help="run algorithms on benchmarks under equal query budgets",
                        epilog=example("leaderboard --benchmark nb201/cifar10 --algorithms random,re --budget 100 "
                                       "--seeds 10 --jobs 2 --out results/lb"))
    lb.add_argument("--benchmark", action="append", metavar="NAME[/DATASET]",
                    help=f"benchmark(s), repeatable or comma-separated (default: {', '.join(DEFAULT_BENCHMARKS)})")
    lb.add_argument("--dataset", help="dataset for benchmarks given without one (aliases such as c10 accepted)")
    lb.add_argument("--algorithms", default=DEFAULT_ALGORITHMS, help=f"comma-separated (default: {DEFAULT_ALGORITHMS})")
    lb.add_argument("--budget", type=int, default=100,
                    help="per run: queries of the search metric, or training epochs with --budget-unit epochs (default: 100)")
    lb.add_argument("--budget-unit", choices=BUDGET_UNITS, default="queries",
                    help="what --budget counts: queries (architectures evaluated), or epochs (training epochs on a "
                         "benchmark that trains: multi-fidelity methods such as hyperband resume partly trained "
                         "networks; others train each architecture in full) (default: queries)")
    lb.add_argument("--seeds", default="20", help="count (20 = seeds 0..19), list 1,2,3 or range 0-199 (default: 20)")
    lb.add_argument("--param", action="append", metavar="ALGO.NAME=VALUE", help="algorithm hyper-parameter")
    lb.add_argument("--out", help="results directory (default: results/leaderboard-<time>)")
    lb.add_argument("--overwrite", action="store_true",
                    help="replace the results in an existing --out (once the new configuration is checked)")
    lb.add_argument("--resume", action="store_true",
                    help="finish the results in an existing --out: keep its finished runs, run the missing ones "
                         "(same options required)")
    lb.add_argument("--jobs", type=int, default=1,
                    help="worker processes, or the CPUs of a local Ray (results do not depend on it)")
    lb.add_argument("--executor", choices=EXECUTORS, default="local",
                    help="where runs go: local (process pool of --jobs) or ray (a Ray cluster; "
                         "pip install 'nasbench-lab[ray]') (default: local)")
    lb.add_argument("--address", help="with --executor ray: the Ray cluster to join (auto, or HOST:PORT); "
                                      "without it a local Ray with --jobs CPUs is started")
    lb.add_argument("--no-progress", action="store_true", help="no progress bar")
    lb.add_argument("--time-budget", type=float, metavar="SECONDS",
                    help="wall-clock budget per run besides --budget (no new query after SECONDS)")
    add_device(lb, what="training (one-shot supernets, live benchmarks, OFA)")
    add_problem_options(lb)
    common(lb, images=True)
    lb.set_defaults(func=cmd_leaderboard)
