"""A leaderboard from a resolved plan: the results store, the executor, progress bars, then
the tables and the regret figure (drawn in a forked process while the tables are written).
``nasbench-lab leaderboard`` parses and prints around ``run_leaderboard``."""
from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from nasbench_lab.errors import NasLabError
from nasbench_lab.running.executors import Executor, LocalExecutor
from nasbench_lab.running.pipeline import Plan, execute
from nasbench_lab.running.manifest import idle_runs
from nasbench_lab.running.store import ResultsStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["run_leaderboard"]

REPORT_MODULES = ("nasbench_lab.reports.figures", "nasbench_lab.reports.leaderboard", "matplotlib.pyplot")


def run_leaderboard(plan: Plan, out: Path, executor: Executor, *, overwrite: bool = False, resume: bool = False,
                    progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Run ``plan`` into the results folder ``out`` (``resume``: keep its finished runs;
    ``overwrite``: replace it) and write ``leaderboard.md``, the tables and ``regret.png`` (``incumbent_accuracy.png`` where
    the optimum is unknown, see ``curve_name``);
    return the rows, the summary and the Markdown. Closes ``executor``."""
    figure: list[Callable[[], None]] = []
    store = ResultsStore(out)  # writes into store.out: ``out``, or beside it until swapped in (--overwrite)
    forked = isinstance(executor, LocalExecutor) and executor.jobs > 1  # a core is free once the workers are gone

    def figure_from_rows(rows: pd.DataFrame) -> None:  # drawn when waited for, from the parsed rows
        figure.append(_start_figure(partial(_draw_figure, rows, store.out), store.out, parallel=False))

    def figure_from_text(text: bytes) -> None:  # a forked process parses what it draws while this one parses all
        figure.append(_start_figure(partial(_draw_figure, text, store.out), store.out, parallel=True))

    with executor, store:
        store.prepare(plan, overwrite=overwrite, resume=resume)
        hooks = {"on_text": figure_from_text} if forked else {"on_rows": figure_from_rows}
        runs = _run(plan, store, progress, executor, **hooks)
        from nasbench_lab.reports.leaderboard import write_leaderboard

        summary, markdown, _ = write_leaderboard(runs, store.out, plan.notes(), idle=idle_runs(store.entries))
        figure[0]()
        if plan.problem.active:
            from nasbench_lab.reports.hardware import write_hardware_tables

            markdown += write_hardware_tables(runs, store.out, plan.problem, plan.settings, benchmarks=plan.loaded)
    return runs, summary, markdown


def _draw_figure(runs: "pd.DataFrame | bytes", out: Path) -> None:
    """The leaderboard's curve figure (``regret.png``, or as ``curve_name`` says) from the rows,
    or from the text of ``runs.csv`` (only the columns the figure reads are parsed)."""
    from nasbench_lab.reports.figures import CURVE_COLUMNS, curve_name, regret_figure
    from nasbench_lab.running.run_files import parse_runs

    rows = parse_runs(runs, CURVE_COLUMNS) if isinstance(runs, bytes) else runs
    regret_figure(rows, out / curve_name(rows), formats=("png",))


def _query_bar(plan, runs: int, in_process: bool, no_progress: bool):
    """A progress bar over queries when a live benchmark trains on every query (else None)."""
    if no_progress or not in_process or not plan.is_live():
        return None
    from tqdm import tqdm

    epochs = plan.budget_unit == "epochs"
    return tqdm(total=runs * plan.budget, desc="epochs" if epochs else "queries", unit="epoch" if epochs else "query",
                file=sys.stderr, disable=None, leave=False, position=1)


def _run(plan: Plan, store: ResultsStore, bars: bool, executor: Executor,
         on_rows: Callable[[pd.DataFrame], None] | None = None,
         on_text: Callable[[bytes], None] | None = None) -> pd.DataFrame:
    """Run the tasks the store lacks, with progress bars if ``bars``; ``on_rows`` gets the rows
    before they are exported, ``on_text`` their text before they are parsed (the background
    import is over by then: nothing forks in the middle of an import)."""
    from nasbench_lab.infra.parallel import import_in_background

    progress = None
    if bars:
        from tqdm import tqdm

        def progress(it, total):
            return tqdm(it, total=total, desc="runs", unit="run", file=sys.stderr, disable=None, leave=False)

    importers = []  # at most one thread: the report's modules imported while the workers search
    if not executor.in_process:
        progress = _first_then(progress, lambda: importers.append(
            import_in_background(*REPORT_MODULES, then="nasbench_lab.reports.style:warm_up")))
    query_bar = _query_bar(plan, len(store.missing(plan.tasks())), executor.in_process, not bars)

    def join_importers() -> None:  # never import the same modules from two threads, nor fork meanwhile
        for thread in importers:
            thread.join()

    def after_imports(hook):
        if hook is None:
            return None

        def call(value) -> None:
            join_importers()
            hook(value)
        return call

    try:
        return execute(plan, store, executor, progress=progress, on_rows=after_imports(on_rows),
                       on_text=after_imports(on_text),
                       on_query=(lambda: query_bar.update(1)) if query_bar is not None else None)
    finally:
        if query_bar is not None:
            query_bar.close()
        join_importers()


def _draw_in_child(draw: Callable[[], None], conn) -> None:
    """The forked figure process: draw, and send back nothing or the error in one line (the
    parent reports it; no traceback from the child)."""
    try:
        draw()
        conn.send(None)
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent says it in one line
        conn.send(f"{type(exc).__name__}: {exc}" if not isinstance(exc, NasLabError) else str(exc))
    finally:
        conn.close()


def _start_figure(draw: Callable[[], None], out: Path, parallel: bool) -> Callable[[], None]:
    """Start ``draw`` (the figure of the results folder ``out``); return a function that waits
    for it. With ``parallel`` (a local pool of several jobs was granted, its workers are gone)
    it runs in a forked process while this one writes the tables; otherwise when waited for."""
    if not parallel:
        return draw
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_draw_in_child, args=(draw, send), name="regret-figure")
    process.start()
    send.close()

    def wait() -> None:
        error = receive.recv() if receive.poll(None) else "the figure process ended without a word"
        process.join()
        if error is not None or process.exitcode != 0:
            raise NasLabError(f"drawing the figure in {out} failed ({error or f'exit code {process.exitcode}'}); "
                              "runs.csv and the tables are written")

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


