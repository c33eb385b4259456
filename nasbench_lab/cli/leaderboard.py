"""``nasbench-lab leaderboard``: algorithms x benchmarks x seeds under equal query budgets."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nasbench_lab.errors import NasLabError
from nasbench_lab.executors import EXECUTORS, LocalExecutor, make_executor

from .hardware import add_problem_options, problem_from
from .args import (
    DEFAULT_BENCHMARKS, add_common, check_jobs, flag_errors, json_safe, output_dir, parse_names, parse_params, parse_seeds,
    resolve_benchmarks, settings_from,
)

DEFAULT_ALGORITHMS = "random,re,sa"


def _query_bar(plan, runs: int, in_process: bool, no_progress: bool):
    """A progress bar over queries when a live benchmark trains on every query (else None)."""
    if no_progress or not in_process or not plan.is_live():
        return None
    from tqdm import tqdm

    return tqdm(total=runs * plan.budget, desc="queries", unit="query",
                file=sys.stderr, disable=None, leave=False, position=1)


REPORT_MODULES = ("nasbench_lab.reports.figures", "nasbench_lab.reports.leaderboard", "matplotlib.pyplot")


def _request(args: argparse.Namespace):
    """The run request of the command line (parsed, not yet checked)."""
    from nasbench_lab.pipeline import RunRequest

    return RunRequest(
        benchmarks=resolve_benchmarks(args.benchmark, args.dataset),
        algorithms=parse_names(args.algorithms, "--algorithms"),
        budget=args.budget,
        seeds=parse_seeds(args.seeds),
        params=parse_params(args.param or []),
        settings=settings_from(args),
        max_seconds=args.time_budget,
        problem=problem_from(args),
    )


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from nasbench_lab.pipeline import Pipeline, check_budget, check_max_seconds
    from nasbench_lab.store import ResultsStore

    start = time.perf_counter()
    with flag_errors():
        check_budget(args.budget)
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
    figure = []

    def start_figure(rows) -> None:  # the rows are parsed; runs.csv is written meanwhile
        from nasbench_lab.reports.figures import regret_figure

        figure.append(_start_figure(regret_figure, rows, out / "regret",
                                    parallel=isinstance(executor, LocalExecutor) and executor.jobs > 1))

    with executor, ResultsStore(out) as store:
        store.prepare(plan, overwrite=args.overwrite, resume=args.resume)
        runs = _run(plan, store, args, executor, on_rows=start_figure)
        from nasbench_lab.reports.leaderboard import write_leaderboard

        summary, markdown, _ = write_leaderboard(runs, out, plan.notes())
        figure[0]()
        if plan.problem.active:
            from nasbench_lab.reports.hardware import write_hardware_tables

            markdown += write_hardware_tables(runs, out, plan.problem, plan.settings, benchmarks=plan.loaded)
    if not args.json:
        print(markdown)
        print(f"results in {out}/ (runs.csv, config.json, leaderboard.md, regret.png)")
    else:
        print(json.dumps({
            "out": str(out),
            "runs": int(runs.groupby(["benchmark", "dataset", "algorithm", "seed"]).ngroups),
            "queries": int(len(runs)),
            "seconds": round(time.perf_counter() - start, 3),
            "leaderboard": json_safe(summary.round(4).to_dict(orient="records")),
        }))
    return 0


def _run(plan, store, args, executor, on_rows):
    """Run the tasks the store lacks, with progress bars unless ``--no-progress``; ``on_rows``
    gets the rows before they are exported (the background import is over by then)."""
    from nasbench_lab.parallel import import_in_background
    from nasbench_lab.pipeline import execute

    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        def progress(it, total):
            return tqdm(it, total=total, desc="runs", unit="run", file=sys.stderr, disable=None, leave=False)

    importers = []  # at most one thread: the report's modules imported while the workers search
    if not executor.in_process:
        progress = _first_then(progress, lambda: importers.append(
            import_in_background(*REPORT_MODULES, then="nasbench_lab.reports.style:warm_up")))
    query_bar = _query_bar(plan, len(store.missing(plan.tasks())), executor.in_process, args.no_progress)

    def join_importers() -> None:  # never import the same modules from two threads, nor fork meanwhile
        for thread in importers:
            thread.join()

    def rows_ready(rows) -> None:
        join_importers()
        on_rows(rows)

    try:
        return execute(plan, store, executor, progress=progress, on_rows=rows_ready,
                       on_query=(lambda: query_bar.update(1)) if query_bar is not None else None)
    finally:
        if query_bar is not None:
            query_bar.close()
        join_importers()


def _start_figure(draw, runs, stem: Path, parallel: bool):
    """Start drawing the regret figure; return a function that waits for it. With ``parallel``
    (a local pool of several jobs was granted, its workers are gone) it is drawn in a forked
    process while this one writes the tables; otherwise it is drawn when waited for."""
    if not parallel:
        return lambda: draw(runs, stem, formats=("png",))
    import multiprocessing

    process = multiprocessing.get_context("fork").Process(
        target=draw, args=(runs, stem), kwargs={"formats": ("png",)}, name="regret-figure")
    process.start()

    def wait() -> None:
        process.join()
        if process.exitcode != 0:
            raise NasLabError(f"drawing {stem}.png failed (exit code {process.exitcode}); runs.csv and the tables are written")

    return wait


def _first_then(progress, action):
    """A progress wrapper that calls ``action`` once the first item is in (the worker
    processes exist by then), then passes the items on (through ``progress`` if given)."""
    def wrap(it, total):
        for n, item in enumerate(progress(it, total=total) if progress else it):
            if n == 0:
                action()
            yield item

    return wrap


def register(sub, common=add_common) -> None:
    lb = sub.add_parser("leaderboard", help="run algorithms on benchmarks under equal query budgets")
    lb.add_argument("--benchmark", action="append", metavar="NAME[/DATASET]",
                    help=f"benchmark(s), repeatable or comma-separated (default: {', '.join(DEFAULT_BENCHMARKS)})")
    lb.add_argument("--dataset", help="dataset for benchmarks given without one (aliases such as c10 accepted)")
    lb.add_argument("--algorithms", default=DEFAULT_ALGORITHMS, help=f"comma-separated (default: {DEFAULT_ALGORITHMS})")
    lb.add_argument("--budget", type=int, default=100, help="queries of the search metric per run (default: 100)")
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
    add_problem_options(lb)
    common(lb)
    lb.set_defaults(func=cmd_leaderboard)
