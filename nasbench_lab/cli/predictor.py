"""``nasbench-lab predictor``: the predictor study from the command line."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nasbench_lab.errors import NasLabError

from .args import add_common, example, check_jobs, output_dir, parse_dotted, parse_names, parse_seeds, settings_from, split_benchmark

DEFAULT_PREDICTORS = "gin,mlp,gbdt"
DEFAULT_SIZES = "20,50,100,200,500,1000"


def _ints(text: str, flag: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise NasLabError(f"{flag} expects comma-separated whole numbers, got {text!r}") from None
    if not values:
        raise NasLabError(f"{flag} is empty")
    return values


def cmd_predictor(args: argparse.Namespace) -> int:
    from nasbench_lab.predictors.study import StudyConfig, run_study
    from nasbench_lab.reports.predictor_study import write_results

    start = time.perf_counter()
    check_jobs(args.jobs)
    name, dataset = split_benchmark(args.benchmark)
    config = StudyConfig(
        benchmark=name,
        dataset=dataset or args.dataset,
        target=args.target,
        predictors=parse_names(args.predictors, "--predictors"),
        train_sizes=_ints(args.train_sizes, "--train-sizes"),
        seeds=parse_seeds(args.seeds),
        test_size=args.test_size,
        bootstrap=args.bootstrap,
        params=parse_dotted(args.param or [], "--param", "PREDICTOR"),
        settings=settings_from(args),
    )
    if args.bootstrap < 0:
        raise NasLabError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        def progress(it, total):
            return tqdm(it, total=total, desc="models", unit="model", file=sys.stderr, disable=None, leave=False)

    out = Path(args.out or time.strftime("results/predictor-%Y%m%d-%H%M%S"))
    if (out / "runs.csv").exists() and not args.overwrite:
        raise NasLabError(f"{out / 'runs.csv'} already exists: choose another --out or pass --overwrite")
    output_dir(out)
    runs = run_study(config, jobs=args.jobs, progress=progress)
    result = write_results(out, config, runs, overwrite=True)
    if args.json:
        print(json.dumps({
            "out": str(out), "benchmark": name, "dataset": config.dataset, "target": result["metric"],
            "models": int(len(runs)), "seconds": round(time.perf_counter() - start, 3),
            "summary": result["summary"].round(4).to_dict(orient="records"),
        }))
    else:
        print(result["markdown"])
        print(f"results in {out}/ (runs.csv, summary.csv, summary.md, tau.png, config.json)")
    return 0


def register(subparsers, common=add_common) -> None:
    p = subparsers.add_parser(
        "predictor", help="performance-predictor study: rank correlation against training-set size",
        description="Train each predictor on random training sets of each size (several seeds) and score it "
                    "on one held-out set: Kendall tau, Spearman rho, precision@top-5%%, training time.",
        epilog=example("predictor --benchmark nb201/cifar10 --predictors gin,gbdt --train-sizes 20,100 --seeds 3"),
    )
    p.add_argument("--benchmark", default="nb201", metavar="NAME[/DATASET]", help="tabular benchmark (default: nb201)")
    p.add_argument("--dataset", help="dataset (default: the benchmark's first)")
    p.add_argument("--target", default="report",
                   help="metric to train on and score against: report, search or a metric name of the table")
    p.add_argument("--predictors", default=DEFAULT_PREDICTORS,
                   help=f"comma-separated from gin, gin-ensemble, mlp, gbdt, rf (default: {DEFAULT_PREDICTORS})")
    p.add_argument("--train-sizes", default=DEFAULT_SIZES, help=f"training-set sizes (default: {DEFAULT_SIZES})")
    p.add_argument("--seeds", default="5", help="count, list 1,2,3 or range 0-4 (default: 5)")
    p.add_argument("--test-size", type=int, default=1000, help="held-out architectures (default: 1000)")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples for the tau interval (default: 200)")
    p.add_argument("--param", action="append", metavar="PREDICTOR.NAME=VALUE", help="predictor hyper-parameter, e.g. gin.epochs=100")
    p.add_argument("--out", help="results directory (default: results/predictor-<time>)")
    p.add_argument("--overwrite", action="store_true", help="replace the results in an existing --out")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    common(p, options=False)
    p.set_defaults(func=cmd_predictor)
