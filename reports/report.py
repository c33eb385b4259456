"""Everything ``nasbench-lab report`` writes, from a results directory alone: tables, regret
curves, Pareto fronts with hypervolumes, drawings of the incumbents."""
from __future__ import annotations

from nasbench_lab.infra.files import write_text
import dataclasses
import json
import os
from pathlib import Path

import pandas as pd

from nasbench_lab.infra.settings import CACHE_ENV, FULLY_UNPICKLED, Settings
from nasbench_lab.errors import NasLabError

#: Costs drawn against the report metric, when the benchmark has them: FLOPs, parameters, and one
#: latency (the Pixel 3's where there are several devices, else the benchmark's own).
DEFAULT_PARETO_COSTS = ("flops_m", "params_m", ("latency_ms:pixel3", "latency_ms"))
#: Columns of ``runs.csv`` that must hold numbers (NaN allowed, e.g. the regret of a live benchmark).
NUMERIC_COLUMNS = ("seed", "query", "search_metric", "report_metric", "best_search_metric", "best_report_metric", "regret")


def read_results(results: Path) -> tuple[pd.DataFrame, dict]:
    from nasbench_lab.running.store import check_results

    check_results(results)  # a manifest saying the store is incomplete: refuse before anything else
    runs_path = results / "runs.csv"
    if not runs_path.is_file():
        raise NasLabError(f"no runs.csv in {results}: is it a results directory made by `nasbench-lab leaderboard`?")
    try:
        runs = pd.read_csv(runs_path)
    except Exception as exc:
        raise NasLabError(f"cannot read {runs_path}: {exc}") from None
    needed = {"benchmark", "dataset", "algorithm", "seed", "query", "arch", "best_report_metric", "regret"}
    if not needed <= set(runs.columns):
        raise NasLabError(f"{runs_path} lacks columns: {', '.join(sorted(needed - set(runs.columns)))}")
    if runs.empty:
        raise NasLabError(f"{runs_path} holds no runs")
    for column in NUMERIC_COLUMNS:
        if column in runs.columns:
            bad = pd.to_numeric(runs[column], errors="coerce").isna() & runs[column].notna()
            if bad.any():
                raise NasLabError(f"{runs_path} line {int(bad.to_numpy().argmax()) + 2}: column {column!r} "
                                  f"holds {runs[column][bad].iloc[0]!r}, not a number")
    check_results(results, runs)  # exactly the runs the manifest expects
    return runs, read_config(results / "config.json")


def read_config(path: Path) -> dict:
    """A results directory's ``config.json`` (``{}`` when there is none); a file that is not
    JSON, or whose settings have the wrong shape, is a one-line ``NasLabError``."""
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NasLabError(f"cannot read {path}: {exc}") from None
    if not isinstance(config, dict):
        raise NasLabError(f"{path} is not a run configuration: expected a JSON object, got {type(config).__name__}")
    try:
        Settings.from_dict(config.get("settings") or {})
    except NasLabError as exc:
        raise NasLabError(f"invalid {path}: {exc}") from None
    return config


def run_settings(config: dict, here: Settings) -> Settings:
    """The settings a run was made with (``config.json``), so that a report evaluates its
    benchmarks exactly as the run did (a live benchmark's recipe options included). Where the
    report is made now may differ: a data directory, files, image directory or options given
    now (``here``) win, and so does ``$NASBENCH_LAB_CACHE``. The official files that are
    unpickled in full (``FULLY_UNPICKLED``) come only from ``here``: a results folder someone
    sent you never chooses a file to unpickle."""
    recorded = Settings.from_dict(config.get("settings") or {})
    files = {k: v for k, v in recorded.files.items() if k not in FULLY_UNPICKLED}
    return dataclasses.replace(
        recorded,
        data_dir=here.data_dir or recorded.data_dir,
        files={**files, **here.files},
        options={**recorded.options, **{k: {**recorded.options.get(k, {}), **v} for k, v in here.options.items()}},
        image_dir=here.image_dir or recorded.image_dir,
        cache_dir=here.cache_dir if os.environ.get(CACHE_ENV) else recorded.cache_dir,
    )


def _pareto_costs(bench) -> list[str]:
    chosen = []
    for options in DEFAULT_PARETO_COSTS:
        found = [c for c in ((options,) if isinstance(options, str) else options) if c in bench.cost_names]
        chosen += found[:1]
    if not chosen:
        chosen = list(bench.cost_names[:2])
    return chosen


def _oneshot(results: Path, benches: dict, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from .oneshot import oneshot_figures

    return oneshot_figures(results, benches, out, formats)


def write_report(runs: pd.DataFrame, settings: Settings, out: Path, *, band: str = "ci", log: bool = True,
                 formats: tuple[str, ...] = ("png", "pdf"),
                 results: Path | None = None) -> tuple[pd.DataFrame, list[Path], list[str]]:
    """Write the report of ``runs`` into ``out``; benchmarks are loaded with ``settings`` (the
    run's own, see ``run_settings``). ``results``: the results folder the runs come from (its
    one-shot records give the one-shot figures). Returns the leaderboard summary, the files
    written and the benchmarks whose Pareto fronts and drawings were skipped (with the reason)."""
    from nasbench_lab.core.benchmark import TabularBenchmark
    from nasbench_lab.core.loading import open_benchmark

    from .drawing import draw_cells, incumbent_cells
    from .figures import curve_figures
    from .leaderboard import final_rows, write_leaderboard
    from .pareto import found_indices, pareto_figure, pareto_stem, resolve_objective
    from .style import slug

    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    notes, benches, skipped = {}, {}, []
    for (name, dataset), _ in runs.groupby(["benchmark", "dataset"], sort=True):
        try:
            bench = open_benchmark(name, dataset, settings)
            benches[(name, dataset)] = bench
            notes[(name, dataset)] = bench.note
        except NasLabError as exc:
            skipped.append(f"{name}/{dataset}: {exc}")

    summary, _, written = write_leaderboard(runs, out, notes, latex=True)
    files += written
    files += curve_figures(runs, out, band=band, log=log, formats=formats)

    hv_rows = []
    final = final_rows(runs)
    for (name, dataset), bench in benches.items():
        part = runs[(runs.benchmark == name) & (runs.dataset == dataset)]
        if bench.cost_names and isinstance(bench, TabularBenchmark):
            found = found_indices(part, bench)
            for cost in _pareto_costs(bench):
                objectives = (resolve_objective(bench, "test_acc"), resolve_objective(bench, cost))
                paths, scores = pareto_figure(bench, objectives, pareto_stem(out, bench, objectives), found=found, formats=formats,
                                              heading="architectures queried")
                files += paths
                hv_rows += [dict(benchmark=name, dataset=dataset, cost=cost, algorithm=a, hv_mean=m, hv_std=s)
                            for a, (m, s) in scores.items()]
        graphs = incumbent_cells(part, final[(final.benchmark == name) & (final.dataset == dataset)], bench)
        if graphs:
            files += draw_cells(graphs, out / f"cells_{slug(name, dataset)}", formats)
    if results is not None:
        files += _oneshot(results, benches, out, formats)
    if hv_rows:
        write_text(out / "hypervolume.csv", pd.DataFrame(hv_rows).to_csv(index=False), durable=False)
        files.append(out / "hypervolume.csv")

    return summary, files, skipped
