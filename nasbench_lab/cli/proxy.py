"""``nasbench-lab proxy NAME``: compute (or reuse) a zero-cost proxy for the architectures of a
benchmark and report its rank correlation with the benchmark's report metric."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.parallel import default_jobs

from .args import (
    add_common, add_device, check_jobs, example, flag_errors, json_safe, output_dir, output_file, parse_params, settings_from,
    split_benchmark,
)


def register(subparsers, common=add_common) -> None:
    from nasbench_lab.proxies import PROXIES
    from nasbench_lab.running.supernet_correlation import RANKER_METHODS

    p = subparsers.add_parser(
        "proxy",
        help="score a benchmark's architectures with a zero-cost proxy; rank correlation with the report metric",
        description="Compute (or reuse from the cache) a zero-cost proxy for every architecture of a benchmark "
                    "(or a --sample of them) and print Spearman rho and Kendall tau against the report metric, "
                    "with bootstrap 95% confidence intervals.",
        epilog=example("proxy synflow --benchmark nb201/cifar10 --sample 500 --figure synflow.png",
                       "proxy supernet --method spos --benchmark nasbench-graph/cora --sample 20"),
    )
    p.add_argument("name", help=f"proxy: {', '.join(PROXIES)}, or supernet (a trained supernet's inherited-weight "
                                "accuracy, see --method)")
    p.add_argument("--benchmark", default="nb201", metavar="NAME[/DATASET]", help="benchmark (default: nb201)")
    p.add_argument("--dataset", help="dataset (default: the benchmark's first; aliases such as c100 accepted)")
    p.add_argument("--sample", type=int, metavar="K", help="score K architectures drawn with --seed (default: all)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the weight initialisation, of the sample and of the data batch (default: 0)")
    p.add_argument("--jobs", type=int, default=default_jobs(),
                   help=f"worker processes (default: {default_jobs()}; results do not depend on it)")
    p.add_argument("--batch-size", type=int, default=64, help="images per batch for data-dependent proxies (default: 64)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals (default: 1000)")
    p.add_argument("--figure", metavar="PNG", help="also write a scatter plot of proxy against report metric")
    p.add_argument("--out", metavar="CSV", help="also write each architecture's score and report metric "
                                                "(index, arch, score, report metric, seconds)")
    p.add_argument("--overwrite", action="store_true", help="let --out replace an existing file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_device(p, "cpu", "proxy scoring and supernet training (proxy supernet)")
    p.add_argument("--method", choices=RANKER_METHODS,
                   help="proxy supernet: the one-shot method training the supernet (spos or darts)")
    p.add_argument("--param", action="append", default=[], metavar="METHOD.NAME=VALUE",
                   help="proxy supernet: a hyper-parameter of --method, e.g. spos.epochs=5 (repeatable)")
    common(p, images=True)
    p.set_defaults(func=cmd_proxy)


def _check_figure(path: Path) -> None:
    """``--figure``: a file name with a figure format matplotlib writes, in a writable directory."""
    from nasbench_lab.reports.style import figure_formats

    if path.is_dir():
        raise NasLabError(f"--figure {path} is a directory; give a file name such as {path / 'proxy.png'}")
    figure_formats(path.suffix.lstrip(".") or "png", "--figure")
    output_dir(path.parent, "--figure")


def cmd_proxy(args: argparse.Namespace) -> int:
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.proxies.study import proxy_study

    if args.name == "supernet":
        return cmd_supernet_proxy(args)
    check_jobs(args.jobs)
    if args.figure:
        _check_figure(Path(args.figure))
    if args.out:
        output_file(Path(args.out), args.overwrite)
    settings = settings_from(args)
    name, dataset = split_benchmark(args.benchmark)
    with flag_errors():
        study = proxy_study(args.name, open_benchmark(name, dataset or args.dataset, settings), name, settings,
                            sample=args.sample, seed=args.seed, batch_size=args.batch_size,
                            bootstrap=args.bootstrap, jobs=args.jobs, progress=not (args.no_progress or args.json),
                            device=args.device)
    if args.figure:
        _proxy_figure(study, args.figure)
    if args.out:
        from nasbench_lab.infra.files import write_text

        write_text(Path(args.out), study.per_architecture().to_csv(index=False, float_format="%.10g"))
    row = {**study.summary(), "figure": args.figure, "out": args.out}
    if args.json:
        print(json.dumps(json_safe(row)))
        return 0
    _print_study(study, row)
    return 0


def _proxy_figure(study, path: str) -> None:
    from nasbench_lab.reports.scatter import scatter_figure

    keep = study.values != study.proxy.floor
    if keep.sum() >= 3:
        spec, bench = study.proxy, study.bench
        scatter_figure(study.values[keep], study.truth[keep], path,
                       xlabel=f"{spec.name} ({'log10 ' if spec.log_scale else ''}score)", ylabel=bench.report_metric_name,
                       title=f"{study.benchmark}/{bench.dataset}, {keep.sum()} architectures")


def _print_study(study, row: dict) -> None:
    spec, bench, scores, corr = study.proxy, study.bench, study.scores, study.correlation
    unit = " (log10)" if spec.log_scale else ""
    print(f"proxy {spec.name}{unit} on {study.benchmark}/{bench.dataset}: {len(study.indices)} of "
          f"{bench.space.size} architectures of space {bench.space.name}"
          + (f" (sample, seed {study.seed})" if study.sample else ""))
    print(f"data: {scores.source}")
    print(f"scores: {scores.reused} reused, {scores.computed} computed in {scores.wall_seconds:.1f} s "
          f"(proxy compute time of these architectures: {row['compute_seconds']:.1f} s)")
    where = "table" if scores.complete else "scores in the shared cache (the space is not fully scored yet)"
    print(f"{where}: {row['table'] or '-'}")
    if study.at_floor:
        print(f"{study.at_floor} architectures score zero / undefined (reported as the floor {spec.floor:g})")
    print(f"against {bench.report_metric_name} (report metric), 95% bootstrap CI over {study.bootstrap} resamples:")
    print(f"  Spearman rho {corr.spearman_rho:.3f}  [{corr.spearman_ci[0]:.3f}, {corr.spearman_ci[1]:.3f}]")
    print(f"  Kendall tau  {corr.kendall_tau:.3f}  [{corr.kendall_ci[0]:.3f}, {corr.kendall_ci[1]:.3f}]")
    print("  precision@top " + ", ".join(f"{k:g}%: {v:.2f}" for k, v in corr.precision_at_top.items()))
    for label, path in (("figure", row["figure"]), ("scores", row["out"])):
        if path:
            print(f"{label}: {path}")


def _method_params(args: argparse.Namespace) -> dict:
    """``--param METHOD.NAME=VALUE`` items of ``--method`` (another owner is an error)."""
    params = parse_params(args.param)
    other = sorted(set(params) - {args.method})
    if other:
        raise NasLabError(f"--param names {other[0]!r}, but --method is {args.method!r}")
    return params.get(args.method, {})


def _check_supernet_args(args: argparse.Namespace) -> None:
    """The options of ``proxy supernet``, each a one-line error (CUDA missing included)."""
    from nasbench_lab.running.devices import check_request_device

    if not args.method:
        raise NasLabError("proxy supernet needs --method spos or --method darts")
    if args.sample is None:
        raise NasLabError("proxy supernet needs --sample K (architectures to rank; each is trained "
                          "standalone on a live benchmark)")
    if args.sample < 3:
        raise NasLabError(f"--sample must be at least 3 (rank correlation needs 3 points), got {args.sample}")
    check_jobs(args.jobs)
    if args.seed < 0 or args.bootstrap < 0:
        raise NasLabError(f"--seed and --bootstrap must be >= 0, got {args.seed} and {args.bootstrap}")
    if args.figure:
        _check_figure(Path(args.figure))
    with flag_errors():
        check_request_device(args.device)


def cmd_supernet_proxy(args: argparse.Namespace) -> int:
    """``proxy supernet``: train --method's supernet, rank --sample paths by inherited weights."""
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.running.supernet_correlation import supernet_ranking

    _check_supernet_args(args)
    settings = settings_from(args)
    name, dataset = split_benchmark(args.benchmark)
    bench = open_benchmark(name, dataset or args.dataset, settings)
    progress = None
    if not (args.no_progress or args.json):
        from tqdm import tqdm

        progress = lambda it, total: tqdm(it, total=total, desc="standalone", leave=False)  # noqa: E731
    params = {"device": args.device, **_method_params(args)}  # --param METHOD.device wins
    result = supernet_ranking(args.method, bench, name, sample=args.sample, seed=args.seed, settings=settings,
                              params=params, jobs=args.jobs, bootstrap=args.bootstrap,
                              progress=progress)
    corr, task = result.correlation, " (proxy task)" if result.proxy_task else ""
    if args.figure:
        from nasbench_lab.reports.scatter import scatter_figure

        scatter_figure(result.inherited, result.truth, args.figure,
                       xlabel=f"{args.method} inherited-weight accuracy (%){task}",
                       ylabel=bench.search_metric_name,
                       title=f"{name}/{bench.dataset}, {len(result.archs)} architectures{task}")
    row = {
        "proxy": "supernet", "method": args.method, "benchmark": name, "dataset": bench.dataset,
        "architectures": len(result.archs), "sample": args.sample, "seed": args.seed, "data": result.data,
        "proxy_task": result.proxy_task, "epochs": result.epochs, "search_metric": bench.search_metric_name,
        "train_seconds": round(result.train_seconds, 3), "truth_seconds": round(result.truth_seconds, 3),
        "inherited_min": float(result.inherited.min()), "inherited_max": float(result.inherited.max()),
        "truth_min": float(result.truth.min()), "truth_max": float(result.truth.max()),
        **{k: list(v) if isinstance(v, tuple) else v for k, v in corr.as_dict().items()}, "figure": args.figure,
    }
    if args.json:
        print(json.dumps(json_safe(row)))
        return 0
    print(f"supernet ranker {args.method} on {name}/{bench.dataset}: {len(result.archs)} sampled paths "
          f"(seed {args.seed}), supernet trained {result.epochs} epochs in {result.train_seconds:.1f} s")
    print(f"data: {result.data}")
    print(f"inherited accuracy {row['inherited_min']:.2f} .. {row['inherited_max']:.2f} %; "
          f"{bench.search_metric_name} {row['truth_min']:.2f} .. {row['truth_max']:.2f} "
          f"({result.truth_seconds:.1f} s)")
    print(f"against {bench.search_metric_name} (search metric), 95% bootstrap CI over {args.bootstrap} resamples:")
    print(f"  Kendall tau  {corr.kendall_tau:.3f}  [{corr.kendall_ci[0]:.3f}, {corr.kendall_ci[1]:.3f}]")
    print(f"  Spearman rho {corr.spearman_rho:.3f}  [{corr.spearman_ci[0]:.3f}, {corr.spearman_ci[1]:.3f}]")
    if args.figure:
        print(f"figure: {args.figure}")
    return 0
