"""``nasbench-lab validate``: the library re-derives its key figures and puts each beside the
published (or exact) value with a tolerance. Exit code 0 when every check passes, 1 when one
fails, 2 for a usage mistake."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nasbench_lab.infra.parallel import default_jobs

from .args import add_common, example, check_jobs, output_dir, parse_names, settings_from


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def cmd_validate(args: argparse.Namespace) -> int:
    from nasbench_lab.checks.registry import all_checks, select
    from nasbench_lab.checks.suite import estimate_seconds, run_validation, write_outputs

    check_jobs(args.jobs)
    mode = "full" if args.full else "quick"
    only = [n for item in args.only or [] for n in parse_names(item, "--only")]
    checks = select(only or None, all_checks())
    if args.list:
        for c in checks:
            print(f"{c.name:<28} {c.family:<15} {c.title}")
        return 0
    settings = settings_from(args)
    out = output_dir(args.out or time.strftime("results/validation-%Y%m%d-%H%M%S"))
    estimate = estimate_seconds(checks, mode)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    say(f"validate --{mode}: {len(checks)} checks, about {_duration(estimate)} (as measured on 2 shared cores; "
        f"{args.jobs} worker processes); results in {out}/")

    def on_result(k: int, r) -> None:
        ref = r.check.reference_text(r.measurement)
        say(f"[{k + 1}/{len(checks)}] {r.status:>7}  {r.check.name:<28} ours {r.ours_text()}  "
            f"reference {ref}  ({r.seconds:.1f} s)" + ("" if r.status == "pass" else f"  {r.reason}"))

    validation = run_validation(checks, mode, Path(out), settings, jobs=args.jobs, on_result=on_result)
    paths = write_outputs(validation, Path(out))
    counts = validation.counts()
    if args.json:
        print(json.dumps({"out": str(out), **validation.as_dict()}, default=str))
    else:
        from nasbench_lab.checks.markdown import table

        print()
        print(table(validation.results))
        print(f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, "
              f"{counts['skipped']} skipped in {validation.seconds:.0f} s ({validation.cpu_seconds:.0f} s CPU); "
              f"wrote {', '.join(p.name for p in paths)} and the figures to {out}/")
    return 0 if validation.passed else 1


def register(subparsers, common=add_common) -> None:
    p = subparsers.add_parser(
        "validate", help="re-derive the library's key figures and compare each with the published value",
        description="Run the validation checks (NB201 protocol, table ceilings and costs, isomorphism, SynFlow, "
                    "GIN predictor, NAS-Bench-Graph, one-shot) in a fresh cache, compare each figure with its "
                    "reference within a tolerance, and write validation.md, validation.json and figures. "
                    "Exit code 0: all passed; 1: a check failed.",
        epilog=example("validate --quick --jobs 2", "validate --only 'synflow-*' --list"),
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="reduced checks (fewer seeds, samples), under 2 minutes (default)")
    size.add_argument("--full", action="store_true", help="the whole checks (all cells, all seeds); takes longer")
    p.add_argument("--only", action="append", metavar="NAME,...",
                   help="checks to run: names, families or patterns such as 'synflow-*' (repeatable)")
    p.add_argument("--out", help="output directory (default: results/validation-<time>)")
    p.add_argument("--jobs", type=int, default=default_jobs(),
                   help=f"worker processes (default: {default_jobs()}; results do not depend on it)")
    p.add_argument("--list", action="store_true", help="list the checks (after --only) and exit")
    common(p, images=True)
    p.set_defaults(func=cmd_validate)
