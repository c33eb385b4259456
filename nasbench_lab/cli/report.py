"""``nasbench-lab report RESULTS_DIR`` and ``nasbench-lab pareto``: everything from stored results."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nasbench_lab.errors import NasLabError

from .args import add_common, example, output_dir, settings_from, split_benchmark


def cmd_report(args: argparse.Namespace) -> int:
    from nasbench_lab.reports.merge import oneshot_folder
    from nasbench_lab.reports.report import run_settings, write_report
    from nasbench_lab.reports.statistics_figures import statistics_figures
    from nasbench_lab.reports.style import figure_formats

    if args.validation and not args.html:
        raise NasLabError("--validation goes with --html (the page shows the validate status)")
    if args.validation:
        from nasbench_lab.reports.html import validation_section

        validation_section(Path(args.validation))  # an unreadable validation folder: refused before any work
    formats = figure_formats(args.formats)
    formats += ("png",) if args.html and "png" not in formats else ()  # the page embeds PNGs
    folders, runs, config, out = _read(args)
    settings = run_settings(config, settings_from(args))
    results, notes = oneshot_folder(folders)
    tables = tuple(args.table or ())
    summary, files, skipped = write_report(runs, settings, out, band=args.band, log=not args.linear, formats=formats,
                                           results=results, tables=tables,
                                           idle=[r for f in folders for r in _idle(f)])
    files += _hardware_report(runs, config, settings, out, args, formats)
    ranked, unranked = statistics_figures(runs, out, formats, cliques=args.cliques)
    files, notes = files + ranked, notes + unranked
    if args.html:
        from nasbench_lab.reports.html import write_html

        files.append(write_html(out, runs=runs, config=config, summary=summary, files=files, band=args.band,
                                validation=Path(args.validation) if args.validation else None))
    if args.json:
        print(json.dumps({"out": str(out), "files": [str(f) for f in files], "skipped": skipped, "notes": notes,
                          "leaderboard": summary.round(4).to_dict(orient="records")}))
    else:
        for s in skipped:
            print(f"skipped Pareto/cells for {s}", file=sys.stderr)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        print_summary(summary, files, out)
    return 0


def print_summary(summary, files: list[Path], out: Path) -> None:
    """A few lines: the best algorithm of each benchmark and where the files are (the whole
    table is in ``leaderboard.md``)."""
    print(f"{summary['algorithm'].nunique()} algorithms on {summary.groupby(['benchmark', 'dataset']).ngroups} "
          f"benchmark(s), {int(summary['seeds'].max())} seeds")
    for (bench, dataset), part in summary.groupby(["benchmark", "dataset"], sort=True):
        ranked = part.dropna(subset=["report_mean"]).sort_values("report_mean", ascending=False, kind="stable")
        if ranked.empty:
            print(f"  {bench}/{dataset}: no algorithm has an incumbent (no seed found a feasible architecture)")
            continue
        top = ranked.iloc[0]
        others = ", ".join(f"{r.algorithm} {r.report_mean:.2f}" for r in ranked.iloc[1:4].itertuples())
        more = f" (+{len(ranked) - 4} more)" if len(ranked) > 4 else ""
        print(f"  {bench}/{dataset}: best {top['algorithm']} (report metric {top['report_mean']:.2f}, "
              f"regret {top['regret_mean']:.3g})" + (f"; then {others}{more}" if others else ""))
    tables = [f.name for f in files if f.suffix in (".md", ".csv", ".tex")]
    figures = [f for f in files if f.suffix not in (".md", ".csv", ".tex")]
    print(f"wrote {len(files)} files to {out}/: {', '.join(tables)} and {len(figures)} figures "
          f"(the whole table: {out / 'leaderboard.md'})")


def _hardware_report(runs, config: dict, settings, out: Path, args: argparse.Namespace, formats) -> list[Path]:
    """For a hardware-aware store: ``hardware.md`` (IGD+ / hypervolume, constraint satisfaction),
    the score curves and, on tables, the fronts found beside the true one."""
    import dataclasses

    from nasbench_lab.core.objectives import Problem, parse_reference

    problem = Problem.from_dict(config.get("problem"))
    if not problem.active:
        if args.hv_reference:
            raise NasLabError(f"--hv-reference: {', '.join(args.results)} holds no multi-objective runs")
        return []
    if args.hv_reference:
        problem = dataclasses.replace(problem, reference=parse_reference(args.hv_reference))
    from nasbench_lab.core.benchmark import TabularBenchmark
    from nasbench_lab.reports.hardware import write_hardware_tables
    from nasbench_lab.reports.report import open_recorded
    from nasbench_lab.reports.hardware_figures import hardware_pareto_figures

    write_hardware_tables(runs, out, problem, settings, figures=formats)
    files = sorted(p for p in out.iterdir() if p.name.startswith(("hardware", "front_scores")))
    for (name, dataset), part in runs.groupby(["benchmark", "dataset"], sort=True):
        try:
            bench = open_recorded(name, dataset, settings, tuple(args.table or ()))
        except NasLabError:
            continue  # write_report already named it among the skipped
        if isinstance(bench, TabularBenchmark):
            files += hardware_pareto_figures(part, bench, problem, out, formats)
    return files


def _read(args: argparse.Namespace) -> tuple[list[Path], Any, dict, Path]:
    """The folders given, their runs merged (one folder, or several that ran the same protocol),
    the configuration, and where the report goes (nothing under a folder may lead a write out)."""
    from nasbench_lab.reports.merge import read_merged
    from nasbench_lab.running.manifest import refuse_links

    folders = [Path(r) for r in args.results]
    runs, config = read_merged(folders, unchecked=args.unchecked)
    if args.unchecked:
        print(f"UNCHECKED: {', '.join(map(str, folders))} read without a manifest vouching for it (--unchecked): "
              "its numbers may have been altered", file=sys.stderr)
    out = output_dir(args.out if args.out else folders[0] / "report")
    if not args.out:
        refuse_links(folders[0])  # again: nothing under the folder may lead a write out of it
    return folders, runs, config, out


def _idle(results: Path) -> list[str]:
    """The runs of ``results`` that made no query (their manifest entries say ``rows`` 0)."""
    from nasbench_lab.running.manifest import idle_runs, read_manifest

    manifest = read_manifest(results)
    return idle_runs(manifest["runs"]) if manifest else []


def cmd_pareto(args: argparse.Namespace) -> int:
    from nasbench_lab.core.benchmark import TabularBenchmark
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.reports.pareto import pareto_figure, pareto_stem, resolve_objective
    from nasbench_lab.reports.style import figure_formats

    formats = figure_formats(args.formats)
    name, dataset = split_benchmark(args.benchmark)
    bench = open_benchmark(name, dataset or args.dataset, settings_from(args))
    names = [o for o in args.objectives.split(",") if o]
    if len(names) != 2:
        raise NasLabError(f"--objectives needs exactly two names, got {args.objectives!r}")
    if not isinstance(bench, TabularBenchmark):
        raise NasLabError(f"{name} is not a tabular benchmark: it has no whole table to draw a front from")
    objectives = (resolve_objective(bench, names[0]), resolve_objective(bench, names[1]))
    if objectives[0].maximize == objectives[1].maximize and objectives[0].metric == objectives[1].metric:
        raise NasLabError("the two objectives must differ")
    out = output_dir(args.out)
    paths, _ = pareto_figure(bench, objectives, pareto_stem(out, bench, objectives), formats=formats)
    if args.json:
        print(json.dumps({"files": [str(p) for p in paths]}))
    else:
        print("\n".join(str(p) for p in paths))
    return 0


def register(sub, common=add_common) -> None:
    rp = sub.add_parser("report", help="tables, statistics and figures from a results directory (no rerun)",
                        epilog=example("report results/lb --html   # or several folders: report R1 R2 --html"))
    rp.add_argument("results", nargs="+", help="directory written by `nasbench-lab leaderboard`; several are merged "
                    "when they ran the same protocol (benchmarks, budget, seeds, problem, recipe)")
    rp.add_argument("--html", action="store_true", help="also write report.html: one self-contained page to send")
    rp.add_argument("--validation", metavar="DIR", help="with --html: show the status of `nasbench-lab validate` in DIR")
    rp.add_argument("--cliques", choices=("nemenyi", "wilcoxon-holm"), default="nemenyi",
                    help="critical-difference diagrams: join the algorithms no Nemenyi test (or Wilcoxon-Holm) separates")
    rp.add_argument("--out", help="where to write (default: RESULTS/report)")
    rp.add_argument("--band", choices=("ci", "iqr"), default="ci", help="ci: mean with 95%% CI, iqr: median with IQR")
    rp.add_argument("--linear", action="store_true", help="linear axes for regret curves (default: log)")
    rp.add_argument("--formats", default="png,pdf", help="figure formats (default: png,pdf)")
    rp.add_argument("--hv-reference", metavar="ACC,COST[,COST]",
                    help="hypervolume reference point for a multi-objective store (default: the one it was run with)")
    rp.add_argument("--table", action="append", metavar="DECLARATION",
                    help="a table declaration the results name (table:<path>): read only when given here")
    rp.add_argument("--unchecked", action="store_true",
                    help="UNVERIFIED: read a folder no manifest vouches for (older versions), row by row")
    common(rp)
    rp.set_defaults(func=cmd_report)

    pp = sub.add_parser("pareto", help="draw a benchmark's true Pareto front of two objectives",
                        epilog=example("pareto --benchmark nb201/cifar10 --objectives test_acc,latency_ms:pixel3 --out figs"))
    pp.add_argument("--benchmark", required=True, metavar="NAME[/DATASET]")
    pp.add_argument("--dataset", help="dataset for a --benchmark given without one")
    pp.add_argument("--objectives", default="test_acc,flops_m", help="two of test_acc, valid_acc, a cost (flops_m, params_m, latency_ms:pixel3)")
    pp.add_argument("--out", default=".", help="directory for the figure files")
    pp.add_argument("--formats", default="png,pdf", help="figure formats")
    common(pp, options=False)
    pp.set_defaults(func=cmd_pareto)
