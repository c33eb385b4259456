"""Everything ``nasbench-lab report`` writes, from a results directory alone: tables, regret
curves, Pareto fronts with hypervolumes, drawings of the incumbents."""
from __future__ import annotations

from nasbench_lab.infra.files import write_text
import dataclasses
import json
from pathlib import Path

import pandas as pd

from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import NasLabError

#: Costs drawn against the report metric, when the benchmark has them: FLOPs, parameters, and one
#: latency (the Pixel 3's where there are several devices, else the benchmark's own).
DEFAULT_PARETO_COSTS = ("flops_m", "params_m", ("latency_ms:pixel3", "latency_ms"))
#: Columns of ``runs.csv`` that must hold numbers (NaN allowed, e.g. the regret of a live benchmark).
NUMERIC_COLUMNS = ("seed", "query", "search_metric", "report_metric", "best_search_metric", "best_report_metric", "regret")


def read_results(results: Path, *, unchecked: bool = False) -> tuple[pd.DataFrame, dict]:
    """``runs.csv`` and ``config.json`` of a results folder, once its manifest vouches for them
    (``nasbench_lab.running.manifest``): no symbolic link inside, every file as the manifest
    records it, every metric finite. ``unchecked``: a folder no manifest vouches for is read row
    by row, refusing anything that is not whole."""
    from nasbench_lab.running.manifest import (check_results, check_runs, check_values, read_manifest, read_unchecked,
                                               refuse_links)

    results = Path(results)
    runs_path = results / "runs.csv"
    refuse_links(results)
    if (results / "manifest.json").is_file():
        check_results(results, unchecked=unchecked)  # an incomplete store: say so before anything else
    if not runs_path.is_file():
        raise NasLabError(f"no runs.csv in {results}: is it a results directory made by `nasbench-lab leaderboard`?")
    check_results(results, unchecked=unchecked)  # incomplete, or not vouched for: refuse before reading
    config = read_config(results / "config.json")
    needed = {"benchmark", "dataset", "algorithm", "seed", "query", "arch", "best_report_metric", "regret"}
    manifest = read_manifest(results)
    if unchecked and (manifest is None or "runs_csv_sha256" not in manifest):
        runs = read_unchecked(runs_path, needed, _budget(config))
        if manifest is not None:
            check_runs(results, runs, manifest["runs"])
        return runs, config
    try:
        runs = pd.read_csv(runs_path)
    except Exception as exc:
        raise NasLabError(f"cannot read {runs_path}: {exc}") from None
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
    check_results(results, runs, unchecked=unchecked)  # the files the manifest vouches for, its runs
    check_values(runs_path, runs)
    return runs, config


def _budget(config: dict) -> int | None:
    try:
        return int(config["budget"])
    except (KeyError, TypeError, ValueError):
        return None


def open_recorded(name: str, dataset: str, settings: Settings, tables: tuple[str, ...] = ()):
    """Open benchmark ``name`` as a results folder records it; a ``table:<declaration>`` only
    when that declaration is given again (``tables``, the report's ``--table``): a path read
    from a results folder never makes us open a file."""
    from nasbench_lab.core.loading import PATH_PREFIXES, open_benchmark

    prefix, sep, path = name.partition(":")
    if sep and f"{prefix}:" in PATH_PREFIXES:
        given = {str(Path(t).expanduser().absolute()) for t in tables}
        if str(Path(path).expanduser().absolute()) not in given:
            raise NasLabError(f"the results folder names the declaration {path}: pass --table {path} "
                              "to read it (a recorded path is never opened on its own)")
    return open_benchmark(name, dataset, settings)


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
    """The settings a report evaluates a run's benchmarks with: the run's options
    (``config.json``: a live benchmark's recipe), and paths only from here (``here``: the command
    line and the environment): a data directory, a benchmark file, an image directory or a cache
    recorded in a results folder is never read or written on its own."""
    recorded = Settings.from_dict(config.get("settings") or {})
    return dataclasses.replace(
        here,
        options={**recorded.options, **{k: {**recorded.options.get(k, {}), **v} for k, v in here.options.items()}},
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
                 results: Path | None = None, tables: tuple[str, ...] = (),
                 idle: list[str] | tuple = ()) -> tuple[pd.DataFrame, list[Path], list[str]]:
    """Write the report of ``runs`` into ``out``; benchmarks are loaded with ``settings`` (the
    run's own, see ``run_settings``). ``results``: the results folder the runs come from (its
    one-shot records give the one-shot figures). Returns the leaderboard summary, the files
    written and the benchmarks whose Pareto fronts and drawings were skipped (with the reason)."""
    from nasbench_lab.core.benchmark import TabularBenchmark

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
            bench = open_recorded(name, dataset, settings, tables)
            benches[(name, dataset)] = bench
            notes[(name, dataset)] = bench.note
        except NasLabError as exc:
            skipped.append(f"{name}/{dataset}: {exc}")

    summary, _, written = write_leaderboard(runs, out, notes, latex=True, idle=idle)
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
