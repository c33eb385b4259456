"""``nasbench-lab report RESULTS_DIR`` and ``nasbench-lab pareto``: everything from stored results."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from nasbench_lab.config import Settings
from nasbench_lab.errors import NasLabError

DEFAULT_PARETO_COSTS = ("flops_m", "params_mb", "latency_ms:pixel3")


def read_results(results: Path) -> tuple[pd.DataFrame, dict]:
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
    config = {}
    if (results / "config.json").is_file():
        config = json.loads((results / "config.json").read_text())
    return runs, config


def _settings(config: dict, data_dir: str | None) -> Settings:
    s = config.get("settings", {})
    base = Settings.from_env(data_dir=data_dir or s.get("data_dir"), files=s.get("files") or {})
    return base


def _pareto_costs(bench) -> list[str]:
    chosen = [c for c in DEFAULT_PARETO_COSTS if c in bench.cost_names]
    if not chosen:
        chosen = list(bench.cost_names[:2])
    return chosen


def cmd_report(args: argparse.Namespace) -> int:
    from nasbench_lab.runner import load_benchmark

    from .drawing import draw_cells
    from .figures import regret_figures
    from .leaderboard import final_rows, overall_ranks, summarise, to_latex, to_markdown
    from .pareto import found_indices, pareto_figure, pareto_stem, resolve_objective
    from .style import slug

    results = Path(args.results)
    runs, config = read_results(results)
    out = Path(args.out) if args.out else results / "report"
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(f for f in args.formats.split(",") if f)
    settings = _settings(config, args.data_dir)
    files: list[Path] = []
    notes, benches, skipped = {}, {}, []
    for (name, dataset), _ in runs.groupby(["benchmark", "dataset"], sort=True):
        try:
            bench = load_benchmark(name, dataset, settings)
            benches[(name, dataset)] = bench
            notes[(name, dataset)] = bench.note
        except NasLabError as exc:
            skipped.append(f"{name}/{dataset}: {exc}")

    summary = summarise(runs)
    overall = overall_ranks(runs)
    (out / "leaderboard.md").write_text(to_markdown(summary, notes, overall))
    (out / "leaderboard.tex").write_text(to_latex(summary))
    summary.to_csv(out / "leaderboard.csv", index=False)
    files += [out / "leaderboard.md", out / "leaderboard.tex", out / "leaderboard.csv"]
    files += regret_figures(runs, out, band=args.band, log=not args.linear, formats=formats)

    hv_rows = []
    final = final_rows(runs)
    for (name, dataset), bench in benches.items():
        part = runs[(runs.benchmark == name) & (runs.dataset == dataset)]
        if bench.cost_names and hasattr(bench, "values"):
            found = found_indices(part, bench)
            for cost in _pareto_costs(bench):
                objectives = (resolve_objective(bench, "test_acc"), resolve_objective(bench, cost))
                paths, scores = pareto_figure(bench, objectives, pareto_stem(out, bench, objectives), found=found, formats=formats)
                files += paths
                hv_rows += [dict(benchmark=name, dataset=dataset, cost=cost, algorithm=a, hv_mean=m, hv_std=s)
                            for a, (m, s) in scores.items()]
        best = final[(final.benchmark == name) & (final.dataset == dataset)]
        best = best.sort_values(["algorithm", "best_report_metric"], ascending=[True, False]).groupby("algorithm").head(1)
        graphs = []
        for row in best.itertuples(index=False):
            incumbent = part[(part.algorithm == row.algorithm) & (part.seed == row.seed)].sort_values("query")
            arch_str = incumbent.loc[incumbent["best_search_metric"].idxmax(), "arch"] if "best_search_metric" in incumbent else incumbent["arch"].iloc[-1]
            arch = bench.space.parse(arch_str)
            graphs.append((f"{row.algorithm} (seed {row.seed}): {bench.report_metric(arch):.2f}", bench.space.encode(arch)))
        if graphs:
            files += draw_cells(graphs, out / f"cells_{slug(name, dataset)}", formats)
    if hv_rows:
        pd.DataFrame(hv_rows).to_csv(out / "hypervolume.csv", index=False)
        files.append(out / "hypervolume.csv")

    if args.json:
        print(json.dumps({"out": str(out), "files": [str(f) for f in files], "skipped": skipped,
                          "leaderboard": summary.round(4).to_dict(orient="records")}))
    else:
        print((out / "leaderboard.md").read_text())
        for s in skipped:
            print(f"skipped Pareto/cells for {s}", file=sys.stderr)
        print(f"wrote {len(files)} files to {out}/")
    return 0


def cmd_pareto(args: argparse.Namespace) -> int:
    from nasbench_lab.cli import settings_from, split_benchmark
    from nasbench_lab.runner import load_benchmark

    from .pareto import pareto_figure, pareto_stem, resolve_objective

    name, dataset = split_benchmark(args.benchmark)
    bench = load_benchmark(name, dataset or args.dataset, settings_from(args))
    names = [o for o in args.objectives.split(",") if o]
    if len(names) != 2:
        raise NasLabError(f"--objectives needs exactly two names, got {args.objectives!r}")
    if not hasattr(bench, "values"):
        raise NasLabError(f"{name} is not a tabular benchmark: it has no whole table to draw a front from")
    objectives = (resolve_objective(bench, names[0]), resolve_objective(bench, names[1]))
    if objectives[0].maximize == objectives[1].maximize and objectives[0].metric == objectives[1].metric:
        raise NasLabError("the two objectives must differ")
    out = Path(args.out)
    paths, _ = pareto_figure(bench, objectives, pareto_stem(out, bench, objectives),
                             formats=tuple(f for f in args.formats.split(",") if f))
    if args.json:
        print(json.dumps({"files": [str(p) for p in paths]}))
    else:
        print("\n".join(str(p) for p in paths))
    return 0


def register(sub, common) -> None:
    rp = sub.add_parser("report", help="tables, statistics and figures from a results directory (no rerun)")
    rp.add_argument("results", help="directory written by `nasbench-lab leaderboard`")
    rp.add_argument("--out", help="where to write (default: RESULTS/report)")
    rp.add_argument("--band", choices=("ci", "iqr"), default="ci", help="mean with 95%% CI, or median with IQR")
    rp.add_argument("--linear", action="store_true", help="linear axes for regret curves (default: log)")
    rp.add_argument("--formats", default="png,pdf", help="figure formats (default: png,pdf)")
    common(rp)
    rp.set_defaults(func=cmd_report)

    pp = sub.add_parser("pareto", help="draw a benchmark's true Pareto front of two objectives")
    pp.add_argument("--benchmark", required=True, metavar="NAME[/DATASET]")
    pp.add_argument("--dataset")
    pp.add_argument("--objectives", default="test_acc,flops", help="two of test_acc, valid_acc, a cost (flops, params, latency:pixel3)")
    pp.add_argument("--out", default=".", help="directory for the figure files")
    pp.add_argument("--formats", default="png,pdf")
    common(pp)
    pp.set_defaults(func=cmd_pareto)
